/**
 * Opening the UI link: the opener is looked up on PATH, so each test puts a
 * stand-in script first on PATH that records its arguments (no real browser
 * ever starts). macOS and Windows choose other openers; their choice is checked
 * by presenting that platform name (the openers themselves don't exist here).
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir';
import { waitForValue } from '../../test/helpers/wait';
import { openInBrowser } from './open-in-browser';

const realPath = process.env.PATH;
const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform')!;
afterEach(() => {
  process.env.PATH = realPath;
  Object.defineProperty(process, 'platform', realPlatform);
});

/** PATH holds only a folder with `name`, a script that writes its arguments (one a line) to a file. */
async function standIn(name: string): Promise<() => Promise<string[]>> {
  const dir = await tempDir('ferry-opener-');
  const out = path.join(dir, 'args.txt');
  const script = path.join(dir, name);
  // It also notes what its stdin is and its process group, to check the opener is detached from us.
  await writeFile(
    script,
    '#!/bin/sh\n' +
      `/usr/bin/readlink /proc/$$/fd/0 > "${dir}/stdin.txt"\n` +
      `/usr/bin/cut -d' ' -f5 /proc/$$/stat > "${dir}/pgid.txt"\n` +
      `printf '%s\\n' "$@" > "${out}.tmp" && /bin/mv "${out}.tmp" "${out}"\n`,
  );
  await chmod(script, 0o755);
  process.env.PATH = dir;
  lastStandIn = dir;
  return async () =>
    (await waitForValue(() => readFile(out, 'utf8').catch(() => undefined), { what: `${name} to run` }))
      .split('\n')
      .slice(0, -1);
}

let lastStandIn = '';
const url = 'http://127.0.0.1:5173/?code=abc&x=1';

describe('open in browser', () => {
  it('on Linux hands the link to xdg-open and says it started', async () => {
    Object.defineProperty(process, 'platform', { value: 'linux' });
    const args = await standIn('xdg-open');
    expect(await openInBrowser(url)).toBe(true);
    expect(await args()).toEqual([url]);
    // Detached: in its own process group, reading nothing from our terminal.
    expect((await readFile(path.join(lastStandIn, 'stdin.txt'), 'utf8')).trim()).toBe('/dev/null');
    const ourGroup = (await readFile('/proc/self/stat', 'utf8')).split(' ')[4];
    expect((await readFile(path.join(lastStandIn, 'pgid.txt'), 'utf8')).trim()).not.toBe(ourGroup);
  });

  it('on macOS uses open', async () => {
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    const args = await standIn('open');
    expect(await openInBrowser(url)).toBe(true);
    expect(await args()).toEqual([url]);
  });

  it('on Windows uses start through cmd, with & escaped for cmd', async () => {
    Object.defineProperty(process, 'platform', { value: 'win32' });
    const args = await standIn('cmd');
    expect(await openInBrowser(url)).toBe(true);
    expect(await args()).toEqual(['/c', 'start', '""', 'http://127.0.0.1:5173/?code=abc^&x=1']);
  });

  it('says false when there is no opener', async () => {
    Object.defineProperty(process, 'platform', { value: 'linux' });
    process.env.PATH = await tempDir('ferry-no-opener-');
    expect(await openInBrowser(url)).toBe(false);
  });

  it('says false for a link no opener can be given (a NUL byte in it)', async () => {
    Object.defineProperty(process, 'platform', { value: 'linux' });
    await standIn('xdg-open');
    expect(await openInBrowser('http://127.0.0.1:1/\u0000')).toBe(false);
  });
});
