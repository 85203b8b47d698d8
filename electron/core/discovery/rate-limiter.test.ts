import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

const T = 1_000_000;

describe('RateLimiter', () => {
  it('allows a burst, then refuses until tokens come back', () => {
    const limiter = new RateLimiter(2, 3);
    expect([1, 2, 3, 4].map(() => limiter.allow('10.0.0.1', T))).toEqual([true, true, true, false]);
    expect(limiter.allow('10.0.0.1', T + 499)).toBe(false);
    expect(limiter.allow('10.0.0.1', T + 500)).toBe(true);
    expect(limiter.allow('10.0.0.1', T + 500)).toBe(false);
  });

  it('grants exactly one token per 1/perSecond seconds, and never more than the burst', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.allow('a', T)).toBe(true);
    expect(limiter.allow('a', T + 999)).toBe(false);
    expect(limiter.allow('a', T + 1000)).toBe(true);
    // An hour idle still only refills the burst of 1.
    expect(limiter.allow('a', T + 3_600_000)).toBe(true);
    expect(limiter.allow('a', T + 3_600_000)).toBe(false);
  });

  it('keeps one bucket per source', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.allow('a', T)).toBe(true);
    expect(limiter.allow('b', T)).toBe(true);
    expect(limiter.allow('a', T)).toBe(false);
    expect(limiter.size).toBe(2);
  });

  it('bounds its table by evicting the oldest source', () => {
    const limiter = new RateLimiter(1, 1, 2);
    expect(limiter.allow('a', T)).toBe(true);
    expect(limiter.allow('b', T)).toBe(true);
    expect(limiter.allow('c', T)).toBe(true); // evicts a
    expect(limiter.size).toBe(2);
    expect(limiter.allow('b', T)).toBe(false); // b kept its empty bucket
    expect(limiter.allow('a', T)).toBe(true); // a starts over (evicts b)
    expect(limiter.size).toBe(2);
  });

  it('holds 1024 sources by default', () => {
    const limiter = new RateLimiter(1, 1);
    for (let i = 0; i < 1100; i++) limiter.allow(`s${i}`, T);
    expect(limiter.size).toBe(1024);
  });

  it('uses the clock when no time is given', () => {
    const limiter = new RateLimiter(0.001, 1);
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
  });
});
