/**
 * Transfer records as they are created and read: a new outgoing transfer from
 * what offer-builder found on disk, a new incoming one from a peer's offer
 * (each offered name judged on its own), and the small reads the rest share.
 */
import { randomUUID } from 'node:crypto';
import type { TransferFileDto } from '../../../shared/dto';
import { isErrorCode, type ErrorDto } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import type { OfferEntry } from '../protocol/frames';
import type { Transfer, TransferError, TransferFile } from '../store/transfer-repo';
import type { buildOffer } from './offer-builder';
import { sanitizeRelativePath } from './safe-filename';

/** Longest offered path (UTF-8 bytes) and longest relative path we create from it. */
export const MAX_OFFERED_PATH_BYTES = 4096;
export const MAX_SAVED_PATH_BYTES = 1024;

type LocalEntry = Awaited<ReturnType<typeof buildOffer>>[number];

export function outgoingTransfer(peerId: string, entries: LocalEntry[], now = Date.now()): Transfer {
  return {
    id: randomUUID(),
    peerId,
    direction: 'out',
    state: 'offered',
    createdAt: now,
    updatedAt: now,
    totalBytes: entries.reduce((sum, e) => sum + (e.dir ? 0 : e.size), 0),
    saveDir: null,
    error: null,
    files: entries.map((e, index) => ({
      index,
      path: e.path,
      size: e.dir ? 0 : e.size,
      mtime: e.mtime,
      isDirectory: e.dir,
      source: e.source,
      dest: null,
      part: null,
      saved: null,
      bytesDone: 0,
      state: 'pending',
      error: null,
    })),
  };
}

/** An offer as the receiver records it; names it cannot save safely are failed with NAME_REJECTED. */
export function incomingTransfer(
  id: string,
  peerId: string,
  entries: OfferEntry[],
  totalBytes: number,
  now = Date.now(),
): Transfer {
  return {
    id,
    peerId,
    direction: 'in',
    state: 'offered',
    createdAt: now,
    updatedAt: now,
    totalBytes,
    saveDir: null,
    error: null,
    files: entries.map((e, index) => {
      let dest: string | null = null;
      let error: TransferFile['error'] = null;
      // A lone surrogate becomes U+FFFD here, so what is saved and what is reported agree.
      const offered = wellFormed(e.path);
      try {
        if (!offered) throw new FerryError('NAME_REJECTED', 'refused an empty name');
        if (Buffer.byteLength(offered) > MAX_OFFERED_PATH_BYTES)
          throw new FerryError('NAME_REJECTED', `refused a path over ${MAX_OFFERED_PATH_BYTES} bytes`);
        dest = sanitizeRelativePath(offered).join('/');
        if (Buffer.byteLength(dest) > MAX_SAVED_PATH_BYTES) {
          dest = null;
          throw new FerryError('NAME_REJECTED', `refused a path over ${MAX_SAVED_PATH_BYTES} bytes once made safe`);
        }
      } catch (err) {
        error = FerryError.from(err, 'NAME_REJECTED').toDto();
      }
      return {
        index,
        path: dest ?? printable(offered),
        size: e.size,
        mtime: e.mtime,
        isDirectory: e.dir,
        source: null,
        dest,
        part: null,
        saved: null,
        bytesDone: 0,
        state: error ? 'failed' : 'pending',
        error,
      };
    }),
  };
}

/** A re-sent offer must describe the same files (count, sizes, times, kinds) as the first. */
export function sameOffer(t: Transfer, entries: OfferEntry[]): boolean {
  if (t.direction !== 'in') return false;
  if ((t.fileCount ?? t.files.length) !== entries.length) return false;
  if (t.files.length === 0) return true; // an ended offer whose list was dropped: the answer says it ended
  return entries.every((e, i) => {
    const f = t.files[i]!;
    return f.isDirectory === e.dir && f.size === (e.dir ? 0 : e.size) && f.mtime === e.mtime;
  });
}

/** Every file has a verdict. */
export function allSettled(t: Transfer): boolean {
  return t.files.every((f) => f.state === 'done' || f.state === 'failed');
}

export function bytesOf(t: Transfer): number {
  let sum = 0;
  for (const f of t.files) sum += f.state === 'done' ? f.size : f.bytesDone;
  return sum;
}

/**
 * A stored error as the contract carries it: a code this Ferry does not know (written by
 * another version, or damaged) is shown as INTERNAL, with its message.
 */
export function errorDto(e: TransferError | null): ErrorDto | null {
  return e && { code: isErrorCode(e.code) ? e.code : 'INTERNAL', message: e.message };
}

export function fileDto(f: TransferFile): TransferFileDto {
  return {
    path: f.path,
    size: f.size,
    isDirectory: f.isDirectory,
    bytesDone: f.state === 'done' ? f.size : f.bytesDone,
    state: f.state,
    savedPath: f.saved,
    error: errorDto(f.error),
    ...(f.image ? { image: { ...f.image } } : f.preview ? { preview: { ...f.preview } } : {}),
  };
}

/** Lone surrogates become U+FFFD (String.prototype.toWellFormed, which our TS lib target lacks). */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** A rejected name as the user should see it: control characters made visible. */
function printable(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f]/g, '\uFFFD').slice(0, 1024);
}
