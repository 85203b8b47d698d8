/**
 * The sender's pump: one per active outgoing transfer. It dials a data
 * connection, sends every file that has no verdict yet, and on a network
 * error redials with backoff (quickly while bytes still move, up to
 * MAX_QUICK_RETRIES failed attempts in a row) or hands the transfer back as
 * paused until the control link returns. Its backoff timer is the only timer
 * here, and abort()/stop() clear it.
 */
import type { Transfer, TransferFile } from '../store/transfer-repo';
import { FerryError } from '../ferry-error';
import type { DataChannel } from './data-channel';
import { FILE_LEVEL_CODES } from './transfer-receiver';
import { sendFile } from './transfer-sender';
import { bytesOf } from './transfer-records';
import { isOver } from './transfer-state';

/** Errors after which the sender redials the data connection by itself. */
export const RETRYABLE: ReadonlySet<string> = new Set([
  'PEER_GONE',
  'PEER_UNREACHABLE',
  'TLS_FAILED',
  'IDLE_TIMEOUT',
  'HANDSHAKE_TIMEOUT',
  'PEER_OFFLINE',
]);
export const MAX_QUICK_RETRIES = 30;

/** Wait before redial attempt `retries` (1, 2, …): 200 ms doubling, at most 3 s. */
export function backoffMs(retries: number): number {
  return Math.min(100 * 2 ** Math.min(retries, 6), 3_000);
}

/** What the pump reports to (and asks of) the transfer service. */
export interface PumpHost {
  dialData(peerId: string): Promise<DataChannel>;
  /** Whether the peer's control link is up (worth redialing now). */
  linkUp(peerId: string): boolean;
  fileActive(t: Transfer, f: TransferFile): void;
  fileBytes(t: Transfer, f: TransferFile, bytesDone: number): void;
  fileDone(t: Transfer, f: TransferFile): void;
  fileFailed(t: Transfer, f: TransferFile, error: FerryError): void;
  /** Every file has a verdict. */
  complete(t: Transfer): void;
  /** Back to waiting for the peer (the control link coming up, or the user, resumes it). */
  pause(t: Transfer, error: FerryError): void;
  /** Not something a redial fixes. */
  fail(t: Transfer, error: FerryError): void;
}

interface Run {
  channel: DataChannel | null;
  aborted: boolean;
  running?: Promise<void>;
  /** The backoff wait in progress: its timer, and how to end it early. */
  wait?: { timer: NodeJS.Timeout; wake: () => void };
}

export class SendPump {
  private readonly runs = new Map<string, Run>();
  private stopped = false;

  constructor(private readonly host: PumpHost) {}

  /** Runs the sender side until every file has a verdict, the peer is gone, or someone stops it. */
  start(t: Transfer): void {
    if (this.runs.has(t.id) || this.stopped) return;
    const run: Run = { channel: null, aborted: false };
    this.runs.set(t.id, run);
    run.running = this.run(t, run).catch((err) => {
      if (!this.stopped) this.host.fail(t, FerryError.from(err));
    });
  }

  /** Stops moving this transfer's bytes now (its state is the caller's business). */
  abort(id: string): void {
    const run = this.runs.get(id);
    if (run) halt(run);
  }

  /** Stops every pump; resolves once each has recorded where it stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running: Promise<void>[] = [];
    for (const run of this.runs.values()) {
      halt(run);
      if (run.running) running.push(run.running);
    }
    await Promise.allSettled(running);
  }

  private async run(t: Transfer, run: Run): Promise<void> {
    const { host } = this;
    let retries = 0;
    // The run leaves the map in the same tick as its last state change (the finally runs
    // before anyone awaiting that change), so a resume right after it starts a new run.
    try {
      for (;;) {
        if (run.aborted || t.state !== 'active') return;
        const pending = t.files.filter((f) => f.state === 'pending' || f.state === 'active');
        if (pending.length === 0) break;
        const mark = bytesOf(t);
        try {
          run.channel = await host.dialData(t.peerId);
          if (run.aborted) return run.channel.destroy();
          for (const f of pending) {
            host.fileActive(t, f);
            const outcome = await sendFile(run.channel, t.id, f, (n) => host.fileBytes(t, f, n));
            if (run.aborted) return;
            if (outcome.ok) host.fileDone(t, f);
            else if (FILE_LEVEL_CODES.has(outcome.error.code)) host.fileFailed(t, f, outcome.error);
            else throw outcome.error;
            retries = 0;
          }
          run.channel.close();
          run.channel = null;
        } catch (err) {
          run.channel?.destroy();
          run.channel = null;
          if (run.aborted || isOver(t.state)) return;
          const e = FerryError.from(err);
          if (!RETRYABLE.has(e.code)) return host.fail(t, e);
          // Progress since the last attempt means the route works: keep retrying quickly.
          retries = bytesOf(t) > mark ? 1 : retries + 1;
          if (!host.linkUp(t.peerId) || retries > MAX_QUICK_RETRIES) return host.pause(t, e);
          await this.backoff(run, backoffMs(retries));
        }
      }
      host.complete(t);
    } finally {
      if (this.runs.get(t.id) === run) this.runs.delete(t.id);
    }
  }

  private backoff(run: Run, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        run.wait = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      run.wait = { timer, wake };
    });
  }
}

function halt(run: Run): void {
  run.aborted = true;
  run.channel?.destroy();
  run.wait?.wake();
}
