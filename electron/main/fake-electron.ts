/**
 * A stand-in for the `electron` module in main-process tests (Electron's binary can't
 * run here). It keeps the behaviour the lifecycle code depends on: `whenReady` resolves,
 * `getLocale` throws before ready (as Electron returns nothing useful then), a closed
 * window is destroyed and every call on it throws "Object has been destroyed", `quit`
 * runs before-quit/will-quit and honours preventDefault, closing the last window emits
 * window-all-closed. It proves our wiring, not Electron itself.
 */
import { EventEmitter } from 'node:events';

export const record: string[] = [];

class Emitter extends EventEmitter {
  emitWithDefault(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

const paths = new Map<string, string>();
let isReady = false;
let resolveReady: () => void = () => {};
let readyPromise = new Promise<void>((r) => (resolveReady = r));

class FakeApp extends Emitter {
  isPackaged = false;
  switches = new Set<string>();
  locale = 'zh-CN';
  exitCode: number | null = null;
  quitCount = 0;
  lock = true;
  commandLine = { hasSwitch: (name: string) => this.switches.has(name) };
  requestSingleInstanceLock = () => {
    record.push(`lock:${paths.get('userData')}`);
    return this.lock;
  };
  setAppUserModelId = (id: string) => record.push(`aumid:${id}`);
  badgeCount = 0;
  setBadgeCount = (count: number) => {
    this.badgeCount = count;
    return true;
  };
  getPath = (name: string) => {
    const p = paths.get(name);
    if (!p) throw new Error(`fake app.getPath: no path for ${name}`);
    return p;
  };
  setPath = (name: string, value: string) => {
    record.push(`setPath:${name}=${value}`);
    paths.set(name, value);
  };
  getLocale = () => {
    if (!isReady) throw new Error('fake app.getLocale called before ready');
    return this.locale;
  };
  whenReady = () => readyPromise;
  ready(): void {
    isReady = true;
    resolveReady();
    this.emit('ready');
  }
  quit = () => {
    this.quitCount++;
    this.emitWithDefault('before-quit');
    if (this.emitWithDefault('will-quit')) return;
    record.push('quit');
    this.emit('quit');
  };
  exit = (code = 0) => {
    this.exitCode = code;
    record.push(`exit:${code}`);
  };
  setAppPaths(appData: string, userData: string): void {
    paths.set('appData', appData);
    paths.set('userData', userData);
  }
}
export let app = new FakeApp();

function destroyedGuard<T extends object>(target: T, isDestroyed: () => boolean): T {
  return new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof value === 'function' && isDestroyed() && key !== 'isDestroyed')
        return () => {
          throw new TypeError('Object has been destroyed');
        };
      return value;
    },
  });
}

export class BrowserWindow extends Emitter {
  static all: BrowserWindow[] = [];
  static failLoad: Error | null = null;
  destroyed = false;
  visible = false;
  focused = false;
  loadedUrl = '';
  readonly webContents: { send: (channel: string, payload: unknown) => void; mainFrame: { url: string } };
  readonly sent: [string, unknown][] = [];
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    const mainFrame = { url: '' };
    this.webContents = destroyedGuard(
      {
        mainFrame,
        send: (channel: string, payload: unknown) => {
          this.sent.push([channel, payload]);
        },
      },
      () => this.destroyed,
    );
    // Every method on a destroyed window throws, as in Electron.
    return destroyedGuard(this, () => this.destroyed);
  }
  isDestroyed = () => this.destroyed;
  isMinimized = () => false;
  isFocused = () => this.focused;
  isVisible = () => this.visible;
  restore = () => {};
  show = () => {
    this.visible = true;
  };
  hide = () => {
    this.visible = false;
  };
  focus = () => {
    this.focused = true;
  };
  loadURL = async (url: string) => {
    if (BrowserWindow.failLoad) throw BrowserWindow.failLoad;
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    this.emit('ready-to-show');
  };
  /** A user click on the close button. */
  close = () => {
    if (this.emitWithDefault('close')) return;
    this.destroy();
  };
  destroy = () => {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
    if (BrowserWindow.all.every((w) => w.destroyed)) app.emit('window-all-closed');
  };
  static live(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
}

export const dialog = {
  errors: [] as [string, string][],
  showErrorBox: (title: string, content: string) => {
    dialog.errors.push([title, content]);
  },
  showMessageBox: async () => ({ response: 1 }),
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
};

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;
export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle: (channel: string, handler: Handler) => ipcMain.handlers.set(channel, handler),
  removeHandler: (channel: string) => ipcMain.handlers.delete(channel),
};

export const Menu = {
  application: null as unknown,
  buildFromTemplate: (template: unknown[]) => ({ template }),
  setApplicationMenu: (menu: unknown) => {
    Menu.application = menu;
  },
};

export const nativeImage = { createFromPath: () => ({ resize: () => ({}) }) };
export const nativeTheme = { shouldUseDarkColors: false };

export class Notification extends EventEmitter {
  static shown: { title: string; body: string }[] = [];
  static isSupported = () => true;
  constructor(private readonly opts: { title: string; body: string }) {
    super();
  }
  show(): void {
    Notification.shown.push({ title: this.opts.title, body: this.opts.body });
  }
}

export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown) => record.push(`scheme:${JSON.stringify(schemes)}`),
  handle: () => {},
};
export const session = {
  defaultSession: { setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} },
};
export const shell = { openExternal: async () => {}, openPath: async () => '', showItemInFolder: () => {} };

export class Tray extends EventEmitter {
  static all: Tray[] = [];
  destroyed = false;
  constructor() {
    super();
    Tray.all.push(this);
  }
  setToolTip(): void {}
  setContextMenu(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

/** A fresh Electron for the next test: a new app (no listeners, not ready), no windows, nothing recorded. */
export function resetFakeElectron(): void {
  record.length = 0;
  paths.clear();
  isReady = false;
  readyPromise = new Promise<void>((r) => (resolveReady = r));
  app = new FakeApp();
  BrowserWindow.all = [];
  BrowserWindow.failLoad = null;
  dialog.errors = [];
  ipcMain.handlers.clear();
  Menu.application = null;
  Notification.shown = [];
  Tray.all = [];
}
