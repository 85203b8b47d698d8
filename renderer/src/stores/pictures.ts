/**
 * Pictures in conversations: their thumbnails (asked of the engine's cache first, else
 * made here once from the whole picture and handed back to be cached), and which picture
 * the viewer shows. Chromium decodes pictures in this sandboxed renderer; the engine never
 * does. At most two thumbnails are made at a time, off the main thread (createImageBitmap
 * decodes and scales in the background; only the small result is drawn here).
 */
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { ImageBytesDto, TransferDto } from '../../../shared/dto';
import { blobToBase64, useHost } from '../client/host';

/** Longest side of a thumbnail made here (the engine takes up to 640). */
export const THUMBNAIL_SIDE = 480;

/** A picture of a transfer as the conversation shows it. */
export interface PictureRef {
  transferId: string;
  index: number;
}

/** A picture's displayed size. */
export interface PictureSize {
  width: number;
  height: number;
}

/**
 * The picture shown inline for this transfer, if it is one: a single picture that is here
 * (ours, or arrived), or an offered one the sender sent a preview of (`offered`: only the
 * preview can be shown until it is accepted and arrives).
 */
export function inlinePicture(t: TransferDto): { image: PictureSize; offered: boolean } | null {
  if (t.fileCount !== 1) return null;
  const f = t.files[0];
  if (!f) return null;
  if (f.image && (t.direction === 'out' || t.state === 'done')) return { image: f.image, offered: false };
  if (f.preview && t.direction === 'in' && t.state === 'offered') return { image: f.preview, offered: true };
  return null;
}

/** The box a picture gets in the timeline: its aspect ratio, within max × max, never below 48 px a side. */
export function pictureBox(image: PictureSize, maxWidth = 280, maxHeight = 240): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / image.width, maxHeight / image.height);
  return {
    width: Math.max(48, Math.round(image.width * scale)),
    height: Math.max(48, Math.round(image.height * scale)),
  };
}

export function bytesToBlob(image: ImageBytesDto): Blob {
  const binary = atob(image.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: image.mime });
}

/** Scales a picture down to THUMBNAIL_SIDE (WebP where the browser encodes it, else PNG). */
export async function makeThumbnail(picture: Blob, image: PictureSize): Promise<Blob> {
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const bitmap = await createImageBitmap(picture, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    context.drawImage(bitmap, 0, 0);
    return await canvas.convertToBlob({ type: 'image/webp', quality: 0.85 });
  } finally {
    bitmap.close();
  }
}

type ThumbState = { url: string } | { failed: true } | { loading: true };

export const usePicturesStore = defineStore('pictures', () => {
  const thumbs = reactive(new Map<string, ThumbState>());
  /** The picture open in the viewer, if any. */
  const viewing = ref<PictureRef | null>(null);
  const queue: Array<() => Promise<void>> = [];
  let running = 0;

  const key = (r: PictureRef) => `${r.transferId}:${r.index}`;

  function pump() {
    while (running < 2 && queue.length) {
      const job = queue.shift()!;
      running++;
      void job().finally(() => {
        running--;
        pump();
      });
    }
  }

  async function loadThumb(r: PictureRef, image: PictureSize): Promise<void> {
    const host = useHost();
    try {
      const cached = await host.readImage(r.transferId, r.index, 'thumbnail');
      if (cached) {
        thumbs.set(key(r), { url: URL.createObjectURL(bytesToBlob(cached)) });
        return;
      }
      const full = await host.readImage(r.transferId, r.index, 'full');
      if (!full) throw new Error('no picture');
      const thumb = await makeThumbnail(bytesToBlob(full), image);
      thumbs.set(key(r), { url: URL.createObjectURL(thumb) });
      // Cached for next time; if the engine refuses it, this session still shows it.
      host.saveThumbnail(r.transferId, r.index, await blobToBase64(thumb)).catch(() => {});
    } catch {
      thumbs.set(key(r), { failed: true });
    }
  }

  /** The thumbnail's state, starting to load it on first ask. */
  function thumbnail(r: PictureRef, image: PictureSize): ThumbState {
    const k = key(r);
    const known = thumbs.get(k);
    if (known) return known;
    const loading = { loading: true } as const;
    thumbs.set(k, loading);
    queue.push(() => loadThumb(r, image));
    pump();
    return loading;
  }

  /**
   * A picture we just sent from memory (pasted, or uploaded in browser mode, where the
   * staged copy goes once sent): its thumbnail is made from the bytes still here.
   */
  function adopt(r: PictureRef, picture: Blob, image: PictureSize): void {
    const k = key(r);
    thumbs.set(k, { loading: true });
    queue.push(async () => {
      try {
        const thumb = await makeThumbnail(picture, image);
        thumbs.set(k, { url: URL.createObjectURL(thumb) });
        useHost()
          .saveThumbnail(r.transferId, r.index, await blobToBase64(thumb))
          .catch(() => {});
      } catch {
        thumbs.set(k, { failed: true });
      }
    });
    pump();
  }

  /** The shown thumbnail could not be decoded after all: the card becomes a file card. */
  function markFailed(r: PictureRef) {
    const known = thumbs.get(key(r));
    if (known && 'url' in known) URL.revokeObjectURL(known.url);
    thumbs.set(key(r), { failed: true });
  }

  function open(r: PictureRef) {
    viewing.value = r;
  }
  function close() {
    viewing.value = null;
  }

  return { thumbs, viewing, thumbnail, adopt, markFailed, open, close };
});
