/**
 * Ferry's side of an IP Messenger file offer: a TCP server on the protocol's port
 * that answers GETFILEDATA (a file's bytes from an offset, then close) and
 * GETDIRFILES (a folder as a stream of headers and bytes) — only for an offer we
 * made, only to the address we made it to, only for the exact (packet number,
 * file id) offered, and only before the offer's deadline. Anything else is closed
 * without a word. Connections per peer and in all are capped, and a request must
 * arrive within a few seconds.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { finished } from 'node:stream/promises';
import { FerryError } from '../ferry-error';
import { encodeDirHeader } from './ipmsg-dir-stream';
import { FILE_ATTR, IpmsgFormatError, MODE, modeOf, parsePacket } from './ipmsg-packet';

/** One of the transfer's files inside an offered entry. */
export interface ServedFile {
  /** Its index in the transfer. */
  index: number;
  /** Its place under the entry: folder names then its own name, in the peer's charset ([] for a lone file). */
  inside: Buffer[];
  size: number;
  /** Milliseconds since the epoch, as recorded when it was offered. */
  mtime: number;
  source: string;
  isDirectory: boolean;
}

/** One entry of an offer: a file, or a folder with everything in it. */
export interface ServedEntry {
  fileId: number;
  dir: boolean;
  /** The entry's name in the peer's charset. */
  name: Buffer;
  files: ServedFile[];
}

export interface ServedOffer {
  transferId: string;
  ip: string;
  packetNo: number;
  /** No request is served after this (ms since the epoch). */
  deadline: number;
  entries: ServedEntry[];
  /** The peer asked for something of it. */
  requested: boolean;
  /** Indexes of the files the peer has fetched completely. */
  completed: Set<number>;
}

export interface FileServerHost {
  /** Bytes of file `index` of a transfer went out; `complete` once all of it was handed to the peer. */
  pulled(offer: ServedOffer, index: number, bytesDone: number, complete: boolean): void;
  /** A request was refused or failed (for the user's log, bounded by the caller). */
  refused(ip: string, why: string): void;
}

export interface FileServerLimits {
  /** Connections one address may hold at once. */
  perPeer: number;
  /** Connections in all. */
  total: number;
  /** Time for the request to arrive, and for the peer to take more bytes. */
  headerTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_FILE_SERVER_LIMITS: FileServerLimits = {
  perPeer: 4,
  total: 64,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
};

/** A request is one small packet; more than this before its NUL is not one. */
const MAX_REQUEST = 1024;
const HEX = /^[0-9a-fA-F]{1,16}$/;

export class IpmsgFileServer {
  private server: net.Server | null = null;
  private readonly offers = new Map<number, ServedOffer>();
  private readonly byTransfer = new Map<string, ServedOffer>();
  private readonly connections = new Map<net.Socket, { ip: string; transferId: string | null }>();

  constructor(
    private readonly host: FileServerHost,
    private readonly limits: FileServerLimits = DEFAULT_FILE_SERVER_LIMITS,
  ) {}

  async listen(port: number, bind: string | undefined): Promise<void> {
    const server = net.createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: bind ?? '0.0.0.0', exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {});
    this.server = server;
  }

  /** The port it listens on (0 before `listen`). */
  get port(): number {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const socket of this.connections.keys()) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  add(offer: ServedOffer): void {
    this.offers.set(offer.packetNo, offer);
    this.byTransfer.set(offer.transferId, offer);
  }

  get(transferId: string): ServedOffer | undefined {
    return this.byTransfer.get(transferId);
  }

  /** The offer made in this packet, if it went to `ip`. */
  byPacket(ip: string, packetNo: number): ServedOffer | undefined {
    const offer = this.offers.get(packetNo);
    return offer?.ip === ip ? offer : undefined;
  }

