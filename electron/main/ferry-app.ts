/**
 * The desktop app's lifecycle: single instance, the engine, the hardened window,
 * IPC, tray, notifications, the app menu and the update check. The only code that
 * touches Electron besides the preload.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  protocol,
  session,
  shell,
  Tray,
} from 'electron';
import path from 'node:path';
import type { FerryEvent } from '../../shared/api';
import { IPC } from '../../shared/host-api';
import { FerryNode } from '../core/ferry-node';
import { installLastResort, type LastResortOptions } from '../core/last-resort';
import { appMenuTemplate } from './app-menu';
import { devUserDataDir, engineDataDir, LEGACY_CLI_PROFILE, migrateLegacyProfile } from './app-profile';
import { APP_ORIGIN, denyAllPermissions, hardenedWebPreferences, lockDownContents } from './hardened-window';
import { createHostHandlers } from './host-handlers';
import { registerIpc } from './ipc-adapter';
import { isTrustedSender } from './trusted-sender';
import { mainStrings, type MainStrings } from './main-strings';
import { registerAppScheme, serveRenderer } from './renderer-protocol';
import { canShowTray, dbusStatusNotifierWatcher } from './tray-support';
import { macDeveloperId, startUpdateChecks, updatesSupported, type UpdateChecks, type Updater } from './update-check';

/** electron-builder.yml `appId`: Windows matches notifications and taskbar icons to the shortcut's AUMID by it. */
export const APP_ID = 'app.ferry.desktop';

export interface FerryAppOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** Starts the engine in the profile's data folder (tests: loopback only, no discovery). */
  startEngine?: (dataDir: string) => Promise<FerryNode>;
  trayAvailable?: () => Promise<boolean>;
  /** electron-updater's autoUpdater, loaded only where updates can apply. */
  loadUpdater?: () => Promise<Updater>;
  updatesSupported?: () => Promise<boolean>;
  /** Where SIGTERM/SIGINT arrive (tests pass an emitter, not the test runner's process). */
  signals?: { once(signal: NodeJS.Signals, listener: () => void): unknown };
  /** Installs the process-wide net for unexpected errors (tests pass a recorder, not the runner's process). */
  lastResort?: (options: LastResortOptions) => () => void;
}

