/**
 * Screenshots of a conversation with pictures (issue 18): a received photo, one we sent,
 * an offer showing the sender's preview, a recalled message; English light and 简体中文
 * dark. Written to docs/screenshots with FERRY_UPDATE_SCREENSHOTS=1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, it } from 'vitest';
import { png } from '../helpers/images';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, REPO_ROOT, requireBuild } from './browser-app';
import { shoot } from './shoot';

const OUT =
  process.env.FERRY_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'ferry-screenshots');

beforeAll(requireBuild);

it('saves screenshots of a conversation with pictures, English light and 简体中文 dark', async () => {
  await mkdir(OUT, { recursive: true });
  for (const [locale, scheme, suffix] of [
    ['en-US', 'light', 'light'],
    ['zh-CN', 'dark', 'zh-CN-dark'],
  ] as const) {
    const alice = await startNode('Alice', { downloadDir: await tempDir() });
    const bob = await startNode(locale === 'zh-CN' ? '老王' : 'Bob', { downloadDir: await tempDir() });
    await alice.node.addPeer(bob.address);
    const aliceId = (await bob.node.listPeers())[0]!.id;
    const bobId = (await alice.node.listPeers())[0]!.id;
    const src = await tempDir('ferry-shot-src-');
    const say = (from: typeof alice, to: string, text: string) => from.node.sendMessage(`direct:${to}`, text);

    await say(bob, aliceId, locale === 'zh-CN' ? '昨天的海港照片给你' : 'Here is the harbour from yesterday');
    await writeFile(path.join(src, 'harbour.png'), png(1200, 800, [30, 140, 200]));
    const photo = await bob.node.sendFiles(`direct:${aliceId}`, [path.join(src, 'harbour.png')]);
    await alice.waitFor('transferUpdated', (t) => t.id === photo.id && t.state === 'offered');
    await alice.node.acceptTransfer(photo.id);
    await alice.waitFor('transferUpdated', (t) => t.id === photo.id && t.state === 'done', 20_000);
    await say(alice, bobId, locale === 'zh-CN' ? '太美了！我这边的日落 🌇' : 'Lovely! Here is my sunset 🌇');
    await writeFile(path.join(src, 'sunset.png'), png(600, 800, [220, 110, 40]));
    await alice.node.sendFiles(`direct:${bobId}`, [path.join(src, 'sunset.png')]);
    const typo = await say(
      alice,
      bobId,
      locale === 'zh-CN' ? '三点见（地点写错了）' : 'See you at 3 at the wrong place',
    );
    await alice.node.recallMessage(`direct:${bobId}`, typo.id);
    await writeFile(path.join(src, 'plan.png'), png(900, 500, [80, 160, 90]));
    const plan = await bob.node.sendFiles(`direct:${aliceId}`, [path.join(src, 'plan.png')]);
    await alice.waitFor('transferUpdated', (t) => t.id === plan.id && t.state === 'offered');
    await bob.node.saveThumbnail(plan.id, 0, png(480, 267, [80, 160, 90]).toString('base64'));
    await alice.waitFor('transferUpdated', (t) => t.id === plan.id && t.files[0]?.preview !== undefined);

    const { page } = await openApp(alice, { locale, colorScheme: scheme, height: 1080 });
    await page.click(`[data-peer-id="${bobId}"]`);
    await page.locator(`[data-transfer-id="${plan.id}"] button.picture img`).waitFor();
    // Every picture drawn (no placeholder left), not only those already given an <img>.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.picture-placeholder').length === 0 &&
        Array.from(document.querySelectorAll<HTMLImageElement>('button.picture img')).every(
          (i) => i.complete && i.naturalWidth > 0,
        ),
    );
    await shoot(page, path.join(OUT, `pictures-${suffix}.png`), [
      locale === 'zh-CN' ? '你撤回了一条消息' : 'You recalled a message',
      /plan\.png/,
    ]);
  }
});
