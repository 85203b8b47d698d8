/** The update check against a faked electron-updater (its network and installers can't run here). */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  isDeveloperIdSigned,
  startUpdateChecks,
  UPDATE_INTERVAL_MS,
  updatesSupported,
  type Updater,
} from './update-check';

class FakeUpdater extends EventEmitter implements Updater {
  autoDownload = true;
  autoInstallOnAppQuit = false;
  checks = 0;
  downloads = 0;
  failNext: Error | null = null;
  async checkForUpdates() {
    this.checks++;
    if (this.failNext) throw this.failNext;
    return null;
  }
  async downloadUpdate() {
    this.downloads++;
    this.emit('update-downloaded', { version: '9.9.9' });
    return [];
  }
}

function setup(answer: boolean) {
  const updater = new FakeUpdater();
  const ui = { offer: vi.fn(async () => answer), downloaded: vi.fn(), log: vi.fn() };
  let tick: () => void = () => {};
  let period = 0;
  const checks = startUpdateChecks(updater, ui, {
    every: (fn, ms) => {
      tick = fn;
      period = ms;
      return () => (tick = () => {});
    },
  });
  return { updater, ui, checks, tick: () => tick(), period: () => period };
}

describe('update check', () => {
  it('checks at start and daily, never downloads on its own, installs on quit', () => {
    const { updater, tick, period } = setup(false);
    expect(updater.checks).toBe(1);
    expect(period()).toBe(UPDATE_INTERVAL_MS);
    tick();
    expect(updater.checks).toBe(2);
    expect(updater.autoDownload).toBe(false);
    expect(updater.autoInstallOnAppQuit).toBe(true);
  });

  it('downloads only after the user says yes, then says it installs on quit', async () => {
    const { updater, ui } = setup(true);
    updater.emit('update-available', { version: '9.9.9' });
    await vi.waitFor(() => expect(ui.downloaded).toHaveBeenCalledWith('9.9.9'), { timeout: 10_000 });
    expect(ui.offer).toHaveBeenCalledWith('9.9.9');
    expect(updater.downloads).toBe(1);
  });

  it('a "not now" downloads nothing and the same version is not asked again this run', async () => {
    const { updater, ui } = setup(false);
    updater.emit('update-available', { version: '9.9.9' });
    await vi.waitFor(() => expect(ui.offer).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    updater.emit('update-available', { version: '9.9.9' });
    expect(ui.offer).toHaveBeenCalledTimes(1);
    expect(updater.downloads).toBe(0);
  });

  it('a failed check (offline LAN) is logged, never thrown', async () => {
    const { updater, ui, checks } = setup(false);
    updater.failNext = new Error('net::ERR_INTERNET_DISCONNECTED');
    await checks.check();
    updater.emit('error', new Error('bad signature'));
    expect(ui.log.mock.calls.map((c) => c[0]).join('\n')).toMatch(/ERR_INTERNET_DISCONNECTED[\s\S]*bad signature/);
  });

  it('is off in the dev tree and on macOS builds without a Developer ID signature', async () => {
    const base = { env: {}, macDeveloperId: async () => false };
    expect(await updatesSupported({ ...base, isPackaged: false, platform: 'win32' })).toBe(false);
    expect(await updatesSupported({ ...base, isPackaged: true, platform: 'win32' })).toBe(true);
    expect(await updatesSupported({ ...base, isPackaged: true, platform: 'darwin' })).toBe(false);
    expect(
      await updatesSupported({ ...base, isPackaged: true, platform: 'darwin', macDeveloperId: async () => true }),
    ).toBe(true);
    expect(isDeveloperIdSigned('Signature=adhoc\nTeamIdentifier=not set')).toBe(false);
    expect(isDeveloperIdSigned('Authority=Developer ID Application: Ferry (ABCDE12345)\nAuthority=Apple Root CA')).toBe(
      true,
    );
  });
});
