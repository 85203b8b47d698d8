/**
 * The .part / sidecar / verify-and-move logic on real files in a temp folder:
 * what a resume reuses, what it refuses, and that finishing never overwrites.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { FerryError } from '../ferry-error';
import {
  diskError,
  discardPart,
  ensureDirInside,
  finalizePart,
  freshName,
  hashPrefix,
  openPart,
  removeSidecar,
  writeSidecar,
} from './part-file';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const errno = (code: string, message = `${code}: boom`) => Object.assign(new Error(message), { code });
const json = async (p: string) => JSON.parse(await readFile(p, 'utf8')) as unknown;

async function rejection(p: Promise<unknown>): Promise<FerryError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FerryError);
  return err as FerryError;
}

describe('diskError', () => {
  it('passes a FerryError through unchanged', () => {
    const original = new FerryError('CANCELLED', 'stop');
    expect(diskError(original, '/x')).toBe(original);
  });

  it.each(['ENOSPC', 'EDQUOT'])('maps %s to DISK_FULL, naming the place and keeping the .part', (code) => {
    const err = diskError(errno(code), '/dl/a.bin');
    expect(err.code).toBe('DISK_FULL');
    expect(err.message).toBe(
      'the disk holding /dl/a.bin is full; free some space and resume (the partial file is kept)',
    );
  });

  it.each(['EACCES', 'EPERM', 'EROFS'])('maps %s to PERMISSION_DENIED', (code) => {
    const err = diskError(errno(code), '/dl');
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toBe('Ferry may not write to /dl; choose another folder or fix its permissions');
  });

  it('maps anything else to INTERNAL with the place, the message and the cause', () => {
    const cause = errno('EIO', 'i/o error');
    const err = diskError(cause, '/dl/a.bin');
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('/dl/a.bin: i/o error');
    expect(err.cause).toBe(cause);
  });
});

describe('ensureDirInside', () => {
  it('creates nested folders and returns their real path', async () => {
    const root = await tempDir();
    const dir = await ensureDirInside(root, ['a', 'b', 'c']);
    expect(dir).toBe(path.join(root, 'a', 'b', 'c'));
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('returns the root itself for no segments, and reuses existing folders', async () => {
    const root = await tempDir();
    expect(await ensureDirInside(root, [])).toBe(root);
    await mkdir(path.join(root, 'a'));
    await writeFile(path.join(root, 'a', 'keep.txt'), 'x');
    expect(await ensureDirInside(root, ['a'])).toBe(path.join(root, 'a'));
    expect(await readdir(path.join(root, 'a'))).toEqual(['keep.txt']);
  });

  it('resolves a download folder reached through a symlink', async () => {
    const base = await tempDir();
    await mkdir(path.join(base, 'real'));
    await symlink(path.join(base, 'real'), path.join(base, 'link'));
    expect(await ensureDirInside(path.join(base, 'link'), ['x'])).toBe(path.join(base, 'real', 'x'));
  });

  it('follows a symlink that stays inside the download folder', async () => {
    const root = await tempDir();
    await mkdir(path.join(root, 'inner'));
    await symlink(path.join(root, 'inner'), path.join(root, 'alias'));
    expect(await ensureDirInside(root, ['alias', 'x'])).toBe(path.join(root, 'inner', 'x'));
  });

  it('accepts a segment that resolves to the root itself', async () => {
    const root = await tempDir();
    expect(await ensureDirInside(root, ['.'])).toBe(root);
  });

  it('refuses a symlink that leads outside, even to a sibling whose name starts like the root', async () => {
    const base = await tempDir();
    const root = path.join(base, 'dl');
    await mkdir(root);
    await mkdir(path.join(base, 'dl-evil'));
    await symlink(path.join(base, 'dl-evil'), path.join(root, 'sneaky'));
    const err = await rejection(ensureDirInside(root, ['sneaky']));
    expect(err.code).toBe('NAME_REJECTED');
    expect(err.message).toBe(`${path.join(root, 'sneaky')} leads outside the download folder; refused`);
    await symlink(base, path.join(root, 'up'));
    expect((await rejection(ensureDirInside(root, ['up', 'dl']))).code).toBe('NAME_REJECTED');
    expect(await readdir(path.join(base, 'dl-evil'))).toEqual([]);
  });

  it('refuses a segment that exists as a file', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'f'), 'x');
    const err = await rejection(ensureDirInside(root, ['f', 'g']));
    expect(err.code).toBe('NAME_REJECTED');
    expect(err.message).toBe(`${path.join(root, 'f')} exists and is not a folder`);
  });

  it('refuses a folder name the file system finds too long, as a name problem', async () => {
    const root = await tempDir();
    const err = await rejection(ensureDirInside(root, ['n'.repeat(300)]));
    expect(err.code).toBe('NAME_REJECTED');
    expect(err.message).toContain('too long for the file system');
  });
});

describe('freshName', () => {
  it('keeps a free name and numbers past a taken name or a .part of it', async () => {
    const root = await tempDir();
    expect(await freshName(root, 'Photos')).toBe('Photos');
    await mkdir(path.join(root, 'Photos'));
    expect(await freshName(root, 'Photos')).toBe('Photos (1)');
    await writeFile(path.join(root, 'Photos (1).part'), '');
    expect(await freshName(root, 'Photos')).toBe('Photos (2)');
  });

  it('counts a dangling symlink as taken', async () => {
    const root = await tempDir();
    await symlink(path.join(root, 'nowhere'), path.join(root, 'Docs'));
    expect(await freshName(root, 'Docs')).toBe('Docs (1)');
  });

  it('passes on errors other than "not there"', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, 'file'), 'x');
    const err = await freshName(path.join(root, 'file'), 'x').catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});

describe('openPart', () => {
  const meta = { transferId: T1, index: 0, size: 10, mtime: 1234 };

  it('creates an empty .part and a sidecar that says whose it is', async () => {
    const dir = await tempDir();
    const opened = await openPart(dir, 'a.txt', meta, null);
    expect(opened).toEqual({ partPath: path.join(dir, 'a.txt.part'), offset: 0 });
    expect((await stat(opened.partPath)).size).toBe(0);
    expect((await stat(opened.partPath)).mode & 0o777).toBe(0o644);
    expect(await json(path.join(dir, 'a.txt.part.json'))).toEqual({ ...meta, offset: 0 });
  });

  it('resumes its own .part at the bytes on disk, up to the full size', async () => {
    const dir = await tempDir();
    const first = await openPart(dir, 'a.txt', meta, null);
    await writeFile(first.partPath, 'abcd');
    expect(await openPart(dir, 'a.txt', meta, first.partPath)).toEqual({ partPath: first.partPath, offset: 4 });
    await writeFile(first.partPath, '0123456789');
    expect(await openPart(dir, 'a.txt', meta, first.partPath)).toEqual({ partPath: first.partPath, offset: 10 });
  });

  it('empties its own .part when it is longer than the file can be', async () => {
    const dir = await tempDir();
    const first = await openPart(dir, 'a.txt', meta, null);
    await writeFile(first.partPath, '0123456789X');
    expect(await openPart(dir, 'a.txt', meta, first.partPath)).toEqual({ partPath: first.partPath, offset: 0 });
    expect((await stat(first.partPath)).size).toBe(0);
  });

  it.each([
    ['another transfer', { ...meta, transferId: T2 }],
    ['another file of the transfer', { ...meta, index: 1 }],
  ])('does not reuse a .part that belongs to %s', async (_label, other) => {
    const dir = await tempDir();
    const first = await openPart(dir, 'a.txt', meta, null);
    await writeFile(first.partPath, 'abcd');
    const second = await openPart(dir, 'a.txt', other, first.partPath);
    expect(second).toEqual({ partPath: path.join(dir, 'a (1).txt.part'), offset: 0 });
    expect(await readFile(first.partPath, 'utf8')).toBe('abcd');
    expect(await json(path.join(dir, 'a (1).txt.part.json'))).toEqual({ ...other, offset: 0 });
  });

  it('does not reuse a .part without its sidecar, or one in another folder', async () => {
    const dir = await tempDir();
    const first = await openPart(dir, 'a.txt', meta, null);
    await writeFile(first.partPath, 'abcd');
    await removeSidecar(first.partPath);
    expect((await openPart(dir, 'a.txt', meta, first.partPath)).partPath).toBe(path.join(dir, 'a (1).txt.part'));

    const other = path.join(dir, 'sub');
    await mkdir(other);
    const elsewhere = await openPart(other, 'b.txt', meta, null);
    await writeFile(elsewhere.partPath, 'xy');
    expect(await openPart(dir, 'b.txt', meta, elsewhere.partPath)).toEqual({
      partPath: path.join(dir, 'b.txt.part'),
      offset: 0,
    });
  });

  it('does not reuse a sidecar whose .part is gone or is not a file', async () => {
    const dir = await tempDir();
    const first = await openPart(dir, 'a.txt', meta, null);
    await discardPart(first.partPath);
    await writeSidecar(first.partPath, { ...meta, offset: 3 });
    expect((await openPart(dir, 'a.txt', meta, first.partPath)).offset).toBe(0);

    await writeSidecar(path.join(dir, 'd.part'), { ...meta, offset: 0 });
    await mkdir(path.join(dir, 'd.part'));
    expect(await openPart(dir, 'd', meta, path.join(dir, 'd.part'))).toEqual({
      partPath: path.join(dir, 'd (1).part'),
      offset: 0,
    });
  });

  it('never takes over a name that exists, nor follows a symlink planted at the .part path', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a.txt'), 'mine');
    const target = path.join(dir, 'victim');
    await writeFile(target, 'untouched');
    await symlink(target, path.join(dir, 'a (1).txt.part'));
    const opened = await openPart(dir, 'a.txt', meta, null);
    expect(opened).toEqual({ partPath: path.join(dir, 'a (2).txt.part'), offset: 0 });
    expect(await readFile(target, 'utf8')).toBe('untouched');
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('mine');
  });

  it('reports a folder it cannot write to as a disk error naming the .part', async () => {
    const dir = await tempDir();
    const err = await rejection(openPart(path.join(dir, 'missing'), 'a.txt', meta, null));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain(path.join(dir, 'missing', 'a.txt.part'));
  });
});

describe('writeSidecar', () => {
  it('writes name.part.json beside name.part and reports failures as disk errors', async () => {
    const dir = await tempDir();
    await writeSidecar(path.join(dir, 'x.bin.part'), { transferId: T1, index: 2, size: 9, mtime: 5, offset: 7 });
    expect(await readdir(dir)).toEqual(['x.bin.part.json']);
    expect(await json(path.join(dir, 'x.bin.part.json'))).toEqual({
      transferId: T1,
      index: 2,
      size: 9,
      mtime: 5,
      offset: 7,
    });
    const err = await rejection(
      writeSidecar(path.join(dir, 'no', 'x.part'), { transferId: T1, index: 0, size: 0, mtime: 0, offset: 0 }),
    );
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain(path.join(dir, 'no', 'x.part'));
  });
});

describe('hashPrefix', () => {
  it('hashes exactly the first n bytes, across many read chunks', async () => {
    const dir = await tempDir();
    const data = Buffer.alloc(2.5 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const file = path.join(dir, 'f');
    await writeFile(file, data);
    for (const n of [0, 1, 1024 * 1024, 1024 * 1024 + 1, data.length]) {
      expect((await hashPrefix(file, n)).digest('hex')).toBe(sha(data.subarray(0, n)));
    }
  });

  it('returns a hash that continues: prefix state + the rest = the whole file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'f');
    await writeFile(file, 'hello world');
    const hash = await hashPrefix(file, 5);
    hash.update(' world');
    expect(hash.digest('hex')).toBe(sha(Buffer.from('hello world')));
  });

  it('refuses a file shorter than claimed with SOURCE_CHANGED', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'f');
    await writeFile(file, 'abc');
    const err = await rejection(hashPrefix(file, 4));
    expect(err.code).toBe('SOURCE_CHANGED');
    expect(err.message).toBe(`${file} is shorter than expected (3 of 4 bytes)`);
  });
});

describe('finalizePart', () => {
  async function part(dir: string, name: string, content: string): Promise<string> {
    const opened = await openPart(dir, name, { transferId: T1, index: 0, size: content.length, mtime: 0 }, null);
    await writeFile(opened.partPath, content);
    return opened.partPath;
  }

  it('moves the .part to its final name and removes the sidecar', async () => {
    const dir = await tempDir();
    const p = await part(dir, 'report.pdf', 'data');
    expect(await finalizePart(p)).toBe(path.join(dir, 'report.pdf'));
    expect(await readdir(dir)).toEqual(['report.pdf']);
    expect(await readFile(path.join(dir, 'report.pdf'), 'utf8')).toBe('data');
  });

  it('never replaces a file that appeared meanwhile: moves on to "name (n)"', async () => {
    const dir = await tempDir();
    const p = await part(dir, 'a.txt', 'new');
    await writeFile(path.join(dir, 'a.txt'), 'old');
    await writeFile(path.join(dir, 'a (1).txt'), 'older');
    expect(await finalizePart(p)).toBe(path.join(dir, 'a (2).txt'));
    expect(await readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect(await readFile(path.join(dir, 'a (1).txt'), 'utf8')).toBe('older');
    expect(await readFile(path.join(dir, 'a (2).txt'), 'utf8')).toBe('new');
    expect((await readdir(dir)).sort()).toEqual(['a (1).txt', 'a (2).txt', 'a.txt']);
  });

  it('reports a .part that vanished as a disk error naming the target', async () => {
    const dir = await tempDir();
    const err = await rejection(finalizePart(path.join(dir, 'gone.bin.part')));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain(path.join(dir, 'gone.bin'));
    // The hard link failed; no rename was tried.
    expect(err.message).toContain('link');
    expect(err.message).not.toContain('rename');
  });

  // Linux refuses to hard-link a directory with EPERM, the same answer a file system
  // without hard links (FAT, some network shares) gives: that drives the rename fallback.
  it('falls back to check-then-rename where hard links are refused, still never replacing', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'album.part'));
    await writeFile(path.join(dir, 'album.part', 'inside'), 'x');
    await writeSidecar(path.join(dir, 'album.part'), { transferId: T1, index: 0, size: 1, mtime: 0, offset: 1 });
    await writeFile(path.join(dir, 'album'), 'already here');
    expect(await finalizePart(path.join(dir, 'album.part'))).toBe(path.join(dir, 'album (1)'));
    expect(await readFile(path.join(dir, 'album'), 'utf8')).toBe('already here');
    expect(await readFile(path.join(dir, 'album (1)', 'inside'), 'utf8')).toBe('x');
    expect((await readdir(dir)).sort()).toEqual(['album', 'album (1)']);
  });
});

describe('discardPart', () => {
  it('deletes the .part and its sidecar, and is quiet when they are already gone', async () => {
    const dir = await tempDir();
    const opened = await openPart(dir, 'a.txt', { transferId: T1, index: 0, size: 1, mtime: 0 }, null);
    await writeFile(path.join(dir, 'other.txt'), 'stay');
    await discardPart(opened.partPath);
    expect(await readdir(dir)).toEqual(['other.txt']);
    await expect(discardPart(opened.partPath)).resolves.toBeUndefined();
  });
});
