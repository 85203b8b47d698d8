/**
 * Which transferred files are shown as pictures in the conversation. Only the first bytes
 * are read (never the whole file) and the type comes from those bytes, not from the name:
 * a `photo.png` that is really text, an SVG (a document, with script), a HEIC (Chromium
 * does not decode it) or a picture too big to decode safely (a decompression bomb's
 * 30,000 × 30,000 header) is an ordinary file card. Probing is for small sends only, so a
 * folder of 100,000 files costs nothing.
 */
import { openSync, readSync, closeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { imageSize } from 'image-size';
import type { ImageInfoDto } from '../../../shared/dto';

/** Raster types Chromium decodes everywhere, as image-size names them → their MIME type. */
export const INLINE_IMAGE_TYPES: Readonly<Record<string, ImageInfoDto['mime']>> = Object.freeze({
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
});

/** Names we probe at all (the bytes still decide). */
const IMAGE_NAME = /\.(png|jpe?g|jfif|gif|webp)$/i;

export const IMAGE_LIMITS = Object.freeze({
  /** Larger files are file cards (the picture is read whole to show it). */
  maxBytes: 32 * 1024 * 1024,
  /** Longest side and pixel count we let the renderer decode. */
  maxSide: 16_384,
  maxPixels: 50_000_000,
  /** Sends with more files than this are not probed (a folder is not a photo message). */
  maxFilesInTransfer: 20,
  /** Bytes read to find the dimensions (a JPEG's size can follow a large EXIF block). */
  headBytes: 256 * 1024,
});

/** Is this file worth probing (by name and size)? */
export function mayBeImage(name: string, size: number, isDirectory: boolean): boolean {
  return !isDirectory && size > 0 && size <= IMAGE_LIMITS.maxBytes && IMAGE_NAME.test(path.basename(name));
}

/** What the first bytes say: a picture to show inline, or null (an ordinary file). */
export function imageInfoOf(head: Uint8Array): ImageInfoDto | null {
  let found: ReturnType<typeof imageSize>;
  try {
    found = imageSize(head);
  } catch {
    return null;
  }
  const mime = found.type ? INLINE_IMAGE_TYPES[found.type] : undefined;
  if (!mime) return null;
  let { width, height } = found;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) return null;
  if (width > IMAGE_LIMITS.maxSide || height > IMAGE_LIMITS.maxSide || width * height > IMAGE_LIMITS.maxPixels)
    return null;
  // EXIF orientations 5–8 turn the picture a quarter: it is shown (and laid out) turned.
  if (found.orientation !== undefined && found.orientation >= 5) [width, height] = [height, width];
  return { mime, width, height };
}

/** Probes a file on disk (synchronously: the caller has just written it, it is in the page cache). */
export function probeImageSync(file: string): ImageInfoDto | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(IMAGE_LIMITS.headBytes);
    const n = readSync(fd, head, 0, head.length, 0);
    return imageInfoOf(head.subarray(0, n));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export async function probeImage(file: string): Promise<ImageInfoDto | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(IMAGE_LIMITS.headBytes);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return imageInfoOf(head.subarray(0, bytesRead));
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
