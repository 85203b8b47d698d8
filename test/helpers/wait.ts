/**
 * The one way tests wait: poll a condition until it holds, or fail with what was
 * awaited. Never a fixed sleep followed by an assertion.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  /** Named in the error when the condition never holds. */
  what?: string;
  /** How often to look again (ms). */
  everyMs?: number;
}

/** Resolves once `check` returns true (or a promise of true); rejects after timeoutMs. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, what = 'condition', everyMs = 10 }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await delay(everyMs);
  }
}

/** Resolves with the first non-undefined value `get` returns; rejects after timeoutMs. */
export async function waitForValue<T>(
  get: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  let value: T | undefined;
  await waitUntil(async () => (value = await get()) !== undefined, options);
  return value as T;
}
