/**
 * Screenshots of the everyday flows from issue 17, English and 简体中文: a
 * folder offer with its file list, a finished one with each file's state, the
 * paperclip's Files/Folder choice, an upload in progress, and a 640 px window
 * (emoji, CJK initials). Written to docs/screenshots with FERRY_UPDATE_SCREENSHOTS=1.
 */
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { shoot as shootAndCheck } from './shoot';
import { startNode, type TestNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, REPO_ROOT, requireBuild } from './browser-app';

const OUT =
  process.env.FERRY_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'ferry-screenshots');

beforeAll(requireBuild);

const shoot = (page: Page, name: string, mustSee: (string | RegExp)[]) =>
  shootAndCheck(page, path.join(OUT, `${name}.png`), mustSee);

async function say(from: TestNode, to: TestNode, text: string) {
  const m = await from.node.sendMessage(`direct:${to.node.peerId}`, text);
  await from.waitFor('messageUpdated', (u) => u.id === m.id && u.state === 'delivered');
}

async function folder(name: string, files: Record<string, number>, empty: string[] = []): Promise<string> {
  const root = path.join(await tempDir('ferry-shot-src-'), name);
  for (const [rel, size] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), Buffer.alloc(size, 1));
  }
  for (const rel of empty) await mkdir(path.join(root, rel), { recursive: true });
  return root;
}

it('saves screenshots of folders, file lists, upload progress and a narrow window', async () => {
  await mkdir(OUT, { recursive: true });
  const alice = await startNode('Alice’s MacBook', { downloadDir: await tempDir() });
  const bob = await startNode('Bob 李', { downloadDir: await tempDir() });
  await alice.node.addPeer(bob.address);
  const bobId = bob.node.peerId;

  await say(alice, bob, 'Sending the trip photos 📸🏖️');
  // A finished folder: each file's state.
  const trip = await folder('Trip 2026', {
    'day 1/beach.jpg': 840_000,
    'day 1/sunset.jpg': 910_000,
    'day 2/market.jpg': 620_000,
    'notes.md': 2_300,
  });
  const done = await alice.node.sendFiles(`direct:${bobId}`, [trip]);
  await bob.waitFor('transferUpdated', (t) => t.id === done.id && t.state === 'offered');
  await bob.node.acceptTransfer(done.id);
  await alice.waitFor('transferUpdated', (t) => t.id === done.id && t.state === 'done', 20_000);
  await say(bob, alice, 'Thanks! 🎉 Here is the project folder 项目资料');
  // An offer waiting for Alice: names first, then "and N more".
  const project = await folder(
    '项目资料',
    {
      '设计/首页.fig': 5_400_000,
      '设计/图标.svg': 12_000,
      '文档/需求说明.docx': 240_000,
      '文档/会议纪要.md': 8_000,
      'budget 2026.xlsx': 64_000,
      'README.md': 1_200,
    },
    ['归档'],
  );
  const offer = await bob.node.sendFiles(`direct:${alice.node.peerId}`, [project]);
  await alice.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'offered');

  for (const locale of ['en-US', 'zh-CN'] as const) {
    const suffix = locale === 'en-US' ? 'light' : 'zh-CN-light';
    const { page, errors } = await openApp(alice, { locale });
    await page.click(`[data-peer-id="${bobId}"]`);
    const doneCard = page.locator(`[data-transfer-id="${done.id}"]`);
    await doneCard.waitFor();
    await doneCard.locator('.file-list-toggle').click();
    await page.locator(`[data-transfer-id="${offer.id}"]`).scrollIntoViewIfNeeded();
    await shoot(page, `file-list-${suffix}`, [/README\.md/, /budget 2026\.xlsx/]);

    await page.locator('.composer .icon-button').first().click();
    await page.getByRole('menu').waitFor();
    await shoot(page, `attach-menu-${suffix}`, [locale === 'en-US' ? 'Folder…' : '文件夹…']);
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
  }

  {
    // An upload being handed to the engine (browser mode), caught while it moves.
    const big = path.join(await tempDir(), 'site-backup.tar');
    await writeFile(big, '');
    await truncate(big, 1024 ** 3);
    const { page } = await openApp(alice);
    await page.click(`[data-peer-id="${bobId}"]`);
    await page.locator('.composer .icon-button').first().click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('menuitem').first().click();
    await (await chooser).setFiles(big);
    await expect
      .poll(
        async () =>
          Number(
            (await page
              .locator('.upload-note [role="progressbar"]')
              .getAttribute('aria-valuenow')
              .catch(() => null)) ?? 0,
          ),
        { timeout: 60_000, interval: 20 },
      )
      .toBeGreaterThanOrEqual(15);
    await page.screenshot({ path: path.join(OUT, 'upload-progress-light.png') });
    await bob.waitFor(
      'transferUpdated',
      (t) => t.direction === 'in' && t.state === 'offered' && t.files[0]?.path === 'site-backup.tar',
      120_000,
    );
  }

  for (const locale of ['en-US', 'zh-CN'] as const) {
    const { page } = await openApp(alice, { locale, width: 640, height: 600 });
    await page.click(`[data-peer-id="${bobId}"]`);
    await page.waitForSelector('.bubble');
    await shoot(page, `narrow-640-${locale === 'en-US' ? 'light' : 'zh-CN-light'}`, [/Bob/]);
  }
});
