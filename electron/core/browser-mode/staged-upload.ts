/**
 * Files dropped into the browser page have no path the engine can read, so the
 * page streams them here first: one POST per file, written to a fresh folder
 * under the staging directory, never buffered whole, checked against the
 * declared size and the free disk space. The engine then offers that path.
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

export interface UploadOptions {
  stagingDir: string;
  maxBytes: number;
}

/** Streams one upload into the staging folder and returns its absolute path. */
export async function receiveUpload(req: IncomingMessage, options: UploadOptions): Promise<string> {
  let rawName: string;
  try {
    rawName = decodeURIComponent(String(req.headers['x-ferry-name'] ?? ''));
  } catch {
    throw new FerryError('NAME_REJECTED', 'the file name is not valid UTF-8');
  }
  const name = stagedFileName(rawName);
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
  const dir = path.join(options.stagingDir, randomUUID());
  await mkdir(dir);
  const target = path.join(dir, name);
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
    await rm(dir, { recursive: true, force: true });
    throw err instanceof FerryError
      ? err
      : new FerryError('UPLOAD_FAILED', `the upload broke off: ${(err as Error).message}`);
  }
  return target;
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
