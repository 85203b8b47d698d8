/** Hand-made offers for raw-peer tests. */
import { randomUUID } from 'node:crypto';
import type { RawPeer } from './raw-peer';

export interface RawEntry {
  path: string;
  size: number;
  mtime?: number;
  dir?: boolean;
}

export function offerFrame(id: string, entries: RawEntry[]) {
  const body = entries.map((e) => ({ path: e.path, size: e.size, mtime: e.mtime ?? 0, dir: e.dir ?? false }));
  return {
    header: {
      type: 'offer',
      id,
      fileCount: body.length,
      totalBytes: body.reduce((s, e) => s + e.size, 0),
      createdAt: Date.now(),
    },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** Sends an offer; returns its id. */
export function sendOffer(peer: RawPeer, entries: RawEntry[], id: string = randomUUID()): string {
  const { header, body } = offerFrame(id, entries);
  peer.send(header, body);
  return id;
}

/** `n` small files named `prefix-0 … prefix-(n-1)`. */
export function manyFiles(n: number, prefix = 'f'): RawEntry[] {
  return Array.from({ length: n }, (_, i) => ({ path: `${prefix}-${i}.txt`, size: 1 }));
}

/** Sends a chat message and resolves once the node acked it (proves every earlier frame was handled). */
export async function ackedMessage(peer: RawPeer, until: (check: () => boolean) => Promise<void>): Promise<void> {
  const id = randomUUID();
  peer.send({ type: 'message', id, sentAt: Date.now() }, Buffer.from('ping'));
  await until(() => peer.frames.some((f) => f.type === 'ack' && f.id === id));
}
