/**
 * Screenshots of the main views, light and dark, for the README
 * (docs/screenshots/). Real engines on 127.0.0.1 produce every message and
 * file card shown.
 */
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { shoot as shootAndCheck } from './shoot';
import { startNode, stopNode, type TestNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, REPO_ROOT, requireBuild } from './browser-app';

// Every run shoots the views (and fails if one breaks); only FERRY_UPDATE_SCREENSHOTS=1 replaces the
// committed README images, so ordinary test runs don't leave changed PNGs (times, avatar colours) behind.
const OUT =
  process.env.FERRY_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'ferry-screenshots');

beforeAll(requireBuild);

async function say(from: TestNode, to: TestNode, text: string) {
  const peer = (await from.node.listPeers()).find((p) => p.id === to.node.peerId)!;
  const m = await from.node.sendMessage(`direct:${peer.id}`, text);
  await from.waitFor('messageUpdated', (u) => u.id === m.id && u.state === 'delivered');
}

const shoot = (page: Page, name: string, mustSee: (string | RegExp)[]) =>
  shootAndCheck(page, path.join(OUT, `${name}.png`), mustSee);

it('saves screenshots of the main views in light and dark', async () => {
  await mkdir(OUT, { recursive: true });
  const alice = await startNode('Alice’s MacBook', { downloadDir: await tempDir() });
  const bob = await startNode('Bob 的台式机', { downloadDir: await tempDir() });
  const carol = await startNode('Carol Zhang', { downloadDir: await tempDir() });
  const lab = await startNode('Design Lab PC', { downloadDir: await tempDir() });

  // A fresh app: the empty state.
  const fresh = await openApp(alice, { colorScheme: 'light' });
  await shoot(fresh.page, 'empty-light', ['No one here yet']);

  for (const other of [lab, carol, bob]) await alice.node.addPeer(other.address);
  await say(alice, lab, 'Is the plotter free this afternoon?');
  await say(lab, alice, 'Yes, after 3 pm.');
  await stopNode(lab);

  await say(alice, bob, 'Hi Bob! Are you joining the review at 4?');
  await say(bob, alice, 'Yes. 我马上到 — can you send me the slides first?');
  {
    const src = await tempDir();
    const slides = path.join(src, 'Q3 review slides.pdf');
    await writeFile(slides, Buffer.alloc(2_400_000, 1));
    const out = await alice.node.sendFiles(`direct:${bob.node.peerId}`, [slides]);
    await bob.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    await bob.node.acceptTransfer(out.id);
    await alice.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'done', 20_000);
    await say(bob, alice, 'Got it, thanks! Here are the photos from Saturday.');
    const photos = path.join(src, 'team-photos.zip');
    await writeFile(photos, Buffer.alloc(48_000_000, 2));
    await bob.node.sendFiles(`direct:${alice.node.peerId}`, [photos]);
    await alice.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered');
  }
  await say(carol, alice, 'Lunch tomorrow?');
  await say(carol, alice, 'The new place near the station?');

  for (const scheme of ['light', 'dark'] as const) {
    const { page, errors } = await openApp(alice, { colorScheme: scheme });
    await page.click(`[data-peer-id="${bob.node.peerId}"]`);
    await page.waitForSelector('.bubble');
    await shoot(page, `conversation-${scheme}`, [
      'Hi Bob! Are you joining the review at 4?',
      'Q3 review slides.pdf',
      'team-photos.zip',
    ]);

    if (scheme === 'light') {
      const dataTransfer = await page.evaluateHandle(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['x'], 'budget.xlsx'));
        return dt;
      });
      await page.locator('.conversation').dispatchEvent('dragenter', { dataTransfer });
      await page.locator('.drop-overlay').waitFor();
      await shoot(page, 'drop-light', [/Drop to send to Bob/]);
      await page.locator('.conversation').dispatchEvent('dragleave', { dataTransfer });

      await page.getByRole('button', { name: 'Add by address' }).first().click();
      await page.getByRole('textbox', { name: /^Address/ }).fill('192.168.1.');
      await shoot(page, 'add-peer-light', [/^Address/]);
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'About this device' }).click();
      await page.getByRole('dialog').waitFor();
      await shoot(page, 'device-info-light', ['About this device']);
      await page.keyboard.press('Escape');
    } else {
      await page.getByRole('button', { name: 'Transfers' }).click();
      await page.locator('.transfers-panel').waitFor();
      await shoot(page, 'transfers-dark', ['Q3 review slides.pdf', 'team-photos.zip']);
      await page.getByRole('button', { name: 'Transfers' }).click();

      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByRole('dialog').waitFor();
      await shoot(page, 'settings-dark', ['Settings']);
      await page.keyboard.press('Escape');
    }
    expect(errors).toEqual([]);
  }

  {
    // A big (sparse) file on its way, to show the moving progress bar with speed and time left.
    const big = path.join(await tempDir(), 'site-backup-2026.tar');
    await writeFile(big, '');
    await truncate(big, 3 * 1024 ** 3);
    const out = await alice.node.sendFiles(`direct:${carol.node.peerId}`, [big]);
    await carol.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    const { page } = await openApp(alice, { colorScheme: 'light' });
    await page.click(`[data-peer-id="${carol.node.peerId}"]`);
    const card = page.locator(`[data-transfer-id="${out.id}"]`);
    await card.waitFor();
    await carol.node.acceptTransfer(out.id);
    await expect
      .poll(
        async () =>
          Number(
            (await card
              .locator('[role="progressbar"]')
              .getAttribute('aria-valuenow')
              .catch(() => null)) ?? 0,
          ),
        {
          timeout: 30_000,
          interval: 50,
        },
      )
      .toBeGreaterThanOrEqual(8);
    await shoot(page, 'sending-light', ['site-backup-2026.tar', /\d.* left/]);
    await alice.node.cancelTransfer(out.id);
  }

  const zh = await openApp(alice, { locale: 'zh-CN', colorScheme: 'light' });
  await zh.page.click(`[data-peer-id="${bob.node.peerId}"]`);
  await zh.page.waitForSelector('.bubble');
  await shoot(zh.page, 'conversation-zh-CN-light', ['Q3 review slides.pdf', /我马上到/]);
  await zh.page.getByRole('button', { name: '设备信息' }).click();
  await zh.page.getByRole('dialog').waitFor();
  await shoot(zh.page, 'device-info-zh-CN-light', ['设备信息', /Ferry · 已加密 · 可验证身份/, '消息免打扰']);
});
