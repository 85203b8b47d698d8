import { describe, expect, it } from 'vitest';
import { FerryError } from '../ferry-error';
import { MAX_DEPTH, numberedName, sanitizeRelativePath, sanitizeSegment, truncateUtf8 } from './safe-filename';

describe('safe-filename', () => {
  it.each([
    ['photo.jpg', ['photo.jpg']],
    ['Folder/sub/a.txt', ['Folder', 'sub', 'a.txt']],
    ['win\\style\\path.txt', ['win', 'style', 'path.txt']],
    ['a//b/', ['a', 'b']],
    ['CON', ['_CON']],
    ['com1.txt', ['_com1.txt']],
    ['trailing dots...', ['trailing dots']],
    ['e\u0301', ['\u00e9']],
    ['q?.txt', ['q_.txt']],
  ])('keeps %j as %j', (raw, expected) => {
    expect(sanitizeRelativePath(raw)).toEqual(expected);
  });

  it.each(['../x', 'a/../b', '.', '..', '/abs', '\\\\unc\\x', 'C:\\x', 'd:rel', 'a\0b', 'bell\u0007', ' . ', ''])(
    'refuses %j with NAME_REJECTED',
    (raw) => {
      expect(() => sanitizeRelativePath(raw)).toThrow(expect.objectContaining({ code: 'NAME_REJECTED' }));
    },
  );

  it('caps names at 240 bytes on a character boundary, keeping the extension', () => {
    const name = sanitizeSegment(`${'漢'.repeat(200)}.jpeg`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(240);
    expect(name.endsWith('.jpeg')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });

  it('numbers collisions before the extension and stays within budget', () => {
    expect(numberedName('photo.jpg', 1)).toBe('photo (1).jpg');
    expect(numberedName('README', 12)).toBe('README (12)');
    expect(Buffer.byteLength(numberedName('x'.repeat(240), 3))).toBeLessThanOrEqual(240);
  });
});

/** The NAME_REJECTED error a call throws (fails the test when it does not throw one). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('NAME_REJECTED');
    return (err as FerryError).message;
  }
  throw new Error('expected NAME_REJECTED, nothing was thrown');
}

describe('safe-filename: why a name is refused', () => {
  it.each([
    ['../x', 'refused the name "../x": it climbs out of its folder ("." or "..")'],
    ['a/./b', 'refused the name "a/./b": it climbs out of its folder ("." or "..")'],
    ['/\0', 'refused the name "/\\u0000": it contains a NUL character'],
    ['/etc/passwd', 'refused the name "/etc/passwd": it is an absolute path'],
    ['\\\\server\\share', 'refused the name "\\\\\\\\server\\\\share": it is an absolute path'],
    ['C:\\x', 'refused the name "C:\\\\x": it starts with a drive letter'],
    ['z:rel', 'refused the name "z:rel": it starts with a drive letter'],
    ['', 'refused the name "": it is empty'],
    ['//'.slice(1), 'refused the name "/": it is an absolute path'],
    ['a/b\u0007', 'refused the name "a/b\\u0007": it contains control characters'],
    ['a/ . ', 'refused the name "a/ . ": nothing is left of it after removing trailing dots and spaces'],
  ])('%j: %s', (raw, message) => {
    expect(refusal(() => sanitizeRelativePath(raw))).toBe(message);
  });

  it('explains refusals of a single segment', () => {
    expect(refusal(() => sanitizeSegment('a\0b'))).toBe('refused the name "a\\u0000b": it contains a NUL character');
    expect(refusal(() => sanitizeSegment('.'))).toBe('refused the name ".": "." is not a name');
    expect(refusal(() => sanitizeSegment('..'))).toBe('refused the name "..": ".." is not a name');
    expect(refusal(() => sanitizeSegment('. .'))).toBe(
      'refused the name ". .": nothing is left of it after removing trailing dots and spaces',
    );
    expect(refusal(() => sanitizeSegment(`${' '.repeat(300)}x`))).toContain(': it is empty after shortening');
  });

  it('shows at most 80 characters of a refused name', () => {
    const exactly80 = `/${'a'.repeat(79)}`;
    expect(refusal(() => sanitizeRelativePath(exactly80))).toBe(
      `refused the name "${exactly80}": it is an absolute path`,
    );
    const long = `/${'b'.repeat(200)}`;
    expect(refusal(() => sanitizeRelativePath(long))).toBe(
      `refused the name "${long.slice(0, 80)}…": it is an absolute path`,
    );
  });

  it(`allows ${MAX_DEPTH} folders deep and refuses one more`, () => {
    const deep = Array.from({ length: MAX_DEPTH }, (_, i) => `d${i}`);
    expect(sanitizeRelativePath(deep.join('/'))).toEqual(deep);
    const deeper = [...deep, 'x'].join('/');
    expect(refusal(() => sanitizeRelativePath(deeper))).toBe(
      `refused the name "${deeper.slice(0, 80)}…": it is nested deeper than 32 folders`,
    );
  });
});

describe('safe-filename: what a kept name becomes', () => {
  it.each([
    ['falcon.txt', 'falcon.txt'],
    ['console.log', 'console.log'],
    ['icon', 'icon'],
    ['LPT1', '_LPT1'],
    ['lpt².doc', '_lpt².doc'],
    ['AUX.tar.gz', '_AUX.tar.gz'],
    ['conin$', '_conin$'],
    ['notes:1.txt', 'notes_1.txt'],
    ['evil\u202etxt.exe', 'evil_txt.exe'],
    ['a. .', 'a'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeSegment(raw)).toBe(expected);
    expect(sanitizeRelativePath(`dir/${raw}`)).toEqual(['dir', expected]);
  });

  it('strips every trailing space that shortening leaves behind', () => {
    expect(sanitizeSegment(`a${' '.repeat(300)}b`)).toBe('a');
  });

  it('keeps names of exactly 240 bytes and cuts longer ones, extension kept', () => {
    const exact = `${'x'.repeat(236)}.txt`;
    expect(sanitizeSegment(exact)).toBe(exact);
    expect(sanitizeSegment(`${'x'.repeat(237)}.txt`)).toBe(exact);
    expect(sanitizeSegment('y'.repeat(300))).toBe('y'.repeat(240));
  });
});

describe('truncateUtf8', () => {
  it.each([
    [10, 'aé漢😀'],
    [9, 'aé漢'],
    [6, 'aé漢'],
    [5, 'aé'],
    [1, 'a'],
    [0, ''],
  ])('cuts "aé漢😀" to %i bytes as %j', (max, expected) => {
    expect(truncateUtf8('aé漢😀', max)).toBe(expected);
  });
});

describe('numberedName', () => {
  it.each([
    ['photo.jpg', 0, 'photo.jpg'],
    ['photo.jpg', 2, 'photo (2).jpg'],
    ['.bashrc', 1, '.bashrc (1)'],
    ['archive.tar.gz', 1, 'archive.tar (1).gz'],
    ['file.abcdefghijklmno', 1, 'file (1).abcdefghijklmno'],
    ['file.abcdefghijklmnop', 1, 'file.abcdefghijklmnop (1)'],
  ])('%j, %i → %j', (name, n, expected) => {
    expect(numberedName(name, n)).toBe(expected);
  });

  it('shortens the stem so the number and extension still fit', () => {
    expect(numberedName(`${'z'.repeat(240)}.png`, 7)).toBe(`${'z'.repeat(240 - ' (7).png'.length)} (7).png`);
  });
});
