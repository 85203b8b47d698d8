/** Helpers for transfer tests: files with random content, hashes, two connected nodes. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TransferDto } from '../../shared/dto';
import { startNode, type TestNode } from './nodes';

export async function randomFile(file: string, size: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  // Written in 8 MiB slices so a 100 MiB file never sits in memory whole.
  const { open } = await import('node:fs/promises');
  const handle = await open(file, 'w');
  for (let done = 0; done < size;) {
    const n = Math.min(8 * 1024 * 1024, size - done);
    await handle.write(randomBytes(n));
    done += n;
  }
  await handle.close();
  return file;
}

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every path under dir (relative, '/'-separated, folders end with '/'), sorted. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    out.push(entry.isDirectory() ? `${rel}/` : rel);
  }
  return out.sort();
}

export async function pair(
  aOptions = {},
  bOptions = {},
): Promise<{ a: TestNode; b: TestNode; aId: string; bId: string }> {
  const a = await startNode('Alice', aOptions);
  const b = await startNode('Bob', bOptions);
  const peer = await a.node.addPeer(b.address);
  await b.waitFor('peerUpdated', (p) => p.online);
  return { a, b, aId: (await a.node.getSelf()).id, bId: peer.id };
}

export const finished = (id: string) => (t: TransferDto) =>
  t.id === id && ['done', 'failed', 'cancelled', 'declined', 'expired'].includes(t.state);

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}
