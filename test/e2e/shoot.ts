/**
 * Screenshots for docs/screenshots that also check the UI: each shot names what a
 * person must see in it, and fails when that is not visible. The picture is taken
 * once fonts are loaded and finite animations have finished (no fixed waits).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export async function shoot(page: Page, file: string, mustSee: (string | RegExp)[]): Promise<void> {
  expect(mustSee.length, `${path.basename(file)}: name what the shot must show`).toBeGreaterThan(0);
  for (const text of mustSee) {
    await expect
      .poll(() => page.getByText(text).first().isVisible(), { message: `${path.basename(file)} shows ${text}` })
      .toBe(true);
  }
  await page.evaluate(() => document.fonts.ready);
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  await page.screenshot({ path: file });
}
