/**
 * Tells a failing data folder (disk full, I/O error, damaged database) apart
 * from a bug, so the engine can refuse the one frame it could not store, tell
 * the user, and keep serving everything else.
 */
import { statfsSync } from 'node:fs';
import { FerryError } from '../ferry-error';

/** Below this much free space in the data folder, an I/O error is read as "disk full". */
const FULL_BELOW_BYTES = 1024 * 1024;

/** SQLite's own words for the failures a disk, not our code, causes. */
const STORAGE_MESSAGE =
  /disk I\/O error|database or disk is full|database disk image is malformed|file is not a database|attempt to write a readonly database|unable to open database|no more rows available|SQLITE_(IOERR|FULL|CORRUPT|NOTADB|READONLY|CANTOPEN)/i;

/** Free bytes available to us on the file system holding `dir` (null if it can't be asked). */
export function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/**
 * Returns a DATA_DIR_FULL / DATABASE_ERROR for a storage failure, or null when
 * `err` is something else (a bug: the caller lets it propagate).
 */
export function storageError(err: unknown, dataDir: string): FerryError | null {
  if (err instanceof FerryError) return err.code === 'DATA_DIR_FULL' || err.code === 'DATABASE_ERROR' ? err : null;
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  const isSqlite = e?.name === 'SQLite3Error' || STORAGE_MESSAGE.test(message);
  const isFs = e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || e?.code === 'EIO' || e?.code === 'EROFS';
  if (!isSqlite && !isFs) return null;
  const free = freeBytes(dataDir);
  const full =
    e?.code === 'ENOSPC' ||
    e?.code === 'EDQUOT' ||
    /database or disk is full|SQLITE_FULL/i.test(message) ||
    (free !== null && free < FULL_BELOW_BYTES);
  if (full) {
    return new FerryError(
      'DATA_DIR_FULL',
      `the disk holding Ferry's data folder (${dataDir}) is full; free some space: what peers send is refused until then and they retry later`,
      { cause: err },
    );
  }
  return new FerryError(
    'DATABASE_ERROR',
    `Ferry's database in ${dataDir} could not be written (${message || String(err)}); check the disk, then restart Ferry`,
    { cause: err },
  );
}