/** Resolves once startup has finished (window shown) or failed (app exiting). */
export function startFerryApp(options: FerryAppOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const argv = process.argv;
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
  // The dev tree never shares the installed app's identity, database or instance lock.
  // Must happen before anything reads userData (the single-instance lock does).
  if (!app.isPackaged && !app.commandLine.hasSwitch('user-data-dir')) {
    app.setPath('userData', devUserDataDir(app.getPath('appData')));
  }
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return Promise.resolve();
  }
  registerAppScheme(protocol);

  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let engine: FerryNode | null = null;
  let updates: UpdateChecks | null = null;
  let started = false;
  let quitting = false;
  let closeToTray = true;
  /** Unread messages, as the engine counts them (its unreadTotal events). */
  let unread = 0;
  /** Conversations the user muted: no notification for their messages. */
  const muted = new Set<string>();
  let strings: MainStrings = mainStrings('system', 'en');

  /** The window if it is still alive: after `closed` every call on it would throw "Object has been destroyed". */
  const liveWindow = () => (window && !window.isDestroyed() ? window : null);

  const showWindow = () => {
    const win = liveWindow();
    if (!win) {
      // macOS dock click or a second launch after the window was closed: open a new one.
      if (started && !quitting) void openWindow().catch(failStartup);
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  // A service manager's or a terminal's stop request quits like the Quit menu: engine stopped, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) (options.signals ?? process).once(signal, () => app.quit());

  const startEngine =
    options.startEngine ??
    ((dataDir: string) =>
      FerryNode.start({
        dataDir,
        portFallback: true,
        ...(argv.includes('--no-discovery') ? { discovery: false } : {}),
        ...(argv.includes('--no-ipmsg') ? { ipmsg: false } : {}),
      }));

  const ready = app.whenReady().then(async () => {
    // The OS locale is only known after ready.
    strings = mainStrings('system', app.getLocale());
    try {
      serveRenderer(protocol, path.join(import.meta.dirname, '../renderer'));
      denyAllPermissions(session.defaultSession);
      app.on('web-contents-created', (_event, contents) =>
        lockDownContents(contents, (url) => void shell.openExternal(url)),
      );

      const dataDir = engineDataDir(app.getPath('userData'));
      await migrateLegacyProfile(path.join(app.getPath('appData'), LEGACY_CLI_PROFILE), dataDir);
      engine = await startEngine(dataDir);
      const node = engine;
      // Last resort: an unexpected error is logged once and the app keeps serving, or it stops
      // the engine and exits saying why (see electron/core/last-resort.ts).
      (options.lastResort ?? installLastResort)({
        context: () => `Ferry desktop (engine port ${node.listeningPort})`,
        shutdown: () => node.stop(),
        exit: (code) => app.exit(code),
      });
      const settings = await node.getSettings();
      strings = mainStrings(settings.language, app.getLocale());
      // What was unread when the app last closed shows on the badge from the start.
      const conversations = await node.listConversations();
      unread = conversations.reduce((n, c) => n + c.unread, 0);
      for (const c of conversations) if (c.muted) muted.add(c.id);

      const trayShows = await (
        options.trayAvailable ??
        (() => canShowTray({ platform, env, statusNotifierWatcher: dbusStatusNotifierWatcher }))
      )();
      if (trayShows) tray = createTray();
      // Without a visible tray, closing really closes (and quits, except on macOS).
      closeToTray = settings.closeToTray && !!tray;

      registerIpc(ipcMain, {
        engine: node,
        host: createHostHandlers({
          dialog,
          shell,
          window: liveWindow,
          isReceivedFile: async (file) => node.isReceivedFile(file),
        }),
        isTrustedSender: (event) =>
          isTrustedSender(event, {
            contents: liveWindow()?.webContents ?? null,
            appOrigin: APP_ORIGIN,
            devUrl: (!app.isPackaged && env.ELECTRON_RENDERER_URL) || null,
          }),
      });
      node.subscribe((event) => {
        liveWindow()?.webContents.send(IPC.event, event);
        onEngineEvent(event);
      });
      Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(platform, app.isPackaged)));
      updateTray();
      await openWindow();
      started = true;
      // `npm start` waits for this line: Electron dying before it means "fall back to browser mode".
      if (env.FERRY_REPORT_READY === '1') process.stdout.write('ferry:ready\n');
      await startUpdates();
    } catch (err) {
      await failStartup(err);
    }
  });

  async function openWindow(): Promise<void> {
    const win = new BrowserWindow({
      width: 1100,
      height: 720,
      minWidth: 900,
      minHeight: 600,
      show: false,
      title: 'Ferry',
      // Matches the renderer's background so there is no white flash in dark mode.
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#17181b' : '#ffffff',
      webPreferences: hardenedWebPreferences(path.join(import.meta.dirname, '../preload/index.cjs')),
    });
    window = win;
    win.once('ready-to-show', () => {
      if (!win.isDestroyed()) win.show();
    });
    win.on('close', (event) => {
      if (!quitting && closeToTray && tray) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (window === win) window = null;
    });
    const devUrl = !app.isPackaged ? env.ELECTRON_RENDERER_URL : undefined;
    await win.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
  }

  function createTray(): Tray | null {
    try {
      // Packaged: copied into resources by electron-builder (extraResources); dev: straight from build/.
      const icon = app.isPackaged
        ? path.join(process.resourcesPath, 'tray-icon.png')
        : path.join(import.meta.dirname, '../../build/icons/32x32.png');
      const t = new Tray(nativeImage.createFromPath(icon).resize({ width: 16, height: 16 }));
      t.setToolTip('Ferry');
      t.on('click', showWindow);
      return t;
    } catch {
      return null; // no tray on this desktop: the window just closes
    }
  }

  async function startUpdates(): Promise<void> {
    const supported = await (
      options.updatesSupported ??
      (() =>
        updatesSupported({
          isPackaged: app.isPackaged,
          platform,
          env,
          macDeveloperId: () => macDeveloperId(process.execPath),
        }))
    )();
    if (!supported) return;
    const updater = await (options.loadUpdater ?? (async () => (await import('electron-updater')).autoUpdater))();
    updates = startUpdateChecks(updater, {
      offer: async (version) => {
        const win = liveWindow();
        const box = {
          type: 'info' as const,
          message: strings.updateAvailable(version),
          detail: strings.updateAsk,
          buttons: [strings.updateDownload, strings.updateLater],
          defaultId: 0,
          cancelId: 1,
        };
        const { response } = win ? await dialog.showMessageBox(win, box) : await dialog.showMessageBox(box);
        return response === 0;
      },
      downloaded: (version) => notify(null, strings.updateReady(version), strings.updateReadyBody),
      log: (message) => console.warn(`Ferry: ${message}`),
    });
  }

  /** Startup broke after the lock was taken: say so in the user's language, release everything, exit. */
  async function failStartup(err: unknown): Promise<void> {
    if (quitting) return;
    quitting = true;
    dialog.showErrorBox(strings.startFailed, strings.startFailedDetail((err as Error)?.message ?? String(err)));
    updates?.stop();
    const win = liveWindow();
    if (win) win.destroy();
    tray?.destroy();
    tray = null;
    const stopping = engine;
    engine = null;
    await stopping?.stop().catch(() => undefined);
    app.exit(1);
  }

  function onEngineEvent(event: FerryEvent): void {
    if (event.name === 'settingsUpdated') {
      const settings = event.payload;
      closeToTray = settings.closeToTray && !!tray;
      strings = mainStrings(settings.language, app.getLocale());
      updateTray();
    }
    if (event.name === 'messageAdded') {
      const message = event.payload;
      if (message.direction === 'in' && !muted.has(message.conversationId) && !liveWindow()?.isFocused()) {
        void peerName(message.peerId).then((name) =>
          notify(message.peerId, strings.newMessage(name), message.text.slice(0, 200)),
        );
      }
    }
    if (event.name === 'conversationUpdated') {
      if (event.payload.muted) muted.add(event.payload.id);
      else muted.delete(event.payload.id);
    }
    if (event.name === 'unreadTotal') {
      // The engine's count: the badge drops as conversations are read, not when the window is focused.
      unread = event.payload.count;
      updateTray();
    }
    if (event.name === 'transferUpdated') {
      const transfer = event.payload;
      if (transfer.direction === 'in' && transfer.state === 'offered' && !liveWindow()?.isFocused()) {
        void peerName(transfer.peerId).then((name) =>
          notify(
            transfer.peerId,
            strings.filesOffered(name),
            strings.filesSummary(transfer.fileCount, formatBytes(transfer.totalBytes)),
          ),
        );
      }
    }
  }

  async function peerName(peerId: string): Promise<string> {
    const peers = (await engine?.listPeers()) ?? [];
    return peers.find((p) => p.id === peerId)?.name ?? peerId.slice(0, 8);
  }

  function notify(peerId: string | null, title: string, body: string): void {
    if (!Notification.isSupported()) return;
    const n = new Notification({ title, body, silent: false });
    n.on('click', () => {
      showWindow();
      if (peerId) liveWindow()?.webContents.send(IPC.openConversation, peerId);
    });
    n.show();
  }

  function updateTray(): void {
    app.setBadgeCount(unread);
    tray?.setContextMenu(
      Menu.buildFromTemplate([
        { label: unread ? strings.showUnread(unread) : strings.show, click: showWindow },
        { type: 'separator' },
        { label: strings.quit, click: () => app.quit() },
      ]),
    );
  }

  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    updates?.stop();
    if (!engine) return;
    event.preventDefault();
    const stopping = engine;
    engine = null;
    void stopping.stop().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (platform !== 'darwin') app.quit();
  });

  return ready;
}

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
