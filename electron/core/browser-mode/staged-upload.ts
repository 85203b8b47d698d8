/**
 * Files dropped into the browser page have no path the engine can read, so the
 * page streams them here first: one POST per file, written to a fresh folder
 * under the staging directory, never buffered whole, checked against the
 * declared size and the free disk space. The engine then offers that path.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
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
  await ensurePrivateDir(options.stagingDir);
  const fs = await statfs(options.stagingDir);
  if (declared > fs.bavail * fs.bsize) {
    throw new FerryError('DISK_FULL', 'not enough free disk space to stage this file');
  }
  const id = randomUUID();
  const dir = path.join(options.stagingDir, id);
  await mkdir(dir, { mode: 0o700 });
  const target = path.join(dir, name);
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
    await rm(dir, { recursive: true, force: true });
    throw err instanceof FerryError
      ? err
      : new FerryError('UPLOAD_FAILED', `the upload broke off: ${(err as Error).message}`);
  } finally {
    clearTimeout(stall);
  }
  options.onStaged?.(id);
  return target;
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
      if (/^[0-9a-f-]{36}$/.test(id)) ids.add(id);
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
