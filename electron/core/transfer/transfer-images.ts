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

/** What a sender's small picture of an offered picture may be (docs/PROTOCOL.md §9, `offer-preview`). */
export const PREVIEW_LIMITS = Object.freeze({ maxBytes: 48 * 1024, maxSide: 480 });

export interface Preview {
  mime: string;
  bytes: Buffer;
}

/** Previews of our own offered pictures kept for re-offers after a reconnect (oldest dropped first). */
const PREVIEWS_KEPT = 64;

export class TransferImages {
  private readonly previews = new Map<string, Preview>();

  constructor(private readonly dir: string) {}

  /** Our own offered picture's preview, sent with the offer (and again with a re-offer). */
  previewOf(transferId: string): Preview | undefined {
    return this.previews.get(transferId);
  }

  private keepPreview(transferId: string, preview: Preview): void {
    this.previews.delete(transferId);
    this.previews.set(transferId, preview);
    if (this.previews.size > PREVIEWS_KEPT) this.previews.delete(this.previews.keys().next().value!);
  }

  /**
   * A peer's small picture of a picture it offers: kept as that file's thumbnail if it is
   * a PNG, JPEG or WebP by its bytes, within PREVIEW_LIMITS; its size, or null (ignored).
   */
  async storePreview(t: Transfer, f: TransferFile, bytes: Buffer): Promise<{ width: number; height: number } | null> {
    if (bytes.length > PREVIEW_LIMITS.maxBytes) return null;
    const info = imageInfoOf(bytes);
    if (!info || !THUMBNAIL_MIMES.has(info.mime)) return null;
    if (info.width > PREVIEW_LIMITS.maxSide || info.height > PREVIEW_LIMITS.maxSide) return null;
    await this.write(t, f, bytes);
    return { width: info.width, height: info.height };
  }

  private async write(t: Transfer, f: TransferFile, bytes: Buffer): Promise<void> {
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
    if (variant === 'thumbnail') {
      if (!f.image && !f.preview) throw new FerryError('INVALID_ARGUMENT', 'that file is not a picture shown inline');
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
    const file = this.sourceOf(t, f);
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

  /** Keeps the UI's thumbnail; for our own offer still unanswered, small enough, it becomes the offer's preview. */
  async saveThumbnail(t: Transfer, f: TransferFile, base64: string): Promise<Preview | null> {
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
    await this.write(t, f, bytes);
    const previewable =
      t.direction === 'out' &&
      t.state === 'offered' &&
      t.files.length === 1 &&
      bytes.length <= PREVIEW_LIMITS.maxBytes &&
      info.width <= PREVIEW_LIMITS.maxSide &&
      info.height <= PREVIEW_LIMITS.maxSide;
    if (!previewable) return null;
    const preview = { mime: info.mime, bytes };
    this.keepPreview(t.id, preview);
    return preview;
  }
}
