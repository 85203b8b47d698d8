/** TransferImages over real files: what it serves, what it keeps, and everything it refuses. */
import { readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gif1x1, png } from '../../../test/helpers/images';
import { testFile } from '../../../test/helpers/transfer-records';
import { tempDir } from '../../../test/helpers/temp-dir';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import { IMAGE_LIMITS } from './image-probe';
import { MAX_THUMBNAIL_BASE64, PREVIEW_LIMITS, THUMBNAIL_LIMITS, TransferImages } from './transfer-images';

const PNG = { mime: 'image/png' as const, width: 10, height: 10 };

function transfer(over: Partial<Transfer>, file: Partial<TransferFile>): Transfer {
  return {
    id: '11111111-2222-4333-8444-555555555555',
    peerId: 'ferry:x',
    direction: 'out',
    state: 'offered',
    createdAt: 0,
    updatedAt: 0,
    totalBytes: 0,
    saveDir: null,
    error: null,
    files: [testFile(0, { image: PNG, ...file })],
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('it did not fail');
}

const b64 = (b: Buffer) => b.toString('base64');

describe('TransferImages.read', () => {
  it('serves our own picture, and a received one only once it is done', async () => {
    const dir = await tempDir();
    const images = new TransferImages(path.join(dir, 'thumbs'));
    const source = path.join(dir, 'a.png');
    const bytes = png(10, 10);
    await writeFile(source, bytes);
    const out = transfer({}, { source });
    expect(await images.read(out, out.files[0]!, 'full')).toEqual({ mime: 'image/png', base64: b64(bytes) });
    const arriving = transfer({ direction: 'in', state: 'active' }, { saved: source, state: 'active' });
    expect(await failure(images.read(arriving, arriving.files[0]!, 'full'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'that picture has not arrived',
    });
    const arrived = transfer({ direction: 'in', state: 'done' }, { saved: source, state: 'done' });
    expect(await images.read(arrived, arrived.files[0]!, 'full')).toEqual({ mime: 'image/png', base64: b64(bytes) });
    const plain = transfer({}, { source, image: null });
    for (const variant of ['full', 'thumbnail'] as const)
      expect(await failure(images.read(plain, plain.files[0]!, variant))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'that file is not a picture shown inline',
      });
  });

  it('refuses a picture over 32 MiB, a vanished one, and one whose bytes are no longer a picture', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const big = path.join(dir, 'big.png');
    await writeFile(big, png(10, 10));
    await truncate(big, IMAGE_LIMITS.maxBytes + 1);
    const t = transfer({}, { source: big });
    expect(await failure(images.read(t, t.files[0]!, 'full'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'that picture is too large to show',
    });
    await truncate(big, IMAGE_LIMITS.maxBytes);
    expect((await images.read(t, t.files[0]!, 'full'))!.mime).toBe('image/png');
    const gone = transfer({}, { source: path.join(dir, 'gone.png') });
    expect(await failure(images.read(gone, gone.files[0]!, 'full'))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'gone.png is no longer where it was',
    });
    await writeFile(big, 'text now');
    expect(await failure(images.read(t, t.files[0]!, 'full'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'big.png is no longer a picture Ferry shows',
    });
  });

  it('serves a kept thumbnail, and none that is damaged or too large', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const t = transfer({}, { source: path.join(dir, 'x.png') });
    expect(await images.read(t, t.files[0]!, 'thumbnail')).toBeNull();
    const thumb = path.join(dir, `${t.id}-0.thumb`);
    await writeFile(thumb, 'damaged');
    expect(await images.read(t, t.files[0]!, 'thumbnail')).toBeNull();
    await writeFile(thumb, gif1x1());
    expect(await images.read(t, t.files[0]!, 'thumbnail')).toBeNull();
    await writeFile(thumb, Buffer.concat([png(10, 10), Buffer.alloc(THUMBNAIL_LIMITS.maxBytes)]));
    expect(await images.read(t, t.files[0]!, 'thumbnail')).toBeNull();
    const exact = Buffer.concat([png(10, 10)]);
    const padded = Buffer.concat([exact, Buffer.alloc(THUMBNAIL_LIMITS.maxBytes - exact.length)]);
    await writeFile(thumb, padded);
    expect(await images.read(t, t.files[0]!, 'thumbnail')).toEqual({ mime: 'image/png', base64: b64(padded) });
    // An offered picture of which only the sender's preview is here.
    const offered = transfer({ direction: 'in' }, { image: null, preview: { width: 10, height: 10 } });
    expect(await images.read(offered, offered.files[0]!, 'thumbnail')).toEqual({
      mime: 'image/png',
      base64: b64(padded),
    });
  });
});

