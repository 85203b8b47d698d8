/**
 * The engine: one object that starts and stops a Ferry node and implements the
 * contract in shared/api.ts. Electron's main process, the CLI, the browser-mode
 * bridge and the tests all drive Ferry through this class.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import type { FerryApi, FerryEvent, RequestArgs } from '../../shared/api';
import { directConversationId, directPeerOf } from '../../shared/conversation-id';
import { ferryPeerId, fingerprintOfPeer, ipOfPeer, ipmsgPeerId } from '../../shared/peer-id';
import type {
  ImageBytesDto,
  ConversationDto,
  FileHit,
  MessageDto,
  MessagePage,
  PeerDto,
  SearchHit,
  SelfDto,
  SettingsDto,
  TransferDto,
  TransferFileDto,
} from '../../shared/dto';
import { ChatQuota, DEFAULT_CHAT_QUOTA, type ChatQuotaLimits } from './chat/chat-quota';
import { ChatService } from './chat/chat-service';
import { Conversations } from './chat/conversations';
import type { EventSink } from './event-sink';
import { FerryError } from './ferry-error';
import type { DiscoveryOptions } from './discovery/discovery-service';
import { FerryDiscovery } from './discovery/ferry-discovery';
import { loadOrCreateIdentity, type DeviceIdentity } from './identity/device-identity';
import { verificationCode } from './identity/fingerprint';
import { DEFAULT_PORT, formatAddress, parseAddress } from './net/address';
import { ConnectionManager, type PeerLink } from './net/connection-manager';
import type { ConnectionTimers } from './net/framed-connection';
import { ferryCapabilities, OWN_CAPABILITIES } from './protocol/capabilities';
import { PROTOCOL_VERSION } from './protocol/frames';
import { FerryDatabase } from './store/database';
import { defaultSettings } from './store/default-settings';
import { MessageRepo } from './store/message-repo';
import { PeerRepo, type PeerRecord } from './store/peer-repo';
import { SettingsRepo } from './store/settings-repo';
import { TransferRepo } from './store/transfer-repo';
import { freeBytes, storageError } from './store/storage-error';
import { NoticeLimiter } from './notice-limiter';
import { FerrySession } from './session/ferry-session';
import { PeerIntake } from './session/peer-intake';
import type { PeerSession } from './session/peer-session';
import { IpmsgService, type IpmsgOptions, type IpmsgPeer } from './ipmsg/ipmsg-service';
import { IPMSG_CAPABILITIES, type IpmsgSession } from './ipmsg/ipmsg-session';
import { DataChannel } from './transfer/data-channel';
import { refuseOwnData } from './transfer/own-data';
import { TransferImages } from './transfer/transfer-images';
import { TransferService, type AutoAccept, type OfferQuota } from './transfer/transfer-service';

export interface FerryNodeOptions {
  /** Holds the identity, the database and (by default) nothing else. */
  dataDir: string;
  /** Overrides (and saves) these settings for this and later runs. */
  name?: string;
  port?: number;
  downloadDir?: string;
  /** Overrides the discovery setting for this run only (not saved). Off also silences IP Messenger's broadcasts. */
  discovery?: boolean;
  /** Overrides the "talk to IP Messenger / FeiQ users" setting for this run only (not saved). */
  ipmsg?: boolean;
  /** IP Messenger tuning (tests: their own port and addresses, no broadcast, short retries). */
  ipmsgOptions?: Omit<IpmsgOptions, 'packetNumberFile'>;
  /** Interface to listen on; default all IPv4 interfaces. */
  host?: string;
  /** When the configured port is taken, listen on a free one instead of failing (the desktop app). */
  portFallback?: boolean;
  timers?: ConnectionTimers;
  handshakeTimeoutMs?: number;
  /** Redial backoff of control links (tests shorten it). */
  redialBackoffMs?: { min: number; max: number };
  /** Accept incoming offers without asking (CLI `--accept`): from verified peers only, or from anyone. Not saved. */
  autoAccept?: Exclude<AutoAccept, 'off'>;
  /** How long an offer waits for an answer (default 10 min). */
  offerTtlMs?: number;
  /** UDP discovery tuning (tests use their own port, loopback only, short intervals). */
  discoveryOptions?: Omit<DiscoveryOptions, 'self' | 'protocolVersion' | 'log'>;
  /** Below this many free bytes in the data folder, incoming chat and offers are refused (DATA_DIR_FULL). */
  minFreeBytes?: number;
  /** Per-peer limits on unanswered incoming offers (defaults: DEFAULT_OFFER_QUOTA). */
  offerQuota?: Partial<OfferQuota>;
  /** Per-peer limits on incoming chat (defaults: DEFAULT_CHAT_QUOTA). */
  chatQuota?: Partial<ChatQuotaLimits>;
  /** The chat's clock: when messages are stored, and the recall window (tests move it instead of sleeping). */
  now?: () => number;
}

/** Default floor of free space in the data folder (the database must never fill the disk). */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024;
const BACKUP_EVERY_MS = 24 * 3600_000;
export const CAPABILITIES = OWN_CAPABILITIES;

