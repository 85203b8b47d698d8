/**
 * The receiving side's data connections: each runs receiveFiles until the sender
 * closes it, and claims the transfer it carries. A newer connection for a transfer
 * supersedes older ones (the sender redialed after a cut we may not have noticed
 * yet); cut() ends a transfer's connections and resolves once their receivers have
 * stopped writing and recorded where they stopped. Transfers whose bytes we fetch
 * ourselves (pull-receiver.ts) are tracked here too, so cut() and stop() end them alike.
 */
import type { PeerLink } from '../net/connection-manager';
import type { Transfer } from '../store/transfer-repo';
import { DataChannel } from './data-channel';
import { receiveFiles, type ReceiverHost } from './transfer-receiver';

export class InboundChannels {
  /** Per transfer, the connections that claimed it. */
  private readonly claimed = new Map<string, Set<DataChannel>>();
  /** Every running receiver, by its connection. */
  private readonly receiving = new Map<DataChannel, Promise<void>>();
  /** Transfers whose bytes we fetch ourselves (a PullSource), by transfer id. */
  private readonly pulling = new Map<string, { abort: AbortController; done: Promise<void> }>();

  /** An inbound data connection (purpose "transfer") finished its hello: receive on it. */
  open(link: PeerLink, host: ReceiverHost): void {
    const { socket, leftover } = link.conn.detach();
    const channel = new DataChannel(socket, leftover);
    const done = receiveFiles(channel, link.peerId, host).finally(() => this.receiving.delete(channel));
    this.receiving.set(channel, done);
  }

  /** Claims the transfer for this connection; resolves once older connections for it stopped writing. */
  async claim(t: Transfer, channel: DataChannel): Promise<void> {
    let set = this.claimed.get(t.id);
    if (!set) this.claimed.set(t.id, (set = new Set()));
    const older = [...set];
    set.add(channel);
    for (const ch of older) ch.destroy();
    await Promise.all(older.map((ch) => this.receiving.get(ch)));
  }

  /**
   * Fetches a transfer's bytes ourselves (the sender serves them on request): runs
   * `receive` until it ends or the transfer is cut. A transfer already being fetched
   * is left to that run.
   */
  pull(id: string, receive: (signal: AbortSignal) => Promise<void>): void {
    if (this.pulling.has(id)) return;
    const abort = new AbortController();
    const done = receive(abort.signal).finally(() => this.pulling.delete(id));
    this.pulling.set(id, { abort, done });
  }

  release(t: Transfer, channel: DataChannel): void {
    this.claimed.get(t.id)?.delete(channel);
  }

  /** How many connections currently carry this transfer. */
  count(id: string): number {
    return this.claimed.get(id)?.size ?? 0;
  }

  /** Ends this transfer's connections; resolves once their receivers have finished. */
  cut(id: string): Promise<void> {
    const ended: Promise<void>[] = [];
    for (const ch of this.claimed.get(id) ?? []) {
      ch.destroy();
      const done = this.receiving.get(ch);
      if (done) ended.push(done);
    }
    const pull = this.pulling.get(id);
    if (pull) {
      pull.abort.abort();
      ended.push(pull.done);
    }
    return Promise.allSettled(ended).then(() => {});
  }

  /** Ends every connection; resolves once every receiver has finished. */
  async stop(): Promise<void> {
    for (const set of this.claimed.values()) for (const ch of set) ch.destroy();
    for (const ch of this.receiving.keys()) ch.destroy();
    for (const pull of this.pulling.values()) pull.abort.abort();
    await Promise.allSettled([...this.receiving.values(), ...[...this.pulling.values()].map((p) => p.done)]);
  }
}
