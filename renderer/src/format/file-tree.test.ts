import { describe, expect, it } from 'vitest';
import type { TransferFileDto } from '../../../shared/dto';
import { fileTreeRows } from './file-tree';

const f = (path: string, isDirectory = false): TransferFileDto => ({
  path,
  size: 1,
  isDirectory,
  bytesDone: 0,
  state: 'pending',
  savedPath: null,
  error: null,
});

describe('fileTreeRows', () => {
  it('shows each folder once before its contents, sub-folders first, empty folders kept', () => {
    const rows = fileTreeRows([
      f('photos/b.jpg'),
      f('photos/2024/x 10.jpg'),
      f('photos/2024/x 9.jpg'),
      f('photos/empty', true),
      f('photos/a.jpg'),
      f('notes.txt'),
    ]);
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.name}${r.isDirectory ? '/' : ''}`)).toEqual([
      'photos/',
      '  2024/',
      '    x 9.jpg',
      '    x 10.jpg',
      '  empty/',
      '  a.jpg',
      '  b.jpg',
      'notes.txt',
    ]);
    // Rows point back at their file; implied folders at none.
    expect(rows[0]!.index).toBe(-1);
    expect(rows[4]!.index).toBe(3);
  });

  it('handles 10,000 entries quickly', () => {
    const files = Array.from({ length: 10_000 }, (_, i) => f(`big/dir${i % 50}/file-${i}.bin`));
    const started = performance.now();
    const rows = fileTreeRows(files);
    expect(rows).toHaveLength(10_000 + 51);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
