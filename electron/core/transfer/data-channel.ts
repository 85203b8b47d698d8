/**
 * A transfer's data connection after the hello: small JSON frames (same framing
 * as the control link, data-frame registry) interleaved with runs of raw file
 * bytes whose length both sides know in advance. Reading is pull-based with a
 * bounded queue, so a slow disk pauses the socket (TCP backpressure to the sender).
 */
import type { TLSSocket } from 'node:tls';
import { errorCodeFrom } from '../../../shared/errors';
import { LIMITS } from '../../../shared/limits';
import { FerryError } from '../ferry-error';
import { encodeFrame, LENGTH_PREFIX_BYTES, type RawHeader } from '../protocol/frame-codec';
import { dataFrames, type DataHeader } from '../protocol/frames';
import { forPeer } from '../protocol/peer-text';

/** Pause the socket when this much is queued unread. */
const HIGH_WATER = 4 * 1024 * 1024;

export class DataChannel {
  private chunks: Buffer[] = [];
  private queued = 0;
  private wake: (() => void) | null = null;
  private ended = false;
  private error: FerryError | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: TLSSocket,
    leftover: Buffer,
    private readonly idleTimeoutMs = 60_000,
  ) {
    if (leftover.byteLength) this.push(leftover);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.push(chunk));
    socket.on('end', () => this.finish(null));
    socket.on('close', () => this.finish(null));
    socket.on('error', (err) =>
      this.finish(new FerryError('PEER_GONE', `data connection lost: ${err.message}`, { cause: err })),
    );
    this.touch();
  }

  get closed(): boolean {
    return this.ended || this.socket.destroyed;
  }

  private touch(): void {
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.finish(
          new FerryError('PEER_GONE', `no data from the peer for ${Math.round(this.idleTimeoutMs / 1000)} s`),
        );
        this.socket.destroy();
      }, this.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.byteLength;
    this.touch();
    if (this.queued >= HIGH_WATER) this.socket.pause();
    this.signal();
  }

  private finish(error: FerryError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async waitFor(bytes: number): Promise<void> {
    while (this.queued < bytes) {
      if (this.ended) throw this.error ?? new FerryError('PEER_GONE', 'the peer closed the data connection');
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Takes up to `max` bytes (at least 1) from the queue without copying when possible. */
  private take(max: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.byteLength <= max) {
      this.chunks.shift();
      out = first;
    } else {
      this.chunks[0] = first.subarray(max);
      out = first.subarray(0, max);
    }
    this.queued -= out.byteLength;
    if (this.queued < HIGH_WATER / 2 && this.socket.isPaused() && !this.ended) this.socket.resume();
    return out;
  }

  private async readExact(n: number): Promise<Buffer> {
    await this.waitFor(n);
    if (this.chunks[0]!.byteLength >= n) return this.take(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const part = this.take(n - got);
      parts.push(part);
      got += part.byteLength;
    }
    return Buffer.concat(parts, n);
  }

  /** Reads the next frame; throws BAD_FRAME/UNKNOWN_FRAME/FRAME_TOO_LARGE or the peer's error. */
  async readFrame(): Promise<DataHeader> {
    const length = (await this.readExact(LENGTH_PREFIX_BYTES)).readUInt32BE(0);
    if (length === 0 || length > LIMITS.headerBytes)
      throw new FerryError('FRAME_TOO_LARGE', `header length ${length} is out of range`);
    let json: unknown;
    try {
      json = JSON.parse((await this.readExact(length)).toString('utf8'));
    } catch (err) {
      if (err instanceof FerryError) throw err;
      throw new FerryError('BAD_FRAME', 'header is not valid JSON');
    }
    const type = (json as { type?: unknown } | null)?.type;
    const spec = typeof type === 'string' ? dataFrames(type) : undefined;
    if (!spec)
      throw new FerryError('UNKNOWN_FRAME', `unexpected "${String(type).slice(0, 40)}" frame on a data connection`);
    if (((json as { bodyLength?: number }).bodyLength ?? 0) !== 0)
      throw new FerryError('BAD_FRAME', 'data-connection frames carry no body');
    let header: DataHeader;
    try {
      header = spec.parse(json);
    } catch {
      throw new FerryError('BAD_FRAME', `"${type as string}" frame is malformed`);
    }
    if (header.type === 'error') {
      const { code, message } = header;
      throw new FerryError(errorCodeFrom(code), `peer: ${message}`);
    }
    if (header.type === 'bye')
      throw new FerryError('PEER_GONE', `the peer closed the data connection (${header.reason})`);
    return header;
  }

  /** Reads a frame and insists on its type. */
  async expect<T extends DataHeader['type']>(type: T): Promise<Extract<DataHeader, { type: T }>> {
    const header = await this.readFrame();
    if (header.type !== type) throw new FerryError('BAD_FRAME', `expected "${type}", got "${header.type}"`);
    return header as Extract<DataHeader, { type: T }>;
  }

  /** Yields exactly `n` raw bytes as they arrive (chunks of at most 1 MiB). */
  async *raw(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      await this.waitFor(1);
      const chunk = this.take(Math.min(left, 1024 * 1024));
      left -= chunk.byteLength;
      yield chunk;
    }
  }

  writeFrame(header: RawHeader): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(encodeFrame(forPeer(header)));
  }

  /** Writes raw bytes; resolves once the socket can take more (backpressure). */
  async writeRaw(chunk: Buffer): Promise<void> {
    if (this.closed) throw this.error ?? new FerryError('PEER_GONE', 'the data connection is closed');
    if (this.socket.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', closed);
        resolve();
      };
      const closed = () => {
        this.socket.off('drain', done);
        reject(this.error ?? new FerryError('PEER_GONE', 'the data connection closed while sending'));
      };
      this.socket.on('drain', done);
      this.socket.once('close', closed);
    });
  }

  /** Tells the peer what went wrong and closes. */
  fail(error: FerryError): void {
    if (!this.socket.destroyed) {
      this.writeFrame({ type: 'error', code: error.code, message: error.message.slice(0, 900) });
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2_000).unref();
    }
    this.finish(error);
  }

  close(): void {
    if (!this.socket.destroyed) {
      this.writeFrame({ type: 'bye', reason: 'done' });
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2_000).unref();
    }
    this.finish(null);
  }

  destroy(): void {
    this.socket.destroy();
    this.finish(null);
  }
}
