/**
 * Checks GitHub Releases for a newer Ferry (electron-updater reads the latest*.yml the
 * tag workflow publishes): at start and daily, asks before downloading, installs on quit.
 * Off where an update can't apply: the dev tree and macOS builds not signed with a
 * Developer ID (Squirrel.Mac refuses them). Failures (offline LANs are normal) are logged, never shown.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const UPDATE_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** The part of electron-updater's AppUpdater this module uses (a fake in tests). */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  on(event: 'update-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
}

export interface UpdateUi {
  /** Tells the user a version is available; resolves true when they want it downloaded. */
  offer(version: string): Promise<boolean>;
  /** The download finished: it installs when Ferry quits. */
  downloaded(version: string): void;
  log(message: string): void;
}

export interface UpdateChecks {
  check(): Promise<void>;
  stop(): void;
}

export function startUpdateChecks(
  updater: Updater,
  ui: UpdateUi,
  timers: { every: (fn: () => void, ms: number) => () => void } = {
    every: (fn, ms) => {
      const t = setInterval(fn, ms);
      t.unref();
      return () => clearInterval(t);
    },
  },
): UpdateChecks {
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = true;
  const offered = new Set<string>();
  updater.on('update-available', (info) => {
    if (offered.has(info.version)) return;
    offered.add(info.version);
    void ui
      .offer(info.version)
      .then((yes) => (yes ? updater.downloadUpdate() : undefined))
      .catch((err: Error) => ui.log(`update download failed: ${err.message}`));
  });
  updater.on('update-downloaded', (info) => ui.downloaded(info.version));
  updater.on('error', (err) => ui.log(`update check failed: ${err.message}`));
  const check = async () => {
    try {
      await updater.checkForUpdates();
    } catch (err) {
      ui.log(`update check failed: ${(err as Error).message}`);
    }
  };
  void check();
  const stop = timers.every(() => void check(), UPDATE_INTERVAL_MS);
  return { check, stop };
}

/** Where updates can apply. `macDeveloperId` is only asked on macOS. */
export async function updatesSupported(opts: {
  isPackaged: boolean;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  macDeveloperId: () => Promise<boolean>;
}): Promise<boolean> {
  if (!opts.isPackaged || opts.env.FERRY_NO_UPDATE_CHECK === '1') return false;
  if (opts.platform === 'darwin') return opts.macDeveloperId();
  return true;
}

/** True when `codesign -dv` names a Developer ID authority (ad-hoc and unsigned builds have none). */
export function isDeveloperIdSigned(codesignOutput: string): boolean {
  return /^Authority=Developer ID Application: /m.test(codesignOutput);
}

/** Asks codesign about the running .app bundle (Ferry.app/Contents/MacOS/Ferry → Ferry.app). */
export function macDeveloperId(execPath: string): Promise<boolean> {
  const bundle = path.resolve(execPath, '../../..');
  return new Promise((resolve) => {
    execFile('codesign', ['-dv', '--verbose=2', bundle], { timeout: 5000 }, (err, stdout, stderr) =>
      resolve(!err && isDeveloperIdSigned(`${stdout}\n${stderr}`)),
    );
  });
}
