/**
 * App lifecycle with the `electron` module replaced by a recorder (Electron's
 * binary can't run here; this proves the wiring, not Electron itself).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
const app = {
  requestSingleInstanceLock: vi.fn(() => true),
  quit: vi.fn(() => calls.push('quit')),
  on: vi.fn((event: string) => calls.push(`on:${event}`)),
  whenReady: vi.fn(() => new Promise(() => {})), // never ready: we only check what happens before
  getLocale: () => 'zh-CN',
};
const protocol = { registerSchemesAsPrivileged: vi.fn(() => calls.push('registerScheme')) };
vi.mock('electron', () => ({
  app,
  protocol,
  BrowserWindow: vi.fn(),
  dialog: {},
  ipcMain: {},
  Menu: {},
  nativeImage: {},
  nativeTheme: {},
  Notification: {},
  session: {},
  shell: {},
  Tray: vi.fn(),
}));

describe('startFerryApp', () => {
  beforeEach(() => {
    calls.length = 0;
    vi.clearAllMocks();
  });

  it('takes the single-instance lock and registers the app scheme before ready', async () => {
    const { startFerryApp } = await import('./ferry-app');
    startFerryApp();
    expect(app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'ferry-app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(calls).toContain('on:second-instance'); // a second launch focuses this window
    expect(calls).toContain('on:will-quit'); // the engine is stopped before quitting
    expect(app.quit).not.toHaveBeenCalled();
  });

  it('quits at once when another instance holds the lock', async () => {
    app.requestSingleInstanceLock.mockReturnValueOnce(false);
    const { startFerryApp } = await import('./ferry-app');
    startFerryApp();
    expect(app.quit).toHaveBeenCalled();
    expect(protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
  });
});