export class FerryNode implements FerryApi {
  private readonly events = new EventEmitter<{ event: [FerryEvent] }>();
  private readonly peers: PeerRepo;
  private readonly messages: MessageRepo;
  private readonly settingsRepo: SettingsRepo;
  private settings: SettingsDto;
  private readonly connections: ConnectionManager;
  private readonly chat: ChatService;
  readonly transfers: TransferService;
  private port = 0;
  private stopped = false;
  private discovery: FerryDiscovery | null = null;
  /** Ferry as an IP Messenger peer, while that is on. */
  private ipmsg: IpmsgService | null = null;
  private readonly dataDir: string;
  private readonly minFreeBytes: number;
  private readonly chatQuota: ChatQuota;
  private readonly conversations: Conversations;
  private readonly notices = new NoticeLimiter();
  /** The Ferry session of each control link. */
  private readonly sessions = new WeakMap<PeerLink, FerrySession>();
  /** What peers send, on its way in (block and disk-full guards, refusals). */
  private readonly intake: PeerIntake;
  /** Pictures in conversations and their cached thumbnails. */
  private readonly images: TransferImages;

  private constructor(
    readonly identity: DeviceIdentity,
    private readonly db: FerryDatabase,
    private readonly options: FerryNodeOptions,
  ) {
    this.events.setMaxListeners(0);
    this.dataDir = path.resolve(options.dataDir);
    this.minFreeBytes = options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
    this.images = new TransferImages(path.join(this.dataDir, 'thumbnails'));
    this.peers = new PeerRepo(db);
    this.messages = new MessageRepo(db);
    this.conversations = new Conversations(db, this.messages, this.emit);
    this.settingsRepo = new SettingsRepo(db, defaultSettings());
    const overrides: Partial<SettingsDto> = {};
    if (options.name !== undefined) overrides.displayName = options.name;
    if (options.port !== undefined) overrides.port = options.port;
    if (options.downloadDir !== undefined) overrides.downloadDir = path.resolve(options.downloadDir);
    if (Object.keys(overrides).length) this.settingsRepo.save(overrides);
    this.settings = this.settingsRepo.load();

    this.connections = new ConnectionManager({
      identity,
      localHello: () => ({
        name: this.settings.displayName,
        platform: process.platform,
        port: this.port,
        caps: [...CAPABILITIES],
      }),
      // A blocked peer is closed on like an offline device: it is not told it was blocked.
      authorize: (link) =>
        this.peers.get(link.peerId)?.blocked ? new FerryError('PEER_BLOCKED', 'this device is blocked') : null,
      silentRefusals: ['PEER_BLOCKED'],
      log: (level, code, message, peerId) =>
        this.emit('notice', { level, code, message, ...(peerId ? { peerId } : {}) }),
      timers: options.timers,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      redialBackoffMs: options.redialBackoffMs,
    });
    this.chatQuota = new ChatQuota({ ...DEFAULT_CHAT_QUOTA, ...options.chatQuota }, (id) =>
      this.messages.unreadVolume(id),
    );
    this.chat = new ChatService(
      this.messages,
      (id) => this.sessionOf(id),
      this.emit,
      this.chatQuota,
      options.now ?? Date.now,
    );
    this.transfers = new TransferService({
      images: this.images,
      repo: new TransferRepo(db),
      emit: this.emit,
      sessionOf: (id) => this.sessionOf(id),
      dialData: (id) => this.dialData(id),
      keepConnected: (id) => this.keepConnected(id),
      isVerified: (id) => this.peers.get(id)?.verified === true,
      downloadDir: () => this.settings.downloadDir,
      autoAccept: () => options.autoAccept ?? (this.settings.autoAcceptVerified ? 'verified' : 'off'),
      offerTtlMs: options.offerTtlMs,
      offerQuota: options.offerQuota,
      report: (context, err) => this.reportFailure(context, err),
      freeBytes: async (dir) => freeBytes(dir),
    });
    this.intake = new PeerIntake({
      chat: this.chat,
      transfers: this.transfers.inbox,
      wasBlockedAt: (peerId, at) => this.peers.wasBlockedAt(peerId, at),
      dataDir: this.dataDir,
      minFreeBytes: this.minFreeBytes,
      emit: this.emit,
    });
    this.connections.on(
      'side',
      this.safely('a data connection', (link) => {
        if (link.hello.purpose === 'transfer') this.transfers.onDataConnection(link);
        else link.conn.fail(new FerryError('BAD_FRAME', `unknown connection purpose "${link.hello.purpose}"`));
      }),
    );
    this.connections.on(
      'certChanged',
      this.safely('a changed certificate', (peerId) => {
        this.peers.update(peerId, { certChanged: true });
        this.emitPeer(peerId);
      }),
    );
    this.connections.on('link', (link) => this.onLinkUp(link));
    this.connections.on(
      'unlink',
      this.safely('a closed link', (link, err) => this.onLinkDown(link, err)),
    );
  }

