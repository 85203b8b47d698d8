/**
 * Ferry as an IP Messenger peer (FeiQ 飞秋, IP Messenger, iptux): presence and chat
 * over UDP port 2425. A peer is `ipmsg:<IPv4 address>` (the protocol keys peers by
 * address, and so does every client of it). Everything here is plaintext and
 * unauthenticated by nature: anyone on the LAN can claim any address or name, so
 * names are cleaned, every sender is rate limited, broadcast and auto-reply messages
 * never trigger a reply, and nothing a peer sends is trusted beyond what it is.
 *
 * What a peer says reaches the engine through a PeerSession (ipmsg-session.ts) and
 * the engine's guarded inbox, exactly like Ferry's own peers.
 */
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import type { NoticeCode } from '../../../shared/errors';
import { ipmsgPeerId, ipOfPeer } from '../../../shared/peer-id';
import { ipv4Interfaces } from '../discovery/network-interfaces';
import { RateLimiter } from '../discovery/rate-limiter';
import { FerryError } from '../ferry-error';
import type { OfferedEntry, PeerInbox } from '../session/peer-session';
import type { Transfer } from '../store/transfer-repo';
import type { FolderItem } from '../transfer/pull-source';
import { MAX_DEPTH } from '../transfer/safe-filename';
import { readDirStream, type DirStreamLimits } from './ipmsg-dir-stream';
import {
  DEFAULT_FILE_SERVER_LIMITS,
  IpmsgFileServer,
  type FileServerLimits,
  type ServedEntry,
  type ServedOffer,
} from './ipmsg-file-server';
import {
  encodeAttachments,
  encodePacket,
  FILE_ATTR,
  has,
  IPMSG_PORT,
  IpmsgFormatError,
  MAX_DATAGRAM,
  MODE,
  modeOf,
  OPT,
  parseAttachments,
  parsePacket,
  type AttachmentEntry,
  type IpmsgPacket,
} from './ipmsg-packet';
import { IpmsgSession } from './ipmsg-session';
import {
  cleanName,
  cleanText,
  decode,
  decodeGuess,
  encode,
  isAscii,
  legacyCharsetFor,
  splitToFit,
  systemLocale,
  type Charset,
  type LegacyCharset,
} from './ipmsg-text';
import { PacketNumbers } from './packet-numbers';

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** What Ferry knows of one IP Messenger peer. */
export interface IpmsgPeer {
  peerId: string;
  ip: string;
  port: number;
  version: string;
  /** Which client it is, from its version string. */
  client: 'iptux' | 'FeiQ' | 'IP Messenger';
  user: string;
  host: string;
  nick: string;
  group: string;
  /** The charset it speaks, as far as we can tell. */
  charset: Charset;
  /** It announced CAPUTF8OPT: messages to it may carry UTF8OPT. */
  utf8Option: boolean;
  absent: boolean;
}

export interface IpmsgHost {
  /** Our name and group as the user set them. */
  self(): { nick: string; group: string };
  /** A peer announced itself or said something: it is present at this address. */
  present(peer: IpmsgPeer, session: IpmsgSession, isNew: boolean): void;
  /** A peer said goodbye, or stopped answering. */
  gone(peerId: string): void;
  inbox: PeerInbox;
  notice(level: 'info' | 'warn' | 'error', code: NoticeCode, message: string, peerId?: string): void;
}

