/**
 * What the real-Electron tests need: the Electron binary (npm's `electron` package, fetched by
 * `node node_modules/electron/install.js`) and, for the packaged tests, an unpacked or installed
 * Ferry. Where they are missing the tests report *skipped* with the reason, never passed; with
 * FERRY_REQUIRE_ELECTRON=1 (the GitHub workflow) a missing one fails them instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';

export const root = path.resolve(import.meta.dirname, '../..');
export const required = process.env.FERRY_REQUIRE_ELECTRON === '1';

/** The Electron executable, or null with why not. */
export function electronBinary(): { path: string | null; reason: string } {
  // Not require('electron'): since Electron 45 that starts a download when the binary is missing.
  const dir = path.join(root, 'node_modules', 'electron');
  try {
    const file = path.join(dir, 'dist', readFileSync(path.join(dir, 'path.txt'), 'utf8').trim());
    if (existsSync(file)) return { path: file, reason: '' };
  } catch {
    // no path.txt: the binary was never fetched
  }
  return { path: null, reason: 'Electron binary not installed' };
}

/** The packaged app's executable: FERRY_PACKAGED_APP, or what `npm run package:dir` left in release/. */
export function packagedApp(): { path: string | null; reason: string } {
  const given = process.env.FERRY_PACKAGED_APP;
  if (given) return existsSync(given) ? { path: given, reason: '' } : { path: null, reason: `${given} does not exist` };
  const release = path.join(root, 'release');
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = path.join(release, version);
  const candidates = existsSync(dir)
    ? readdirSync(dir).flatMap((d) => [
        path.join(dir, d, 'Ferry.exe'),
        path.join(dir, d, 'ferry'),
        path.join(dir, d, 'Ferry.app', 'Contents', 'MacOS', 'Ferry'),
      ])
    : [];
  const found = candidates.find((c) => existsSync(c));
  if (found) return { path: found, reason: '' };
  return {
    path: null,
    reason: electronBinary().path
      ? 'no packaged app in release/ (run npm run package:dir)'
      : 'Electron binary not installed (npm run package:dir needs it)',
  };
}

/** Skips the test with the reason, or fails it where the workflow requires real Electron. */
export function needs(ctx: TestContext, what: { path: string | null; reason: string }): string {
  if (what.path) return what.path;
  if (required) throw new Error(`FERRY_REQUIRE_ELECTRON=1 but: ${what.reason}`);
  ctx.skip(what.reason);
  throw new Error('unreachable');
}

/** Polls until `check` stops throwing or the deadline passes (no fixed sleeps). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
