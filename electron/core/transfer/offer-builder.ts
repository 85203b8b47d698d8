/**
 * Turns local files and folders into an offer: one entry per file (relative
 * '/'-separated path under the folder's own name) plus one per empty folder.
 */
import { lstat, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../ferry-error';
import type { OfferEntry } from '../protocol/frames';
import { numberedName } from './safe-filename';

export const MAX_OFFER_ENTRIES = 10_000;

export interface LocalEntry extends OfferEntry {
  /** Absolute path on this machine (never sent). */
  source: string;
}

export async function buildOffer(paths: string[]): Promise<LocalEntry[]> {
  const entries: LocalEntry[] = [];
  const topNames = new Set<string>();
  const add = (entry: LocalEntry) => {
    if (entries.length >= MAX_OFFER_ENTRIES) {
      throw new FerryError(
        'INVALID_ARGUMENT',
        `an offer holds at most ${MAX_OFFER_ENTRIES} files and folders; send fewer at once`,
      );
    }
    entries.push(entry);
  };
  for (const given of paths) {
    const source = path.resolve(given);
    const info = await stat(source).catch((err: NodeJS.ErrnoException) => {
      throw sourceError(err, source);
    });
    let top = path.basename(source) || 'file';
    for (let n = 1; topNames.has(top); n++) top = numberedName(path.basename(source), n);
    topNames.add(top);
    if (info.isDirectory()) await walk(source, top, add);
    else if (info.isFile()) add({ path: top, size: info.size, mtime: Math.trunc(info.mtimeMs), dir: false, source });
    else throw new FerryError('INVALID_ARGUMENT', `${source} is neither a file nor a folder`);
  }
  if (entries.length === 0) throw new FerryError('INVALID_ARGUMENT', 'nothing to send');
  return entries;
}

async function walk(dir: string, rel: string, add: (e: LocalEntry) => void): Promise<void> {
  let empty = true;
  const handle = await opendir(dir).catch((err: NodeJS.ErrnoException) => {
    throw sourceError(err, dir);
  });
  const children: string[] = [];
  for await (const child of handle) children.push(child.name);
  children.sort();
  for (const name of children) {
    const source = path.join(dir, name);
    // Symlinked folders are skipped (they can loop); symlinked files are sent as files.
    const link = await lstat(source);
    const info = link.isSymbolicLink() ? await stat(source).catch(() => null) : link;
    if (!info || (link.isSymbolicLink() && info.isDirectory())) continue;
    const childRel = `${rel}/${name}`;
    if (info.isDirectory()) {
      empty = false;
      await walk(source, childRel, add);
    } else if (info.isFile()) {
      empty = false;
      add({ path: childRel, size: info.size, mtime: Math.trunc(info.mtimeMs), dir: false, source });
    }
  }
  if (empty) add({ path: rel, size: 0, mtime: 0, dir: true, source: dir });
}

export function sourceError(err: NodeJS.ErrnoException, file: string): FerryError {
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FerryError('SOURCE_MISSING', `${file} no longer exists; send it again if it was moved`);
    case 'EACCES':
    case 'EPERM':
      return new FerryError('PERMISSION_DENIED', `${file} cannot be read (permission denied)`);
    default:
      return new FerryError('INTERNAL', `${file}: ${err.message}`, { cause: err });
  }
}
