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
import { chmod, mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LIMITS } from '../../shared/limits';
import { FerryError } from '../core/ferry-error';

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
  /** An upload that sends nothing for this long is aborted and removed. */
  stallMs?: number;
  /** Told the upload's folder id once its file is complete. */
  onStaged?: (uploadId: string) => void;
}

/** Staging holds other people's files to be: only this user may enter it. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
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
  await ensurePrivateDir(options.stagingDir);
  const fs = await statfs(options.stagingDir);
  if (declared > fs.bavail * fs.bsize) {
    throw new FerryError('DISK_FULL', 'not enough free disk space to stage this file');
  }
  const id = batch || randomUUID();
  const dir = path.join(options.stagingDir, id);
  const target = path.join(dir, ...segments);
  const offered = path.join(dir, segments[0]!);
  const staged = batch ? offered : target;
  if (isDirectory) {
    if (declared !== 0) throw new FerryError('UPLOAD_FAILED', 'a folder upload has no body');
    await mkdir(target, { recursive: true, mode: 0o700 }).catch((err: Error) => {
      throw new FerryError('UPLOAD_FAILED', `the folder could not be staged: ${err.message}`);
    });
    options.onStaged?.(id);
    return staged;
  }
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 }).catch((err: Error) => {
    throw new FerryError('UPLOAD_FAILED', `the folder could not be staged: ${err.message}`);
  });
  let received = 0;
  const stallMs = options.stallMs ?? 60_000;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      stall.refresh();
      if (received > declared) done(new FerryError('UPLOAD_FAILED', 'the upload is longer than it said'));
      else done(null, chunk);
    },
  });
  const stall = setTimeout(
    () =>
      counter.destroy(
        new FerryError('UPLOAD_FAILED', `the upload sent nothing for ${Math.round(stallMs / 1000)} s and was dropped`),
      ),
    stallMs,
  );
  try {
    await pipeline(req, counter, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    if (received !== declared)
      throw new FerryError('UPLOAD_FAILED', `the upload stopped after ${received} of ${declared} bytes`);
  } catch (err) {
    // A single file takes its folder with it; in a batch only the broken file goes.
    await rm(batch ? target : dir, { recursive: true, force: true });
    throw err instanceof FerryError
      ? err
      : new FerryError('UPLOAD_FAILED', `the upload broke off: ${(err as Error).message}`);
  } finally {
    clearTimeout(stall);
  }
  options.onStaged?.(id);
  return staged;
}

const ENDED = new Set(['done', 'failed', 'cancelled', 'declined', 'expired']);

/**
 * Which staged uploads belong to which transfer, so each is deleted as soon as
 * its transfer ends, and uploads no transfer claimed are deleted after a while.
 * A claim is also written beside the upload (`<id>.transfer`) so a restarted
 * engine keeps the uploads of transfers that can still resume, and no others.
 */
export class StagingTracker {
  private readonly unclaimed = new Map<string, number>();
  private readonly byTransfer = new Map<string, Set<string>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly stagingDir: string,
    private readonly options: { claimTtlMs?: number; maxUnclaimed?: number; now?: () => number } = {},
  ) {
    const every = Math.min(60_000, this.claimTtlMs);
    this.sweeper = setInterval(() => void this.sweep(), every).unref();
  }

  private get claimTtlMs(): number {
    return this.options.claimTtlMs ?? 15 * 60_000;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Room for one more unclaimed upload (sendFiles takes up to 10,000 paths at once). */
  hasRoom(): boolean {
    return this.unclaimed.size < (this.options.maxUnclaimed ?? 20_000);
  }

  staged(uploadId: string): void {
    this.unclaimed.set(uploadId, this.now());
  }

  /** The upload ids among `paths` (anything inside the staging folder). */
  uploadIds(paths: readonly unknown[]): string[] {
    const ids = new Set<string>();
    for (const p of paths) {
      if (typeof p !== 'string') continue;
      const rel = path.relative(this.stagingDir, path.resolve(p));
      if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      const id = rel.split(path.sep)[0]!;
      if (BATCH_ID.test(id)) ids.add(id);
    }
    return [...ids];
  }

  async claim(transferId: string, uploadIds: string[]): Promise<void> {
    if (!uploadIds.length) return;
    const set = this.byTransfer.get(transferId) ?? new Set();
    this.byTransfer.set(transferId, set);
    for (const id of uploadIds) {
      this.unclaimed.delete(id);
      set.add(id);
    }
    for (const id of uploadIds) {
      if (this.byTransfer.get(transferId) !== set) return; // ended meanwhile: already removed
      await writeFile(path.join(this.stagingDir, `${id}.transfer`), transferId, { mode: 0o600 }).catch(() => {});
    }
  }

  /** Deletes uploads now (their sendFiles was refused). */
  async discard(uploadIds: string[]): Promise<void> {
    for (const id of uploadIds) this.unclaimed.delete(id);
    await this.removeAll(uploadIds);
  }

  /** A transfer changed state: once it has ended, its uploads go. */
  async transferState(transferId: string, state: string): Promise<void> {
    const ids = this.byTransfer.get(transferId);
    if (!ids || !ENDED.has(state)) return;
    this.byTransfer.delete(transferId);
    await this.removeAll([...ids]);
  }

  /** At start: keep what a still-unfinished transfer claims, delete the rest. */
  async recover(unfinished: (transferId: string) => boolean): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(this.stagingDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const entry of entries) {
      if (entry.endsWith('.transfer')) continue;
      const owner = await readFile(path.join(this.stagingDir, `${entry}.transfer`), 'utf8').catch(() => null);
      if (owner && unfinished(owner)) {
        const set = this.byTransfer.get(owner) ?? new Set();
        this.byTransfer.set(owner, set.add(entry));
      } else {
        await this.remove(entry);
        removed++;
      }
    }
    for (const entry of entries) {
      if (entry.endsWith('.transfer') && !entries.includes(entry.slice(0, -'.transfer'.length)))
        await rm(path.join(this.stagingDir, entry), { force: true });
    }
    return removed;
  }

  async sweep(): Promise<void> {
    const cutoff = this.now() - this.claimTtlMs;
    for (const [id, at] of this.unclaimed) {
      if (at <= cutoff) {
        this.unclaimed.delete(id);
        await this.remove(id);
      }
    }
  }

  private async removeAll(ids: string[]): Promise<void> {
    // A few at a time: 10,000 staged files go in seconds without flooding the fs thread pool.
    for (let i = 0; i < ids.length; i += 32) await Promise.all(ids.slice(i, i + 32).map((id) => this.remove(id)));
  }

  private async remove(id: string): Promise<void> {
    await rm(path.join(this.stagingDir, id), { recursive: true, force: true }).catch(() => {});
    await rm(path.join(this.stagingDir, `${id}.transfer`), { force: true }).catch(() => {});
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
