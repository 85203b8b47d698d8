// Where the bundled CLI lives (`npm run build` writes it, scripts/build-cli.mjs) and whether
// it may be run instead of the TypeScript sources. Plain JS with node: imports only, so that
// deciding costs bin/ferry.mjs nothing but a few stat calls.
//
// "As new as its sources" is checked exactly, not guessed from a build time: the build
// writes out/cli/stamp.json listing every file the bundle was built from (every source file
// esbuild read, outside node_modules; package-lock.json, which pins the bundled
// dependencies; and the build script itself) with its size, mtime and SHA-256. The bundle
// is fresh when every one of them still exists with the same content:
//   - same size and mtime → unchanged (one stat per file, ~150 files: well under 1 ms);
//   - otherwise the file is read and hashed, and only a different SHA-256 makes the bundle
//     stale (so a `git checkout` or `touch` that leaves the content alone keeps it fresh).
// A file the bundle doesn't read yet can only join it through an edit to one that it does,
// so the list can't miss a new file. A missing or unreadable stamp means "stale": the build
// writes it last, so an interrupted build is never run.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** Two levels below the root, like electron/cli/: the CLI finds package.json and out/renderer at ../.. */
export const BUNDLE_DIR = path.join(ROOT, 'out', 'cli');
export const BUNDLE_ENTRY = path.join(BUNDLE_DIR, 'ferry-cli.mjs');
export const STAMP = path.join(BUNDLE_DIR, 'stamp.json');

export function sha256(file) {
  // node:crypto only when a file has to be hashed: loading it costs more than all the stat calls.
  const { createHash } = createRequire(import.meta.url)('node:crypto');
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** What the stamp records of one file (path relative to the root, with / separators). */
export function fingerprint(relative, root = ROOT) {
  const file = path.join(root, relative);
  const { size, mtimeMs } = statSync(file);
  return { size, mtimeMs, sha256: sha256(file) };
}

/**
 * Why the bundle in `dir` may not be run (a sentence), or null when it is as new as every
 * file it was built from.
 */
export function staleReason(dir = BUNDLE_DIR, root = ROOT) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(dir, 'stamp.json'), 'utf8'));
  } catch {
    return 'no bundle (run npm run build)';
  }
  if (!stamp.inputs || Object.keys(stamp.inputs).length === 0) return 'the bundle lists no sources';
  for (const [relative, was] of Object.entries(stamp.inputs)) {
    const file = path.join(root, relative);
    let now;
    try {
      now = statSync(file);
    } catch {
      return `${relative} is gone since the bundle was built`;
    }
    if (now.size === was.size && now.mtimeMs === was.mtimeMs) continue;
    if (now.size !== was.size || sha256(file) !== was.sha256) return `${relative} changed since the bundle was built`;
  }
  return null;
}
