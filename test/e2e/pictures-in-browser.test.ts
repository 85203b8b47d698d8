/**
 * Pictures in the conversation, in real Chromium against real engines: a received picture
 * shows as itself at its aspect ratio once saved (a thumbnail made by Chromium and cached
 * by the engine), one we sent shows at once, the viewer steps through them by keyboard, and
 * hostile pictures (a 30,000 × 30,000 header, a truncated PNG, text named .png) stay file
 * cards without a page error.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { png, pngHeaderOnly } from '../helpers/images';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

describe('pictures in the browser UI', () => {
  it('shows received and sent pictures inline, opens them in the viewer, and keeps hostile ones as file cards', async () => {
    const a = await startNode('Alice', { downloadDir: await tempDir('ferry-e2e-a-dl-') });
    const b = await startNode('Bob');
    const src = await tempDir('ferry-e2e-src-');
    await a.node.addPeer(b.address);
    const alice = (await b.node.listPeers())[0]!;
    const bob = (await a.node.listPeers())[0]!;

    const { page, errors } = await openApp(a);
    await page.click(`[data-peer-id="${bob.id}"]`);

    // Bob sends a 1600 × 1200 picture: an offer card until accepted, then the picture itself.
    await writeFile(path.join(src, 'harbour.png'), png(1600, 1200, [30, 140, 200]));
    const received = await b.node.sendFiles(`direct:${alice.id}`, [path.join(src, 'harbour.png')]);
    const receivedCard = page.locator(`.conversation [data-transfer-id="${received.id}"]`);
    await receivedCard.getByRole('button', { name: 'Accept' }).click();
    const receivedPicture = receivedCard.locator('button.picture');
    await receivedPicture.waitFor({ timeout: 20_000 });
    const box = await receivedPicture.boundingBox();
    expect(box && { width: Math.round(box.width), height: Math.round(box.height) }).toEqual({
      width: 280,
      height: 210,
    });
    await expect
      .poll(() => receivedPicture.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(480);
    // Chromium's thumbnail went back to the engine's cache.
    await expect.poll(async () => (await a.node.readImage(received.id, 0, 'thumbnail'))?.mime).toBe('image/webp');

    // Alice sends one of hers: shown at once, before Bob answers.
    await writeFile(path.join(src, 'tall.png'), png(300, 900, [200, 90, 40]));
    const sent = await a.node.sendFiles(`direct:${bob.id}`, [path.join(src, 'tall.png')]);
    const sentPicture = page.locator(`.conversation [data-transfer-id="${sent.id}"] button.picture`);
    await sentPicture.waitFor();
    const tall = await sentPicture.boundingBox();
    expect(tall && { width: Math.round(tall.width), height: Math.round(tall.height) }).toEqual({
      width: 80,
      height: 240,
    });

    // The viewer: newest picture first, ← to the one before, Esc closes and gives focus back.
    await sentPicture.click();
    const viewer = page.getByRole('dialog', { name: 'Picture: tall.png' });
    await viewer.waitFor();
    expect(await viewer.locator('.viewer-count').textContent()).toBe('2 of 2');
    await expect
      .poll(() => viewer.locator('img.viewer-image').evaluate((img: HTMLImageElement) => img.naturalHeight))
      .toBe(900);
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('dialog', { name: 'Picture: harbour.png' }).waitFor();
    await expect
      .poll(() => page.locator('img.viewer-image').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(1600);
    await page.keyboard.press('Escape');
    expect(await page.locator('.picture-viewer').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.classList.contains('picture'))).toBe(true);

    // Hostile pictures: each stays a plain file card once received.
    const whole = png(64, 64);
    await writeFile(path.join(src, 'bomb.png'), pngHeaderOnly(30_000, 30_000));
    await writeFile(path.join(src, 'cut.png'), whole.subarray(0, whole.length - 30));
    await writeFile(path.join(src, 'liar.png'), 'I am text, not a picture');
    for (const name of ['bomb.png', 'cut.png', 'liar.png']) {
      const t = await b.node.sendFiles(`direct:${alice.id}`, [path.join(src, name)]);
      const card = page.locator(`.conversation [data-transfer-id="${t.id}"]`);
      await card.getByRole('button', { name: 'Accept' }).click();
      await a.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'done', 20_000);
      await expect.poll(() => card.locator('.file-main').count(), { timeout: 10_000 }).toBe(1);
      expect(await card.locator('button.picture').count(), name).toBe(0);
    }
    expect(errors).toEqual([]);
  });
});
