/**
 * The app lifecycle through its real startup path: a real engine on 127.0.0.1 in a temp
 * profile, real IPC handlers, real files; only the `electron` module is replaced, by
 * ./fake-electron (Electron's binary can't run here: this proves the wiring, not Electron).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcOutcome } from '../../shared/host-api';
import { FerryNode } from '../core/ferry-node';
import type { LastResortOptions } from '../core/last-resort';
import { startNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import type * as Fake from './fake-electron';
import type * as App from './ferry-app';

vi.mock('electron', async () => await import('./fake-electron'));

let fake: typeof Fake;
let ferryApp: typeof App;
let appData: string;
const engines: FerryNode[] = [];

beforeEach(async () => {
  fake = await import('./fake-electron');
  fake.resetFakeElectron();
  ferryApp = await import('./ferry-app');
  appData = await tempDir('ferry-appdata-');
  fake.app.setAppPaths(appData, path.join(appData, 'Ferry'));
  engines.length = 0;
  return async () => {
    await Promise.all(engines.map((e) => e.stop()));
  };
});

/** Loopback only, no discovery (the network rule); everything else is the app's own startup. */
const options = (extra: Partial<App.FerryAppOptions> = {}): App.FerryAppOptions => ({
  platform: 'linux',
  env: {},
  startEngine: async (dataDir) => {
    const node = await FerryNode.start({
      dataDir,
      host: '127.0.0.1',
      port: 0,
      discovery: false,
      ipmsg: false,
      name: 'desktop',
    });
    engines.push(node);
    return node;
  },
  trayAvailable: async () => true,
  updatesSupported: async () => false,
  signals: signals(),
  lastResort: (net) => {
    lastResortNet = net;
    return () => {};
  },
  ...extra,
});

let lastResortNet: LastResortOptions | null = null;

let lastSignals: EventEmitter | null = null;
function signals(): EventEmitter {
  lastSignals = new EventEmitter();
  return lastSignals;
}

async function start(extra: Partial<App.FerryAppOptions> = {}) {
  const done = ferryApp.startFerryApp(options(extra));
  fake.app.ready();
  await done;
  return fake.BrowserWindow.live()[0];
}

/** Calls a contract request the way the preload does, from the window's main frame. */
async function invoke<T>(name: string, ...args: unknown[]): Promise<T> {
  const win = fake.BrowserWindow.live()[0]!;
  const handler = fake.ipcMain.handlers.get(`ferry:${name}`)!;
  const outcome = (await handler(
    { sender: win.webContents, senderFrame: win.webContents.mainFrame },
    ...args,
  )) as IpcOutcome<T>;
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startFerryApp before ready', () => {
  it('takes the single-instance lock and registers the app scheme', async () => {
    void ferryApp.startFerryApp(options());
    expect(fake.record.some((r) => r.startsWith('lock:'))).toBe(true);
    expect(fake.record).toContain(
      `scheme:${JSON.stringify([{ scheme: 'ferry-app', privileges: { standard: true, secure: true, supportFetchAPI: true } }])}`,
    );
    expect(fake.app.listenerCount('second-instance')).toBe(1);
    expect(fake.app.listenerCount('will-quit')).toBe(1);
    expect(fake.app.quitCount).toBe(0);
  });

  it('quits at once when another instance holds the lock', async () => {
    fake.app.lock = false;
    await ferryApp.startFerryApp(options());
    expect(fake.app.quitCount).toBe(1);
    expect(fake.record.some((r) => r.startsWith('scheme:'))).toBe(false);
  });

  it("on Windows sets the AppUserModelID to electron-builder's appId (notifications, one taskbar icon)", async () => {
    const config = loadYaml(await readFile(path.resolve(import.meta.dirname, '../../electron-builder.yml'), 'utf8'));
    expect(ferryApp.APP_ID).toBe((config as { appId: string }).appId);
    void ferryApp.startFerryApp(options({ platform: 'win32' }));
    expect(fake.record).toContain(`aumid:${ferryApp.APP_ID}`);
  });

  it('gives the dev tree its own profile (and lock); the packaged app and --user-data-dir keep theirs', async () => {
    void ferryApp.startFerryApp(options());
    const dev = path.join(appData, 'Ferry-dev');
    expect(fake.record.indexOf(`setPath:userData=${dev}`)).toBeGreaterThanOrEqual(0);
    expect(fake.record.indexOf(`lock:${dev}`)).toBeGreaterThan(fake.record.indexOf(`setPath:userData=${dev}`));

    fake.resetFakeElectron();
    fake.app.setAppPaths(appData, path.join(appData, 'Ferry'));
    fake.app.isPackaged = true;
    void ferryApp.startFerryApp(options());
    expect(fake.record).toEqual(expect.arrayContaining([`lock:${path.join(appData, 'Ferry')}`]));
    expect(fake.record.some((r) => r.startsWith('setPath:'))).toBe(false);

    fake.resetFakeElectron();
    fake.app.setAppPaths(appData, '/tmp/given');
    fake.app.switches.add('user-data-dir');
    void ferryApp.startFerryApp(options());
    expect(fake.record.some((r) => r.startsWith('setPath:'))).toBe(false);
  });
});

