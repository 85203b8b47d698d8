/**
 * Where the desktop app keeps its profile. Packaged: `<appData>/Ferry` (Electron's
 * default userData) with the engine in `engine/`, the same folder the CLI uses by
 * default, so the browser mode and the desktop app share one identity and history.
 * A dev tree (`npm start`, `npm run dev`) uses `<appData>/Ferry-dev`: its own
 * identity, database and single-instance lock, never the installed app's.
 */
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export const DEV_PROFILE = 'Ferry-dev';
/** Where the CLI and browser mode kept their data before they shared the desktop profile. */
export const LEGACY_CLI_PROFILE = 'Ferry-cli';

export function devUserDataDir(appData: string): string {
  return path.join(appData, DEV_PROFILE);
}

export function engineDataDir(userData: string): string {
  return path.join(userData, 'engine');
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Moves a browser-mode profile from the old CLI folder into this profile the first time
 * the desktop app starts without one. Returns true when it moved something.
 */
export async function migrateLegacyProfile(legacyDir: string, engineDir: string): Promise<boolean> {
  if ((await exists(engineDir)) || !(await exists(path.join(legacyDir, 'identity')))) return false;
  await mkdir(path.dirname(engineDir), { recursive: true });
  try {
    await rename(legacyDir, engineDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(legacyDir, engineDir, { recursive: true, errorOnExist: true, force: false });
    await rm(legacyDir, { recursive: true, force: true });
  }
  return true;
}
