/**
 * Speed and ETA for one transfer, and the throttle that keeps progress events
 * at ≤ 10 per second however fast the bytes move.
 */
export const PROGRESS_INTERVAL_MS = 100;

export class ProgressMeter {
  private lastAt = 0;
  private lastBytes = 0;
  private smoothed = 0;
  private lastEmit = 0;

  /** Call with the running total; returns true when an event is due. */
  sample(bytesDone: number, now = Date.now()): boolean {
    if (this.lastAt === 0) {
      this.lastAt = now;
      this.lastBytes = bytesDone;
    } else if (now - this.lastAt >= PROGRESS_INTERVAL_MS) {
      const instant = ((bytesDone - this.lastBytes) * 1000) / (now - this.lastAt);
      // Exponential smoothing: steady numbers without hiding a real slowdown for long.
      this.smoothed = this.smoothed === 0 ? instant : this.smoothed * 0.7 + instant * 0.3;
      this.lastAt = now;
      this.lastBytes = bytesDone;
    }
    if (now - this.lastEmit < PROGRESS_INTERVAL_MS) return false;
    this.lastEmit = now;
    return true;
  }

  get speed(): number {
    return Math.max(0, Math.round(this.smoothed));
  }

  eta(bytesLeft: number): number | null {
    return this.smoothed > 0 ? Math.ceil(bytesLeft / this.smoothed) : null;
  }

  reset(): void {
    this.lastAt = 0;
    this.smoothed = 0;
  }
}
