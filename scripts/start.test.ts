/**
 * `npm start`'s fallbacks with stand-in Electron executables (shell scripts: the real binary
 * can't run here): one that dies at start the way Chromium does under AppArmor, one that
 * reports its window and exits.
 */
import { spawn } from 'node:child_process';
import { chmod, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { defaultDataDir } from '../electron/cli/cli-options';
import { devUserDataDir, engineDataDir } from '../electron/main/app-profile';
import { tempDir } from '../test/helpers/temp-dir';
// @ts-expect-error: plain JS script without types
import { appDataDir, devDataDir, linuxSandbox, READY_LINE, runDesktop } from './start.mjs';

const root = path.resolve(import.meta.dirname, '..');
const SUID_ABORT =
  "FATAL:setuid_sandbox_host.cc(163)] The SUID sandbox helper binary was found, but is not configured correctly. Rather than run without sandboxing I'm aborting now.";

async function fakeElectron(body: string): Promise<string> {
  const dir = await tempDir('ferry-fake-electron-');
  const file = path.join(dir, 'electron');
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

const dying = () => fakeElectron(`echo "${SUID_ABORT}" >&2\nkill -TRAP $$`);

describe('npm start', () => {
  it('notices Electron dying before its window, with the reason', async () => {
    const outcome = await runDesktop(await dying(), ['.'], { onExitAfterReady: () => expect.unreachable() });
    expect(outcome).toMatchObject({ ready: false, code: null, signal: 'SIGTRAP' });
    expect(outcome.stderrTail).toContain('SUID sandbox helper');
  });

  it('once the window was up, exits with Electron’s code and does not fall back', async () => {
    const exit = vi.fn();
    const outcome = await runDesktop(await fakeElectron(`echo ${READY_LINE}\nexit 3`), ['.'], {
      onExitAfterReady: exit,
    });
    expect(outcome.ready).toBe(true);
    expect(exit).toHaveBeenCalledWith(3);
  });

  it('falls back to browser mode on the dev profile when Electron starts and dies', async () => {
    const home = await tempDir('ferry-start-home-');
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'scripts/start.mjs'),
        '--no-discovery',
        '--no-ipmsg',
        '--no-open',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--json',
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          XDG_CONFIG_HOME: path.join(home, '.config'),
          FERRY_ELECTRON_PATH: await dying(),
          FERRY_SKIP_BUILD: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(stdout).toMatch(/"event":"ui"/), { timeout: 60_000, interval: 100 });
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
    expect(stderr).toContain('was killed by SIGTRAP before its window was up');
    expect(stderr).toContain('SUID sandbox helper');
    expect((await stat(path.join(home, '.config', 'Ferry-dev', 'engine', 'identity'))).isDirectory()).toBe(true);
  }, 90_000);

  it('on a system forbidding user namespaces, keeps the sandbox only when the setuid helper is set up', () => {
    const plain = path.join(root, 'package.json'); // not setuid root
    const off = linuxSandbox({ platform: 'linux', restricted: true, helper: plain });
    expect(off.args).toEqual(['--no-sandbox']);
    expect(off.note).toContain(`sudo chmod 4755 ${plain}`);
    expect(linuxSandbox({ platform: 'linux', restricted: true, helper: '/usr/bin/passwd' }).args).toEqual([]);
    expect(linuxSandbox({ platform: 'linux', restricted: false, helper: plain }).args).toEqual([]);
    expect(linuxSandbox({ platform: 'darwin', restricted: true, helper: plain }).args).toEqual([]);
  });

  it('one profile: the CLI default is the installed app’s engine folder; the dev tree has its own', () => {
    const env = { XDG_CONFIG_HOME: '/x/config' };
    const appData = appDataDir('linux', env, '/home/u');
    expect(devDataDir('linux', env, '/home/u')).toBe(engineDataDir(devUserDataDir(appData)));
    const saved = { ...process.env };
    try {
      delete process.env.FERRY_DATA_DIR;
      Object.assign(process.env, env);
      if (process.platform === 'linux') expect(defaultDataDir()).toBe(engineDataDir(path.join(appData, 'Ferry')));
    } finally {
      process.env = saved;
    }
  });
});
