/**
 * The PACKAGED app on real Electron: fuses read back from the binary, the macOS signature,
 * and a start over the Chrome DevTools Protocol with a temp profile: `window.ferry` answers,
 * a chat round trip with a real peer on 127.0.0.1, SIGTERM → exit 0. The GitHub workflow runs
 * it after `npm run package:dir` (and, on Linux, against the installed .deb's /opt/Ferry/ferry).
 * Without a packaged app (here: no Electron binary to package) it reports skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { eventually, needs, packagedApp, root } from './real-electron';

/** What @electron/fuses expects: the .app bundle on macOS, the executable elsewhere. */
const fuseTarget = (exe: string) => (exe.includes('.app/') ? exe.slice(0, exe.indexOf('.app/') + 4) : exe);

describe('packaged app on real Electron', () => {
  it('has the configured fuses flipped', async (ctx) => {
    const exe = needs(ctx, packagedApp());
    const fuses = createRequire(import.meta.url)('@electron/fuses') as {
      getCurrentFuseWire(p: string): Promise<Record<number, number>>;
      FuseV1Options: Record<string, number>;
      FuseState: Record<string, number>;
    };
    const wire = await fuses.getCurrentFuseWire(fuseTarget(exe));
    const { FuseV1Options: O, FuseState: S } = fuses;
    const config = loadYaml(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as {
      electronFuses: Record<string, boolean>;
    };
    const expected: [string, number][] = [
      ['RunAsNode', config.electronFuses.runAsNode ? S.ENABLE! : S.DISABLE!],
      ['EnableCookieEncryption', S.ENABLE!],
      ['EnableNodeOptionsEnvironmentVariable', S.DISABLE!],
      ['EnableNodeCliInspectArguments', S.DISABLE!],
      ['EnableEmbeddedAsarIntegrityValidation', S.ENABLE!],
      ['OnlyLoadAppFromAsar', S.ENABLE!],
      ['GrantFileProtocolExtraPrivileges', S.DISABLE!],
    ];
    for (const [name, state] of expected) expect(wire[O[name]!], name).toBe(state);
  });

  it('macOS: the signature verifies (ad hoc without an identity)', (ctx) => {
    const exe = needs(ctx, packagedApp());
    if (process.platform !== 'darwin') ctx.skip('macOS only');
    execFileSync('codesign', ['--verify', '--deep', '--strict', '--verbose=2', fuseTarget(exe)], { stdio: 'pipe' });
  });

  it('starts, answers over CDP, chats with a peer, and exits 0 on SIGTERM', async (ctx) => {
    const exe = needs(ctx, packagedApp());
    const userData = await tempDir('ferry-packaged-profile-');
    const peer = await startNode('peer');
    const child = spawn(
      exe,
      ['--no-discovery', '--no-ipmsg', `--user-data-dir=${userData}`, '--remote-debugging-port=0'],
      {
        env: { ...process.env, FERRY_NO_UPDATE_CHECK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (c) => (log += c));
    child.stderr.on('data', (c) => (log += c));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      // Chromium writes the chosen port into the profile.
      const port = await eventually(() => {
        const file = path.join(userData, 'DevToolsActivePort');
        if (!existsSync(file)) throw new Error(`no DevToolsActivePort yet; log:\n${log}`);
        return Number(readFileSync(file, 'utf8').split('\n')[0]);
      }, 60_000);
      const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
      const page = await eventually(() => {
        const found = browser
          .contexts()
          .flatMap((c) => c.pages())
          .find((p) => p.url().startsWith('ferry-app://ui/'));
        if (!found) throw new Error('no Ferry window yet');
        return found;
      }, 60_000);
      await page.waitForFunction(() => typeof window.ferry === 'object');
      const self = await page.evaluate(() => window.ferry!.getSelf());
      expect(self.id).toBeTruthy();

      const peerSelf = await peer.node.getSelf();
      await page.evaluate((address) => window.ferry!.addPeer(address), peer.address);
      await page.evaluate((id) => window.ferry!.sendMessage(`direct:${id}`, 'from the packaged app'), peerSelf.id);
      await peer.waitFor('messageAdded', (m) => m.text === 'from the packaged app');
      await peer.node.sendMessage(`direct:${self.id}`, 'reply');
      await eventually(async () =>
        expect(
          JSON.stringify(await page.evaluate((id) => window.ferry!.listMessages(`direct:${id}`), peerSelf.id)),
        ).toContain('reply'),
      );
      await browser.close().catch(() => undefined);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    if (process.platform === 'win32') {
      // Windows has no SIGTERM for GUI processes; Node's kill() there terminates it outright.
      child.kill();
      await exited;
      return;
    }
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
