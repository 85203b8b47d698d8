/**
 * Pictures in the conversation: a transferred picture's bytes for the viewer, and the
 * thumbnails the UI makes of them (Chromium decodes pictures in its sandboxed renderer,
 * never the engine), cached in `<data dir>/thumbnails/` so each is made once. Everything
 * the UI hands back is checked like input from anywhere: size, type from the bytes, and
 * dimensions.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageBytesDto } from '../../../shared/dto';
import { FerryError } from '../ferry-error';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import { IMAGE_LIMITS, imageInfoOf } from './image-probe';

export const THUMBNAIL_LIMITS = Object.freeze({
  maxBytes: 256 * 1024,
  maxSide: 640,
});

/** base64 of THUMBNAIL_LIMITS.maxBytes, rounded up: what the contract lets through. */
export const MAX_THUMBNAIL_BASE64 = Math.ceil(THUMBNAIL_LIMITS.maxBytes / 3) * 4;

const THUMBNAIL_MIMES = new Set(['image/png', 'image/jpeg', 'image/webp']);

export class TransferImages {
  constructor(private readonly dir: string) {}

  private thumbnailPath(t: Transfer, f: TransferFile): string {
    // The transfer id is a UUID (checked by the contract) and the index a number: no path tricks.
    return path.join(this.dir, `${t.id}-${f.index}.thumb`);
  }

  /** Where the picture is on this computer: what we sent, or what we saved once it arrived. */
  private sourceOf(t: Transfer, f: TransferFile): string {
    if (!f.image) throw new FerryError('INVALID_ARGUMENT', 'that file is not a picture shown inline');
    const file = t.direction === 'out' ? f.source : f.state === 'done' ? f.saved : null;
    if (!file) throw new FerryError('NOT_FOUND', 'that picture has not arrived');
    return file;
  }

  async read(t: Transfer, f: TransferFile, variant: 'full' | 'thumbnail'): Promise<ImageBytesDto | null> {
    const file = this.sourceOf(t, f);
    if (variant === 'thumbnail') {
      let bytes: Buffer;
      try {
        bytes = await readFile(this.thumbnailPath(t, f));
      } catch {
        return null; // not made yet
      }
      const info = imageInfoOf(bytes);
      if (!info || !THUMBNAIL_MIMES.has(info.mime) || bytes.length > THUMBNAIL_LIMITS.maxBytes) return null;
      return { mime: info.mime, base64: bytes.toString('base64') };
    }
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new FerryError('NOT_FOUND', `${path.basename(file)} is no longer where it was`);
    }
    if (size > IMAGE_LIMITS.maxBytes) throw new FerryError('INVALID_ARGUMENT', 'that picture is too large to show');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw new FerryError('NOT_FOUND', `${path.basename(file)} is no longer where it was`);
    }
    // The file may have changed since it was probed: its bytes decide again.
    const info = imageInfoOf(bytes.subarray(0, IMAGE_LIMITS.headBytes));
    if (!info || bytes.length > IMAGE_LIMITS.maxBytes)
      throw new FerryError('INVALID_ARGUMENT', `${path.basename(file)} is no longer a picture Ferry shows`);
    return { mime: info.mime, base64: bytes.toString('base64') };
  }

  async saveThumbnail(t: Transfer, f: TransferFile, base64: string): Promise<void> {
    this.sourceOf(t, f);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0)
      throw new FerryError('INVALID_ARGUMENT', 'a thumbnail must be base64');
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length > THUMBNAIL_LIMITS.maxBytes)
      throw new FerryError('INVALID_ARGUMENT', `a thumbnail is at most ${THUMBNAIL_LIMITS.maxBytes} bytes`);
    const info = imageInfoOf(bytes);
    if (!info || !THUMBNAIL_MIMES.has(info.mime))
      throw new FerryError('INVALID_ARGUMENT', 'a thumbnail must be a PNG, JPEG or WebP picture');
    if (info.width > THUMBNAIL_LIMITS.maxSide || info.height > THUMBNAIL_LIMITS.maxSide)
      throw new FerryError('INVALID_ARGUMENT', `a thumbnail is at most ${THUMBNAIL_LIMITS.maxSide} pixels a side`);
    await mkdir(this.dir, { recursive: true });
    const target = this.thumbnailPath(t, f);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, bytes);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