  /** This device's peer id (`ferry:` and its certificate's fingerprint). */
  get peerId(): string {
    return ferryPeerId(this.identity.id);
  }

  static async start(options: FerryNodeOptions): Promise<FerryNode> {
    const dataDir = path.resolve(options.dataDir);
    const identity = await loadOrCreateIdentity(path.join(dataDir, 'identity'));
    const dbFile = path.join(dataDir, 'ferry.db');
    let db: FerryDatabase;
    try {
      db = FerryDatabase.open(dbFile);
    } catch (err) {
      if (err instanceof FerryError) throw err;
      throw new FerryError(
        'DATABASE_ERROR',
        `could not open the database ${dbFile}: ${(err as Error).message}; check the disk and the file's permissions`,
        { cause: err },
      );
    }
    const node = new FerryNode(identity, db, options);
    node.afterOpen(dbFile);
    try {
      await node.listen(options.host ?? '0.0.0.0', options.portFallback ?? false);
    } catch (err) {
      db.close();
      throw err;
    }
    if (options.ipmsg ?? node.settings.ipmsg) await node.startIpmsg();
    node.resumeConnections();
    for (const peerId of node.transfers.start()) node.keepConnected(peerId);
    // --no-discovery (CLI) turns UDP off for this run only; the setting stays as saved.
    if (options.discovery ?? node.settings.discovery) await node.startDiscovery(options.discoveryOptions);
    node.starting = false;
    return node;
  }

  private async startDiscovery(options: FerryNodeOptions['discoveryOptions']): Promise<void> {
    const discovery = new FerryDiscovery({
      service: options,
      self: () => ({
        id: this.identity.id,
        name: this.settings.displayName,
        platform: process.platform,
        port: this.port,
      }),
      host: {
        known: (peerId) => this.peers.get(peerId),
        connected: (peerId) => this.connections.link(peerId) !== undefined,
        reached: (peerId) => this.keepConnected(peerId),
        gone: (peerId) => {
          if (!this.wantsConnection(peerId)) this.connections.forget(peerId);
          this.emitPeer(peerId);
        },
      },
      dial: (address, expectedId) => this.connections.dial(address, { expectedId, claimedBy: 'announce' }),
      notice: (notice) => this.emit('notice', notice),
      safely: (context, fn) => this.safely(context, fn),
    });
    try {
      await discovery.start();
    } catch (err) {
      // Manual add by address still works without UDP.
      this.emit('notice', {
        level: 'warn',
        code: 'DISCOVERY_UNAVAILABLE',
        message: `automatic discovery is off: ${(err as Error).message}; add peers by address`,
      });
      return;
    }
    this.discovery = discovery;
  }

  /** Starts talking IP Messenger; when its port is taken, says so and leaves it off (everything else works). */
  private async startIpmsg(): Promise<void> {
    const service = new IpmsgService(
      {
        self: () => ({ nick: this.settings.displayName, group: 'Ferry' }),
        present: (peer, session, isNew) => this.ipmsgPresent(peer, session, isNew),
        gone: (peerId) => {
          this.emit('notice', {
            level: 'info',
            code: 'PEER_GOODBYE',
            message: `${this.peers.get(peerId)?.name ?? peerId} left`,
            peerId,
          });
          this.emitPeer(peerId);
        },
        inbox: this.intake.inbox,
        notice: (level, code, message, peerId) =>
          this.emit('notice', { level, code, message, ...(peerId ? { peerId } : {}) }),
      },
      {
        offerTtlMs: this.options.offerTtlMs,
        ...this.options.ipmsgOptions,
        // --no-discovery: no broadcasts; peers added by address are still asked directly.
        broadcast:
          (this.options.discovery ?? this.settings.discovery) && this.options.ipmsgOptions?.broadcast !== false,
        packetNumberFile: path.join(this.dataDir, 'ipmsg-packet-number'),
      },
    );
    try {
      await service.start();
    } catch (err) {
      this.emit('notice', {
        level: 'warn',
        code: 'IPMSG_UNAVAILABLE',
        message: `talking to IP Messenger / FeiQ users is off: ${(err as Error).message}`,
      });
      return;
    }
    this.ipmsg = service;
  }

  /** An IP Messenger peer is present: keep its record, and send what it is owed. */
  private ipmsgPresent(peer: IpmsgPeer, session: IpmsgSession, isNew: boolean): void {
    const known = this.peers.get(peer.peerId);
    this.peers.upsertSeen(
      { id: peer.peerId, name: peer.nick, platform: peer.client, address: `${peer.ip}:${peer.port}` },
      Date.now(),
    );
    if (isNew) {
      this.emit('notice', {
        level: 'info',
        code: known ? 'PEER_CONNECTED' : 'PEER_DISCOVERED',
        message: `${peer.nick} (IP Messenger, ${peer.user}@${peer.host}) is here`,
        peerId: peer.peerId,
      });
    }
    this.emitPeer(peer.peerId);
    if (isNew) {
      this.chat.onSessionUp(session);
      this.transfers.onSessionUp(session); // offers it has not answered are made again
    }
  }

