import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../ferry-error';

/**
 * Defence in depth: whoever drives the API, Ferry's own data folder (device key,
 * database) is never offered, nor a folder holding it. Browser mode's staging
 * folder inside it is the one exception.
 */
export async function refuseOwnData(dataDir: string, paths: readonly string[]): Promise<void> {
  const own = await realpath(dataDir).catch(() => dataDir);
  const under = (parent: string, child: string) => {
    const rel = path.relative(parent, child);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  for (const p of paths) {
    const real = await realpath(path.resolve(p)).catch(() => path.resolve(p));
    if (under(path.join(own, 'browser-uploads'), real) && real !== path.join(own, 'browser-uploads')) continue;
    if (under(own, real) || under(real, own))
      throw new FerryError('PATH_NOT_ALLOWED', `${p} is or holds Ferry's own data folder, which is never sent`);
  }
}
