/**
 * Per-source token buckets with a bounded table: a flood from one address (or
 * from many spoofed ones) costs a fixed amount of memory and is dropped.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxSources = 1024,
  ) {}

  allow(source: string, now = Date.now()): boolean {
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (this.buckets.size >= this.maxSources) {
        // Evict the oldest entry (Map keeps insertion order).
        this.buckets.delete(this.buckets.keys().next().value!);
      }
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(source, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
