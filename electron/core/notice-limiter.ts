/**
 * Keeps notices to the UI bounded: a flood of the same kind (spoofed
 * announcements, a peer hammering a refused door) yields a few notices and a
 * count of the rest, never thousands of pushes.
 */
import type { NoticeDto } from '../../shared/dto';

export class NoticeLimiter {
  private readonly kinds = new Map<string, { tokens: number; at: number; suppressed: number }>();

  constructor(
    private readonly perMinute = 30,
    private readonly burst = 20,
  ) {}

  /** Returns the notice to emit (possibly noting how many were held back), or null to drop it. */
  admit(notice: NoticeDto, now = Date.now()): NoticeDto | null {
    let k = this.kinds.get(notice.code);
    if (!k) {
      if (this.kinds.size >= 256) this.kinds.delete(this.kinds.keys().next().value!);
      k = { tokens: this.burst, at: now, suppressed: 0 };
      this.kinds.set(notice.code, k);
    }
    k.tokens = Math.min(this.burst, k.tokens + ((now - k.at) / 60_000) * this.perMinute);
    k.at = now;
    if (k.tokens < 1) {
      k.suppressed++;
      return null;
    }
    k.tokens -= 1;
    if (k.suppressed === 0) return notice;
    const held = k.suppressed;
    k.suppressed = 0;
    return { ...notice, message: `${notice.message} (${held} more like this were not shown)` };
  }
}
