/**
 * The dev tree on REAL Electron (Playwright's `_electron.launch`), against a real engine peer
 * on 127.0.0.1. Runs in the GitHub workflow on Linux, Windows and macOS (needs `npm run build`
 * and the Electron binary); where the binary is missing every test reports skipped.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { requestNames } from '../../shared/api';
import { hostRequests } from '../../shared/host-api';
import { startNode, type TestNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { electronBinary, eventually, needs, root } from './real-electron';

const running: ElectronApplication[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.close().catch(() => undefined);
});

interface Launched {
  app: ElectronApplication;
  page: Page;
  pageErrors: string[];
  mainLog: string[];
}

async function launch(electron: string, userDataDir: string): Promise<Launched> {
  const app = await _electron.launch({
    executablePath: electron,
    args: [root, '--no-discovery', '--no-ipmsg', `--user-data-dir=${userDataDir}`],
    env: { ...process.env, FERRY_NO_UPDATE_CHECK: '1' } as Record<string, string>,
    timeout: 60_000,
  });
  running.push(app);
  const mainLog: string[] = [];
  app.process().stderr?.on('data', (c: Buffer) => mainLog.push(c.toString('utf8')));
  app.process().stdout?.on('data', (c: Buffer) => mainLog.push(c.toString('utf8')));
  const page = await app.firstWindow();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.waitForFunction(() => typeof window.ferry === 'object');
  return { app, page, pageErrors, mainLog };
}

async function quitWithin(app: ElectronApplication, ms: number): Promise<number | null> {
  const child = app.process();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await app.evaluate(({ app: a }) => a.quit());
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Ferry did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([exited, limit]);
  } finally {
    clearTimeout(timer);
    running.splice(running.indexOf(app), 1);
  }
}

describe('desktop app on real Electron (dev tree)', () => {
  it('opens hardened on its own scheme, chats and sends files through real IPC, quits, keeps history', async (ctx) => {
    const electron = needs(ctx, electronBinary());
    const userData = await tempDir('ferry-electron-profile-');
    const peer: TestNode = await startNode('peer');
    const { app, page, pageErrors } = await launch(electron, userData);

    expect(page.url()).toMatch(/^ferry-app:\/\/ui\//);
    // The window's webPreferences, where this Electron still exposes them at runtime (the set
    // itself is asserted in hardened-window.test.ts); and the renderer process really is
    // sandboxed where Electron reports it (macOS, Windows).
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const contents = BrowserWindow.getAllWindows()[0]!.webContents as unknown as {
        getLastWebPreferences?: () => Record<string, unknown>;
      };
      const p = contents.getLastWebPreferences?.();
      return p
        ? [
            p.contextIsolation,
            p.sandbox,
            p.nodeIntegration,
            p.nodeIntegrationInWorker,
            p.nodeIntegrationInSubFrames,
            p.webSecurity,
            p.webviewTag,
          ]
        : null;
    });
    if (prefs) expect(prefs).toEqual([true, true, false, false, false, true, false]);
    const renderers = await app.evaluate(({ app: a }) =>
      a
        .getAppMetrics()
        .filter((m) => m.type === 'Tab')
        .map((m) => m.sandboxed),
    );
    expect(renderers.length).toBeGreaterThan(0);
    if (process.platform !== 'linux') expect(renderers.every((s) => s === true)).toBe(true);
    expect(
      await page.evaluate(() => [
        typeof (globalThis as { require?: unknown }).require,
        typeof (globalThis as { process?: unknown }).process,
      ]),
    ).toEqual(['undefined', 'undefined']);
    const exposed = await page.evaluate(() => Object.keys(window.ferry!).sort());
    expect(exposed).toEqual(
      [...requestNames, ...hostRequests, 'host', 'onEvent', 'onOpenConversation', 'getPathForFile'].sort(),
    );

    // Chat both ways through the real preload and IPC.
    const peerSelf = await peer.node.getSelf();
    await page.evaluate((address) => window.ferry!.addPeer(address), peer.address);
    await page.evaluate((id) => window.ferry!.sendMessage(`direct:${id}`, 'hello from Electron'), peerSelf.id);
    await peer.waitFor('messageAdded', (m) => m.text === 'hello from Electron');
    const desktopId = (await page.evaluate(() => window.ferry!.getSelf())).id;
    await peer.node.sendMessage(`direct:${desktopId}`, 'hello back');
    await eventually(async () =>
      expect(
        JSON.stringify(await page.evaluate((id) => window.ferry!.listMessages(`direct:${id}`), peerSelf.id)),
      ).toContain('hello back'),
    );

    // A file through the native dialog (stubbed in the main process), offered to the peer.
    const dir = await tempDir('ferry-electron-files-');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'notes.txt');
    await writeFile(file, 'sent from the desktop app');
    await app.evaluate(({ dialog }, f) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [f] })) as typeof dialog.showOpenDialog;
    }, file);
    await page.evaluate(async (id) => {
      const files = await window.ferry!.pickFiles!();
      return window.ferry!.sendFiles(`direct:${id}`, files);
    }, peerSelf.id);
    await peer.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered');

    expect(pageErrors).toEqual([]);
    expect(await quitWithin(app, 5_000)).toBe(0);

    // Relaunch on the same profile: the history is still there.
    const again = await launch(electron, userData);
    await eventually(async () =>
      expect(
        JSON.stringify(await again.page.evaluate((id) => window.ferry!.listMessages(`direct:${id}`), peerSelf.id)),
      ).toContain('hello from Electron'),
    );
    expect(await quitWithin(again.app, 5_000)).toBe(0);
  }, 180_000);

  it('macOS: with close-to-tray off, a message after closing the window is delivered and the dock click reopens it', async (ctx) => {
    const electron = needs(ctx, electronBinary());
    if (process.platform !== 'darwin') ctx.skip('macOS only (dock activate)');
    const userData = await tempDir('ferry-electron-profile-');
    const peer = await startNode('peer');
    const { app, page, mainLog } = await launch(electron, userData);
    await page.evaluate(() => window.ferry!.updateSettings({ closeToTray: false }));
    const desktopId = (await page.evaluate(() => window.ferry!.getSelf())).id;
    await page.evaluate((address) => window.ferry!.addPeer(address), peer.address);
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    await eventually(async () =>
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(0),
    );

    const sent = await peer.node.sendMessage(`direct:${desktopId}`, 'while closed');
    await peer.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');

    const reopened = app.waitForEvent('window');
    await app.evaluate(({ app: a }) => a.emit('activate'));
    const win = await reopened;
    await win.waitForFunction(() => typeof window.ferry === 'object');
    expect(mainLog.join('')).not.toMatch(/Object has been destroyed/);
    expect(await quitWithin(app, 5_000)).toBe(0);
  }, 120_000);
});
