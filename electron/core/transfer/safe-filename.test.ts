import { describe, expect, it } from 'vitest';
import { numberedName, sanitizeRelativePath, sanitizeSegment } from './safe-filename';

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