describe('startFerryApp after ready (real engine)', () => {
  it('starts the engine in the profile, opens the window on the app scheme and answers IPC', async () => {
    const win = await start();
    expect(win?.loadedUrl).toBe('ferry-app://ui/index.html');
    expect(win?.visible).toBe(true);
    const self = await invoke<{ port: number; name: string }>('getSelf');
    expect(self.name).toBe('desktop');
    expect((await stat(path.join(appData, 'Ferry-dev', 'engine', 'ferry.db'))).isFile()).toBe(true);
    // The net for unexpected errors is in place, names the host, and its shutdown stops the engine.
    expect(lastResortNet?.context()).toContain(`engine port ${self.port}`);
    await lastResortNet!.shutdown();
    const refused = await new Promise<string>((resolve) =>
      net
        .connect(self.port, '127.0.0.1', () => resolve('connected'))
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error')),
    );
    expect(refused).toBe('ECONNREFUSED');
  });

  it('macOS, close-to-tray off: closing drops the window, a message still gets delivered, the dock click reopens', async () => {
    const win = await start({ platform: 'darwin' });
    await invoke('updateSettings', { closeToTray: false });
    const { port } = await invoke<{ port: number }>('getSelf');
    win!.close();
    expect(win!.isDestroyed()).toBe(true);
    expect(fake.app.quitCount).toBe(0); // macOS keeps the app running without windows

    // An engine event after the close must not hit the destroyed window.
    const peer = await startNode('peer');
    const desktop = await peer.node.addPeer(`127.0.0.1:${port}`);
    const sent = await peer.node.sendMessage(`direct:${desktop.id}`, 'while the window was closed');
    await peer.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');

    fake.app.emit('activate');
    await vi.waitFor(() => expect(fake.BrowserWindow.live()[0]?.loadedUrl).toBe('ferry-app://ui/index.html'), {
      timeout: 10_000,
    });
    const reopened = fake.BrowserWindow.live()[0]!;
    expect(reopened).not.toBe(win);
    const history = await invoke<unknown>('listMessages', `direct:${(await peer.node.getSelf()).id}`);
    expect(JSON.stringify(history)).toContain('while the window was closed');
  });

  it('a muted conversation raises no notification; its messages still count on the badge', async () => {
    const win = await start();
    win!.focused = false; // another app is in front
    const { port } = await invoke<{ port: number }>('getSelf');
    const peer = await startNode('peer');
    const desktop = await peer.node.addPeer(`127.0.0.1:${port}`);
    const peerId = (await peer.node.getSelf()).id;
    await peer.node.sendMessage(`direct:${desktop.id}`, 'one');
    await vi.waitFor(() => expect(fake.Notification.shown.map((n) => n.body)).toEqual(['one']), { timeout: 10_000 });
    await invoke('setConversationMuted', `direct:${peerId}`, true);
    await peer.node.sendMessage(`direct:${desktop.id}`, 'two');
    await vi.waitFor(() => expect(fake.app.badgeCount).toBe(2), { timeout: 10_000 });
    expect(fake.Notification.shown.map((n) => n.body)).toEqual(['one']);
    await invoke('setConversationMuted', `direct:${peerId}`, false);
    await peer.node.sendMessage(`direct:${desktop.id}`, 'three');
    await vi.waitFor(() => expect(fake.Notification.shown.map((n) => n.body)).toEqual(['one', 'three']), {
      timeout: 10_000,
    });
  });

  it("the badge shows the engine's unread total: it grows with messages and drops as they are read", async () => {
    await start();
    const { port } = await invoke<{ port: number }>('getSelf');
    const peer = await startNode('peer');
    const desktop = await peer.node.addPeer(`127.0.0.1:${port}`);
    const peerId = (await peer.node.getSelf()).id;
    await peer.node.sendMessage(`direct:${desktop.id}`, 'one');
    await peer.node.sendMessage(`direct:${desktop.id}`, 'two');
    await vi.waitFor(() => expect(fake.app.badgeCount).toBe(2), { timeout: 10_000 });
    // Focusing the window reads nothing by itself: the badge stays until the conversation is read.
    fake.app.emit('browser-window-focus');
    expect(fake.app.badgeCount).toBe(2);
    await invoke('markRead', `direct:${peerId}`);
    await vi.waitFor(() => expect(fake.app.badgeCount).toBe(0), { timeout: 10_000 });
  });

  it('closes to the tray where one shows; a second launch brings the window back', async () => {
    const win = await start({ trayAvailable: async () => true });
    expect(fake.Tray.all).toHaveLength(1);
    win!.close();
    expect(win!.isDestroyed()).toBe(false);
    expect(win!.visible).toBe(false);
    fake.app.emit('second-instance');
    expect(win!.visible).toBe(true);
  });

  it('Linux without a tray host: closing really closes, the app quits and stops the engine', async () => {
    const win = await start({ trayAvailable: async () => false });
    expect(fake.Tray.all).toHaveLength(0);
    const { port } = await invoke<{ port: number }>('getSelf');
    win!.close();
    expect(win!.isDestroyed()).toBe(true);
    expect(fake.app.quitCount).toBeGreaterThan(0);
    await vi.waitFor(() => expect(fake.record).toContain('quit'), { timeout: 10_000 });
    expect(await refusesConnections(port)).toBe(true);
  });

  it('a startup failure after the engine started: localized message, nothing left running, exit 1', async () => {
    fake.BrowserWindow.failLoad = new Error('ERR_FILE_NOT_FOUND');
    await start();
    expect(fake.dialog.errors).toHaveLength(1);
    const [title, body] = fake.dialog.errors[0]!;
    expect(title).toBe('Ferry 无法启动'); // app.getLocale() is zh-CN, read after ready
    expect(body).toContain('ERR_FILE_NOT_FOUND');
    expect(fake.BrowserWindow.live()).toHaveLength(0);
    expect(fake.Tray.all.every((t) => t.destroyed)).toBe(true);
    expect(fake.app.exitCode).toBe(1);
    expect(engines).toHaveLength(1);
    expect(await refusesConnections(engines[0]!.listeningPort)).toBe(true);
  });

  it('a failing engine start is reported the same way', async () => {
    await start({
      startEngine: async () => {
        throw new Error('EACCES: permission denied');
      },
    });
    expect(fake.dialog.errors[0]).toEqual(['Ferry 无法启动', expect.stringContaining('EACCES')]);
    expect(fake.app.exitCode).toBe(1);
  });

  it('production builds have no Reload or DevTools in the menu; the dev tree keeps them', async () => {
    fake.app.isPackaged = true;
    fake.app.setAppPaths(appData, path.join(appData, 'Ferry'));
    await start();
    const menu = JSON.stringify(fake.Menu.application);
    expect(menu).toContain('viewMenu');
    expect(menu).not.toMatch(/reload|toggleDevTools|forceReload/i);
    expect(menu).toContain('togglefullscreen');
  });

  it('moves an existing browser-mode profile into the desktop profile on first start', async () => {
    const legacy = path.join(appData, 'Ferry-cli');
    await mkdir(legacy, { recursive: true });
    const before = await FerryNode.start({
      dataDir: legacy,
      host: '127.0.0.1',
      port: 0,
      discovery: false,
      ipmsg: false,
    });
    const id = (await before.getSelf()).id;
    await before.stop();
    await start();
    expect((await invoke<{ id: string }>('getSelf')).id).toBe(id);
    await expect(stat(legacy)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("where updates apply, checks at start and asks in the user's language before downloading", async () => {
    const { EventEmitter } = await import('node:events');
    const updater = Object.assign(new EventEmitter(), {
      autoDownload: true,
      autoInstallOnAppQuit: false,
      checkForUpdates: vi.fn(async () => null),
      downloadUpdate: vi.fn(async () => []),
    });
    const asked = vi.spyOn(fake.dialog, 'showMessageBox');
    await start({ updatesSupported: async () => true, loadUpdater: async () => updater });
    expect(updater.checkForUpdates).toHaveBeenCalledTimes(1);
    updater.emit('update-available', { version: '9.9.9' });
    await vi.waitFor(() => expect(asked).toHaveBeenCalled(), { timeout: 10_000 });
    expect(JSON.stringify(asked.mock.calls[0])).toContain('Ferry 9.9.9 已发布');
    expect(updater.downloadUpdate).not.toHaveBeenCalled(); // the fake dialog answers "Not now"
  });

  it('SIGTERM quits like the Quit menu: the engine stops, then the app quits', async () => {
    await start();
    const { port } = await invoke<{ port: number }>('getSelf');
    lastSignals!.emit('SIGTERM');
    await vi.waitFor(() => expect(fake.record).toContain('quit'), { timeout: 10_000 });
    expect(await refusesConnections(port)).toBe(true);
    expect(fake.app.exitCode).toBeNull();
  });
});
