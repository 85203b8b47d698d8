#!/usr/bin/env node
// `npm start`: runs the desktop app. `npm ci` skips Electron's binary download (see
// package.json allowScripts), so the first start fetches it with Electron's own
// installer (which honours ELECTRON_MIRROR). If that fails, Ferry explains why and
// opens the same app in the browser instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
const args = process.argv.slice(2);
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** Same test as node_modules/electron/install.js isInstalled(). */
export function electronInstalled(dir = electronDir) {
  try {
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (readFileSync(path.join(dir, 'dist', 'version'), 'utf8').replace(/^v/, '') !== version) return false;
    const executable = readFileSync(path.join(dir, 'path.txt'), 'utf8');
    return existsSync(path.join(dir, 'dist', executable));
  } catch {
    return false;
  }
}

function fetchElectron() {
  const mirror = process.env.ELECTRON_MIRROR;
  console.log(
    `Ferry: fetching the Electron runtime once with Electron's installer${mirror ? ` from ELECTRON_MIRROR=${mirror}` : ''}…`,
  );
  const result = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: 'inherit',
    timeout: INSTALL_TIMEOUT_MS,
    env: process.env,
  });
  return result.status === 0 && electronInstalled();
}

function explainFailure() {
  const mirror = process.env.ELECTRON_MIRROR;
  console.error(`
Ferry could not download the Electron runtime it needs for the desktop window.
  What happened: Electron's installer could not reach ${mirror ? `the mirror ${mirror}` : "Electron's default download host"}
  (see the error above). Nothing is broken; only the desktop window is missing.
  What to do:
    • Use a mirror you can reach (common in mainland China):
        ELECTRON_MIRROR=<mirror URL ending in /> npm start
    • Or, offline: put the Electron zip for this version into Electron's cache folder
      (electron_config_cache=<folder> npm start) and start again.
    • Meanwhile Ferry opens in your browser (the same app): npm start -- --browser
`);
}

/** Runs a child in the foreground: our exit code is its, and a signal to us reaches it. */
function foreground(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function startBrowserMode() {
  const bin = path.join(root, 'bin', 'ferry.mjs');
  foreground(spawn(process.execPath, [bin, 'ui', ...args.filter((a) => a !== '--browser')], { stdio: 'inherit' }));
}

function startElectron() {
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
  const electronPath = createRequire(import.meta.url)('electron');
  foreground(spawn(electronPath, [root, ...args], { stdio: 'inherit' }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (args.includes('--browser')) startBrowserMode();
  else if (electronInstalled() || fetchElectron()) startElectron();
  else {
    explainFailure();
    startBrowserMode();
  }
}