export interface IpmsgOptions {
  /** UDP port (the protocol's 2425; tests on loopback use their own). */
  port?: number;
  /** Address to bind (default every interface). */
  bind?: string;
  /** Announce by broadcast (off with --no-discovery: only unicast to peers added by address). */
  broadcast?: boolean;
  /** Broadcast destinations; default 255.255.255.255 and every IPv4 interface's subnet broadcast. */
  broadcastAddresses?: () => string[];
  /** Charset for peers that don't speak UTF-8 (default GB18030: FeiQ). */
  legacyCharset?: LegacyCharset;
  /** Message re-sends until the peer's receipt arrives, and the wait between them. */
  retries?: number;
  retryMs?: number;
  /** Where packet numbers are reserved (null: in memory only). */
  packetNumberFile?: string | null;
  /** Our login and host names on the wire (default the OS's). */
  user?: string;
  hostName?: string;
  /** How long our file offers are served (default 10 min, like Ferry's own offers). */
  offerTtlMs?: number;
  /** Caps on the TCP server that serves our offers. */
  fileServer?: Partial<FileServerLimits>;
  /** Caps on a folder a peer streams to us. */
  folderLimits?: Partial<DirStreamLimits>;
  /** Time to connect to a peer's TCP port, and for its bytes to keep coming. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/** A peer's file offer, as we need it to fetch its files (memory only: packet numbers mean nothing after a restart). */
interface IncomingFiles {
  ip: string;
  port: number;
  packetNo: number;
  /** The offer's file ids, by entry index. */
  fileIds: number[];
}

export const DEFAULT_FOLDER_LIMITS: DirStreamLimits = {
  maxDepth: MAX_DEPTH,
  maxEntries: 100_000,
  maxBytes: 1024 ** 4,
};

/** What one message to a peer still waits for. */
interface Pending {
  /** A chat message (delivered once every piece is acknowledged), or a file offer (re-sent until it is). */
  kind: 'message' | 'offer';
  messageId: string;
  peerId: string;
  /** Packet numbers of its pieces not acknowledged yet. */
  waiting: Set<number>;
}

interface Outgoing {
  packetNo: number;
  datagram: Buffer;
  pending: Pending;
  tries: number;
  timer: NodeJS.Timeout | null;
}

/** A message we received and may owe a receipt for. */
interface Received {
  ip: string;
  port: number;
  packetNo: number;
  /** The sender asked for a receipt (SENDCHECKOPT, not a broadcast or auto-reply). */
  wantsReceipt: boolean;
  /** A sealed message: the sender wants to know when it is opened. */
  sealed: boolean;
}

const VERSION = '1';
const GROUP_SECTION_UTF8 = 'utf-8';
const MAX_TEXT_CHARS = 16_000;
/** Room left in a datagram for the text after the header (and a safety margin). */
const TEXT_BYTES = MAX_DATAGRAM - 512;
const RECEIVED_MEMORY = 2048;
const PEERS_MAX = 4096;
const DROP_LOG_EVERY_MS = 10_000;

export class IpmsgService {
  private socket: dgram.Socket | null = null;
  private readonly peers = new Map<string, { peer: IpmsgPeer; session: IpmsgSession }>();
  private readonly numbers: PacketNumbers;
  private readonly limiter = new RateLimiter(30, 60);
  /** Replies (entry answers, receipts) we send per address: a spoofed flood cannot make us a reflector. */
  private readonly replyLimiter = new RateLimiter(10, 20);
  /** Numbers of packets we sent lately: a packet of ours heard back (our own broadcast) is dropped. */
  private readonly ownPackets = new Set<number>();
  private readonly outgoing = new Map<number, Outgoing>();
  /** Message id → what it still waits for, while it is being sent. */
  private readonly inFlight = new Map<string, Pending>();
  /** (address, packet number) → message id: retries of a message are the same message. */
  private readonly seen = new Map<string, string>();
  private readonly received = new Map<string, Received>();
  private readonly retries: number;
  private readonly retryMs: number;
  private readonly legacy: LegacyCharset;
  private readonly user: string;
  private readonly hostName: string;
  private drops = 0;
  private lastDropLog = 0;
  private files: IpmsgFileServer | null = null;
  /** Peers' offers we may fetch from, by transfer id, and (address/packet number) → transfer id. */
  private readonly incoming = new Map<string, IncomingFiles>();
  private readonly offersSeen = new Map<string, string>();
  /** Our offer packets, by transfer id (sent again when the peer comes back). */
  private readonly offerPackets = new Map<string, { packetNo: number; datagram: Buffer }>();
  private stopped = false;
  readonly port: number;

  constructor(
    private readonly host: IpmsgHost,
    private readonly options: IpmsgOptions = {},
  ) {
    this.port = options.port ?? IPMSG_PORT;
    this.retries = options.retries ?? 5;
    this.retryMs = options.retryMs ?? 1500;
    this.legacy = options.legacyCharset ?? legacyCharsetFor(systemLocale());
    this.numbers = new PacketNumbers(options.packetNumberFile ?? null);
    this.user = wireName(options.user ?? safeUser());
    this.hostName = wireName(options.hostName ?? os.hostname());
  }

