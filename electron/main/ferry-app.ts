/**
 * The desktop app's lifecycle: single instance, the engine, the hardened window,
 * IPC, tray, notifications and the app menu. The only code that touches Electron
 * besides the preload.
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
import type { MessageDto, SettingsDto, TransferDto } from '../../shared/dto';
import { IPC } from '../../shared/host-api';
import { FerryNode } from '../core/ferry-node';
import { APP_ORIGIN, denyAllPermissions, hardenedWebPreferences, lockDownContents } from './hardened-window';
import { createHostHandlers } from './host-handlers';
import { registerIpc } from './ipc-adapter';
import { mainStrings, type MainStrings } from './main-strings';
import { registerAppScheme, serveRenderer } from './renderer-protocol';

export function startFerryApp(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme(protocol);

  let window: BrowserWindow | null = null;
  let tray: Tray | null = null;
  let engine: FerryNode | null = null;
  let quitting = false;
  let closeToTray = true;
  let unread = 0;
  let strings: MainStrings = mainStrings('system', app.getLocale());

  const showWindow = () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  app.on('second-instance', showWindow);

  app.whenReady().then(async () => {
    const rendererRoot = path.join(import.meta.dirname, '../renderer');
    serveRenderer(protocol, rendererRoot);
    denyAllPermissions(session.defaultSession);
    app.on('web-contents-created', (_event, contents) =>
      lockDownContents(contents, (url) => void shell.openExternal(url)),
    );

    try {
      engine = await FerryNode.start({ dataDir: path.join(app.getPath('userData'), 'engine'), portFallback: true });
    } catch (err) {
      dialog.showErrorBox(strings.startFailed, (err as Error).message);
      app.quit();
      return;
    }
    const node = engine;
    const settings = await node.getSettings();
    closeToTray = settings.closeToTray;
    strings = mainStrings(settings.language, app.getLocale());

    window = new BrowserWindow({
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
    window.once('ready-to-show', () => window?.show());
    window.on('close', (event) => {
      if (!quitting && closeToTray && tray) {
        event.preventDefault();
        window?.hide();
      }
    });

    registerIpc(ipcMain, {
      engine: node,
      host: createHostHandlers({
        dialog,
        shell,
        window: () => window,
        isReceivedFile: async (file) => node.isReceivedFile(file),
      }),
      isTrustedSender: (event) =>
        !!window &&
        event.sender === window.webContents &&
        event.senderFrame === window.webContents.mainFrame &&
        (event.senderFrame?.url.startsWith(APP_ORIGIN) || (!app.isPackaged && !!process.env.ELECTRON_RENDERER_URL)),
    });

    node.subscribe((event) => {
      window?.webContents.send(IPC.event, event);
      onEngineEvent(event);
    });

    const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
    await window.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);

    // Packaged: copied into resources by electron-builder (extraResources); dev: straight from build/.
    const trayIcon = app.isPackaged
      ? path.join(process.resourcesPath, 'tray-icon.png')
      : path.join(import.meta.dirname, '../../build/icons/32x32.png');
    tray = new Tray(nativeImage.createFromPath(trayIcon).resize({ width: 16, height: 16 }));
    tray.setToolTip('Ferry');
    tray.on('click', showWindow);
    updateTray();
    Menu.setApplicationMenu(buildMenu());
  });

  function onEngineEvent(event: FerryEvent): void {
    if (event.name === 'settingsUpdated') {
      const settings = event.payload as SettingsDto;
      closeToTray = settings.closeToTray;
      strings = mainStrings(settings.language, app.getLocale());
      updateTray();
    }
    if (event.name === 'messageAdded') {
      const message = event.payload as MessageDto;
      if (message.direction === 'in' && !window?.isFocused()) {
        unread++;
        updateTray();
        void peerName(message.peerId).then((name) =>
          notify(message.peerId, strings.newMessage(name), message.text.slice(0, 200)),
        );
      }
    }
    if (event.name === 'transferUpdated') {
      const transfer = event.payload as TransferDto;
      if (transfer.direction === 'in' && transfer.state === 'offered' && !window?.isFocused()) {
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

  function notify(peerId: string, title: string, body: string): void {
    if (!Notification.isSupported()) return;
    const n = new Notification({ title, body, silent: false });
    n.on('click', () => {
      showWindow();
      window?.webContents.send(IPC.openConversation, peerId);
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

  function buildMenu(): Menu {
    return Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]);
  }

  app.on('browser-window-focus', () => {
    unread = 0;
    updateTray();
  });
  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (!engine) return;
    event.preventDefault();
    const stopping = engine;
    engine = null;
    void stopping.stop().finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
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
