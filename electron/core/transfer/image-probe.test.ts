import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gif1x1, jpegHeader, png, pngHeaderOnly, webpHeader } from '../../../test/helpers/images';
import { tempDir } from '../../../test/helpers/temp-dir';
import { IMAGE_LIMITS, imageInfoOf, mayBeImage, probeImage, probeImageSync } from './image-probe';

describe('imageInfoOf', () => {
  it('reads type and size of PNG, JPEG, GIF and WebP from their bytes', () => {
    expect(imageInfoOf(png(40, 20))).toEqual({ mime: 'image/png', width: 40, height: 20 });
    expect(imageInfoOf(jpegHeader(640, 480))).toEqual({ mime: 'image/jpeg', width: 640, height: 480 });
    expect(imageInfoOf(gif1x1())).toEqual({ mime: 'image/gif', width: 1, height: 1 });
    expect(imageInfoOf(webpHeader(300, 200))).toEqual({ mime: 'image/webp', width: 300, height: 200 });
  });

  it('lays out a quarter-turned JPEG (EXIF orientation 5–8) turned, and others as stored', () => {
    expect(imageInfoOf(jpegHeader(640, 480, 6))).toEqual({ mime: 'image/jpeg', width: 480, height: 640 });
    expect(imageInfoOf(jpegHeader(640, 480, 5))).toMatchObject({ width: 480, height: 640 });
    expect(imageInfoOf(jpegHeader(640, 480, 8))).toMatchObject({ width: 480, height: 640 });
    expect(imageInfoOf(jpegHeader(640, 480, 4))).toMatchObject({ width: 640, height: 480 });
    expect(imageInfoOf(jpegHeader(640, 480, 1))).toMatchObject({ width: 640, height: 480 });
  });

  it('is no picture for text, SVG, BMP, an empty or cut-off header', () => {
    expect(imageInfoOf(Buffer.from('just some text, not a picture at all'))).toBeNull();
    expect(
      imageInfoOf(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')),
    ).toBeNull();
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(10, 18);
    bmp.writeInt32LE(10, 22);
    expect(imageInfoOf(bmp)).toBeNull();
    expect(imageInfoOf(Buffer.alloc(0))).toBeNull();
    expect(imageInfoOf(png(10, 10).subarray(0, 12))).toBeNull();
  });

  it('refuses sizes too big to decode safely, by side and by pixel count, at the exact limits', () => {
    const side = IMAGE_LIMITS.maxSide;
    expect(imageInfoOf(pngHeaderOnly(30_000, 30_000))).toBeNull();
    expect(imageInfoOf(pngHeaderOnly(side, 1))).toMatchObject({ width: side });
    expect(imageInfoOf(pngHeaderOnly(side + 1, 1))).toBeNull();
    expect(imageInfoOf(pngHeaderOnly(1, side + 1))).toBeNull();
    // 50,000,000 pixels exactly is allowed; one row more is not.
    expect(imageInfoOf(pngHeaderOnly(10_000, 5_000))).toMatchObject({ width: 10_000, height: 5_000 });
    expect(imageInfoOf(pngHeaderOnly(10_000, 5_001))).toBeNull();
    expect(imageInfoOf(pngHeaderOnly(0, 10))).toBeNull();
  });
});

describe('mayBeImage', () => {
  it('probes only files with a picture name, of a size worth showing', () => {
    for (const name of ['a.png', 'B.JPG', 'c.jpeg', 'd.jfif', 'e.gif', 'f.webp', 'dir/g.PNG'])
      expect(mayBeImage(name, 10, false), name).toBe(true);
    for (const name of ['a.svg', 'a.heic', 'a.png.exe', 'png', 'a.txt'])
      expect(mayBeImage(name, 10, false), name).toBe(false);
    expect(mayBeImage('a.png', 10, true)).toBe(false);
    expect(mayBeImage('a.png', 0, false)).toBe(false);
    expect(mayBeImage('a.png', IMAGE_LIMITS.maxBytes, false)).toBe(true);
    expect(mayBeImage('a.png', IMAGE_LIMITS.maxBytes + 1, false)).toBe(false);
  });
});

describe('probeImage / probeImageSync', () => {
  it('read a file from disk, whatever its name says', async () => {
    const dir = await tempDir();
    const real = path.join(dir, 'real.png');
    const liar = path.join(dir, 'liar.png');
    const bigExif = path.join(dir, 'big-exif.jpg');
    await writeFile(real, png(33, 7));
    await writeFile(liar, 'I am text');
    // A JPEG whose frame header comes after 100 KiB of other markers is still found.
    const filler = Buffer.concat(
      Array.from({ length: 2 }, () => {
        const body = Buffer.alloc(50_000, 0x20);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(body.length + 2);
        return Buffer.concat([Buffer.from([0xff, 0xe2]), len, body]);
      }),
    );
    const jpeg = jpegHeader(800, 600);
    await writeFile(bigExif, Buffer.concat([jpeg.subarray(0, 2), filler, jpeg.subarray(2)]));
    for (const probe of [probeImageSync, (f: string) => probeImage(f)]) {
      expect(await probe(real)).toEqual({ mime: 'image/png', width: 33, height: 7 });
      expect(await probe(liar)).toBeNull();
      expect(await probe(bigExif)).toEqual({ mime: 'image/jpeg', width: 800, height: 600 });
      expect(await probe(path.join(dir, 'missing.png'))).toBeNull();
      expect(await probe(dir)).toBeNull();
    }
  });
});
