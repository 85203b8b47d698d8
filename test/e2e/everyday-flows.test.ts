/**
 * Everyday flows a newcomer tripped over (issue 17): where errors show and when
 * they go, the keyboard after a failed Connect, Escape on the transfers panel,
 * and a half-screen window. Real engines on 127.0.0.1, real Chromium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

describe('everyday flows', () => {
  it('a failed Connect keeps focus in the dialog, shows the error once, and Escape still closes it', async () => {
    const a = await startNode('Alice');
    const { page, errors } = await openApp(a);

    await page.getByRole('button', { name: 'Add by address' }).first().click();
    const dialog = page.getByRole('dialog');
    const field = page.getByRole('textbox', { name: /^Address/ });
    // Our own address: the engine refuses the connection (SELF_CONNECTION) and also logs it as a notice.
    await field.fill(a.address);
    await page.getByRole('button', { name: 'Connect' }).click();
    const note = dialog.locator('.error-note');
    await expect.poll(() => note.getAttribute('data-code'), { timeout: 15_000 }).toBe('SELF_CONNECTION');

    // Focus is back in the dialog's field, not on the page body.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('address');
    // Shown once: no app-wide banner repeating it. A later pushed event proves the notices were processed.
    const b = await startNode('Bob');
    await a.node.addPeer(b.address);
    await page.locator('.peer-item').first().waitFor();
    expect(await page.locator('.banner').count()).toBe(0);
    expect(await page.locator('.error-note').count()).toBe(1);

    // Editing the address removes the error about the old one.
    await field.press('End');
    await field.press('Backspace');
    await expect.poll(() => note.count()).toBe(0);

    // Fail again, then Escape closes the dialog even with focus moved to the page body.
    await field.fill(a.address);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => note.count(), { timeout: 15_000 }).toBe(1);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.locator('.error-note, .banner').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the transfers panel opened with the mouse closes on Escape', async () => {
    const a = await startNode('Alice');
    const { page } = await openApp(a);
    await page.getByRole('button', { name: 'Transfers' }).click();
    const panel = page.locator('.transfers-panel');
    await panel.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);

    // Also when focus is nowhere in particular (a click on the empty chat area).
    await page.getByRole('button', { name: 'Transfers' }).click();
    await panel.waitFor();
    await page.mouse.click(500, 400);
    await page.keyboard.press('Escape');
    await expect.poll(() => panel.count()).toBe(0);
  });

  it('an error over the composer goes when a later send succeeds, or when dismissed', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const { page } = await openApp(a, { maxUploadBytes: 1024 });
    await page.click(`[data-peer-id="${bob.id}"]`);
    const composer = page.locator('.composer');
    const drop = async (name: string) => {
      const dataTransfer = await page.evaluateHandle((n) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(4096)], n));
        return dt;
      }, name);
      await page.locator('.conversation').dispatchEvent('drop', { dataTransfer });
    };

    await drop('too-big.bin');
    const note = composer.locator('.error-note');
    await expect.poll(() => note.getAttribute('data-code'), { timeout: 15_000 }).toBe('UPLOAD_TOO_LARGE');
    // A message that goes through settles it: the failed upload is no longer the latest thing here.
    await page.getByLabel('Message to Bob').fill('sent anyway');
    await page.keyboard.press('Enter');
    await b.waitFor('messageAdded', (m) => m.text === 'sent anyway');
    await expect.poll(() => note.count()).toBe(0);

    // Dismissed by the user.
    await drop('too-big-again.bin');
    await expect.poll(() => note.count(), { timeout: 15_000 }).toBe(1);
    await note.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => note.count()).toBe(0);
  });

  it('works in a half-screen window (640 px): nothing is clipped horizontally', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob 李');
    const bob = await a.node.addPeer(b.address);
    const { page } = await openApp(a, { width: 640, height: 600 });
    await page.click(`[data-peer-id="${bob.id}"]`);
    await page.getByLabel('Message to Bob 李').waitFor();
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth - window.innerWidth,
      // Every visible control ends inside the window.
      outside: Array.from(document.querySelectorAll<HTMLElement>('button, textarea, input, .conversation-header h1'))
        .filter((el) => el.offsetParent && el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el) => el.getAttribute('aria-label') ?? el.textContent?.trim()),
    }));
    expect(overflow).toEqual({ page: 0, outside: [] });
    // Emoji: the platforms' colour-emoji fonts are named in the font stack (no boxes where one is installed).
    const fonts = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    for (const name of ['Apple Color Emoji', 'Segoe UI Emoji', 'Noto Color Emoji']) expect(fonts).toContain(name);
    // CJK initials: "Bob 李" shows 李.
    expect((await page.locator(`[data-peer-id="${bob.id}"] .avatar`).textContent())?.trim()).toBe('李');
  });
});