  /** Announcement dialing, for tests and the soak run: running now, waiting, dropped for lack of room. */
  get announceDialing(): { active: number; queued: number; dropped: number } {
    return this.discovery?.dialStats ?? { active: 0, queued: 0, dropped: 0 };
  }

  private readonly startupEvents: FerryEvent[] = [];
  /** Until start() returns. */
  private starting = true;
  private backupTimer: NodeJS.Timeout | null = null;

  /** Tells about a recovered database, and keeps a fresh backup (daily; schema upgrades make their own). */
  private afterOpen(dbFile: string): void {
    const recovery = this.db.recovery;
    if (recovery) {
      const notice: FerryEvent = {
        name: 'notice',
        payload: {
          level: 'error',
          code: 'DATABASE_CORRUPT',
          message: recovery.restoredFrom
            ? `the database ${dbFile} was damaged (${recovery.problem}); it was moved to ${recovery.movedTo} and the history was restored from the backup ${recovery.restoredFrom} of ${new Date(this.db.backupTime() ?? 0).toISOString()} (later messages are only in the damaged file)`
            : `the database ${dbFile} was damaged (${recovery.problem}); it was moved to ${recovery.movedTo} and there was no backup, so the history starts empty; keep the moved file if you want to try recovering it (sqlite3 .recover)`,
        },
      };
      this.startupEvents.push(notice);
    }
    const age = Date.now() - (this.db.backupTime() ?? 0);
    if (!recovery && age > BACKUP_EVERY_MS) this.backupDatabase();
    this.backupTimer = setInterval(() => this.backupDatabase(), BACKUP_EVERY_MS);
    this.backupTimer.unref();
  }

  /** Writes `ferry.db.backup` now; returns its path, or null when that failed (reported). */
  backupDatabase(): string | null {
    try {
      return this.db.backup();
    } catch (err) {
      this.reportFailure('the daily database backup', err);
      return null;
    }
  }

  /** Reasons to keep redialing a peer that is not announcing: added by hand, or owed messages. */
  private wantsConnection(peerId: string): boolean {
    const record = this.peers.get(peerId);
    if (!record || record.blocked) return false;
    return record.manual || this.owesMessages(peerId);
  }

  /** Messages to this peer that it has not acknowledged yet. */
  private owesMessages(peerId: string): boolean {
    return this.messages.hasUnacked(directConversationId(peerId));
  }

  private async listen(host: string, portFallback: boolean): Promise<void> {
    try {
      this.port = await this.connections.listen(this.settings.port, host);
    } catch (err) {
      if (!(err instanceof FerryError) || err.code !== 'PORT_IN_USE' || !portFallback) throw err;
      this.port = await this.connections.listen(0, host);
      this.emit('notice', {
        level: 'warn',
        code: 'PORT_IN_USE',
        message: `port ${this.settings.port} is in use; listening on ${this.port} instead`,
      });
    }
  }

  /** Redial peers we have reason to reach: added by hand, or owed messages. */
  private resumeConnections(): void {
    for (const peer of this.peers.all()) {
      if (peer.blocked || peer.certChanged) continue;
      if (peer.manual || this.owesMessages(peer.id)) this.keepConnected(peer.id);
    }
  }

  private keepConnected(peerId: string): void {
    const ip = ipOfPeer(peerId);
    if (ip !== null) {
      // IP Messenger has no connection: ask the address whether the peer is there (it answers if so).
      if (!this.ipmsg?.session(peerId)) this.ipmsg?.knock(ip);
      return;
    }
    this.connections.keepConnected(peerId, () => {
      const announced = this.discovery?.announcedAddress(peerId);
      // Addresses a handshake proved come first; an announcement is only a claim.
      return { known: this.peers.get(peerId)?.addresses ?? [], announced: announced ? [announced] : [] };
    });
  }

  get listeningPort(): number {
    return this.port;
  }

