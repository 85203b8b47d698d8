/**
 * Where an accepted offer lands: the save folder (created, resolved, checked for
 * free space before a byte moves), fresh names for top-level folders that
 * already exist there, and the offered empty folders created up front.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../ferry-error';
import type { Transfer } from '../store/transfer-repo';
import { diskError, ensureDirInside, freshName } from './part-file';

/** The save folder, created and resolved; DISK_FULL when `needed` bytes do not fit (free = null: unknown). */
export async function prepareSaveDir(
  dir: string,
  needed: number,
  freeBytes?: (dir: string) => Promise<number | null>,
): Promise<string> {
  const root = path.resolve(dir);
  let resolved: string;
  try {
    await mkdir(root, { recursive: true });
    resolved = await realpath(root);
  } catch (err) {
    throw diskError(err, root);
  }
  // Free space first: a 1 PB offer is refused here, not after filling the disk.
  const free = await freeBytes?.(resolved);
  if (free !== null && free !== undefined && needed > free) {
    throw new FerryError(
      'DISK_FULL',
      `the offer needs ${needed} bytes but the disk holding ${resolved} has ${free} free; free some space or choose another folder`,
    );
  }
  return resolved;
}

/**
 * Gives each file its place under `saveDir`: a folder that already exists gets a fresh
 * name ("Photos (1)") instead of mixing two sends, and offered folders are created now
 * (done, or failed with the disk's reason). A folder whose contents are still to be
 * fetched (`foldersToFill`: IP Messenger offers a folder as one entry) is created and
 * stays pending. Changes the records in memory only.
 */
export async function placeFiles(t: Transfer, saveDir: string, foldersToFill = false): Promise<void> {
  const renamed = new Map<string, string>();
  for (const f of t.files) {
    if (!f.dest || (!f.isDirectory && !f.dest.includes('/'))) continue;
    const top = f.dest.split('/')[0]!;
    if (!renamed.has(top)) renamed.set(top, await freshName(saveDir, top));
  }
  for (const f of t.files) {
    if (!f.dest) continue;
    const [top, ...rest] = f.dest.split('/');
    if (renamed.has(top!)) f.dest = [renamed.get(top!)!, ...rest].join('/');
  }
  for (const f of t.files) {
    if (!f.isDirectory || f.state !== 'pending') continue;
    try {
      f.saved = await ensureDirInside(saveDir, f.dest!.split('/'));
      if (!foldersToFill) f.state = 'done';
    } catch (err) {
      const e = diskError(err, path.join(saveDir, f.dest!));
      f.state = 'failed';
      f.error = e.toDto();
    }
  }
}
