/**
 * Resume: a proxy that keeps cutting the data connection, and a resume at an
 * offset past 4 GiB (64-bit offset arithmetic, sparse files).
 */
import { open, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransferDto, TransferProgressDto } from '../../shared/dto';
import { startNode } from '../helpers/nodes';
import { cuttingProxy } from '../helpers/cutting-proxy';
import { tempDir } from '../helpers/temp-dir';
import { finished, randomFile, sha256, tree } from '../helpers/transfer';

describe('transfer resume', () => {
  it('completes through a proxy that cuts the data connection at random offsets ≥ 20 times, writing each byte once', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const size = 48 * 1024 * 1024 + 12_345;
    const file = await randomFile(path.join(src, 'cut.bin'), size);
    const a = await startNode('Alice');
    const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
    const proxy = await cuttingProxy(b.node.listeningPort, {
      minBytes: 64 * 1024,
      maxBytes: 3 * 1024 * 1024,
      maxCuts: 25,
    });
    const peer = await a.node.addPeer(`127.0.0.1:${proxy.port}`);
    const t = await a.node.sendFiles(`direct:${peer.id}`, [file]);
    const got = await b.waitFor('transferUpdated', finished(t.id), 120_000);
    expect(got.state, JSON.stringify(got.error)).toBe('done');
    expect(proxy.cuts()).toBeGreaterThanOrEqual(20);
    expect(await sha256(path.join(downloads, 'cut.bin'))).toBe(await sha256(file));
    expect(await tree(downloads)).toEqual(['cut.bin']);
    // Every resume continued from the .part's length: nothing was written twice.
    expect(b.node.transfers.bytesWritten).toBe(size);
    expect(
      b.events.some(
        (e) =>
          e.name === 'transferUpdated' &&
          (e.payload as TransferDto).id === t.id &&
          (e.payload as TransferDto).state === 'paused',
      ),
    ).toBe(true);
  }, 180_000);

  it('resumes at an offset past 4 GiB and verifies the whole sparse file', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const GiB = 1024 ** 3;
    const size = 4 * GiB + 3 * 1024 * 1024 + 7;
    const partLength = 4 * GiB + 1024 * 1024 + 3; // past 2^32: a 32-bit offset would wrap
    const marker = randomBytes(2 * 1024 * 1024);
    const markerAt = 4 * GiB - 1024 * 1024; // straddles the 4 GiB line
    const tail = randomBytes(size - (markerAt + marker.byteLength));
    const file = path.join(src, 'sparse.bin');
    await writeFile(file, '');
    await truncate(file, size);
    let h = await open(file, 'r+');
    await h.write(marker, 0, marker.byteLength, markerAt);
    await h.write(tail, 0, tail.byteLength, markerAt + marker.byteLength);
    await h.close();

    const a = await startNode('Alice');
    const b = await startNode('Bob', { downloadDir: downloads });
    const peer = await a.node.addPeer(b.address);
    const t = await a.node.sendFiles(`direct:${peer.id}`, [file]);
    await b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'offered');
    // What an earlier, interrupted run of this transfer left behind: the first partLength bytes.
    const part = path.join(downloads, 'sparse.bin.part');
    await writeFile(part, '');
    await truncate(part, partLength);
    h = await open(part, 'r+');
    await h.write(marker, 0, marker.byteLength, markerAt);
    await h.write(tail, 0, partLength - (markerAt + marker.byteLength), markerAt + marker.byteLength);
    await h.close();
    const record = b.node.transfers.get(t.id)!;
    await writeFile(
      path.join(downloads, 'sparse.bin.part.json'),
      JSON.stringify({ transferId: t.id, index: 0, size, mtime: record.files[0]!.mtime, offset: partLength }),
    );
    record.files[0]!.part = part;

    await b.node.acceptTransfer(t.id);
    // Both sides hash 4 GiB here (the receiver its .part, the sender its file): on a loaded
    // 2-core machine that alone takes minutes, hence the long wait.
    const got = await b.waitFor('transferUpdated', finished(t.id), 400_000);
    expect(got.state, JSON.stringify(got.error)).toBe('done');
    expect(got.files[0]!.size).toBe(size);
    expect(b.node.transfers.bytesWritten).toBe(size - partLength);
    const firstProgress = b.events.find(
      (e) => e.name === 'transferProgress' && (e.payload as TransferProgressDto).id === t.id,
    );
    expect(firstProgress?.payload).toMatchObject({ bytesDone: partLength, totalBytes: size });
    expect(await tree(downloads)).toEqual(['sparse.bin']);
    // 'done' means the receiver's SHA-256 of all 4 GiB matched the sender's. Independently of
    // that, the bytes that matter are where they belong: the marker across the 4 GiB line and
    // the tail written after the resume (hashing 8 GiB more here only made the test slow).
    const saved = await open(path.join(downloads, 'sparse.bin'), 'r');
    try {
      expect((await saved.stat()).size).toBe(size);
      const at = async (offset: number, length: number) => {
        const buf = Buffer.alloc(length);
        await saved.read(buf, 0, length, offset);
        return buf;
      };
      expect((await at(markerAt, marker.byteLength)).equals(marker)).toBe(true);
      expect((await at(markerAt + marker.byteLength, tail.byteLength)).equals(tail)).toBe(true);
    } finally {
      await saved.close();
    }
  }, 480_000);
});
