import { describe, expect, it } from 'vitest';
import type { NoticeDto } from '../../shared/dto';
import type { NoticeCode } from '../../shared/errors';
import { NoticeLimiter } from './notice-limiter';

// The limiter treats a code as an opaque kind: made-up codes stand for many kinds.
const notice = (code: string, message = 'something happened'): NoticeDto => ({
  level: 'warn',
  code: code as NoticeCode,
  message,
});

/** How many notices of `code` get through in a row at `now`. */
function shown(limiter: NoticeLimiter, code: string, now: number, max = 1000): number {
  let n = 0;
  for (let i = 0; i < max; i++) if (limiter.admit(notice(code), now)) n++;
  return n;
}

describe('NoticeLimiter', () => {
  it('lets a burst of 20 of one kind through, then 30 a minute', () => {
    const limiter = new NoticeLimiter();
    expect(shown(limiter, 'X', 0)).toBe(20);
    expect(shown(limiter, 'X', 1999)).toBe(0); // 0.9995 of a notice
    expect(limiter.admit(notice('X'), 2000)).not.toBeNull();
    expect(shown(limiter, 'X', 62_000)).toBe(20); // the burst is a ceiling
  });

  it('passes a notice through unchanged, and the next one after a flood says how many were held back', () => {
    const limiter = new NoticeLimiter(60, 2);
    const first = notice('SPOOF', 'a spoofed announcement');
    expect(limiter.admit(first, 0)).toBe(first);
    expect(limiter.admit(notice('SPOOF'), 0)).toEqual(notice('SPOOF'));
    expect(limiter.admit(notice('SPOOF'), 0)).toBeNull();
    expect(limiter.admit(notice('SPOOF'), 500)).toBeNull();
    expect(limiter.admit({ ...notice('SPOOF', 'the last one'), peerId: 'p' }, 1000)).toEqual({
      level: 'warn',
      code: 'SPOOF',
      peerId: 'p',
      message: 'the last one (2 more like this were not shown)',
    });
    // The count starts again.
    expect(limiter.admit(notice('SPOOF'), 2000)).toEqual(notice('SPOOF'));
  });

  it('limits each kind on its own', () => {
    const limiter = new NoticeLimiter(30, 3);
    expect(shown(limiter, 'A', 0)).toBe(3);
    expect(shown(limiter, 'B', 0)).toBe(3);
  });

  it('forgets the oldest kind beyond 256 kinds', () => {
    const limiter = new NoticeLimiter(30, 1);
    expect(shown(limiter, 'k0', 0)).toBe(1);
    for (let i = 1; i < 256; i++) limiter.admit(notice(`k${i}`), 0);
    expect(shown(limiter, 'k0', 0)).toBe(0); // 256 kinds: still remembered
    limiter.admit(notice('k256'), 0); // the 257th pushes out the oldest
    expect(shown(limiter, 'k0', 0)).toBe(1);
    expect(shown(limiter, 'k255', 0)).toBe(0);
  });

  it('uses the clock when no time is given', () => {
    const limiter = new NoticeLimiter(0, 2);
    expect(limiter.admit(notice('X'), Date.now() - 60_000)).not.toBeNull();
    expect(limiter.admit(notice('X'))).not.toBeNull();
    expect(limiter.admit(notice('X'))).toBeNull();
  });
});
