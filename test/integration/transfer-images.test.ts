/**
 * Pictures in a conversation, through two real engines: which files are pictures (from
 * their bytes), their size kept across a restart, their bytes for the viewer on both sides,
 * and the thumbnails the UI hands back, checked like any input.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { png, gif1x1 } from '../helpers/images';
import { startNode, stopNode } from '../helpers/nodes';
import { rejection } from '../helpers/rejection';
import { tempDir } from '../helpers/temp-dir';
import { finished, pair } from '../helpers/transfer';

describe('pictures in a conversation', () => {
  it('marks real pictures (not liars) on both sides, serves their bytes, and keeps their size across a restart', async () => {
    const downloads = await tempDir();
    const { a, b, bId } = await pair({}, { downloadDir: downloads });
    const src = await tempDir();
    const photo = png(48, 30);
    await writeFile(path.join(src, 'photo.png'), photo);
    await writeFile(path.join(src, 'liar.png'), 'not a picture');
    await writeFile(path.join(src, 'notes.txt'), 'hello');
    const out = await a.node.sendFiles(`direct:${bId}`, [
      path.join(src, 'photo.png'),
      path.join(src, 'liar.png'),
      path.join(src, 'notes.txt'),
    ]);
    const byName = (files: { path: string; image?: unknown }[]) =>
      Object.fromEntries(files.map((f) => [f.path, f.image ?? null]));
    expect(byName(out.files)).toEqual({
      'photo.png': { mime: 'image/png', width: 48, height: 30 },
      'liar.png': null,
      'notes.txt': null,
    });
    const photoIndex = out.files.findIndex((f) => f.path === 'photo.png');

    // The sender shows its own picture at once.
    expect(await a.node.readImage(out.id, photoIndex, 'full')).toEqual({
      mime: 'image/png',
      base64: photo.toString('base64'),
    });

    // The receiver knows nothing until the file is saved and probed there (an offer's word is not trusted).
    const offered = await b.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    expect(offered.files.every((f) => f.image === undefined)).toBe(true);
    expect(await rejection(b.node.readImage(out.id, photoIndex, 'full'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    await b.node.acceptTransfer(out.id);
    const done = await b.waitFor('transferUpdated', finished(out.id), 20_000);
    expect(done.state).toBe('done');
    expect(byName(done.files)).toEqual({
      'photo.png': { mime: 'image/png', width: 48, height: 30 },
      'liar.png': null,
      'notes.txt': null,
    });
    expect(await b.node.readImage(out.id, photoIndex, 'full')).toEqual({
      mime: 'image/png',
      base64: photo.toString('base64'),
    });
    // No thumbnail until the UI made one.
    expect(await b.node.readImage(out.id, photoIndex, 'thumbnail')).toBeNull();

    await stopNode(b);
    const again = await startNode('Bob', { dataDir: b.dataDir, downloadDir: downloads });
    const [listed] = await again.node.listTransfers(`direct:${(await a.node.getSelf()).id}`);
    expect(listed!.id).toBe(out.id);
    expect(byName(listed!.files)).toEqual(byName(done.files));
  });

  it('caches a valid thumbnail and refuses anything else handed back as one', async () => {
    const { a, bId } = await pair();
    const src = await tempDir();
    await writeFile(path.join(src, 'photo.png'), png(200, 100));
    await writeFile(path.join(src, 'notes.txt'), 'hello');
    const out = await a.node.sendFiles(`direct:${bId}`, [path.join(src, 'photo.png'), path.join(src, 'notes.txt')]);
    const i = out.files.findIndex((f) => f.path === 'photo.png');
    const notes = out.files.findIndex((f) => f.path === 'notes.txt');

    const refused = async (index: number, base64: string) => rejection(a.node.saveThumbnail(out.id, index, base64));
    expect(await refused(i, 'not base64!')).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refused(i, Buffer.from('plain text').toString('base64'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a thumbnail must be a PNG, JPEG or WebP picture',
    });
    expect(await refused(i, gif1x1().toString('base64'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refused(i, png(641, 10).toString('base64'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a thumbnail is at most 640 pixels a side',
    });
    expect(await refused(i, png(10, 641).toString('base64'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refused(notes, png(10, 10).toString('base64'))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refused(9, png(10, 10).toString('base64'))).toMatchObject({ code: 'NOT_FOUND' });
    expect(
      await rejection(a.node.saveThumbnail('00000000-0000-4000-8000-00000000abcd', 0, png(10, 10).toString('base64'))),
    ).toMatchObject({ code: 'NOT_FOUND' });
    expect(await a.node.readImage(out.id, i, 'thumbnail')).toBeNull();
    expect(await readdir(a.dataDir)).not.toContain('thumbnails');

    const thumb = png(640, 320);
    await a.node.saveThumbnail(out.id, i, thumb.toString('base64'));
    expect(await a.node.readImage(out.id, i, 'thumbnail')).toEqual({
      mime: 'image/png',
      base64: thumb.toString('base64'),
    });
    // Replacing it is fine; no temp file is left behind.
    const smaller = png(64, 32);
    await a.node.saveThumbnail(out.id, i, smaller.toString('base64'));
    expect((await a.node.readImage(out.id, i, 'thumbnail'))!.base64).toBe(smaller.toString('base64'));
    expect(await readdir(path.join(a.dataDir, 'thumbnails'))).toEqual([`${out.id}-${i}.thumb`]);
  });

  it('refuses to show a picture whose file changed into something else, or is gone', async () => {
    const { a, bId } = await pair();
    const src = await tempDir();
    const file = path.join(src, 'photo.png');
    await writeFile(file, png(20, 20));
    const out = await a.node.sendFiles(`direct:${bId}`, [file]);
    expect(out.files[0]!.image).toEqual({ mime: 'image/png', width: 20, height: 20 });
    await writeFile(file, 'now it is text');
    expect(await rejection(a.node.readImage(out.id, 0, 'full'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'photo.png is no longer a picture Ferry shows',
    });
    await rm(file);
    expect(await rejection(a.node.readImage(out.id, 0, 'full'))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('does not look for pictures in sends of more than 20 files', async () => {
    const { a, bId } = await pair();
    const src = await tempDir();
    const files: string[] = [];
    for (let n = 0; n < 21; n++) {
      files.push(path.join(src, `p${n}.png`));
      await writeFile(files.at(-1)!, png(4, 4));
    }
    const many = await a.node.sendFiles(`direct:${bId}`, files);
    expect(many.files.filter((f) => f.image)).toEqual([]);
    const few = await a.node.sendFiles(`direct:${bId}`, files.slice(0, 20));
    expect(few.files.filter((f) => f.image)).toHaveLength(20);
  });
});
