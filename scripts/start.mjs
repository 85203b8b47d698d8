#!/usr/bin/env node
// `npm start`: runs the desktop app. `npm ci` skips Electron's binary download (see
// package.json allowScripts), so the first start fetches it with Electron's own
// installer (which honours ELECTRON_MIRROR). If that fails, or Electron starts and dies
// before its window is up (a sandbox the OS forbids, missing system libraries…), Ferry
// says why and opens the same app in the browser instead, on the same profile.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = path.join(root, 'node_modules', 'electron');
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** What the desktop app prints on stdout once its window is up (FERRY_REPORT_READY=1, see electron/main/ferry-app.ts). */
export const READY_LINE = 'ferry:ready';

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

/** Electron's app.getPath('appData') for this user (and the base of the CLI's default data dir). */
export function appDataDir(platform = process.platform, env = process.env, home = os.homedir()) {
  if (platform === 'win32') return env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return env.XDG_CONFIG_HOME ?? path.join(home, '.config');
}

/** The dev tree's engine folder (electron/main/app-profile.ts): desktop and browser fallback share it. */
export function devDataDir(platform = process.platform, env = process.env, home = os.homedir()) {
  return path.join(appDataDir(platform, env, home), 'Ferry-dev', 'engine');
}

/**
 * Ubuntu ≥ 24.04 (AppArmor) forbids unprivileged user namespaces to programs without a
 * profile, and a dev tree's chrome-sandbox isn't setuid root: Chromium would abort. Keep the
 * sandbox when the setuid helper is set up; otherwise start without it and say how to keep it.
 */
export function linuxSandbox({
  platform = process.platform,
  restricted = readRestriction(),
  helper = path.join(electronDir, 'dist', 'chrome-sandbox'),
} = {}) {
  if (platform !== 'linux' || !restricted) return { args: [], note: null };
  let suid = false;
  try {
    const st = statSync(helper);
    suid = st.uid === 0 && (st.mode & 0o4755) === 0o4755;
  } catch {
    // no helper: Chromium uses namespaces only
  }
  if (suid) return { args: [], note: null };
  return {
    args: ['--no-sandbox'],
    note:
      `Ferry: this system restricts user namespaces (AppArmor), so Electron's sandbox can't start from a dev tree;\n` +
      `  starting the window without it. To keep the sandbox, once:\n` +
      `    sudo chown root:root ${helper} && sudo chmod 4755 ${helper}`,
  };
}

function readRestriction() {
  try {
    return readFileSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', 'utf8').trim() === '1';
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

function explainDownloadFailure() {
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

function explainEarlyDeath(outcome) {
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
  const reason = outcome.stderrTail.trim().split('\n').slice(-3).join('\n      ');
  console.error(`
Ferry's desktop window could not start: Electron ${how} before its window was up.
  ${reason ? `Electron said:\n      ${reason}\n  ` : ''}Ferry opens in your browser instead (the same app, the same profile).
  To try the window again after fixing the cause: npm start. Browser mode directly: npm start -- --browser
`);
}

/**
 * Runs Electron in the foreground. Resolves { ready: false, … } if it ends before printing
 * READY_LINE (the caller falls back), or exits with Electron's code once it ends after that.
 */
export function runDesktop(electronPath, electronArgs, { env = process.env, onExitAfterReady = process.exit } = {}) {
  return new Promise((resolve) => {
    const child = spawn(electronPath, electronArgs, {
      stdio: ['inherit', 'pipe', 'pipe'],
      env: { ...env, FERRY_REPORT_READY: '1' },
    });
    let ready = false;
    let stdoutBuffer = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      if (ready) return;
      stdoutBuffer = (stdoutBuffer + chunk.toString('utf8')).slice(-4096);
      if (stdoutBuffer.split('\n').some((l) => l.trim() === READY_LINE)) ready = true;
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    const forward = (signal) => child.kill(signal);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
    child.on('error', (err) => {
      resolve({ ready: false, code: null, signal: null, stderrTail: `${stderrTail}\n${err.message}` });
    });
    child.on('close', (code, signal) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
      if (ready) onExitAfterReady(code ?? (signal ? 1 : 0));
      resolve({ ready, code, signal, stderrTail });
    });
  });
}

/** Runs a child in the foreground: our exit code is its, and a signal to us reaches it. */
function foreground(child) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function startBrowserMode(args) {
  const bin = path.join(root, 'bin', 'ferry.mjs');
  const dataArgs = args.includes('--data-dir') ? [] : ['--data-dir', devDataDir()];
  foreground(
    spawn(process.execPath, [bin, 'ui', ...dataArgs, ...args.filter((a) => a !== '--browser')], { stdio: 'inherit' }),
  );
}

function build() {
  if (process.env.FERRY_SKIP_BUILD === '1') return;
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

async function main(args) {
  if (args.includes('--browser')) return startBrowserMode(args);
  // FERRY_ELECTRON_PATH runs another Electron binary (tests use one that dies at start).
  const electronPath =
    process.env.FERRY_ELECTRON_PATH ??
    (electronInstalled() || fetchElectron() ? createRequire(import.meta.url)('electron') : null);
  if (!electronPath) {
    explainDownloadFailure();
    return startBrowserMode(args);
  }
  build();
  const sandbox = linuxSandbox();
  if (sandbox.note) console.error(sandbox.note);
  const outcome = await runDesktop(electronPath, [root, ...sandbox.args, ...args]);
  if (outcome.ready) return;
  // A clean exit before the window (e.g. another Ferry already runs and was focused) is no failure.
  if (outcome.code === 0 && !outcome.signal) process.exit(0);
  else {
    explainEarlyDeath(outcome);
    startBrowserMode(args);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main(process.argv.slice(2));
}
