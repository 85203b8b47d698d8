import { describe, expect, it } from 'vitest';
import {
  dayKind,
  fileKind,
  formatBytes,
  formatDuration,
  formatSpeed,
  hueFor,
  initials,
  splitForMiddleCut,
} from './format';

describe('format', () => {
  it('sizes and speeds in binary units with sensible precision', () => {
    expect(formatBytes(0, 'en')).toBe('0 B');
    expect(formatBytes(1023, 'en')).toBe('1,023 B');
    expect(formatBytes(1536, 'en')).toBe('1.5 KB');
    expect(formatBytes(2_400_000, 'en')).toBe('2.3 MB');
    expect(formatBytes(5 * 1024 ** 4, 'en')).toBe('5 TB');
    expect(formatBytes(150 * 1024 ** 2, 'en')).toBe('150 MB');
    expect(formatSpeed(10 * 1024 ** 2, 'en')).toBe('10 MB/s');
  });

  it('durations as m:ss or h:mm:ss; unknown stays unknown', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(0.2)).toBe('0:01');
    expect(formatDuration(null)).toBeNull();
    expect(formatDuration(Infinity)).toBeNull();
    expect(formatDuration(-1)).toBeNull();
  });

  it('initials: two Latin letters, one CJK character, never empty', () => {
    expect(initials('Alice Smith')).toBe('AS');
    expect(initials('bob')).toBe('BO');
    expect(initials('Bob 的台式机')).toBe('BO');
    expect(initials('张伟')).toBe('张');
    // A name with a CJK part shows its first CJK character (issue 17 item 12), not two Latin letters.
    expect(initials('Bob 李')).toBe('李');
    expect(initials('Design 组')).toBe('组');
    expect(initials('Tanaka 太郎')).toBe('太');
    expect(initials('Kim 민준')).toBe('민');
    expect(initials('design-lab.pc')).toBe('DL');
    expect(initials('   ')).toBe('?');
    expect(initials('😀 x')).toBe('😀X');
  });

  it('a stable avatar hue per id', () => {
    expect(hueFor('abc')).toBe(hueFor('abc'));
    expect(hueFor('abc')).toBeGreaterThanOrEqual(0);
    expect(hueFor('abc')).toBeLessThan(360);
  });

  it('file icons by type', () => {
    expect(fileKind('a.PNG')).toBe('image');
    expect(fileKind('movie.mkv')).toBe('video');
    expect(fileKind('backup.tar.gz')).toBe('archive');
    expect(fileKind('notes.md')).toBe('fileText');
    expect(fileKind('Makefile')).toBe('file');
    expect(fileKind('.bashrc')).toBe('file');
    expect(fileKind('photos', true)).toBe('folder');
  });

  it('today / yesterday / other', () => {
    const now = new Date(2026, 5, 15, 9, 0).getTime();
    expect(dayKind(new Date(2026, 5, 15, 0, 1).getTime(), now)).toBe('today');
    expect(dayKind(new Date(2026, 5, 14, 23, 59).getTime(), now)).toBe('yesterday');
    expect(dayKind(new Date(2026, 5, 13, 12).getTime(), now)).toBe('other');
  });

  it('splits a path for a middle cut: the file name always stays whole', () => {
    const p = '/home/alice/Downloads/Ferry/projects/2026/very/deep/quarterly report.pdf';
    expect(splitForMiddleCut(p)).toEqual({
      head: '/home/alice/Downloads/Ferry/projects/2026/very/deep',
      tail: '/quarterly report.pdf',
    });
    const { head, tail } = splitForMiddleCut('C:\\Users\\bob\\a-file-name-far-longer-than-the-tail-limit.bin', 20);
    expect(head + tail).toBe('C:\\Users\\bob\\a-file-name-far-longer-than-the-tail-limit.bin');
    expect(tail).toBe('than-the-tail-limit.bin'.slice(-20));
    expect(splitForMiddleCut('short.txt')).toEqual({ head: '', tail: 'short.txt' });
    const emoji = splitForMiddleCut('/x/' + 'a'.repeat(30) + '🎉b', 2);
    expect(emoji.tail).toBe('🎉b');
  });
});
