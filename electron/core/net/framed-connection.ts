/**
 * One TLS socket speaking frames: decoding with limits, keep-alive pings, an
 * idle timeout, and a clean or failing close that tells the other side why.
 */
import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { errorCodeFrom } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import {
  encodeFrame,
  FrameDecoder,
  type DecodedFrame,
  type FrameRegistry,
  type RawHeader,
} from '../protocol/frame-codec';
import { forPeer } from '../protocol/peer-text';

export interface ConnectionTimers {
  /** Send a ping when nothing was sent for this long. */
  pingIntervalMs: number;
  /** Close when nothing was received for this long. */
  idleTimeoutMs: number;
}

export const DEFAULT_TIMERS: ConnectionTimers = { pingIntervalMs: 15_000, idleTimeoutMs: 45_000 };

type Events<H> = {
  frame: [DecodedFrame<H>];
  /** Emitted once. `error` is null for a clean close by either side. */
  closed: [error: FerryError | null];
};

export class FramedConnection<H extends { type: string; bodyLength?: number }> extends EventEmitter<Events<H>> {
  private readonly decoder: FrameDecoder<H>;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private readonly timer: NodeJS.Timeout;
  private closeError: FerryError | null = null;
  private done = false;
  /** fail() was called: frames after that are not handled. */
  private failed = false;
  /** close() or fail() was called: nothing more is sent or handled, the socket is ending. */
  private ending = false;

  constructor(
    readonly socket: TLSSocket,
    registry: FrameRegistry<H>,
    private readonly timers: ConnectionTimers = DEFAULT_TIMERS,
  ) {
    super();
    this.decoder = new FrameDecoder(registry);
    socket.setNoDelay(true);
    socket.on('data', this.onDataListener);
    socket.on('error', this.onErrorListener);
    socket.on('close', this.onCloseListener);
    // Checked at least once a second: pings and the idle close come at most 1 s late (§3).
    const tick = Math.max(50, Math.min(1_000, timers.pingIntervalMs / 3, timers.idleTimeoutMs / 3));
    this.timer = setInterval(() => this.checkTimers(), tick);
    this.timer.unref();
  }

  private readonly onDataListener = (chunk: Buffer) => this.onData(chunk);
  private readonly onErrorListener = (err: Error) => {
    this.closeError ??= new FerryError('PEER_GONE', `connection error: ${err.message}`, { cause: err });
  };
  private readonly onCloseListener = () => this.finish();

  /**
   * Stops speaking frames on this socket (no more pings, timers or events) and
   * returns the bytes received but not yet decoded. A transfer's data connection
   * does this right after the hello, then runs its own protocol on the socket.
   */
  detach(): { socket: TLSSocket; leftover: Buffer } {
    this.done = true;
    clearInterval(this.timer);
    this.socket.off('data', this.onDataListener);
    this.socket.off('error', this.onErrorListener);
    this.socket.off('close', this.onCloseListener);
    this.socket.on('error', () => {}); // the new owner adds its own handlers; never crash on an unhandled 'error'
    return { socket: this.socket, leftover: this.decoder.takeBuffered() };
  }

  get closed(): boolean {
    return this.done || this.ending || this.socket.destroyed;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  /** Queues a frame. Returns false when the socket buffer is full (wait for `drain()`). */
  send(header: RawHeader, body?: Uint8Array | null): boolean {
    if (this.closed) return false;
    this.lastSent = Date.now();
    return this.socket.write(encodeFrame(forPeer(header), body));
  }

  drain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Says goodbye and closes; the other side sees a clean close. */
  close(reason = 'closing'): void {
    if (this.closed) return;
    this.send({ type: 'bye', reason });
    this.endSoon();
  }

  /** Tells the other side what went wrong, then closes. */
  fail(error: FerryError): void {
    if (this.closed) return;
    this.failed = true;
    this.closeError ??= error;
    this.send({ type: 'error', code: error.code, message: error.message.slice(0, 900) });
    this.endSoon();
  }

  private endSoon(): void {
    // Frames still queued behind this one are not handled, and nothing is written after end()
    // (a write after end destroys the socket and loses the goodbye).
    this.ending = true;
    this.socket.end();
    // A peer that never reads would keep the socket half-open: cut it.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    const { frames, error } = this.decoder.decode(chunk);
    for (const frame of frames) {
      // Detached: the rest belongs to the new owner. Failed: nothing more from this peer is
      // trusted. Closing (a goodbye): frames that came in the same read are still handled —
      // a peer's last words (the transfer-stop of a cancel, say) would otherwise be lost.
      if (this.done || this.failed) return;
      switch (frame.header.type) {
        case 'ping':
          this.send({ type: 'pong', ts: (frame.header as { ts?: number }).ts });
          break;
        case 'pong':
          break;
        case 'bye':
          this.socket.end();
          break;
        case 'error': {
          const { code, message } = frame.header as unknown as { code: string; message: string };
          this.closeError ??= new FerryError(errorCodeFrom(code), `peer closed the connection: ${message}`);
          this.socket.end();
          break;
        }
        default:
          this.emit('frame', frame);
      }
    }
    if (error) {
      this.socket.pause();
      this.fail(error);
    }
  }

  private checkTimers(): void {
    const now = Date.now();
    if (now - this.lastReceived > this.timers.idleTimeoutMs) {
      // Tell the peer why (§3), then close; endSoon() cuts a peer that doesn't read it.
      this.fail(
        new FerryError('IDLE_TIMEOUT', `no data from the peer for ${Math.round(this.timers.idleTimeoutMs / 1000)} s`),
      );
      return;
    }
    if (now - this.lastSent >= this.timers.pingIntervalMs) this.send({ type: 'ping', ts: now });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    this.emit('closed', this.closeError);
  }
}