  /** Binds the port and announces; rejects with IPMSG_UNAVAILABLE when the port is taken. */
  async start(): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: this.port, address: this.options.bind, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      socket.close();
      throw new FerryError(
        'IPMSG_UNAVAILABLE',
        err.code === 'EADDRINUSE'
          ? `UDP port ${this.port} is taken (another IP Messenger or FeiQ on this computer?)`
          : `could not open UDP port ${this.port}: ${err.message}`,
      );
    });
    // File requests come over TCP on the same port and address.
    const files = new IpmsgFileServer(
      {
        pulled: (offer, index, bytesDone, complete) => this.pulled(offer, index, bytesDone, complete),
        refused: (ip, why) => this.dropped(`file request from ${ip}: ${why}`),
      },
      { ...DEFAULT_FILE_SERVER_LIMITS, ...this.options.fileServer },
    );
    try {
      await files.listen(this.port, this.options.bind);
    } catch (err) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      const code = (err as NodeJS.ErrnoException).code;
      throw new FerryError(
        'IPMSG_UNAVAILABLE',
        code === 'EADDRINUSE'
          ? `TCP port ${this.port} is taken (another IP Messenger or FeiQ on this computer?)`
          : `could not open TCP port ${this.port}: ${(err as Error).message}`,
      );
    }
    this.files = files;
    socket.on('error', (err) => this.host.notice('warn', 'IPMSG_UNAVAILABLE', `IP Messenger socket: ${err.message}`));
    socket.on('message', (datagram, rinfo) => this.onDatagram(datagram, rinfo));
    if (this.options.broadcast !== false) socket.setBroadcast(true);
    this.socket = socket;
    this.announce(MODE.BR_ENTRY);
  }

  /** Says goodbye to everyone and closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const socket = this.socket;
    if (!socket) return;
    const exit = this.packet(MODE.BR_EXIT | OPT.DIALUP, Buffer.alloc(0));
    const sends: Promise<void>[] = [];
    for (const { peer } of this.peers.values()) sends.push(this.sendTo(socket, exit, peer.ip, peer.port));
    if (this.options.broadcast !== false)
      for (const to of this.broadcastTargets()) sends.push(this.sendTo(socket, exit, to, this.port));
    await Promise.allSettled(sends);
    await this.files?.close();
    this.files = null;
    for (const out of this.outgoing.values()) if (out.timer) clearTimeout(out.timer);
    this.outgoing.clear();
    this.inFlight.clear();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.socket = null;
  }

  /** Announces our (new) name: to everyone by broadcast, and to each known peer. */
  announceNow(): void {
    this.announce(MODE.BR_ABSENCE);
  }

  /** Asks an address whether an IP Messenger peer is there (a unicast entry; it answers if so). */
  knock(ip: string): void {
    if (!IPV4.test(ip)) throw new FerryError('BAD_ADDRESS', `"${ip}" is not an IPv4 address`);
    this.sendEntry(MODE.BR_ENTRY | OPT.DIALUP, ip, this.port, this.known(ip)?.peer.charset ?? this.legacy);
  }

  /** The session of a peer that is present now. */
  session(peerId: string): IpmsgSession | undefined {
    const ip = ipOfPeer(peerId);
    return ip === null ? undefined : this.peers.get(ip)?.session;
  }

  peer(peerId: string): IpmsgPeer | undefined {
    const ip = ipOfPeer(peerId);
    return ip === null ? undefined : this.peers.get(ip)?.peer;
  }

  // ── what the sessions ask for ────────────────────────────────────────────────

  /** Sends a chat message, in as many packets as it needs; `delivered` once every piece is acknowledged. */
  sendText(peer: IpmsgPeer, messageId: string, text: string): void {
    if (this.inFlight.has(messageId)) return; // still being sent (a re-announce re-sends what is owed)
    const pending: Pending = { kind: 'message', messageId, peerId: peer.peerId, waiting: new Set() };
    this.inFlight.set(messageId, pending);
    const command = MODE.SENDMSG | OPT.SENDCHECK | (peer.utf8Option && peer.charset === 'utf-8' ? OPT.UTF8 : 0);
    for (const piece of splitToFit(text.replace(/\r\n?/g, '\n'), peer.charset, TEXT_BYTES)) {
      const packetNo = this.numbers.take();
      const datagram = this.packet(command, encode(piece, peer.charset), [], packetNo);
      pending.waiting.add(packetNo);
      this.outgoing.set(packetNo, { packetNo, datagram, pending, tries: 0, timer: null });
    }
    for (const packetNo of pending.waiting) this.transmit(packetNo);
  }

  /** The receipt a peer asked for, once its message is stored. */
  acknowledge(peer: IpmsgPeer, messageId: string): void {
    const received = this.received.get(messageId);
    if (!received || received.ip !== peer.ip || !received.wantsReceipt) return;
    if (!this.replyLimiter.allow(received.ip)) return;
    this.send(this.packet(MODE.RECVMSG, Buffer.from(String(received.packetNo), 'latin1')), received.ip, received.port);
  }

  /** Read notices for the sealed messages among these (IP Messenger only reports reading those). */
  markedRead(peer: IpmsgPeer, messageIds: string[]): void {
    for (const id of messageIds) {
      const received = this.received.get(id);
      if (!received?.sealed || received.ip !== peer.ip) continue;
      this.send(
        this.packet(MODE.READMSG, Buffer.from(String(received.packetNo), 'latin1')),
        received.ip,
        received.port,
      );
      received.sealed = false;
    }
  }

  // ── files ───────────────────────────────────────────────────────────────────

  /** Offers a transfer's files: one entry per top-level file or folder, served over TCP until the deadline. */
  offerFiles(peer: IpmsgPeer, t: Transfer): void {
    const known = this.offerPackets.get(t.id);
    if (known) return this.sendOffer(peer, t.id, known.packetNo, known.datagram); // the same offer again (the peer came back)
    const files = this.files;
    if (!files) throw new FerryError('PEER_UNSUPPORTED', 'talking to IP Messenger / FeiQ users is off');
    const charset = peer.charset;
    const tops = new Map<string, ServedEntry>();
    for (const f of t.files) {
      const [top, ...inside] = f.path.split('/');
      let entry = tops.get(top!);
      if (!entry) {
        entry = { fileId: tops.size, dir: inside.length > 0 || f.isDirectory, name: encode(top!, charset), files: [] };
        tops.set(top!, entry);
      }
      entry.files.push({
        index: f.index,
        inside: inside.map((segment) => encode(segment, charset)),
        size: f.size,
        mtime: f.mtime,
        source: f.source!,
        isDirectory: f.isDirectory && inside.length > 0,
      });
    }
    const entries = [...tops.values()];
    const attachments: AttachmentEntry[] = entries.map((e) => ({
      fileId: e.fileId,
      name: e.name,
      size: e.files.reduce((sum, f) => sum + f.size, 0),
      mtime: Math.floor(Math.max(0, ...e.files.map((f) => f.mtime)) / 1000),
      attr: e.dir ? FILE_ATTR.DIR : FILE_ATTR.REGULAR,
    }));
    const packetNo = this.numbers.take();
    const command =
      MODE.SENDMSG | OPT.FILEATTACH | OPT.SENDCHECK | (peer.utf8Option && charset === 'utf-8' ? OPT.UTF8 : 0);
    let datagram: Buffer;
    try {
      datagram = this.packet(command, Buffer.alloc(0), [encodeAttachments(attachments)], packetNo);
    } catch (err) {
      if (!(err instanceof IpmsgFormatError)) throw err;
      throw new FerryError(
        'INVALID_ARGUMENT',
        'too many names for one IP Messenger offer (one packet holds 8 KB); send fewer files or a folder',
      );
    }
    const offer: ServedOffer = {
      transferId: t.id,
      ip: peer.ip,
      packetNo,
      deadline: Date.now() + (this.options.offerTtlMs ?? 10 * 60_000),
      entries,
      requested: false,
      completed: new Set(),
    };
    files.add(offer);
    remember(this.offerPackets, t.id, { packetNo, datagram }, RECEIVED_MEMORY);
    this.sendOffer(peer, t.id, packetNo, datagram);
  }

  /** Sends an offer packet and re-sends it, like a message, until the peer's receipt comes (bounded). */
  private sendOffer(peer: IpmsgPeer, transferId: string, packetNo: number, datagram: Buffer): void {
    const key = `offer:${transferId}`;
    if (this.inFlight.has(key)) return;
    const pending: Pending = { kind: 'offer', messageId: key, peerId: peer.peerId, waiting: new Set([packetNo]) };
    this.inFlight.set(key, pending);
    this.outgoing.set(packetNo, { packetNo, datagram, pending, tries: 0, timer: null });
    this.transmit(packetNo);
  }

  /** Our offer ended here (cancelled, expired, failed): stop serving it. */
  withdraw(transferId: string): void {
    this.files?.remove(transferId);
    const known = this.offerPackets.get(transferId);
    const out = known && this.outgoing.get(known.packetNo);
    if (out?.timer) clearTimeout(out.timer);
    if (known) this.outgoing.delete(known.packetNo);
    this.inFlight.delete(`offer:${transferId}`);
    this.offerPackets.delete(transferId);
  }

  /** A peer's offer we will not fetch (declined, cancelled, expired): tell it to free the files. */
  release(transferId: string): void {
    const offer = this.incoming.get(transferId);
    if (!offer) return;
    this.incoming.delete(transferId);
    this.send(this.packet(MODE.RELEASEFILES, Buffer.from(String(offer.packetNo), 'latin1')), offer.ip, offer.port);
  }

  /** The bytes of file `index` of a peer's offer, from `offset` (GETFILEDATA over TCP). */
  async pullFile(
    peer: IpmsgPeer,
    transferId: string,
    index: number,
    offset: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Buffer>> {
    const { offer, fileId } = this.incomingFile(transferId, index);
    const command = MODE.GETFILEDATA | (peer.client === 'iptux' ? OPT.FILEATTACH : 0);
    const attach = `${offer.packetNo.toString(16)}:${fileId.toString(16)}:${offset.toString(16)}`;
    return this.request(peer, offer, command, attach, signal);
  }

  /** The contents of folder `index` of a peer's offer (GETDIRFILES over TCP), checked strictly. */
  async pullFolder(
    peer: IpmsgPeer,
    transferId: string,
    index: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<FolderItem>> {
    const { offer, fileId } = this.incomingFile(transferId, index);
    const utf8 = peer.utf8Option ? OPT.UTF8 : 0;
    const command = MODE.GETDIRFILES | utf8 | (peer.client === 'iptux' ? OPT.FILEATTACH : 0);
    const bytes = await this.request(
      peer,
      offer,
      command,
      `${offer.packetNo.toString(16)}:${fileId.toString(16)}`,
      signal,
    );
    const decodeName = (raw: Buffer) => (utf8 ? decode(raw, 'utf-8') : decodeGuess(raw, this.legacy).text);
    return readDirStream(bytes, decodeName, { ...DEFAULT_FOLDER_LIMITS, ...this.options.folderLimits });
  }

  private incomingFile(transferId: string, index: number): { offer: IncomingFiles; fileId: number } {
    const offer = this.incoming.get(transferId);
    const fileId = offer?.fileIds[index];
    if (!offer || fileId === undefined) {
      throw new FerryError(
        'OFFER_EXPIRED',
        'this IP Messenger offer is no longer known here (Ferry restarted since, or it was released); ask the sender to send it again',
      );
    }
    return { offer, fileId };
  }

  /** Opens TCP to the peer's port, sends one request packet, and hands back what it answers until it closes. */
  private request(
    peer: IpmsgPeer,
    offer: IncomingFiles,
    command: number,
    attach: string,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Buffer>> {
    const bind = this.options.bind && this.options.bind !== '0.0.0.0' ? this.options.bind : undefined;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new FerryError('CANCELLED', 'the transfer was stopped'));
      const socket = net.connect({ host: offer.ip, port: offer.port, ...(bind ? { localAddress: bind } : {}) });
      socket.on('error', () => {}); // after the connect, errors reach the reader
      const onAbort = () => socket.destroy(new FerryError('CANCELLED', 'the transfer was stopped'));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('close', () => signal.removeEventListener('abort', onAbort));
      socket.setTimeout(this.options.connectTimeoutMs ?? 10_000, () =>
        socket.destroy(new FerryError('IDLE_TIMEOUT', `${peer.nick} stopped sending (nothing for a while)`)),
      );
      socket.once('error', (err) =>
        reject(
          err instanceof FerryError
            ? err
            : new FerryError(
                'PEER_UNREACHABLE',
                `could not reach ${peer.nick} at ${offer.ip}:${offer.port}: ${err.message}`,
              ),
        ),
      );
      socket.once('connect', () => {
        socket.setTimeout(this.options.idleTimeoutMs ?? 60_000);
        socket.write(this.packet(command, Buffer.from(attach, 'latin1')));
        resolve(socket);
      });
    });
  }

  /** SENDMSG|FILEATTACHOPT: the files become an offer card (never accepted without a click). */
  private offered(session: IpmsgSession, packet: IpmsgPacket, ip: string, port: number): void {
    const key = `${ip}/${packet.packetNo}`;
    const peer = session.peer;
    let attachments: AttachmentEntry[];
    try {
      attachments = parseAttachments(packet.sections[0] ?? Buffer.alloc(0));
    } catch (err) {
      if (!(err instanceof IpmsgFormatError)) throw err;
      this.host.notice(
        'warn',
        'BAD_FRAME',
        `${peer.nick} (IP Messenger) offered files in a malformed packet: ${err.message}`,
        peer.peerId,
      );
      return;
    }
    const entries: OfferedEntry[] = [];
    const fileIds: number[] = [];
    for (const a of attachments) {
      const kind = a.attr & 0xff;
      if (kind !== FILE_ATTR.REGULAR && kind !== FILE_ATTR.DIR) continue; // links, clipboard images: not taken
      const name = has(packet.command, OPT.UTF8) ? decode(a.name, 'utf-8') : decodeGuess(a.name, this.legacy).text;
      if (/[/\\]/.test(name)) {
        this.host.notice(
          'warn',
          'NAME_REJECTED',
          `${peer.nick} (IP Messenger) offered a path, not a name: ${JSON.stringify(name.slice(0, 80))}; left out`,
          peer.peerId,
        );
        continue;
      }
      entries.push({
        path: name,
        size: kind === FILE_ATTR.DIR ? 0 : a.size,
        mtime: a.mtime * 1000,
        dir: kind === FILE_ATTR.DIR,
      });
      fileIds.push(a.fileId);
    }
    if (entries.length === 0) return;
    let id = this.offersSeen.get(key);
    if (!id) {
      id = randomUUID();
      remember(this.offersSeen, key, id, RECEIVED_MEMORY);
      remember(this.incoming, id, { ip, port, packetNo: packet.packetNo, fileIds }, RECEIVED_MEMORY);
    } else if (!this.incoming.has(id)) {
      return; // an offer we already released, sent again
    }
    const totalBytes = entries.reduce((sum, e) => sum + e.size, 0);
    try {
      this.host.inbox.transfers.offered(session, { id, createdAt: Date.now(), entries, totalBytes });
    } catch (err) {
      const known = err instanceof FerryError ? err : null;
      this.host.notice(
        'error',
        known?.code ?? 'INTERNAL',
        `could not take an offer from ${peer.nick} (IP Messenger): ${(err as Error)?.message ?? String(err)}`,
        peer.peerId,
      );
    }
  }

  /** RELEASEFILES: the peer dropped one of our offers (declined it, or stopped fetching). */
  private released(packet: IpmsgPacket, ip: string): void {
    const packetNo = Number(packet.extra.toString('latin1'));
    const offer = Number.isSafeInteger(packetNo) ? this.files?.byPacket(ip, packetNo) : undefined;
    const session = this.known(ip)?.session;
    if (!offer || !session) return;
    this.withdraw(offer.transferId);
    const transfers = this.host.inbox.transfers;
    if (!offer.requested) transfers.answered(session, { id: offer.transferId, accept: false });
    else
      transfers.stopped(
        session,
        offer.transferId,
        'cancelled',
        new FerryError('CANCELLED', `${session.peer.nick} stopped fetching the files`),
      );
  }

  /** The peer fetched bytes of one of our files. */
  private pulled(offer: ServedOffer, index: number, bytesDone: number, complete: boolean): void {
    const session = this.known(offer.ip)?.session;
    // Said, not silent: a transfer that never reaches "done" then shows why in the log.
    if (!session) return this.dropped(`file progress from ${offer.ip}, a peer no longer listed`);
    if (complete) offer.completed.add(index);
    this.host.inbox.transfers.pulled(session, offer.transferId, index, bytesDone, complete);
    // Everything was fetched: nothing more is served for this offer.
    if (offer.completed.size === offer.entries.reduce((n, e) => n + e.files.length, 0)) this.withdraw(offer.transferId);
  }

  // ── receiving ────────────────────────────────────────────────────────────────

  private onDatagram(datagram: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped || rinfo.family !== 'IPv4') return;
    if (!this.limiter.allow(rinfo.address)) return this.dropped('rate');
    let packet: IpmsgPacket;
    try {
      packet = parsePacket(datagram);
    } catch (err) {
      if (err instanceof IpmsgFormatError) return this.dropped('malformed');
      throw err;
    }
    if (this.isOwn(packet, rinfo.address)) return;
    try {
      this.handle(packet, rinfo.address, rinfo.port, datagram.length);
    } catch (err) {
      this.host.notice(
        'warn',
        'INTERNAL',
        `while handling an IP Messenger packet from ${rinfo.address}: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  }

  private handle(packet: IpmsgPacket, ip: string, port: number, size: number): void {
    const mode = modeOf(packet.command);
    switch (mode) {
      case MODE.BR_ENTRY:
        this.entry(packet, ip, port, true);
        if (this.replyLimiter.allow(ip))
          this.sendEntry(MODE.ANSENTRY, ip, port, this.known(ip)?.peer.charset ?? this.legacy);
        return;
      case MODE.ANSENTRY:
      case MODE.BR_ABSENCE:
        this.entry(packet, ip, port);
        return;
      case MODE.BR_EXIT:
        this.exit(ip);
        return;
      case MODE.SENDMSG:
        this.message(packet, ip, port, size);
        return;
      case MODE.RECVMSG:
        this.receipt(packet);
        return;
      case MODE.RELEASEFILES:
        this.released(packet, ip);
        return;
      case MODE.GETINFO:
        if (this.replyLimiter.allow(ip))
          this.send(this.packet(MODE.SENDINFO, Buffer.from('Ferry', 'latin1')), ip, port);
        return;
      case MODE.GETABSENCEINFO:
        if (this.replyLimiter.allow(ip))
          this.send(this.packet(MODE.SENDABSENCEINFO, Buffer.from('Not absence mode', 'latin1')), ip, port);
        return;
      default:
        // READMSG, ANSREADMSG (we never seal), files (not offered yet), unknown modes: ignored, never answered.
        return;
    }
  }

  private known(ip: string) {
    return this.peers.get(ip);
  }

  /** BR_ENTRY / ANSENTRY / BR_ABSENCE: who the peer is and what it speaks. */
  private entry(packet: IpmsgPacket, ip: string, port: number, restarted = false): void {
    const existing = this.known(ip)?.peer;
    const version = packet.version;
    const iptuxUtf8 = packet.sections[2]?.toString('latin1') === GROUP_SECTION_UTF8;
    const utf8Option = has(packet.command, OPT.CAPUTF8);
    // IP Messenger (Draft 10) puts UTF-8 names after the group: "\nUN:user\nHN:host\nNN:nick\nGN:group\n".
    const draft10 = parseDraft10(packet.sections[1]);
    // Names in an entry: UTF-8 when flagged (UTF8OPT), else whatever the bytes are (iptux set to GB18030
    // sends its nick in GB18030 even beside its "utf-8" section).
    const names: Charset = has(packet.command, OPT.UTF8)
      ? 'utf-8'
      : this.charsetOf([packet.extra, packet.sections[0] ?? Buffer.alloc(0), packet.user, packet.host], existing);
    // What we send it: UTF-8 to peers that said they take it (CAPUTF8OPT, iptux's "utf-8"), else its names' charset.
    const charset: Charset = utf8Option || iptuxUtf8 ? 'utf-8' : names;
    const text = (bytes: Buffer | undefined) => (bytes ? decode(bytes, names) : '');
    const user = cleanName(draft10.UN ?? text(packet.user));
    const hostName = cleanName(draft10.HN ?? text(packet.host));
    const nick = cleanName(draft10.NN ?? text(packet.extra)) || user || ip;
    const peer: IpmsgPeer = {
      peerId: ipmsgPeerId(ip),
      ip,
      port,
      version,
      client: clientOf(version),
      user,
      host: hostName,
      nick,
      group: cleanName(draft10.GN ?? text(packet.sections[0])),
      charset,
      utf8Option,
      absent: has(packet.command, OPT.ABSENCE),
    };
    this.present(peer, restarted);
  }

  /** Records a peer as present at its address and tells the engine. */
  private present(peer: IpmsgPeer, restarted = false): IpmsgSession | null {
    let entry = this.peers.get(peer.ip);
    const isNew = !entry || restarted;
    if (!entry) {
      if (this.peers.size >= PEERS_MAX) {
        this.dropped('table-full');
        return null;
      }
      entry = { peer, session: new IpmsgSession(this, peer) };
      this.peers.set(peer.ip, entry);
    } else {
      Object.assign(entry.peer, peer);
    }
    this.host.present(entry.peer, entry.session, isNew);
    return entry.session;
  }

  private exit(ip: string): void {
    const entry = this.peers.get(ip);
    if (!entry) return;
    this.peers.delete(ip);
    this.failPending(entry.peer.peerId);
    this.host.gone(entry.peer.peerId);
  }

  private message(packet: IpmsgPacket, ip: string, port: number, size: number): void {
    const key = `${ip}/${packet.packetNo}`;
    const noReply = has(packet.command, OPT.BROADCAST) || has(packet.command, OPT.AUTORET);
    const session = this.known(ip)?.session ?? this.stranger(packet, ip, port);
    if (!session) return;
    const peer = session.peer;
    let text: string;
    if (has(packet.command, OPT.UTF8)) {
      text = decode(packet.extra, 'utf-8');
    } else if (isAscii(packet.extra)) {
      text = packet.extra.toString('latin1');
    } else {
      const guess = decodeGuess(packet.extra, peer.charset === 'utf-8' ? this.legacy : peer.charset);
      // A peer that writes valid UTF-8 is answered in UTF-8; one that doesn't, in its legacy charset.
      if (peer.charset === 'utf-8' && guess.charset !== 'utf-8') peer.charset = guess.charset;
      text = guess.text;
    }
    // FeiQ appends its font settings in braces: "text{font…}".
    if (peer.client === 'FeiQ') text = text.replace(/\{[^{}]*\}$/, '');
    text = cleanText(text, MAX_TEXT_CHARS);
    if (has(packet.command, OPT.FILEATTACH)) this.offered(session, packet, ip, port);
    if (!text.trim()) {
      // Nothing to store (a bare file offer): the receipt still tells the sender the packet arrived.
      if (has(packet.command, OPT.SENDCHECK) && !noReply && this.replyLimiter.allow(ip))
        this.send(this.packet(MODE.RECVMSG, Buffer.from(String(packet.packetNo), 'latin1')), ip, port);
      return;
    }
    let id = this.seen.get(key);
    if (!id) {
      id = randomUUID();
      remember(this.seen, key, id, RECEIVED_MEMORY);
      remember(
        this.received,
        id,
        {
          ip,
          port,
          packetNo: packet.packetNo,
          wantsReceipt: has(packet.command, OPT.SENDCHECK) && !noReply,
          sealed: has(packet.command, OPT.SECRET),
        },
        RECEIVED_MEMORY,
      );
    }
    try {
      this.host.inbox.chat.message(session, { id, sentAt: Date.now(), replyTo: null, text, bytes: size });
    } catch (err) {
      // Not stored (disk full, over the chat quota): no receipt, so the sender keeps it and retries.
      const known = err instanceof FerryError ? err : null;
      this.host.notice(
        known?.code === 'RATE_LIMITED' ? 'warn' : 'error',
        known?.code ?? 'INTERNAL',
        `could not store a message from ${peer.nick} (IP Messenger): ${(err as Error)?.message ?? String(err)}`,
        peer.peerId,
      );
    }
  }

  /**
   * A message from an address that never announced itself (iptux calls them
   * "mysterious"): it becomes a peer named after its login, and is asked who it is.
   */
  private stranger(packet: IpmsgPacket, ip: string, port: number): IpmsgSession | null {
    const charset = this.charsetOf([packet.user, packet.host], undefined);
    const user = cleanName(decode(packet.user, charset));
    const session = this.present({
      peerId: ipmsgPeerId(ip),
      ip,
      port,
      version: packet.version,
      client: clientOf(packet.version),
      user,
      host: cleanName(decode(packet.host, charset)),
      nick: user || ip,
      group: '',
      charset,
      utf8Option: has(packet.command, OPT.CAPUTF8),
      absent: false,
    });
    if (session && this.replyLimiter.allow(ip))
      this.sendEntry(MODE.BR_ENTRY | OPT.DIALUP, ip, port, session.peer.charset);
    return session;
  }

  /** RECVMSG: the extra is the number of the packet it acknowledges. */
  private receipt(packet: IpmsgPacket): void {
    const packetNo = Number(packet.extra.toString('latin1'));
    const out = this.outgoing.get(packetNo);
    if (!out) return;
    if (out.timer) clearTimeout(out.timer);
    this.outgoing.delete(packetNo);
    const { pending } = out;
    pending.waiting.delete(packetNo);
    if (pending.waiting.size > 0) return;
    this.inFlight.delete(pending.messageId);
    if (pending.kind === 'offer') return; // the peer has it: now it pulls (or releases) the files
    const session = this.session(pending.peerId);
    if (session) this.host.inbox.chat.delivered(session, pending.messageId);
  }

  /**
   * The charset of some text from a peer: what we learnt of it before, else what the
   * bytes are (valid UTF-8 beyond ASCII is UTF-8; other non-ASCII bytes are the legacy charset).
   */
  private charsetOf(fields: Buffer[], known: IpmsgPeer | undefined): Charset {
    const nonAscii = fields.filter((f) => !isAscii(f));
    if (nonAscii.length === 0) return known?.charset ?? this.legacy;
    return nonAscii.every((f) => decodeGuess(f, this.legacy).charset === 'utf-8') ? 'utf-8' : this.legacy;
  }

  // ── sending ──────────────────────────────────────────────────────────────────

  private transmit(packetNo: number): void {
    const out = this.outgoing.get(packetNo);
    if (!out || this.stopped) return;
    const peer = this.peer(out.pending.peerId);
    if (!peer) return this.failPending(out.pending.peerId);
    if (out.tries >= this.retries) {
      // Never acknowledged: the peer is treated as gone; the message stays unacknowledged and is re-sent when it returns.
      this.host.notice(
        'warn',
        'PEER_OFFLINE',
        `${peer.nick} (IP Messenger) did not acknowledge a ${out.pending.kind === 'offer' ? 'file offer' : 'message'}; it is re-sent when it is back`,
        peer.peerId,
      );
      this.exit(peer.ip);
      return;
    }
    out.tries++;
    this.send(out.datagram, peer.ip, peer.port);
    out.timer = setTimeout(() => this.transmit(packetNo), this.retryMs);
    out.timer.unref?.();
  }

  /** Forgets what was being sent to a peer that left (it is re-sent from the store when it is back). */
  private failPending(peerId: string): void {
    for (const [packetNo, out] of this.outgoing) {
      if (out.pending.peerId !== peerId) continue;
      if (out.timer) clearTimeout(out.timer);
      this.outgoing.delete(packetNo);
      this.inFlight.delete(out.pending.messageId);
    }
  }

  private announce(mode: number): void {
    // To everyone: the nick in the legacy charset (FeiQ and IP Messenger read it; iptux is told we speak UTF-8 after it).
    if (this.options.broadcast !== false && this.socket) {
      const command = mode | OPT.CAPUTF8;
      const datagram = this.entryPacket(command, this.legacy);
      for (const to of this.broadcastTargets()) this.send(datagram, to, this.port);
    }
    // To each peer we know, in its own charset.
    for (const { peer } of this.peers.values())
      this.sendEntry((mode === MODE.BR_ENTRY ? MODE.BR_ABSENCE : mode) | OPT.DIALUP, peer.ip, peer.port, peer.charset);
  }

  private sendEntry(command: number, ip: string, port: number, charset: Charset): void {
    this.send(this.entryPacket(command | OPT.CAPUTF8, charset), ip, port);
  }

  /** `nick\0group\0icon\0utf-8\0`: iptux reads the fourth section as "speaks UTF-8"; others ignore it. */
  private entryPacket(command: number, charset: Charset): Buffer {
    const { nick, group } = this.host.self();
    return this.packet(command, encode(nick, charset), [
      encode(group, charset),
      Buffer.alloc(0),
      Buffer.from(GROUP_SECTION_UTF8, 'latin1'),
    ]);
  }

  private packet(command: number, extra: Buffer, sections: Buffer[] = [], packetNo = this.numbers.take()): Buffer {
    remember(this.ownPackets, packetNo, undefined, 256);
    return encodePacket({
      version: VERSION,
      packetNo,
      user: Buffer.from(this.user, 'utf8'),
      host: Buffer.from(this.hostName, 'utf8'),
      command,
      extra,
      sections,
    });
  }

  /** Our own broadcast, heard back: from our address, with our version, names and a number we used. */
  private isOwn(packet: IpmsgPacket, from: string): boolean {
    // The cheap checks first: listing the interfaces is left for the few packets that pass them.
    return (
      packet.version === VERSION &&
      this.ownPackets.has(packet.packetNo) &&
      packet.user.toString('utf8') === this.user &&
      packet.host.toString('utf8') === this.hostName &&
      (this.options.bind && this.options.bind !== '0.0.0.0' ? from === this.options.bind : isLocalAddress(from))
    );
  }

  private broadcastTargets(): string[] {
    if (this.options.broadcastAddresses) return this.options.broadcastAddresses();
    return [...new Set(['255.255.255.255', ...ipv4Interfaces().map((i) => i.broadcast)])];
  }

  private send(datagram: Buffer, ip: string, port: number): void {
    const socket = this.socket;
    if (!socket || this.stopped) return;
    socket.send(datagram, port, ip, (err) => {
      if (err) this.dropped('send');
    });
  }

  private sendTo(socket: dgram.Socket, datagram: Buffer, ip: string, port: number): Promise<void> {
    return new Promise((resolve) => socket.send(datagram, port, ip, () => resolve()));
  }

  /** Counts what was dropped; says so at most every 10 s (a flood must not become a flood of notices). */
  private dropped(reason: string): void {
    this.drops++;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.host.notice(
      'info',
      'IPMSG_DROPPED',
      `dropped ${this.drops} IP Messenger packet(s) so far (latest: ${reason})`,
    );
  }

  /** Packets dropped so far (malformed, over the rate limit, no room): for tests and the soak run. */
  get droppedCount(): number {
    return this.drops;
  }
}

function isLocalAddress(ip: string): boolean {
  return Object.values(os.networkInterfaces()).some((list) => list?.some((i) => i.address === ip));
}

function clientOf(version: string): IpmsgPeer['client'] {
  if (version.includes('iptux')) return 'iptux';
  if (/^1_lbt/.test(version) || version.includes('#')) return 'FeiQ';
  return 'IP Messenger';
}

/** IP Messenger Draft 10's UTF-8 name block: lines "UN:…", "HN:…", "NN:…", "GN:…" after a line feed. */
function parseDraft10(section: Buffer | undefined): Partial<Record<'UN' | 'HN' | 'NN' | 'GN', string>> {
  if (!section || section[0] !== 0x0a) return {};
  const out: Partial<Record<'UN' | 'HN' | 'NN' | 'GN', string>> = {};
  for (const line of decode(section, 'utf-8').split('\n')) {
    const m = /^(UN|HN|NN|GN):(.*)$/.exec(line);
    if (m) out[m[1] as 'UN'] = m[2]!;
  }
  return out;
}

/** A name for the wire: no colons (the field separator), no controls, not empty. */
function wireName(name: string): string {
  return cleanName(name).replaceAll(':', ';') || 'ferry';
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'ferry';
  }
}

/** Adds to a bounded Map or Set (the oldest entry goes first). */
function remember<K, V>(store: Map<K, V> | Set<K>, key: K, value: V, max: number): void {
  if (store.size >= max) store.delete(store.keys().next().value as K);
  if (store instanceof Map) store.set(key, value);
  else store.add(key);
}
