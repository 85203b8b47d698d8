/**
 * Where received bytes live until they are verified: `name.part` beside its
 * final place, a sidecar `name.part.json` saying whose it is, and an atomic,
 * never-overwriting move to the final name once the SHA-256 matches.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FerryError } from '../ferry-error';
import { numberedName } from './safe-filename';

export const PART_SUFFIX = '.part';
export const SIDECAR_SUFFIX = '.part.json';

export interface Sidecar {
  transferId: string;
  index: number;
  size: number;
  mtime: number;
  /** Bytes on disk when last paused (the .part's length is the source of truth). */
  offset: number;
}

/** Maps a file-system error on the receiving side to what the user can act on. */
export function diskError(err: unknown, where: string): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new FerryError(
        'DISK_FULL',
        `the disk holding ${where} is full; free some space and resume (the partial file is kept)`,
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new FerryError(
        'PERMISSION_DENIED',
        `Ferry may not write to ${where}; choose another folder or fix its permissions`,
      );
    case 'ENAMETOOLONG':
      return new FerryError('NAME_REJECTED', `the name is too long for the file system at ${where}`);
    case 'ENOTDIR':
    case 'EISDIR':
      // A file and a folder of the same name in one offer (or on disk already).
      return new FerryError('NAME_REJECTED', `a file and a folder have the same name at ${where}`);
    default:
      return new FerryError('INTERNAL', `${where}: ${e.message}`, { cause: err });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Creates `segments` as folders under `root` one by one and proves the result is
 * still inside root after resolving symlinks (a pre-existing symlink in the
 * download folder must not lead writes elsewhere). Returns the real path.
 */
export async function ensureDirInside(root: string, segments: string[]): Promise<string> {
  const realRoot = await realpath(root);
  let dir = realRoot;
  for (const segment of segments) {
    dir = path.join(dir, segment);
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError(err, dir);
    }
    const real = await realpath(dir);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
      throw new FerryError('NAME_REJECTED', `${dir} leads outside the download folder; refused`);
    }
    if (!(await stat(real)).isDirectory()) throw new FerryError('NAME_REJECTED', `${dir} exists and is not a folder`);
    dir = real;
  }
  return dir;
}

/** Picks a folder name under `root` that does not exist yet ("Photos", "Photos (1)" …). */
export async function freshName(root: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = numberedName(name, n);
    if (!(await exists(path.join(root, candidate))) && !(await exists(path.join(root, candidate + PART_SUFFIX))))
      return candidate;
  }
}

export interface OpenedPart {
  partPath: string;
  /** Bytes already on disk; the sender continues from here. */
  offset: number;
}

/**
 * Opens the .part for file `index` of a transfer: reuses `previous` when it is
 * still ours (sidecar matches), else creates a new one next to a free final name.
 */
export async function openPart(
  dir: string,
  name: string,
  sidecar: Omit<Sidecar, 'offset'>,
  previous: string | null,
): Promise<OpenedPart> {
  if (previous && path.dirname(previous) === dir) {
    const mine = await readSidecar(previous);
    const info = await lstat(previous).catch(() => null);
    if (mine && mine.transferId === sidecar.transferId && mine.index === sidecar.index && info?.isFile()) {
      if (info.size <= sidecar.size) return { partPath: previous, offset: info.size };
      await truncate(previous, 0); // longer than the file can be: not trustworthy
      return { partPath: previous, offset: 0 };
    }
  }
  for (let n = 0; n < 10_000; n++) {
    const candidate = numberedName(name, n);
    const partPath = path.join(dir, candidate + PART_SUFFIX);
    if (await exists(path.join(dir, candidate))) continue;
    try {
      // O_EXCL | O_NOFOLLOW: never reuse or follow something that is already there.
      const handle = await open(
        partPath,
        constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0),
        0o644,
      );
      await handle.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw diskError(err, partPath);
    }
    await writeSidecar(partPath, { ...sidecar, offset: 0 });
    return { partPath, offset: 0 };
  }
  throw new FerryError('NAME_REJECTED', `no free name for ${name} in ${dir}`);
}