describe('TransferImages.saveThumbnail', () => {
  it('refuses what is not base64, over 256 KiB, not PNG/JPEG/WebP, or over 640 px a side', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const t = transfer({ state: 'done' }, { source: path.join(dir, 'x.png') });
    const f = t.files[0]!;
    for (const bad of ['abc!', 'abc', 'YWJj=x==', '=YWJj'])
      expect(await failure(images.saveThumbnail(t, f, bad)), bad).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'a thumbnail must be base64',
      });
    const tooBig = Buffer.concat([png(10, 10), Buffer.alloc(THUMBNAIL_LIMITS.maxBytes)]);
    expect(await failure(images.saveThumbnail(t, f, b64(tooBig)))).toMatchObject({
      message: `a thumbnail is at most ${THUMBNAIL_LIMITS.maxBytes} bytes`,
    });
    expect(await failure(images.saveThumbnail(t, f, b64(gif1x1())))).toMatchObject({
      message: 'a thumbnail must be a PNG, JPEG or WebP picture',
    });
    expect(await failure(images.saveThumbnail(t, f, b64(png(10, 641))))).toMatchObject({
      message: 'a thumbnail is at most 640 pixels a side',
    });
    expect(await readdir(dir)).toEqual([]);
    expect(await images.saveThumbnail(t, f, b64(png(640, 640)))).toBeNull();
    expect(await readdir(dir)).toEqual([`${t.id}-0.thumb`]);
    expect(MAX_THUMBNAIL_BASE64).toBe(349_528);
  });

  it('makes a small thumbnail of our one unanswered picture its offer preview, and nothing else', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const small = png(480, 480);
    const mine = transfer({}, { source: path.join(dir, 'x.png') });
    expect(await images.saveThumbnail(mine, mine.files[0]!, b64(small))).toEqual({ mime: 'image/png', bytes: small });
    expect(images.previewOf(mine.id)).toEqual({ mime: 'image/png', bytes: small });
    const cases: [string, Transfer, Buffer][] = [
      ['answered', transfer({ id: 'a1', state: 'active' }, { source: 'x' }), small],
      ['theirs', transfer({ id: 'a2', direction: 'in' }, { saved: 'x', state: 'done' }), small],
      [
        'two files',
        { ...transfer({ id: 'a3' }, { source: 'x' }), files: [testFile(0, { image: PNG, source: 'x' }), testFile(1)] },
        small,
      ],
      ['wide', transfer({ id: 'a4' }, { source: 'x' }), png(481, 10)],
      [
        'heavy',
        transfer({ id: 'a5' }, { source: 'x' }),
        Buffer.concat([png(10, 10), Buffer.alloc(PREVIEW_LIMITS.maxBytes)]),
      ],
    ];
    for (const [why, t, bytes] of cases) {
      expect(await images.saveThumbnail(t, t.files[0]!, b64(bytes)), why).toBeNull();
      expect(images.previewOf(t.id), why).toBeUndefined();
    }
  });

  it('keeps the previews of the latest 64 offers', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const ids = Array.from({ length: 65 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    for (const id of ids) {
      const t = transfer({ id }, { source: 'x' });
      await images.saveThumbnail(t, t.files[0]!, b64(png(4, 4)));
    }
    expect(images.previewOf(ids[0]!)).toBeUndefined();
    expect(images.previewOf(ids[1]!)).toBeDefined();
    expect(images.previewOf(ids[64]!)).toBeDefined();
  });
});

describe('TransferImages.storePreview', () => {
  it('keeps a small PNG/JPEG/WebP of at most 480 px and 48 KiB, and nothing else', async () => {
    const dir = await tempDir();
    const images = new TransferImages(dir);
    const t = transfer({ direction: 'in' }, { image: null });
    const f = t.files[0]!;
    expect(await images.storePreview(t, f, Buffer.from('text'))).toBeNull();
    expect(await images.storePreview(t, f, gif1x1())).toBeNull();
    expect(await images.storePreview(t, f, png(481, 1))).toBeNull();
    expect(await images.storePreview(t, f, png(1, 481))).toBeNull();
    const heavy = Buffer.concat([png(1, 1), Buffer.alloc(PREVIEW_LIMITS.maxBytes)]);
    expect(await images.storePreview(t, f, heavy)).toBeNull();
    expect(await readdir(dir).catch(() => [])).toEqual([]);
    const exact = png(480, 2);
    const filled = Buffer.concat([exact, Buffer.alloc(PREVIEW_LIMITS.maxBytes - exact.length)]);
    expect(await images.storePreview(t, f, filled)).toEqual({ width: 480, height: 2 });
    expect(await readdir(dir)).toEqual([`${t.id}-0.thumb`]);
  });
});
