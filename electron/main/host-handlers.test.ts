import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PASTE_MAX_BYTES } from '../../shared/host-api';
import { tempDir } from '../../test/helpers/temp-dir';
import { createHostHandlers, opensSafely } from './host-handlers';

function handlers(received: string[], pasteDir?: string) {
  const shell = { openPath: vi.fn(async () => ''), showItemInFolder: vi.fn() };
  const h = createHostHandlers({
    dialog: {} as never,
    shell: shell as never,
    window: () => null,
    isReceivedFile: async (f) => received.includes(f),
    ...(pasteDir ? { pasteDir } : {}),
  });
  return { h, shell };
}

describe('pasted files (desktop)', () => {
  it('writes each paste into a folder of its own under the paste folder, under a safe name, and never overwrites', async () => {
    const dir = await tempDir();
    const { h } = handlers([], dir);
    const bytes = Buffer.from('a screenshot, pretend');
    const first = await h.savePastedFile('Screenshot 2026-11-24 13.05.png', bytes.toString('base64'));
    const second = await h.savePastedFile('Screenshot 2026-11-24 13.05.png', Buffer.from('another').toString('base64'));
    expect(path.basename(first)).toBe('Screenshot 2026-11-24 13.05.png');
    expect(path.dirname(path.dirname(first))).toBe(dir);
    expect(second).not.toBe(first);
    expect(await readFile(first)).toEqual(bytes);
    expect((await readFile(second)).toString()).toBe('another');
    // A name that would climb out of its folder or is a Windows device is made safe.
    const sneaky = await h.savePastedFile('..', Buffer.from('x').toString('base64')).catch((e: unknown) => e);
    expect(sneaky).toMatchObject({ code: 'NAME_REJECTED' });
    const device = await h.savePastedFile('CON.png', Buffer.from('x').toString('base64'));
    expect(path.basename(device)).toBe('_CON.png');
    const slash = await h.savePastedFile('a/b.png', Buffer.from('x').toString('base64'));
    expect(path.dirname(path.dirname(slash))).toBe(dir);
    expect(path.basename(slash)).toBe('a_b.png');
    expect((await readdir(dir)).length).toBe(4);
  });

  it('refuses what is not base64, and anything over the size limit', async () => {
    const dir = await tempDir();
    const { h } = handlers([], dir);
    expect(await h.savePastedFile('a.png', 'not base64!').catch((e: unknown) => e)).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const tooBig = Buffer.alloc(PASTE_MAX_BYTES + 3).toString('base64');
    expect(await h.savePastedFile('a.png', tooBig).catch((e: unknown) => e)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `a pasted file is at most ${PASTE_MAX_BYTES} bytes`,
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('host handlers', () => {
  it('opens a received document with its default app', async () => {
    const { h, shell } = handlers(['/home/u/Downloads/Ferry/report.pdf']);
    await h.openPath('/home/u/Downloads/Ferry/report.pdf');
    expect(shell.openPath).toHaveBeenCalledWith('/home/u/Downloads/Ferry/report.pdf');
  });

  it('never executes a received program: shows it in its folder instead', async () => {
    const file = '/home/u/Downloads/Ferry/setup.EXE';
    const { h, shell } = handlers([file]);
    await h.openPath(file);
    expect(shell.openPath).not.toHaveBeenCalled();
    expect(shell.showItemInFolder).toHaveBeenCalledWith(file);
    for (const name of ['a.bat', 'b.ps1', 'c.lnk', 'd.sh', 'e.AppImage', 'f.desktop', 'g.jar', 'Makefile', 'run'])
      expect(opensSafely(name), name).toBe(false);
    for (const name of ['a.txt', 'b.JPG', 'c.pdf', 'd.zip', 'e.docx', 'f.mp4'])
      expect(opensSafely(name), name).toBe(true);
  });

  it('refuses to open the kinds a deny-list missed (help files, consoles, disk images, add-ins, shell links)', async () => {
    const kinds =
      'chm msc application appref-ms iso img vhd vhdx xll scf inf settingcontent-ms library-ms terminal html svg pdf.exe'.split(
        ' ',
      );
    const files = kinds.map((k) => `/home/u/Downloads/Ferry/x.${k}`);
    const { h, shell } = handlers(files);
    for (const file of files) await h.openPath(file);
    expect(shell.openPath).not.toHaveBeenCalled();
    expect(shell.showItemInFolder).toHaveBeenCalledTimes(files.length);
  });

  it('refuses paths Ferry did not receive, and relative paths', async () => {
    const { h, shell } = handlers([]);
    await expect(h.openPath('/etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.showInFolder('/etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.openPath('relative/file.txt')).rejects.toThrow(/absolute/);
    expect(shell.openPath).not.toHaveBeenCalled();
  });
});
