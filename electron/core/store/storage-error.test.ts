import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { tmpfs, tmpfsUnavailable } from '../../../test/helpers/tmpfs';
import { FerryError } from '../ferry-error';
import { freeBytes, storageError } from './storage-error';

const MiB = 1024 * 1024;

function errno(code: string, message = `${code}: failed`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function sqliteError(message: string): Error {
  const e = new Error(message);
  e.name = 'SQLite3Error';
  return e;
}

describe('storageError', () => {
  it('passes its own storage errors through and leaves every other FerryError alone', async () => {
    const dir = await tempDir();
    const full = new FerryError('DATA_DIR_FULL', 'full');
    const broken = new FerryError('DATABASE_ERROR', 'broken');
    expect(storageError(full, dir)).toBe(full);
    expect(storageError(broken, dir)).toBe(broken);
    expect(storageError(new FerryError('PEER_BLOCKED', 'disk I/O error'), dir)).toBeNull();
  });

  it('treats bugs as bugs: null for anything that is not a storage failure', async () => {
    const dir = await tempDir();
    expect(storageError(new TypeError('x is undefined'), dir)).toBeNull();
    expect(storageError(errno('ENOENT'), dir)).toBeNull();
    expect(storageError(errno('EACCES'), dir)).toBeNull();
    expect(storageError('a string', dir)).toBeNull();
    expect(storageError(null, dir)).toBeNull();
    expect(storageError(undefined, dir)).toBeNull();
    expect(storageError({ message: 42, code: 7 }, dir)).toBeNull();
  });

  it.each([
    'disk I/O error',
    'database disk image is malformed',
    'file is not a database',
    'attempt to write a readonly database',
    'unable to open database file',
    'no more rows available',
    'SQLITE_IOERR_WRITE',
    'SQLITE_CORRUPT',
    'sqlite_notadb',
    'SQLITE_READONLY',
    'SQLITE_CANTOPEN',
  ])('reads "%s" as DATABASE_ERROR (disk has room), naming the folder and what SQLite said', async (text) => {
    const dir = await tempDir();
    const e = new Error(`step failed: ${text}`);
    const result = storageError(e, dir);
    expect(result).toBeInstanceOf(FerryError);
    expect(result).toMatchObject({ code: 'DATABASE_ERROR', cause: e });
    expect(result!.message).toContain(dir);
    expect(result!.message).toContain(`(step failed: ${text})`);
  });

  it('reads any SQLite3Error, and EIO / EROFS, as DATABASE_ERROR', async () => {
    const dir = await tempDir();
    expect(storageError(sqliteError('constraint failed'), dir)?.code).toBe('DATABASE_ERROR');
    expect(storageError(errno('EIO'), dir)?.code).toBe('DATABASE_ERROR');
    expect(storageError(errno('EROFS'), dir)?.code).toBe('DATABASE_ERROR');
    const noMessage = storageError({ code: 'EIO' }, dir)!;
    expect(noMessage.message).toContain('([object Object])');
  });

  it('does not call a disk full when its free space cannot be asked', async () => {
    const missing = path.join(await tempDir(), 'gone');
    expect(freeBytes(missing)).toBeNull();
    expect(storageError(errno('EIO'), missing)?.code).toBe('DATABASE_ERROR');
  });

  it.each([
    ['ENOSPC', errno('ENOSPC')],
    ['EDQUOT', errno('EDQUOT')],
    ['"database or disk is full"', new Error('database or disk is full')],
    ['SQLITE_FULL', sqliteError('SQLITE_FULL: write failed')],
    ['sqlite_full in a non-SQLite error', new Error('got sqlite_full')],
  ])('reads %s as DATA_DIR_FULL, naming the folder', async (_what, e) => {
    const dir = await tempDir();
    const result = storageError(e, dir)!;
    expect(result).toBeInstanceOf(FerryError);
    expect(result.code).toBe('DATA_DIR_FULL');
    expect(result.cause).toBe(e);
    expect(result.message).toContain(`(${dir}) is full`);
  });

  it('reads an I/O error as DATA_DIR_FULL when under 1 MiB is left, not at exactly 1 MiB', async (ctx) => {
    const why = tmpfsUnavailable();
    if (why) ctx.skip(why);
    let dir: string;
    try {
      dir = await tmpfs('2m');
    } catch (err) {
      ctx.skip(`could not mount a tmpfs: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    expect(freeBytes(dir)).toBe(2 * MiB);
    writeFileSync(path.join(dir, 'a'), Buffer.alloc(MiB));
    expect(freeBytes(dir)).toBe(MiB);
    expect(storageError(errno('EIO'), dir)?.code).toBe('DATABASE_ERROR');
    writeFileSync(path.join(dir, 'b'), Buffer.alloc(4096));
    expect(storageError(errno('EIO'), dir)?.code).toBe('DATA_DIR_FULL');
    expect(storageError(sqliteError('disk I/O error'), dir)?.code).toBe('DATA_DIR_FULL');
  });
});

describe('freeBytes', () => {
  it('answers the free space of a folder, or null when it cannot be asked', async () => {
    const dir = await tempDir();
    expect(freeBytes(dir)).toBeGreaterThan(MiB);
    expect(freeBytes(path.join(dir, 'missing'))).toBeNull();
  });
});