  /** Stops serving an offer (answered, cancelled, expired): its running requests are cut. */
  remove(transferId: string): void {
    const offer = this.byTransfer.get(transferId);
    if (!offer) return;
    this.byTransfer.delete(transferId);
    this.offers.delete(offer.packetNo);
    for (const [socket, c] of this.connections) if (c.transferId === transferId) socket.destroy();
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => {});
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const hasOffer = [...this.byTransfer.values()].some((o) => o.ip === ip);
    const fromPeer = [...this.connections.values()].filter((c) => c.ip === ip).length;
    if (!hasOffer || fromPeer >= this.limits.perPeer || this.connections.size >= this.limits.total) {
      this.host.refused(ip, hasOffer ? 'too many connections' : 'no offer was made to this address');
      socket.destroy();
      return;
    }
    const record = { ip, transferId: null as string | null };
    this.connections.set(socket, record);
    socket.once('close', () => this.connections.delete(socket));
    socket.setTimeout(this.limits.headerTimeoutMs, () => socket.destroy());
    let request = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      request = Buffer.concat([request, chunk]);
      const end = request.indexOf(0);
      if (end === -1) {
        if (request.length > MAX_REQUEST) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      if (end > MAX_REQUEST) return void socket.destroy();
      this.serve(socket, ip, record, request.subarray(0, end + 1)).catch((err) => {
        this.host.refused(ip, (err as Error).message);
        socket.destroy();
      });
    };
    socket.on('data', onData);
  }

  private async serve(socket: net.Socket, ip: string, record: { transferId: string | null }, raw: Buffer) {
    let packet;
    try {
      packet = parsePacket(raw);
    } catch (err) {
      if (err instanceof IpmsgFormatError) throw new Error(`a malformed request: ${err.message}`, { cause: err });
      throw err;
    }
    const mode = modeOf(packet.command);
    if (mode !== MODE.GETFILEDATA && mode !== MODE.GETDIRFILES) throw new Error(`an unexpected command ${mode}`);
    const fields = packet.extra.toString('latin1').split(':');
    const [packetHex, fileHex, offsetHex = '0'] = fields;
    if (!packetHex || !fileHex || !HEX.test(packetHex) || !HEX.test(fileHex) || !HEX.test(offsetHex))
      throw new Error('a request whose numbers are not hex');
    const offer = this.byPacket(ip, parseInt(packetHex, 16));
    if (!offer || Date.now() > offer.deadline) throw new Error('a request for nothing offered to this address');
    const entry = offer.entries.find((e) => e.fileId === parseInt(fileHex, 16));
    if (!entry || entry.dir !== (mode === MODE.GETDIRFILES)) throw new Error('a request for a file never offered');
    offer.requested = true;
    record.transferId = offer.transferId;
    socket.setTimeout(this.limits.idleTimeoutMs, () => socket.destroy());
    if (!entry.dir) {
      const file = entry.files[0]!;
      const offset = parseInt(offsetHex, 16);
      if (offset > file.size) throw new Error('a request past the end of the file');
      await checkSource(file);
      let sent = offset;
      this.host.pulled(offer, file.index, sent, false);
      const host = this.host;
      const bytes = async function* () {
        if (file.size === offset) return;
        const stream = createReadStream(file.source, { start: offset, end: file.size - 1, highWaterMark: 256 * 1024 });
        for await (const chunk of stream) {
          sent += (chunk as Buffer).length;
          host.pulled(offer, file.index, sent, false);
          yield chunk as Buffer;
        }
      };
      await handOver(bytes(), socket, () => sent === file.size);
      if (sent !== file.size) throw new Error(`${file.source} shrank while it was being sent`);
      this.host.pulled(offer, file.index, sent, true);
      return;
    }
    let finished = false;
    const stream = async function* (host: FileServerHost) {
      yield* folderStream(entry, offer, host);
      finished = true;
    };
    await handOver(stream(this.host), socket, () => finished);
    for (const file of entry.files) this.host.pulled(offer, file.index, file.size, true);
  }
}

/**
 * Writes everything into the socket and ends it. A peer that closes as soon as it has
 * read the last byte (iptux does) may make the end fail: once every byte was handed
 * over, that is success.
 *
 * Not `stream.pipeline`: on Node 20 it can wait forever when the peer closes while the
 * source is still finishing (the socket's "finish" and "close" come before pipeline starts
 * waiting for them, and it never looks again). A flake check caught it: iptux had the
 * whole file, Ferry never marked it done. Here every wait also ends on close or error, and
 * the last one looks at the socket's state when it starts. Exported for its test.
 */
export async function handOver(
  chunks: AsyncIterable<Buffer>,
  socket: net.Socket,
  allSent: () => boolean,
): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (socket.destroyed || socket.writableEnded) throw new Error('the peer closed the connection');
      if (!socket.write(chunk)) await drained(socket);
    }
    if (!socket.writableEnded) socket.end();
    await finished(socket, { readable: false });
  } catch (err) {
    if (!allSent()) throw err;
  }
}

/** Until the socket takes more bytes; rejects if it closes or fails first. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      socket.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the connection closed'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
    socket.on('error', settle);
  });
}

/** The file is still the one offered (same size and modification time). */
async function checkSource(file: ServedFile): Promise<void> {
  const info = await stat(file.source);
  if (!info.isFile() || info.size !== file.size || Math.trunc(info.mtimeMs) !== file.mtime)
    throw new FerryError('SOURCE_CHANGED', `${file.source} changed after it was offered`);
}

/** The folder as IP Messenger streams it: the folder, then its tree depth first, each folder closed by RETPARENT. */
async function* folderStream(entry: ServedEntry, offer: ServedOffer, host: FileServerHost): AsyncGenerator<Buffer> {
  const now = Date.now() / 1000;
  yield encodeDirHeader(entry.name, 0, FILE_ATTR.DIR, now);
  const open: string[] = [];
  const up = encodeDirHeader(Buffer.from('.'), 0, FILE_ATTR.RETPARENT, now);
  for (const file of entry.files) {
    const folders = file.isDirectory ? file.inside : file.inside.slice(0, -1);
    const keys = folders.map((b) => b.toString('latin1'));
    let same = 0;
    while (same < open.length && same < keys.length && open[same] === keys[same]) same++;
    while (open.length > same) {
      open.pop();
      yield up;
    }
    for (let i = same; i < folders.length; i++) {
      open.push(keys[i]!);
      yield encodeDirHeader(folders[i]!, 0, FILE_ATTR.DIR, file.mtime / 1000);
    }
    if (file.isDirectory) continue;
    await checkSource(file);
    yield encodeDirHeader(file.inside.at(-1)!, file.size, FILE_ATTR.REGULAR, file.mtime / 1000);
    let sent = 0;
    if (file.size > 0) {
      for await (const chunk of createReadStream(file.source, { end: file.size - 1, highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        host.pulled(offer, file.index, sent, false);
        yield chunk as Buffer;
      }
    }
    if (sent !== file.size) throw new Error(`${file.source} shrank while it was being sent`);
  }
  while (open.length) {
    open.pop();
    yield up;
  }
  yield up; // leaves the top folder
}
