#!/usr/bin/env node
// Fails when an import crosses the process boundaries in DESIGN.md:
//   the engine (electron/core), its Node hosts (electron/cli, electron/browser-mode) and shared never
//   import 'electron', electron/main, electron/preload or renderer;
//   the engine never imports any of its hosts (electron/cli, electron/browser-mode, electron/main);
//   shared imports nothing of ours outside shared/;
//   renderer never imports 'electron' or anything under electron/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(ts|mts|cts|js|mjs|vue)$/;
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function* walk(dir) {
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* walk(full);
    else if (SOURCE.test(entry)) yield full;
  }
}

/** Returns one line per violation in the tree rooted at `root`. */
export function findViolations(root) {
  const violations = [];
  const rel = (p) => path.relative(root, p).split(path.sep).join('/');
  const areas = ['electron/core', 'electron/cli', 'electron/browser-mode', 'shared', 'renderer'].filter((a) => {
    try {
      return statSync(path.join(root, a)).isDirectory();
    } catch {
      return false;
    }
  });
  for (const area of areas) {
    for (const file of walk(path.join(root, area))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2] ?? match[3] ?? match[4];
        const target = spec.startsWith('.') ? rel(path.resolve(path.dirname(file), spec)) : null;
        const isElectron = spec === 'electron' || spec.startsWith('electron/');
        let why = null;
        if (area !== 'renderer') {
          if (isElectron) why = "imports 'electron'";
          else if (target && /^(electron\/main|electron\/preload|renderer)(\/|$)/.test(target))
            why = `imports ${target}`;
        }
        if (area === 'electron/core' && target && /^electron\/(cli|browser-mode)(\/|$)/.test(target))
          why = `imports its host ${target}`;
        if (area === 'shared' && target && !target.startsWith('shared/') && target !== 'shared')
          why = `imports ${target} from outside shared/`;
        if (area === 'renderer') {
          if (isElectron) why = "imports 'electron'";
          else if (target && target.startsWith('electron/')) why = `imports ${target}`;
        }
        if (why) violations.push(`${rel(file)}: ${why} ("${spec}")`);
      }
    }
  }
  return violations;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = findViolations(root);
  for (const v of violations) console.error(`boundary violation: ${v}`);
  if (violations.length) process.exit(1);
  console.log('process boundaries respected');
}
