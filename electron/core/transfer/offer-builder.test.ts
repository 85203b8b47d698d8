/** Offers built from real files, folders and symlinks in a temp folder. */
import { mkdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { FerryError } from '../ferry-error';
import { buildOffer, sourceError } from './offer-builder';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FerryError);
  return { code: (err as FerryError).code, message: (err as FerryError).message };
}

describe('buildOffer', () => {
  it('offers a file by its name, size and whole-millisecond mtime', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'photo.jpg');
    await writeFile(file, 'abcde');
    await utimes(file, 1_700_000_000.1234, 1_700_000_000.1234);
    const mtime = Math.trunc((await stat(file)).mtimeMs);
    expect(mtime % 1).toBe(0);
    expect(await buildOffer([file])).toEqual([{ path: 'photo.jpg', size: 5, mtime, dir: false, source: file }]);
  });

  it('walks a folder in name order, keeps empty folders, skips symlinked folders and dangling links', async () => {
    const root = await tempDir();
    const album = path.join(root, 'Album');
    await mkdir(path.join(album, 'b-sub', 'deeper'), { recursive: true });
    await mkdir(path.join(album, 'empty'));
    await writeFile(path.join(album, 'z.txt'), 'zz');
    await writeFile(path.join(album, 'a.txt'), 'a');
    await writeFile(path.join(album, 'b-sub', 'deeper', 'c.txt'), 'ccc');
    const outside = path.join(root, 'outside.txt');
    await writeFile(outside, 'linked');
    await symlink(outside, path.join(album, 'link-to-file'));
    await symlink(path.join(album, 'b-sub'), path.join(album, 'loop'));
    await symlink(path.join(root, 'nowhere'), path.join(album, 'dangling'));

    const offer = await buildOffer([album]);
    expect(offer.map((e) => [e.path, e.size, e.dir])).toEqual([
      ['Album/a.txt', 1, false],
      ['Album/b-sub/deeper/c.txt', 3, false],
      ['Album/empty', 0, true],
      ['Album/link-to-file', 6, false],
      ['Album/z.txt', 2, false],
    ]);
    expect(offer.find((e) => e.path === 'Album/empty')).toEqual({
      path: 'Album/empty',
      size: 0,
      mtime: 0,
      dir: true,
      source: path.join(album, 'empty'),
    });
    expect(offer.find((e) => e.path === 'Album/link-to-file')!.source).toBe(path.join(album, 'link-to-file'));
  });

  it('leaves out what is neither file nor folder inside a folder (a socket)', async () => {
    const root = await tempDir();
    const box = path.join(root, 'Box');
    await mkdir(box);
    await writeFile(path.join(box, 'kept.txt'), 'k');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(box, 'app.sock'), resolve));
    try {
      expect((await buildOffer([box])).map((e) => e.path)).toEqual(['Box/kept.txt']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('offers an empty folder as one folder entry', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'Nothing'));
    expect(await buildOffer([path.join(root, 'Nothing')])).toEqual([
      { path: 'Nothing', size: 0, mtime: 0, dir: true, source: path.join(root, 'Nothing') },
    ]);
  });

  it('numbers top-level names that collide', async () => {
    const root = await tempDir();
    for (const d of ['x', 'y', 'z']) {
      await mkdir(path.join(root, d));
      await writeFile(path.join(root, d, 'report.pdf'), d);
    }
    const offer = await buildOffer(['x', 'y', 'z'].map((d) => path.join(root, d, 'report.pdf')));
    expect(offer.map((e) => e.path)).toEqual(['report.pdf', 'report (1).pdf', 'report (2).pdf']);
  });

  it('resolves relative paths against the working folder', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'rel.txt'), 'r');
    const relative = path.relative(process.cwd(), path.join(dir, 'rel.txt'));
    expect((await buildOffer([relative]))[0]!.source).toBe(path.join(dir, 'rel.txt'));
  });

  it('refuses a missing path, a device, and an empty list', async () => {
    const dir = await tempDir();
    const missing = path.join(dir, 'gone.txt');
    expect(await refusal(buildOffer([missing]))).toEqual({
      code: 'SOURCE_MISSING',
      message: `${missing} no longer exists; send it again if it was moved`,
    });
    expect(await refusal(buildOffer(['/dev/null']))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: '/dev/null is neither a file nor a folder',
    });
    expect(await refusal(buildOffer([]))).toEqual({ code: 'INVALID_ARGUMENT', message: 'nothing to send' });
  });
});

describe('sourceError', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

  it.each([
    ['ENOENT', 'SOURCE_MISSING', '/f no longer exists; send it again if it was moved'],
    ['ENOTDIR', 'SOURCE_MISSING', '/f no longer exists; send it again if it was moved'],
    ['EACCES', 'PERMISSION_DENIED', '/f cannot be read (permission denied)'],
    ['EPERM', 'PERMISSION_DENIED', '/f cannot be read (permission denied)'],
    ['EIO', 'INTERNAL', '/f: EIO: boom'],
  ])('maps %s to %s', (code, expected, message) => {
    const cause = errno(code);
    const err = sourceError(cause, '/f');
    expect({ code: err.code, message: err.message }).toEqual({ code: expected, message });
    if (expected === 'INTERNAL') expect(err.cause).toBe(cause);
  });
});