/** A write into a .part that stopped part-way: `onDisk` is the .part's length now (the next resume offset). */
export class PartWriteError extends Error {
  constructor(
    readonly onDisk: number,
    readonly reason: unknown,
  ) {
    super((reason as Error)?.message ?? String(reason));
  }
}

/**
 * Writes `chunks` into an existing .part from `offset` (never following a symlink), with
 * backpressure. Resolves with the bytes written; on any failure rejects with a
 * PartWriteError once the file is closed, so its length is final.
 */
export async function streamIntoPart(partPath: string, offset: number, chunks: AsyncIterable<Buffer>): Promise<number> {
  const out = createWriteStream(partPath, {
    flags: (constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0)) as unknown as string, // numeric flags: never follow a symlink
    start: offset,
    highWaterMark: 1024 * 1024,
  });
  out.on('error', () => {}); // pipeline reports it
  try {
    await pipeline(chunks, out);
    return out.bytesWritten;
  } catch (err) {
    // A write may still be in flight in the thread pool: wait until the file is closed.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    // (bytesWritten misses a write that finished after the stream was destroyed; the length doesn't.)
    const onDisk = await stat(partPath).then(
      (st) => st.size,
      () => offset,
    );
    throw new PartWriteError(onDisk, err);
  }
}

export async function writeSidecar(partPath: string, sidecar: Sidecar): Promise<void> {
  try {
    await writeFile(partPath.slice(0, -PART_SUFFIX.length) + SIDECAR_SUFFIX, JSON.stringify(sidecar));
  } catch (err) {
    throw diskError(err, partPath);
  }
}

async function readSidecar(partPath: string): Promise<Sidecar | null> {
  try {
    return JSON.parse(await readFile(partPath.slice(0, -PART_SUFFIX.length) + SIDECAR_SUFFIX, 'utf8')) as Sidecar;
  } catch {
    return null;
  }
}

/** SHA-256 state after the first `length` bytes of `file` (resume re-verifies what is on disk). */
export async function hashPrefix(file: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  const stream = createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1024 * 1024 });
  let read = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).byteLength;
  }
  if (read !== length)
    throw new FerryError('SOURCE_CHANGED', `${file} is shorter than expected (${read} of ${length} bytes)`);
  return hash;
}

/**
 * Moves a verified .part to its final name without ever replacing an existing
 * file: link() fails with EEXIST instead of overwriting, so a name that appeared
 * meanwhile just moves us on to "name (1)". Returns the final path.
 */
export async function finalizePart(partPath: string): Promise<string> {
  const dir = path.dirname(partPath);
  const name = path.basename(partPath).slice(0, -PART_SUFFIX.length);
  for (let n = 0; n < 10_000; n++) {
    const target = path.join(dir, numberedName(name, n));
    try {
      await link(partPath, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        // File systems without hard links (FAT, some network shares): check, then rename.
        if (await exists(target)) continue;
        await rename(partPath, target).catch((e) => Promise.reject(diskError(e, target)));
        await removeSidecar(partPath);
        return target;
      }
      throw diskError(err, target);
    }
    await unlink(partPath).catch(() => {});
    await removeSidecar(partPath);
    return target;
  }
  throw new FerryError('NAME_REJECTED', `no free name for ${name} in ${dir}`);
}

export async function removeSidecar(partPath: string): Promise<void> {
  await rm(partPath.slice(0, -PART_SUFFIX.length) + SIDECAR_SUFFIX, { force: true });
}

/** Deletes a .part and its sidecar (a cancelled or failed-verification file). */
export async function discardPart(partPath: string): Promise<void> {
  await rm(partPath, { force: true });
  await removeSidecar(partPath);
}
