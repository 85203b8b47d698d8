/**
 * Real engines on 127.0.0.1 sending real files: sizes at the edges, a large
 * random file, and a folder tree with Chinese names and an empty folder.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir';
import { finished, pair, randomFile, sha256, tree, writeText } from '../helpers/transfer';

describe('file transfer round trip', () => {
  it('sends empty, 1-byte, odd-sized and 100 MiB files; hashes equal', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const { a, b, bId } = await pair({}, { downloadDir: downloads });
    const files = [
      await randomFile(path.join(src, 'empty.bin'), 0),
      await randomFile(path.join(src, 'one.bin'), 1),
      await randomFile(path.join(src, 'odd.bin'), 1_234_567),
      await randomFile(path.join(src, 'big.bin'), 100 * 1024 * 1024),
    ];
    const offer = await a.node.sendFiles(`direct:${bId}`, files);
    expect(offer.state).toBe('offered');
    expect(offer.totalBytes).toBe(1 + 1_234_567 + 100 * 1024 * 1024);
    const incoming = await b.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'offered');
    expect(incoming.files.map((f) => f.path)).toEqual(['empty.bin', 'one.bin', 'odd.bin', 'big.bin']);
    await b.node.acceptTransfer(offer.id);
    const got = await b.waitFor('transferUpdated', finished(offer.id), 60_000);
    expect(got.state, JSON.stringify(got.error)).toBe('done');
    const sent = await a.waitFor('transferUpdated', finished(offer.id), 10_000);
    expect(sent.state).toBe('done');
    for (const file of files) {
      expect(await sha256(path.join(downloads, path.basename(file)))).toBe(await sha256(file));
    }
    expect(await tree(downloads)).toEqual(['big.bin', 'empty.bin', 'odd.bin', 'one.bin']);
    expect(got.files.every((f) => f.savedPath?.startsWith(downloads))).toBe(true);
    expect(a.events.some((e) => e.name === 'transferProgress')).toBe(true);
    const history = await b.node.listTransfers(`direct:${(await a.node.getSelf()).id}`);
    expect(history.map((t) => t.id)).toEqual([offer.id]);
  }, 120_000);

  it('keeps a folder tree with 中文 names and an empty folder; a second send of the same folder gets a fresh name', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const root = path.join(src, '照片');
    await writeText(path.join(root, '旅行', '长城.txt'), '不到长城非好汉');
    await writeText(path.join(root, 'notes.md'), '# notes');
    await mkdir(path.join(root, '空文件夹'), { recursive: true });
    const { a, b, bId } = await pair({}, { downloadDir: downloads, autoAccept: 'any' });
    const first = await a.node.sendFiles(`direct:${bId}`, [root]);
    expect((await b.waitFor('transferUpdated', finished(first.id), 20_000)).state).toBe('done');
    const second = await a.node.sendFiles(`direct:${bId}`, [root]);
    expect((await b.waitFor('transferUpdated', finished(second.id), 20_000)).state).toBe('done');
    expect(await tree(downloads)).toEqual([
      '照片 (1)/',
      '照片 (1)/notes.md',
      '照片 (1)/旅行/',
      '照片 (1)/旅行/长城.txt',
      '照片 (1)/空文件夹/',
      '照片/',
      '照片/notes.md',
      '照片/旅行/',
      '照片/旅行/长城.txt',
      '照片/空文件夹/',
    ]);
    expect(await sha256(path.join(downloads, '照片/旅行/长城.txt'))).toBe(
      await sha256(path.join(root, '旅行', '长城.txt')),
    );
  }, 60_000);

  it('never overwrites: a second file with the same name becomes "name (1).ext"', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    await writeText(path.join(downloads, 'photo.jpg'), 'already here');
    const file = await randomFile(path.join(src, 'photo.jpg'), 5000);
    const { a, b, bId } = await pair({}, { downloadDir: downloads, autoAccept: 'any' });
    const t = await a.node.sendFiles(`direct:${bId}`, [file]);
    const done = await b.waitFor('transferUpdated', finished(t.id), 20_000);
    expect(done.files[0]!.savedPath).toBe(path.join(downloads, 'photo (1).jpg'));
    expect(await tree(downloads)).toEqual(['photo (1).jpg', 'photo.jpg']);
    expect(await sha256(path.join(downloads, 'photo (1).jpg'))).toBe(await sha256(file));
  }, 30_000);
});
