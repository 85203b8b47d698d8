import { describe, expect, it } from 'vitest';
import { ChatQuota, DEFAULT_CHAT_QUOTA, type ChatQuotaLimits } from './chat-quota';

const A = `ferry:${'a'.repeat(64)}`;
const B = `ferry:${'b'.repeat(64)}`;

const LIMITS: ChatQuotaLimits = {
  messagesPerSecond: 2,
  messageBurst: 3,
  bytesPerSecond: 100,
  byteBurst: 1000,
  maxUnreadMessages: 100,
  maxUnreadBytes: 100_000,
};

const none = () => ({ count: 0, bytes: 0 });

/** How many messages of `bytes` are admitted in a row at `now`. */
function admitted(q: ChatQuota, peer: string, bytes: number, now: number, max = 10_000): number {
  for (let n = 0; n < max; n++) {
    try {
      q.admit(peer, bytes, now);
    } catch (err) {
      expect(err).toMatchObject({ code: 'RATE_LIMITED' });
      return n;
    }
  }
  return max;
}

const fast = { code: 'RATE_LIMITED', message: 'messages arrive faster than this Ferry accepts; retry in a moment' };
const unread = {
  code: 'RATE_LIMITED',
  message: 'too many unread messages from this device are waiting; send again after they are read',
};

describe('ChatQuota', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_CHAT_QUOTA).toEqual({
      messagesPerSecond: 20,
      messageBurst: 200,
      bytesPerSecond: 262_144,
      byteBurst: 4_194_304,
      maxUnreadMessages: 5000,
      maxUnreadBytes: 33_554_432,
    });
  });

  it('admits a burst of messages, then refuses until time refills it at the sustained rate', () => {
    const q = new ChatQuota(LIMITS, none);
    expect(admitted(q, A, 1, 0)).toBe(3);
    expect(() => q.admit(A, 1, 0)).toThrow(expect.objectContaining(fast));
    expect(admitted(q, A, 1, 499)).toBe(0); // 0.998 of a message
    expect(admitted(q, A, 1, 500)).toBe(1); // 2 per second
    expect(admitted(q, A, 1, 1500)).toBe(2);
    // The burst is a ceiling: a long silence does not bank more than it.
    expect(admitted(q, A, 1, 1_000_000)).toBe(3);
  });

  it('admits a burst of bytes, then refuses until time refills it at the sustained rate', () => {
    const q = new ChatQuota({ ...LIMITS, messageBurst: 1000, messagesPerSecond: 1000 }, none);
    expect(admitted(q, A, 400, 0)).toBe(2); // 800 of 1000
    expect(() => q.admit(A, 201, 0)).toThrow(expect.objectContaining(fast));
    q.admit(A, 200, 0); // exactly what is left
    expect(admitted(q, A, 1, 0)).toBe(0);
    expect(admitted(q, A, 100, 1000)).toBe(1); // 100 bytes per second
    expect(admitted(q, A, 1000, 1_000_000)).toBe(1);
    expect(admitted(q, A, 1, 1_000_000)).toBe(0);
  });

  it('keeps each peer to its own budget', () => {
    const q = new ChatQuota(LIMITS, none);
    expect(admitted(q, A, 1, 0)).toBe(3);
    expect(admitted(q, B, 1, 0)).toBe(3);
  });

  it('refuses a peer whose unread messages or bytes reach the limit, until they are read', () => {
    const asked: string[] = [];
    const q = new ChatQuota({ ...LIMITS, maxUnreadMessages: 3, maxUnreadBytes: 100, messageBurst: 100 }, (peer) => {
      asked.push(peer);
      return { count: 1, bytes: 10 };
    });
    q.admit(A, 10, 0);
    q.stored(A, 10);
    q.admit(A, 10, 0);
    q.stored(A, 10); // 3 unread now (1 from the store)
    expect(() => q.admit(A, 1, 0)).toThrow(expect.objectContaining(unread));
    expect(asked).toEqual([A]); // the store is asked once per peer
    q.read(A);
    q.admit(A, 100, 0); // exactly the byte limit
    q.stored(A, 100);
    expect(() => q.admit(A, 1, 0)).toThrow(expect.objectContaining(unread));
    q.read(A);
    expect(() => q.admit(A, 101, 0)).toThrow(expect.objectContaining(unread));
    q.admit(A, 100, 0);
    expect(asked).toEqual([A]);
  });

  it('counts only what was stored, and ignores news about peers it has not checked', () => {
    const q = new ChatQuota({ ...LIMITS, maxUnreadMessages: 2, messageBurst: 100 }, none);
    q.stored(B, 10); // never admitted: nothing to count yet
    q.stored(B, 10);
    q.read(B);
    q.admit(A, 10, 0);
    q.admit(A, 10, 0); // a retry of a stored message: admitted, not stored again
    q.admit(A, 10, 0);
    q.stored(A, 10);
    q.admit(A, 10, 0);
    q.stored(A, 10);
    expect(() => q.admit(A, 10, 0)).toThrow(expect.objectContaining(unread));
    q.admit(B, 10, 0);
    q.stored(B, 10);
    q.admit(B, 10, 0);
    q.stored(B, 10);
    expect(() => q.admit(B, 10, 0)).toThrow(expect.objectContaining(unread));
  });

  it('refuses first for unread volume, and a refused message costs nothing', () => {
    const q = new ChatQuota(LIMITS, () => ({ count: 100, bytes: 0 }));
    for (let i = 0; i < 10; i++) expect(() => q.admit(A, 1, 0)).toThrow(expect.objectContaining(unread));
    q.read(A);
    expect(admitted(q, A, 1, 0)).toBe(3); // the whole burst is still there
    expect(() => q.admit(A, 1, 0)).toThrow(expect.objectContaining(fast));
  });

  it('forgets the oldest peer beyond 4096, asking the store again when it returns', () => {
    const asked: string[] = [];
    const q = new ChatQuota(LIMITS, (peer) => {
      asked.push(peer);
      return { count: 0, bytes: 0 };
    });
    expect(admitted(q, 'p0', 1, 0)).toBe(3);
    for (let i = 1; i < 4096; i++) q.admit(`p${i}`, 1, 0);
    expect(admitted(q, 'p0', 1, 0)).toBe(0); // still remembered: 4096 peers
    q.admit('p4096', 1, 0); // the 4097th pushes out the oldest
    expect(asked.filter((p) => p === 'p0')).toHaveLength(1);
    expect(admitted(q, 'p0', 1, 0)).toBe(3); // a fresh budget
    expect(asked.filter((p) => p === 'p0')).toHaveLength(2);
    expect(admitted(q, 'p4095', 1, 0)).toBe(2); // the newer ones are kept
  });

  it('uses the clock when no time is given', () => {
    const q = new ChatQuota({ ...LIMITS, messagesPerSecond: 0 }, none);
    q.admit(A, 1, Date.now() - 1000);
    q.admit(A, 1);
    q.admit(A, 1);
    expect(() => q.admit(A, 1)).toThrow(expect.objectContaining(fast));
  });
});
