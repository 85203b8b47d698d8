/**
 * Files dropped into the browser page have no path the engine can read, so the
 * page streams them here first: one POST per file, written to a fresh folder
 * under the staging directory, never buffered whole, checked against the
 * declared size and the free disk space. The engine then offers that path.
 *
 * Folders: the uploads of one drop share a batch id (`x-ferry-batch`) and each
 * carries its path inside the drop (`x-ferry-path`, e.g. "photos/2024/a.jpg");
 * an empty folder is an upload of 0 bytes with `x-ferry-directory: 1`. They are
 * staged as the same tree under one folder per batch, and each answer is the
 * staged top-level entry ("…/<batch>/photos"), which is what gets offered.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LIMITS } from '../../../shared/limits';
import { FerryError } from '../ferry-error';

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** The last path segment of a browser-supplied name, or a NAME_REJECTED error. */
export function stagedFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  if (
    !base ||
    base === '.' ||
    base === '..' ||
    // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
    /[\u0000-\u001f\u007f]/.test(base) ||
    /[<>:"|?*]/.test(base) ||
    RESERVED.test(base) ||
    /[. ]$/.test(base) ||
    Buffer.byteLength(base) > LIMITS.nameBytes
  ) {
    throw new FerryError('NAME_REJECTED', `"${raw.slice(0, 80)}" is not a usable file name`);
  }
  return base;
}

const BATCH_ID = /^[A-Za-z0-9-]{8,64}$/;
const MAX_DEPTH = 64;

/** A browser-supplied relative path as checked segments, or a NAME_REJECTED error. */
export function stagedRelativePath(raw: string): string[] {
  const segments = raw.split('/');
  if (segments.length > MAX_DEPTH || Buffer.byteLength(raw) > 4096) {
    throw new FerryError('NAME_REJECTED', 'the folder structure is too deep or too long');
  }
  // Each segment must be a name on its own: no "..", no empty parts, no separators inside.
  return segments.map((segment) => {
    if (/\\/.test(segment) || stagedFileName(segment) !== segment) {
      throw new FerryError('NAME_REJECTED', `"${raw.slice(0, 80)}" is not a usable path`);
    }
    return segment;
  });
}

function header(req: IncomingMessage, name: string): string {
  try {
    return decodeURIComponent(String(req.headers[name] ?? ''));
  } catch {
    throw new FerryError('NAME_REJECTED', `the ${name} header is not valid UTF-8`);
  }
}

export interface UploadOptions {
  stagingDir: string;
  maxBytes: number;
}

/**
 * Streams one upload into the staging folder and returns the absolute path to
 * offer: the file itself, or (in a batch) its top-level folder or file.
 */
export async function receiveUpload(req: IncomingMessage, options: UploadOptions): Promise<string> {
  const batch = String(req.headers['x-ferry-batch'] ?? '');
  if (batch && !BATCH_ID.test(batch)) throw new FerryError('INVALID_ARGUMENT', 'the upload batch id is malformed');
  const segments = batch
    ? stagedRelativePath(header(req, 'x-ferry-path'))
    : [stagedFileName(header(req, 'x-ferry-name'))];
  const isDirectory = !!batch && req.headers['x-ferry-directory'] === '1';
  const declared = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(declared) || declared < 0) {
    throw new FerryError('UPLOAD_FAILED', 'the upload has no Content-Length');
  }
  if (declared > options.maxBytes) {
    throw new FerryError(
      'UPLOAD_TOO_LARGE',
      `the file is ${declared} bytes; browser mode accepts up to ${options.maxBytes}`,
    );
  }
  await mkdir(options.stagingDir, { recursive: true });
  const fs = await statfs(options.stagingDir);
  if (declared > fs.bavail * fs.bsize) {
    throw new FerryError('DISK_FULL', 'not enough free disk space to stage this file');
  }
  const dir = path.join(options.stagingDir, batch || randomUUID());
  const target = path.join(dir, ...segments);
  const offered = path.join(dir, segments[0]!);
  if (isDirectory) {
    if (declared !== 0) throw new FerryError('UPLOAD_FAILED', 'a folder upload has no body');
    await mkdir(target, { recursive: true }).catch((err: Error) => {
      throw new FerryError('UPLOAD_FAILED', `the folder could not be staged: ${err.message}`);
    });
    return offered;
  }
  await mkdir(path.dirname(target), { recursive: true }).catch((err: Error) => {
    throw new FerryError('UPLOAD_FAILED', `the folder could not be staged: ${err.message}`);
  });
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > declared) done(new FerryError('UPLOAD_FAILED', 'the upload is longer than it said'));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(target, { flags: 'wx' }));
    if (received !== declared)
      throw new FerryError('UPLOAD_FAILED', `the upload stopped after ${received} of ${declared} bytes`);
  } catch (err) {
    // A batch keeps what arrived before (the page gives up on the whole drop anyway).
    await rm(batch ? target : dir, { recursive: true, force: true });
    throw err instanceof FerryError
      ? err
      : new FerryError('UPLOAD_FAILED', `the upload broke off: ${(err as Error).message}`);
  }
  return batch ? offered : target;
}

/** Removes staged uploads older than `maxAgeMs` (their offers have long been sent or abandoned). */
export async function pruneStaging(stagingDir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  let removed = 0;
  let entries: string[];
  try {
    entries = await readdir(stagingDir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(stagingDir, entry);
    try {
      if (now - (await stat(full)).mtimeMs > maxAgeMs) {
        await rm(full, { recursive: true, force: true });
        removed++;
      }
    } catch {
      // Gone already.
    }
  }
  return removed;
}