  /** Every contract event, in order, on one channel. Returns an unsubscribe function. */
  subscribe(listener: (event: FerryEvent) => void): () => void {
    // What start() had to say (a damaged database…) reaches every host, however late it subscribes.
    for (const event of this.startupEvents) listener(event);
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  private readonly emit: EventSink = (name, payload) => {
    if (name === 'notice') {
      const admitted = this.notices.admit(payload as FerryEvent<'notice'>['payload']);
      if (!admitted) return;
      payload = admitted as typeof payload;
    }
    const event = { name, payload } as FerryEvent;
    // What went wrong while starting (discovery or IP Messenger off) reaches hosts that subscribe after start().
    if (this.starting && event.name === 'notice' && event.payload.level !== 'info') this.startupEvents.push(event);
    this.events.emit('event', event);
    // Anything that changes a conversation's summary: its messages and its file offers.
    if (
      event.name === 'messageAdded' ||
      event.name === 'messageUpdated' ||
      event.name === 'messageRemoved' ||
      event.name === 'transferUpdated'
    )
      this.conversations.changed(event.payload.conversationId);
  };

  private onLinkUp(link: PeerLink): void {
    const session = new FerrySession(link);
    this.sessions.set(link, session);
    try {
      this.linkUp(session);
    } catch (err) {
      this.intake.refuse(session, err, 'hello');
    }
  }

  /** The peer's session while it is reachable. */
  private sessionOf(peerId: string): PeerSession | undefined {
    if (ipOfPeer(peerId) !== null) return this.ipmsg?.session(peerId);
    const link = this.connections.link(peerId);
    return link && this.sessions.get(link);
  }

  /**
   * Wraps an event listener (sockets, timers, UDP) so a failing data folder or a
   * bug in it is reported instead of escaping into Node's event loop.
   */
  private safely<A extends unknown[]>(context: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.reportFailure(context, err);
      }
    };
  }

  /** Tells the user (bounded by the notice limiter) what failed; never throws. */
  reportFailure(context: string, err: unknown): void {
    try {
      const known = storageError(err, this.dataDir) ?? (err instanceof FerryError ? err : null);
      this.emit('notice', {
        level: known?.code === 'RATE_LIMITED' ? 'warn' : 'error',
        code: known?.code ?? 'INTERNAL',
        message: `while handling ${context}: ${known?.message ?? (err as Error)?.stack ?? String(err)}`,
      });
    } catch {
      // reporting must never be the thing that fails
    }
  }

  private linkUp(session: FerrySession): void {
    const { link } = session;
    this.peers.upsertSeen(
      {
        id: link.peerId,
        name: link.hello.name,
        platform: link.hello.platform,
        address: link.listenAddress ?? undefined,
        caps: link.hello.caps,
      },
      Date.now(),
    );
    // The pinned certificate answered again: whatever answered before was someone else.
    if (this.peers.get(link.peerId)?.certChanged) this.peers.update(link.peerId, { certChanged: false });
    link.conn.on('frame', (frame) => this.intake.receive(session, frame));
    this.emit('notice', {
      level: 'info',
      code: 'PEER_CONNECTED',
      message: `connected to ${link.hello.name} (${link.direction === 'out' ? 'dialed' : 'accepted'})`,
      peerId: link.peerId,
    });
    this.emitPeer(link.peerId);
    this.chat.onSessionUp(session);
    this.transfers.onSessionUp(session);
  }

  /**
   * Opens a data connection for a transfer: first to the address the control
   * link uses (the same route, e.g. through a relay or forwarded port), then to
   * the peer's known addresses.
   */
  private async dialData(peerId: string): Promise<DataChannel> {
    const link = this.connections.link(peerId);
    const addresses: string[] = [];
    if (link?.direction === 'out' && link.conn.socket.remoteAddress && link.conn.socket.remotePort) {
      addresses.push(
        formatAddress({
          host: link.conn.socket.remoteAddress.replace(/^::ffff:/, ''),
          port: link.conn.socket.remotePort,
        }),
      );
    } else if (link?.listenAddress) {
      addresses.push(link.listenAddress);
    }
    addresses.push(...(this.peers.get(peerId)?.addresses ?? []));
    let last: FerryError = new FerryError('PEER_OFFLINE', 'the peer is offline; the transfer resumes when it is back');
    for (const address of new Set(addresses)) {
      try {
        const side = await this.connections.dial(address, { expectedId: peerId, purpose: 'transfer' });
        const { socket, leftover } = side.conn.detach();
        return new DataChannel(socket, leftover);
      } catch (err) {
        last = FerryError.from(err);
        if (last.code === 'PEER_CERT_CHANGED' || last.code === 'PEER_BLOCKED') break;
      }
    }
    throw last;
  }

  private onLinkDown(link: PeerLink, err: FerryError | null): void {
    if (this.stopped) return;
    if (this.peers.get(link.peerId)) {
      this.db.run('UPDATE peers SET last_seen = ? WHERE id = ?', [Date.now(), link.peerId]);
    }
    this.emit('notice', {
      level: err ? 'warn' : 'info',
      code: err?.code ?? 'PEER_DISCONNECTED',
      message: `disconnected from ${link.hello.name}${err ? `: ${err.message}` : ''}`,
      peerId: link.peerId,
    });
    this.emitPeer(link.peerId);
    // Owed messages keep the peer on the redial list until they are delivered.
    if (this.owesMessages(link.peerId)) this.keepConnected(link.peerId);
  }

  private emitPeer(peerId: string): void {
    const record = this.peers.get(peerId);
    if (record) this.emit('peerUpdated', this.toPeerDto(record));
  }

  private toPeerDto(record: PeerRecord): PeerDto {
    return {
      id: record.id,
      protocol: record.protocol,
      capabilities: this.capabilitiesOf(record),
      name: record.alias ?? record.name,
      announcedName: record.name,
      alias: record.alias,
      platform: record.platform,
      online: this.isOnline(record.id),
      lastSeen: record.lastSeen,
      addresses: record.addresses,
      verified: record.verified,
      blocked: record.blocked,
      certChanged: record.certChanged,
      manual: record.manual,
      ...this.ipmsgDetails(record.id),
    };
  }

  private ipmsgDetails(peerId: string): Pick<PeerDto, 'ipmsg'> {
    const peer = ipOfPeer(peerId) !== null ? this.ipmsg?.peer(peerId) : undefined;
    return peer ? { ipmsg: { user: peer.user, host: peer.host, group: peer.group } } : {};
  }

  private capabilitiesOf(record: PeerRecord) {
    return record.protocol === 'ipmsg' ? IPMSG_CAPABILITIES : ferryCapabilities(record.caps);
  }

  private isOnline(peerId: string): boolean {
    return ipOfPeer(peerId) !== null
      ? this.ipmsg?.session(peerId) !== undefined
      : this.connections.link(peerId) !== undefined;
  }

  private requirePeer(peerId: string): PeerRecord {
    const record = this.peers.get(peerId);
    if (!record) throw new FerryError('PEER_UNKNOWN', 'no such peer; add it by address first');
    return record;
  }

  // ── the contract ────────────────────────────────────────────────────────────

  async getSelf(): Promise<SelfDto> {
    return {
      id: this.peerId,
      name: this.settings.displayName,
      platform: process.platform,
      port: this.port,
      addresses: localAddresses(),
      protocolVersion: PROTOCOL_VERSION,
    };
  }

  async listPeers(): Promise<PeerDto[]> {
    return this.peers.all().map((r) => this.toPeerDto(r));
  }

  async addPeer(...[address]: RequestArgs<'addPeer'>): Promise<PeerDto> {
    const ipmsgTarget = /^ipmsg:/i.exec(address) ? address.slice(6).trim() : null;
    if (ipmsgTarget !== null) return this.addIpmsgPeer(ipmsgTarget);
    const target = parseAddress(address, DEFAULT_PORT);
    let link: PeerLink;
    try {
      link = await this.connections.dial(target);
    } catch (err) {
      // No Ferry there: maybe an IP Messenger / FeiQ user (a bare IPv4 address, no port given).
      const error = FerryError.from(err);
      const bareIp = /^\d{1,3}(?:\.\d{1,3}){3}$/.test(address.trim());
      if (!this.ipmsg || !bareIp || (error.code !== 'PEER_UNREACHABLE' && error.code !== 'HANDSHAKE_TIMEOUT'))
        throw err;
      return this.addIpmsgPeer(address.trim()).catch(() => {
        throw err;
      });
    }
    this.peers.upsertSeen(
      {
        id: link.peerId,
        name: link.hello.name,
        platform: link.hello.platform,
        address: link.listenAddress ?? undefined,
        caps: link.hello.caps,
      },
      Date.now(),
    );
    const record = this.peers.update(link.peerId, { manual: true })!;
    this.keepConnected(link.peerId);
    const dto = this.toPeerDto(record);
    this.emit('peerUpdated', dto);
    return dto;
  }

  /**
   * Adds an IP Messenger peer by address: asks it directly (a unicast entry, how
   * IP Messenger reaches across subnets) and waits up to 3 s for its answer.
   */
  private async addIpmsgPeer(ip: string): Promise<PeerDto> {
    const ipmsg = this.ipmsg;
    if (!ipmsg) {
      throw new FerryError('PEER_UNSUPPORTED', 'talking to IP Messenger / FeiQ users is off (see Settings)');
    }
    const peerId = ipmsgPeerId(ip);
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), 3_000);
      const unsubscribe = this.subscribe((e) => {
        if (e.name === 'peerUpdated' && e.payload.id === peerId && e.payload.online) done(true);
      });
      const done = (ok: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(ok);
      };
    });
    ipmsg.knock(ip);
    if (!(await answered)) {
      throw new FerryError('PEER_UNREACHABLE', `no IP Messenger or FeiQ user answered at ${ip} (port ${ipmsg.port})`);
    }
    const dto = this.toPeerDto(this.peers.update(peerId, { manual: true })!);
    this.emit('peerUpdated', dto);
    return dto;
  }

  /** The peer of a direct conversation, which must be known. */
  private conversationPeer(conversationId: string): PeerRecord {
    const peerId = directPeerOf(conversationId);
    if (!peerId) throw new FerryError('INVALID_ARGUMENT', `not a conversation id: ${conversationId}`);
    return this.requirePeer(peerId);
  }

  async sendMessage(...[conversationId, text, options]: RequestArgs<'sendMessage'>): Promise<MessageDto> {
    const peer = this.conversationPeer(conversationId);
    const peerId = peer.id;
    if (peer.blocked) throw new FerryError('PEER_BLOCKED', 'unblock this device to send it messages');
    if (!this.capabilitiesOf(peer).chat) {
      throw new FerryError(
        'PEER_UNSUPPORTED',
        `${peer.alias ?? peer.name} does not take messages (no "chat/1" in its hello)`,
      );
    }
    const message = this.chat.send(peerId, text, options ?? {});
    if (!this.isOnline(peerId)) this.keepConnected(peerId);
    return message;
  }

  async listMessages(...[conversationId, options]: RequestArgs<'listMessages'>): Promise<MessagePage> {
    return this.messages.page(conversationId, options?.before, options?.limit ?? 50);
  }

  async searchMessages(...[query]: RequestArgs<'searchMessages'>): Promise<SearchHit[]> {
    return this.messages.search(query);
  }

  async searchFiles(...[query]: RequestArgs<'searchFiles'>): Promise<FileHit[]> {
    return this.transfers.searchNames(query);
  }

  async listConversations(): Promise<ConversationDto[]> {
    return this.conversations.list();
  }

  async markRead(...[conversationId]: RequestArgs<'markRead'>): Promise<void> {
    this.chat.markRead(conversationId);
    this.conversations.changed(conversationId);
    const peerId = directPeerOf(conversationId);
    if (peerId) this.chatQuota.read(peerId);
  }

  async setConversationMuted(
    ...[conversationId, muted]: RequestArgs<'setConversationMuted'>
  ): Promise<ConversationDto> {
    return this.conversations.setMuted(conversationId, muted);
  }

  async deleteMessage(...[conversationId, id]: RequestArgs<'deleteMessage'>): Promise<void> {
    const message = this.messages.get(conversationId, id);
    if (!message) throw new FerryError('NOT_FOUND', 'no such message in this conversation');
    // One of ours the peer has not acknowledged would be re-sent later: deleting it also stops that.
    this.messages.delete(conversationId, id);
    this.emit('messageRemoved', { conversationId, id });
  }

  async recallMessage(...[conversationId, id]: RequestArgs<'recallMessage'>): Promise<MessageDto> {
    const peer = this.conversationPeer(conversationId);
    if (!this.capabilitiesOf(peer).recall) {
      throw new FerryError(
        'PEER_UNSUPPORTED',
        peer.protocol === 'ipmsg'
          ? 'IP Messenger, FeiQ and iptux have no way to recall a message; it stays on their screen'
          : `${peer.alias ?? peer.name} runs a Ferry without recall (no "recall/1" in its hello)`,
      );
    }
    return this.chat.recall(peer.id, id);
  }

  async getDraft(...[conversationId]: RequestArgs<'getDraft'>): Promise<string> {
    this.conversationPeer(conversationId);
    return this.conversations.draft(conversationId);
  }

  async setDraft(...[conversationId, text]: RequestArgs<'setDraft'>): Promise<void> {
    this.conversationPeer(conversationId);
    this.conversations.setDraft(conversationId, text);
  }

  // ── trust ──

  async getVerificationCode(...[peerId]: RequestArgs<'getVerificationCode'>): Promise<string> {
    this.requireVerifiable(this.requirePeer(peerId));
    return verificationCode(this.identity.id, fingerprintOfPeer(peerId)!);
  }

  async setPeerVerified(...[peerId, verified]: RequestArgs<'setPeerVerified'>): Promise<PeerDto> {
    const record = this.requirePeer(peerId);
    if (verified) this.requireVerifiable(record);
    return this.updatePeer(peerId, { verified });
  }

  /** IP Messenger peers prove nothing about who they are: there is nothing to verify. */
  private requireVerifiable(record: PeerRecord): void {
    if (!this.capabilitiesOf(record).verifiable) {
      throw new FerryError(
        'PEER_UNSUPPORTED',
        `${record.alias ?? record.name} speaks IP Messenger, which is unencrypted and has no identity to verify`,
      );
    }
  }

  async renamePeer(...[peerId, alias]: RequestArgs<'renamePeer'>): Promise<PeerDto> {
    this.requirePeer(peerId);
    return this.updatePeer(peerId, { alias });
  }

  async setPeerBlocked(...[peerId, blocked]: RequestArgs<'setPeerBlocked'>): Promise<PeerDto> {
    const record = this.requirePeer(peerId);
    if (record.blocked !== blocked) this.peers.markBlocked(peerId, blocked, Date.now());
    if (blocked) {
      this.connections.forget(peerId);
      // Like going offline: the peer is not told why.
      this.connections.disconnect(peerId, 'closing');
    } else {
      this.discovery?.forget(peerId); // its next announcement counts as new and is dialed
    }
    return this.updatePeer(peerId, { blocked });
  }

  /** Says goodbye to IP Messenger peers and stops talking to them (they show offline). */
  private async stopIpmsg(): Promise<void> {
    const ipmsg = this.ipmsg;
    this.ipmsg = null;
    await ipmsg?.stop();
    for (const peer of this.peers.all()) if (peer.protocol === 'ipmsg') this.emitPeer(peer.id);
  }

  async forgetPeer(...[peerId]: RequestArgs<'forgetPeer'>): Promise<void> {
    this.requirePeer(peerId);
    this.connections.forget(peerId);
    this.connections.disconnect(peerId, 'forgotten');
    this.discovery?.forget(peerId);
    this.peers.remove(peerId);
    this.emit('peerRemoved', { id: peerId });
  }

  private updatePeer(peerId: string, patch: Parameters<PeerRepo['update']>[1]): PeerDto {
    const dto = this.toPeerDto(this.peers.update(peerId, patch)!);
    this.emit('peerUpdated', dto);
    return dto;
  }

  async getSettings(): Promise<SettingsDto> {
    return { ...this.settings };
  }

  async updateSettings(...[patch]: RequestArgs<'updateSettings'>): Promise<SettingsDto> {
    if (patch.downloadDir !== undefined && (!path.isAbsolute(patch.downloadDir) || patch.downloadDir.includes('\0'))) {
      // A relative folder would depend on where Ferry happened to be started.
      throw new FerryError('INVALID_ARGUMENT', 'the download folder must be a full path (e.g. /home/me/Downloads)');
    }
    this.settingsRepo.save(patch);
    this.settings = this.settingsRepo.load();
    this.emit('settingsUpdated', { ...this.settings });
    if (patch.port !== undefined && patch.port !== this.port) {
      this.emit('notice', {
        level: 'info',
        code: 'RESTART_NEEDED',
        message: 'the new port is used after Ferry restarts',
      });
    }
    if (patch.displayName !== undefined) {
      this.discovery?.announceNow();
      this.ipmsg?.announceNow();
    }
    if (patch.ipmsg === false && this.ipmsg) {
      await this.stopIpmsg();
    } else if (patch.ipmsg === true && !this.ipmsg) {
      await this.startIpmsg();
    }
    if (patch.discovery === false && this.discovery) {
      await this.discovery.stop();
      this.discovery = null;
    } else if (patch.discovery === true && !this.discovery) {
      await this.startDiscovery(this.options.discoveryOptions);
    }
    return { ...this.settings };
  }

  // File transfer (docs/PROTOCOL.md §9).
  async sendFiles(...[conversationId, paths]: RequestArgs<'sendFiles'>): Promise<TransferDto> {
    const peer = this.conversationPeer(conversationId);
    const peerId = peer.id;
    if (peer.blocked) throw new FerryError('PEER_BLOCKED', 'unblock this device to send it files');
    if (!this.capabilitiesOf(peer).files) {
      throw new FerryError(
        'PEER_UNSUPPORTED',
        `${peer.alias ?? peer.name} does not take files (no "transfer/1" in its hello)`,
      );
    }
    await refuseOwnData(this.dataDir, paths);
    return this.transfers.send(peerId, paths);
  }
  async resendTransfer(...[id]: RequestArgs<'resendTransfer'>): Promise<TransferDto> {
    const { peerId, paths } = this.transfers.resendPaths(id);
    return this.sendFiles(directConversationId(peerId), paths);
  }
  async acceptTransfer(...[id, options]: RequestArgs<'acceptTransfer'>): Promise<TransferDto> {
    return this.transfers.accept(id, options?.saveDir);
  }
  async declineTransfer(...[id]: RequestArgs<'declineTransfer'>): Promise<TransferDto> {
    return this.transfers.decline(id);
  }
  async cancelTransfer(...[id]: RequestArgs<'cancelTransfer'>): Promise<TransferDto> {
    return this.transfers.cancel(id);
  }
  async resumeTransfer(...[id]: RequestArgs<'resumeTransfer'>): Promise<TransferDto> {
    return this.transfers.resume(id);
  }
  async listTransfers(...[conversationId, options]: RequestArgs<'listTransfers'>): Promise<TransferDto[]> {
    const peerId = conversationId === undefined ? undefined : (directPeerOf(conversationId) ?? undefined);
    return this.transfers.list(peerId, options ?? {});
  }
  async listTransferFiles(...[id, options]: RequestArgs<'listTransferFiles'>): Promise<TransferFileDto[]> {
    return this.transfers.files(id, options?.offset, options?.limit);
  }

  async readImage(...[id, index, variant]: RequestArgs<'readImage'>): Promise<ImageBytesDto | null> {
    const { t, f } = this.transfers.fileOf(id, index);
    return this.images.read(t, f, variant);
  }
  async saveThumbnail(...[id, index, base64]: RequestArgs<'saveThumbnail'>): Promise<void> {
    const { t, f } = this.transfers.fileOf(id, index);
    // Our own picture still waiting for an answer: its thumbnail goes to the peer as the offer's preview.
    if (await this.images.saveThumbnail(t, f, base64)) this.transfers.sendPreview(t);
  }

  /** Whether an incoming transfer saved something at `file` (hosts open only such files). */
  isReceivedFile(file: string): boolean {
    return this.transfers.isReceivedFile(file);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.backupTimer) clearInterval(this.backupTimer);
    await this.discovery?.stop(); // says goodbye so peers mark us offline at once
    await this.ipmsg?.stop();
    await this.transfers.stop();
    await this.connections.stop();
    this.conversations.close();
    this.db.close();
  }
}

function localAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === 'IPv4' && !i.internal)
    .map((i) => i.address);
}
