/**
 * Pictures in a conversation, through two real engines: which files are pictures (from
 * their bytes), their size kept across a restart, their bytes for the viewer on both sides,
 * and the thumbnails the UI hands back, checked like any input.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { png, gif1x1 } from '../helpers/images';
import { ackedMessage, sendOffer } from '../helpers/raw-offer';
import { rawControl, until } from '../helpers/raw-peer';
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

  it("sends our offered picture's preview to a Ferry that takes one; it shows before accepting, then the picture itself", async () => {
    const downloads = await tempDir();
    const { a, b, bId } = await pair({}, { downloadDir: downloads });
    const src = await tempDir();
    await writeFile(path.join(src, 'harbour.png'), png(1600, 1200));
    const out = await a.node.sendFiles(`direct:${bId}`, [path.join(src, 'harbour.png')]);
    await b.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    const thumb = png(480, 360);
    await a.node.saveThumbnail(out.id, 0, thumb.toString('base64'));
    const previewed = await b.waitFor('transferUpdated', (t) => t.id === out.id && t.files[0]?.preview !== undefined);
    expect(previewed.state).toBe('offered');
    expect(previewed.files[0]).toMatchObject({ preview: { width: 480, height: 360 } });
    expect(previewed.files[0]!.image).toBeUndefined();
    expect(await b.node.readImage(out.id, 0, 'thumbnail')).toEqual({
      mime: 'image/png',
      base64: thumb.toString('base64'),
    });
    // The picture itself is not here yet.
    expect(await rejection(b.node.readImage(out.id, 0, 'full'))).toMatchObject({ code: 'INVALID_ARGUMENT' });

    // Kept across a restart of the receiver.
    await stopNode(b);
    const again = await startNode('Bob', { dataDir: b.dataDir, downloadDir: downloads });
    const [listed] = await again.node.listTransfers();
    expect(listed!.files[0]!.preview).toEqual({ width: 480, height: 360 });

    await again.node.addPeer(a.address);
    await again.waitFor('peerUpdated', (p) => p.online);
    await again.node.acceptTransfer(out.id);
    const done = await again.waitFor('transferUpdated', finished(out.id), 20_000);
    expect(done.files[0]!.image).toEqual({ mime: 'image/png', width: 1600, height: 1200 });
  });

  it('keeps no preview that is not a small picture of a single offered picture of that peer, and stays connected', async () => {
    const b = await startNode('Bob', { downloadDir: await tempDir() });
    const peer = await rawControl(b.node.listeningPort, undefined, { caps: ['chat/1', 'transfer/1', 'preview/1'] });
    const photo = (n: number) => sendOffer(peer, [{ path: `photo-${n}.png`, size: 5000 }]);
    const offers = {
      text: photo(1),
      wide: photo(2),
      gif: photo(3),
      index: photo(4),
      notes: sendOffer(peer, [{ path: 'notes.txt', size: 5000 }]),
      two: sendOffer(peer, [
        { path: 'a.png', size: 10 },
        { path: 'b.png', size: 10 },
      ]),
    };
    const good = photo(5);
    await until(() => b.events.filter((e) => e.name === 'transferUpdated').length >= 7, 5_000, 'seven offers');
    const preview = (id: string, body: Buffer, index = 0, mime = 'image/png') =>
      peer.send({ type: 'offer-preview', id, index, mime, bodyLength: body.length }, body);
    preview(offers.text, Buffer.from('plain text, not a picture'));
    preview(offers.wide, png(481, 10));
    preview(offers.gif, gif1x1(), 0, 'image/webp');
    preview(offers.index, png(10, 10), 1);
    preview(offers.notes, png(10, 10));
    preview(offers.two, png(10, 10));
    preview('00000000-0000-4000-8000-00000000abcd', png(10, 10));
    // The same link still takes a good one, after all of those.
    preview(good, png(200, 100));
    await b.waitFor('transferUpdated', (t) => t.id === good && t.files[0]?.preview !== undefined);
    const previews = Object.fromEntries(
      (await b.node.listTransfers()).map((t) => [t.id, t.files.map((f) => f.preview ?? null)]),
    );
    expect(previews[good]).toEqual([{ width: 200, height: 100 }]);
    for (const [why, id] of Object.entries(offers)) expect(previews[id]!.some(Boolean), why).toBe(false);
    await ackedMessage(peer, until);
  });

  it('never sends a preview to a Ferry that does not announce preview/1', async () => {
    const a = await startNode('Alice');
    const peer = await rawControl(a.node.listeningPort);
    const src = await tempDir();
    await writeFile(path.join(src, 'photo.png'), png(64, 48));
    const out = await a.node.sendFiles(`direct:${peer.peerId}`, [path.join(src, 'photo.png')]);
    await until(() => peer.frames.some((f) => f.type === 'offer' && f.id === out.id), 5_000, 'the offer');
    await a.node.saveThumbnail(out.id, 0, png(32, 24).toString('base64'));
    // A message sent after it arrives after anything the thumbnail would have caused.
    await a.node.sendMessage(`direct:${peer.peerId}`, 'after the thumbnail');
    await until(() => peer.frames.some((f) => f.type === 'message'), 5_000, 'the message');
    expect(peer.frames.map((f) => f.type)).not.toContain('offer-preview');
  });
});
