/**
 * A person at Ferry's UI chatting with an iptux user: `ferry ui` (IP Messenger on)
 * and Chromium in one network namespace, iptux's own engine (the driver on
 * Debian's libiptux-core) in another, joined by a veth pair. The iptux user shows
 * up in the people list marked "IP Messenger · unencrypted", writes in Chinese,
 * and gets the reply typed into the composer. The shot is the README's
 * (docs/screenshots/ipmsg-iptux.png with FERRY_UPDATE_SCREENSHOTS=1). Needs root.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnFerry, type FerryProcess } from '../helpers/cli-process';
import { iptuxSkipReason, spawnIptux, type IptuxPeer } from '../helpers/iptux';
import { tempDir } from '../helpers/temp-dir';
import { createLan, deleteLan, vethLan } from '../helpers/veth-lan';
import { CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, RENDERER_DIR, requireBuild } from './browser-app';
import { shoot } from './shoot';

const skipReason = iptuxSkipReason();

const [FERRY, TUX] = vethLan('fu', 2, ['ferry', 'tux']);
const OUT =
  process.env.FERRY_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'ferry-screenshots');

describe.skipIf(skipReason !== null)(
  `chatting with an iptux user in Ferry's UI${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let ui: FerryProcess | null = null;
    let tux: IptuxPeer | null = null;
    let browser: Browser | null = null;

    beforeAll(() => {
      requireBuild();
      deleteLan([FERRY, TUX]);
      createLan([FERRY, TUX]);
    });
    afterAll(async () => {
      await browser?.close();
      await tux?.stop();
      if (ui) {
        ui.child.kill('SIGTERM');
        await ui.exited;
      }
      deleteLan([FERRY, TUX]);
    });

    it('the iptux user appears marked as IP Messenger, writes in Chinese, and gets the typed reply', async () => {
      ui = spawnFerry(
        [
          'ui',
          '--no-open',
          '--json',
          '--renderer-dir',
          RENDERER_DIR,
          '--data-dir',
          await tempDir('ferry-ipmsg-ui-'),
          '--name',
          'Ferry 渡船',
          '--port',
          '47820',
        ],
        ['ip', 'netns', 'exec', FERRY.ns],
      );
      const line = await ui.waitFor((l) => l.event === 'ui', 30_000, 'the ui line');
      tux = await spawnIptux({
        netns: TUX.ns,
        ip: TUX.ip,
        nick: '王工 (iptux)',
        group: '研发部',
        dataDir: await tempDir('ferry-iptux-'),
        retryUs: 300_000,
      });

      // Chromium runs in Ferry's namespace too (the UI listens on that namespace's 127.0.0.1);
      // Playwright talks to it over a pipe, which crosses `ip netns exec` untouched.
      const wrapper = path.join(await tempDir('ferry-chromium-'), 'chromium-in-netns.sh');
      await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${FERRY.ns} ${CHROMIUM} "$@"\n`);
      await chmod(wrapper, 0o755);
      browser = await chromium.launch({ executablePath: wrapper, args: CHROMIUM_ARGS, headless: true });
      const page = await browser.newPage({
        locale: 'en-US',
        viewport: { width: 1000, height: 660 },
        deviceScaleFactor: 1,
      });
      await page.goto(line.url as string);

      const item = page.locator(`[data-peer-id="ipmsg:${TUX.ip}"]`);
      await item.waitFor({ timeout: 20_000 });
      expect(await item.locator('.protocol-badge').textContent()).toBe('IPMsg');
      expect(await item.getAttribute('aria-label')).toContain('IP Messenger · unencrypted');
      await tux.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');

      tux.send({ cmd: 'send', ip: FERRY.ip, text: '你好！下午三点的评审还开吗？\n会议室换到 3 楼了。', id: 1 });
      await item.click();
      await page.getByText('会议室换到 3 楼了。').last().waitFor({ timeout: 15_000 });

      const composer = page.getByLabel('Message to 王工 (iptux)');
      await composer.fill('开的，3 点见 👍 I will bring the slides.');
      await composer.press('Enter');
      const got = await tux.waitFor((l) => l.event === 'message' && l.ip === FERRY.ip, 15_000, 'iptux gets the reply');
      expect(got.text).toBe('开的，3 点见 👍 I will bring the slides.');
      tux.send({ cmd: 'send', ip: FERRY.ip, text: '好的，谢谢！', id: 2 });
      await page.getByText('好的，谢谢！').last().waitFor({ timeout: 15_000 });

      await mkdir(OUT, { recursive: true });
      await shoot(page, path.join(OUT, 'ipmsg-iptux.png'), [
        'IP Messenger · unencrypted',
        '会议室换到 3 楼了。',
        '开的，3 点见 👍 I will bring the slides.',
        '好的，谢谢！',
      ]);
    }, 120_000);
  },
);

if (skipReason !== null) {
  describe("chatting with an iptux user in Ferry's UI", () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
