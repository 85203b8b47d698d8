/** The UI without a mouse, and its theme following the system unless the user picks one. */
import { beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

describe('keyboard and theme', () => {
  it('every control is reachable by Tab with a visible focus ring; dialogs trap focus and give it back', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    await a.node.addPeer(b.address);
    const { page } = await openApp(a);

    // Tab from the start of the page through the sidebar: each stop is a labelled control with a ring.
    const stops: { label: string; ring: string }[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      stops.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          return {
            label: el.getAttribute('aria-label') ?? el.getAttribute('placeholder') ?? el.textContent ?? '',
            // A focus ring on the control, or (the search field) a highlighted border on its box.
            ring:
              getComputedStyle(el).boxShadow !== 'none'
                ? 'ring'
                : el.closest('.search-box') &&
                    getComputedStyle(el.closest('.search-box')!).borderColor !== 'rgba(0, 0, 0, 0)'
                  ? 'border'
                  : 'none',
          };
        }),
      );
    }
    expect(stops.map((s) => s.label)).toEqual([
      'Add by address',
      'Transfers',
      'Settings',
      'Search people and messages',
      'Bob, Online',
    ]);
    for (const s of stops) expect(s.ring, s.label).not.toBe('none');

    // Enter on the peer opens the conversation; the composer is reachable and sends with Enter.
    await page.keyboard.press('Enter');
    await page.getByLabel('Message to Bob').focus();
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await b.waitFor('messageAdded', (m) => m.text === 'typed without a mouse');

    // Ctrl+, opens settings with focus inside; Tab cycles within; Escape closes and focus returns.
    await page.getByLabel('Message to Bob').focus();
    await page.keyboard.press('Control+,');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message to Bob');
  });

  it('follows the system theme, and the setting overrides it', async () => {
    const a = await startNode('Alice');
    const dark = await openApp(a, { colorScheme: 'dark' });
    expect(await dark.page.getAttribute('html', 'data-theme')).toBe('dark');
    const light = await openApp(a, { colorScheme: 'light' });
    expect(await light.page.getAttribute('html', 'data-theme')).toBe('light');
    const background = () => light.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const lightBackground = await background();

    await light.page.getByRole('button', { name: 'Settings' }).click();
    await light.page.getByLabel('Theme').selectOption('dark');
    await light.page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => light.page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await background()).not.toBe(lightBackground);
    // The other window hears the pushed settingsUpdated too.
    await expect.poll(() => dark.page.getAttribute('html', 'data-theme')).toBe('dark');
  });
});
