import { describe, expect, it, vi } from 'vitest';
import { createHostHandlers, opensSafely } from './host-handlers';

function handlers(received: string[]) {
  const shell = { openPath: vi.fn(async () => ''), showItemInFolder: vi.fn() };
  const h = createHostHandlers({
    dialog: {} as never,
    shell: shell as never,
    window: () => null,
    isReceivedFile: async (f) => received.includes(f),
  });
  return { h, shell };
}

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
