/**
 * Pictures in the conversation, in real Chromium against real engines: a received picture
 * shows as itself at its aspect ratio once saved (a thumbnail made by Chromium and cached
 * by the engine), one we sent shows at once, the viewer steps through them by keyboard, and
 * hostile pictures (a 30,000 × 30,000 header, a truncated PNG, text named .png) stay file
 * cards without a page error.
 */
import { readFile, writeFile } from 'node:fs/promises';
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
    await receivedCard.getByRole('button', { name: 'Accept' }).waitFor();
    expect(await receivedCard.locator('button.picture').count()).toBe(0);
    // Bob's UI drew a thumbnail of it: it reaches Alice as the offer's preview, shown before she accepts.
    await b.node.saveThumbnail(received.id, 0, png(480, 360, [30, 140, 200]).toString('base64'));
    await receivedCard.locator('button.picture img').waitFor();
    const offered = await receivedCard.locator('button.picture').boundingBox();
    expect(offered && { width: Math.round(offered.width), height: Math.round(offered.height) }).toEqual({
      width: 280,
      height: 210,
    });
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

    // Alice sends one of hers: shown at once, before Bob answers.
    await writeFile(path.join(src, 'tall.png'), png(300, 900, [200, 90, 40]));
    const sent = await a.node.sendFiles(`direct:${bob.id}`, [path.join(src, 'tall.png')]);
    const sentPicture = page.locator(`.conversation [data-transfer-id="${sent.id}"] button.picture`);
    await sentPicture.waitFor();
    // Chromium's thumbnail of it went back to the engine's cache.
    await expect.poll(async () => (await a.node.readImage(sent.id, 0, 'thumbnail'))?.mime).toBe('image/webp');
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
      // Once the card says done, it may first try to show a picture; it ends as a file card.
      await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('done');
      await expect
        .poll(async () => [await card.locator('.file-main').count(), await card.locator('button.picture').count()], {
          timeout: 10_000,
          message: name,
        })
        .toEqual([1, 0]);
    }
    expect(errors).toEqual([]);
  });

  it('a pasted screenshot is previewed, named by its time, sent on Send (or dropped on Esc), and arrives whole', async () => {
    const a = await startNode('Alice');
    const bDownloads = await tempDir('ferry-e2e-b-dl-');
    const b = await startNode('Bob', { downloadDir: bDownloads });
    await a.node.addPeer(b.address);
    const bob = (await a.node.listPeers())[0]!;
    const { page, errors } = await openApp(a);
    await page.click(`[data-peer-id="${bob.id}"]`);
    const shot = png(320, 200, [90, 160, 60]);
    const paste = (withFile: boolean) =>
      page.locator('.composer-input').evaluate(
        (el, [base64, file]) => {
          const dt = new DataTransfer();
          if (file) {
            const bytes = Uint8Array.from(atob(base64 as string), (c) => c.charCodeAt(0));
            dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
          } else dt.setData('text/plain', 'just words');
          el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        },
        [shot.toString('base64'), withFile] as const,
      );

    // Text pastes as text: no preview.
    await paste(false);
    expect(await page.locator('.paste-preview').count()).toBe(0);

    await paste(true);
    const preview = page.locator('.paste-preview');
    await preview.waitFor();
    const name = (await preview.locator('.paste-name').textContent())!;
    expect(name).toMatch(/^Screenshot \d{4}-\d\d-\d\d \d\d\.\d\d\.png$/);
    await expect
      .poll(() => preview.locator('img.paste-thumb').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(320);
    // Send has the focus; Esc drops the paste and nothing is sent.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Send to Bob');
    await page.keyboard.press('Escape');
    expect(await preview.count()).toBe(0);
    expect(await b.node.listTransfers()).toEqual([]);

    await paste(true);
    await page.getByRole('button', { name: 'Send to Bob' }).click();
    const offer = await b.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered', 20_000);
    expect(offer.files.map((f) => f.path)).toEqual([name]);
    expect(offer.totalBytes).toBe(shot.length);
    await b.node.acceptTransfer(offer.id);
    const done = await b.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done', 20_000);
    expect(await readFile(done.files[0]!.savedPath!)).toEqual(shot);
    // The sender's card shows the screenshot itself.
    await page.locator(`.conversation [data-transfer-id="${offer.id}"] button.picture img`).waitFor();
    expect(errors).toEqual([]);
  });

  it('both people at their UIs: a pasted screenshot shows on the other side and opens in its viewer; a recall replaces the message on both', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob', { downloadDir: await tempDir('ferry-e2e-b-dl-') });
    await a.node.addPeer(b.address);
    const bob = (await a.node.listPeers())[0]!;
    const alice = (await b.node.listPeers())[0]!;
    const left = await openApp(a);
    const right = await openApp(b, { locale: 'zh-CN' });
    await left.page.click(`[data-peer-id="${bob.id}"]`);
    await right.page.click(`[data-peer-id="${alice.id}"]`);

    // Alice pastes a screenshot through the clipboard event and sends it.
    const shot = png(400, 250, [200, 60, 120]);
    await left.page.locator('.composer-input').evaluate((el, base64) => {
      const dt = new DataTransfer();
      dt.items.add(
        new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'image.png', { type: 'image/png' }),
      );
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, shot.toString('base64'));
    await left.page.getByRole('button', { name: 'Send to Bob' }).click();

    // Bob sees its preview on the offer, accepts in his UI, and gets the picture itself.
    const card = right.page.locator('.conversation .file-card.in');
    await card.locator('button.picture img').waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: '接收' }).click();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    await expect
      .poll(() => card.locator('button.picture img').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(0);
    await card.locator('button.picture').click();
    await expect
      .poll(() => right.page.locator('img.viewer-image').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBe(400);
    await right.page.keyboard.press('Escape');

    // Alice sends a message with a typo and recalls it from her UI; both sides show the line.
    await left.page.locator('.composer-input').fill('see you at 3pm at the wrong place');
    await left.page.keyboard.press('Enter');
    await right.page.locator('.bubble-text', { hasText: 'see you at 3pm at the wrong place' }).waitFor();
    const mine = left.page.locator('.bubble-row.out', { hasText: 'see you at 3pm' });
    await mine.hover();
    await mine.locator('.recall-action').click();
    await left.page.locator('.recalled-line', { hasText: 'You recalled a message' }).waitFor();
    await right.page.locator('.recalled-line', { hasText: 'Alice 撤回了一条消息' }).waitFor();
    expect(await right.page.getByText('see you at 3pm at the wrong place').count()).toBe(0);
    expect(left.errors).toEqual([]);
    expect(right.errors).toEqual([]);
  });
});
