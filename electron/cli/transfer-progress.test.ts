import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransferProgressDto } from '../../shared/dto';
import { testIo } from '../../test/helpers/cli-io';
import { formatBytes, formatEta, ProgressPrinter, progressBar } from './transfer-progress';

afterEach(() => {
  vi.useRealTimers();
});

function progress(p: Partial<TransferProgressDto> = {}): TransferProgressDto {
  return {
    id: 't1',
    fileIndex: 0,
    fileBytesDone: 0,
    bytesDone: 512,
    totalBytes: 1024,
    speed: 2048,
    etaSeconds: 5,
    ...p,
  };
}

describe('formatBytes', () => {
  it('whole bytes below 1 KiB, one decimal above, up to TiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1024.0 KiB');
    expect(formatBytes(5 * 1024 ** 2)).toBe('5.0 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatBytes(1024 ** 4)).toBe('1.0 TiB');
    expect(formatBytes(2048 * 1024 ** 4)).toBe('2048.0 TiB');
  });
});

describe('formatEta', () => {
  it('unknown or endless is --:--', () => {
    expect(formatEta(null)).toBe('--:--');
    expect(formatEta(Infinity)).toBe('--:--');
    expect(formatEta(NaN)).toBe('--:--');
  });

  it('minutes:seconds under an hour, hours:minutes:seconds above, never negative', () => {
    expect(formatEta(-5)).toBe('00:00');
    expect(formatEta(0)).toBe('00:00');
    expect(formatEta(5)).toBe('00:05');
    expect(formatEta(59.6)).toBe('01:00');
    expect(formatEta(61)).toBe('01:01');
    expect(formatEta(3599)).toBe('59:59');
    expect(formatEta(3600)).toBe('1:00:00');
    expect(formatEta(3661)).toBe('1:01:01');
    expect(formatEta(36_000 + 600 + 7)).toBe('10:10:07');
  });
});

describe('progressBar', () => {
  it('draws the share done, the amounts, the speed and the ETA', () => {
    expect(progressBar(progress(), 10)).toBe('█████░░░░░  50.0%  512 B / 1.0 KiB  2.0 KiB/s  ETA 00:05');
    expect(progressBar(progress({ bytesDone: 1, totalBytes: 3 }), 10)).toBe(
      '███░░░░░░░  33.3%  1 B / 3 B  2.0 KiB/s  ETA 00:05',
    );
  });

  it('is 30 cells wide by default; nothing to send is complete; never over 100 %', () => {
    expect(progressBar(progress({ bytesDone: 0 }))).toMatch(/^░{30} {3}0\.0%/u);
    expect(progressBar(progress({ bytesDone: 0, totalBytes: 0 }), 4)).toBe(
      '████ 100.0%  0 B / 0 B  2.0 KiB/s  ETA 00:05',
    );
    expect(progressBar(progress({ bytesDone: 4096, totalBytes: 1024, etaSeconds: null }), 4)).toBe(
      '████ 100.0%  4.0 KiB / 1.0 KiB  2.0 KiB/s  ETA --:--',
    );
  });
});

describe('ProgressPrinter', () => {
  it('on a terminal redraws one bar sized to the window, and clear() wipes it once', () => {
    const t = testIo({ tty: true, columns: 80 });
    const printer = new ProgressPrinter(t.io.stderr);
    printer.clear();
    expect(t.stderr()).toBe('');
    printer.progress(progress());
    printer.progress(progress({ bytesDone: 1024 }));
    expect(t.stderr()).toBe(
      `\r${progressBar(progress(), 20)}\x1b[K\r${progressBar(progress({ bytesDone: 1024 }), 20)}\x1b[K`,
    );
    printer.clear();
    printer.clear();
    expect(t.stderr().endsWith(`\x1b[K\r\x1b[K`)).toBe(true);
    expect(t.stderr().split('\r\x1b[K')).toHaveLength(2);
    expect(t.stdout()).toBe('');
  });

  it('the bar is 10 to 30 cells: the window minus 60, 80 columns when unknown', () => {
    const widths: number[] = [];
    for (const columns of [65, 70, 90, 91, 200, undefined]) {
      const t = testIo({ tty: true, columns });
      new ProgressPrinter(t.io.stderr).progress(progress({ bytesDone: 0 }));
      widths.push(t.stderr().split('░').length - 1);
    }
    expect(widths).toEqual([10, 10, 30, 30, 30, 20]);
  });

  it('plain output (a pipe): a line at most every 2 s', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const t = testIo();
    const printer = new ProgressPrinter(t.io.stderr);
    printer.progress(progress());
    vi.setSystemTime(1_001_999);
    printer.progress(progress({ bytesDone: 700 }));
    vi.setSystemTime(1_002_000);
    printer.progress(progress({ bytesDone: 1024, etaSeconds: 0 }));
    expect(t.stderr()).toBe(
      'progress 512/1024 bytes 2.0 KiB/s eta 00:05\nprogress 1024/1024 bytes 2.0 KiB/s eta 00:00\n',
    );
    printer.clear();
    expect(t.stderr()).not.toContain('\x1b');
  });

  it('--json: progress as JSON lines on stdout, even when stderr is a terminal', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000_000);
    const t = testIo({ tty: true });
    const printer = new ProgressPrinter(t.io.stderr, false, true, t.io.stdout);
    printer.progress(progress());
    printer.progress(progress({ bytesDone: 600 }));
    expect(t.stderr()).toBe('');
    expect(t.jsonLines()).toEqual([
      { event: 'progress', bytesDone: 512, totalBytes: 1024, speed: 2048, etaSeconds: 5 },
    ]);
    const tty = testIo({ tty: true });
    new ProgressPrinter(tty.io.stderr, undefined, true, tty.io.stdout).progress(progress());
    expect(tty.stderr()).toBe('');
    expect(tty.jsonLines()).toHaveLength(1);
  });
});
