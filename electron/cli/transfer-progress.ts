/** How `ferry send` shows a transfer: a redrawn bar on a terminal, plain lines otherwise. */
import type { TransferProgressDto } from '../../shared/dto';
import type { CliOutput } from './cli-options';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function progressBar(p: TransferProgressDto, width = 30): string {
  const ratio = p.totalBytes > 0 ? Math.min(1, p.bytesDone / p.totalBytes) : 1;
  const filled = Math.round(ratio * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${bar} ${(ratio * 100).toFixed(1).padStart(5)}%  ${formatBytes(p.bytesDone)} / ${formatBytes(p.totalBytes)}  ${formatBytes(p.speed)}/s  ETA ${formatEta(p.etaSeconds)}`;
}

export class ProgressPrinter {
  private lastLine = 0;
  private drawn = false;
  constructor(
    private readonly out: CliOutput,
    private readonly tty = out.isTTY === true,
    /** JSON lines on stdout instead (`ferry send --json`). */
    private readonly json = false,
    private readonly stdout: CliOutput = process.stdout,
  ) {}

  progress(p: TransferProgressDto): void {
    if (this.tty && !this.json) {
      this.out.write(`\r${progressBar(p, Math.max(10, Math.min(30, (this.out.columns ?? 80) - 60)))}\x1b[K`);
      this.drawn = true;
      return;
    }
    // Plain output: a line every 2 s is plenty for logs.
    const now = Date.now();
    if (now - this.lastLine < 2_000) return;
    this.lastLine = now;
    if (this.json) {
      this.stdout.write(
        `${JSON.stringify({ event: 'progress', bytesDone: p.bytesDone, totalBytes: p.totalBytes, speed: p.speed, etaSeconds: p.etaSeconds })}\n`,
      );
      return;
    }
    this.out.write(
      `progress ${p.bytesDone}/${p.totalBytes} bytes ${formatBytes(p.speed)}/s eta ${formatEta(p.etaSeconds)}\n`,
    );
  }

  /** Wipes the bar so a line of text can be printed in its place. */
  clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
