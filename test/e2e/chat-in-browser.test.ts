/**
 * The real renderer in Debian's chromium, in browser mode, wired to a real engine
 * on 127.0.0.1, talking to another real Ferry (a `ferry listen` process).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnFerry, type FerryProcess } from '../helpers/cli-process';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

async function startListener(name: string): Promise<{ proc: FerryProcess; port: number; id: string }> {
  const proc = spawnFerry([
    'listen',
    '--data-dir',
    await tempDir('ferry-e2e-b-'),
    '--name',
    name,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--no-discovery',
    '--no-ipmsg',
  ]);
  const line = await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  return { proc, port: line.port as number, id: line.id as string };
}

describe('chat in the browser UI', () => {
  it('adds B by address, sends a message B prints, and shows B’s reply with the right states', async () => {
    const a = await startNode('Alice');
    const b = await startListener('Bob');
    const { page, errors } = await openApp(a);

    // Empty state first: nobody known yet.
    await expect.poll(() => page.locator('.peer-list .empty-title').textContent()).toBe('No one here yet');

    await page.getByRole('button', { name: 'Add by address' }).first().click();
    await page.getByRole('textbox', { name: /^Address/ }).fill(`127.0.0.1:${b.port}`);
    await page.getByRole('button', { name: 'Connect' }).click();

    // The dialog closes and B's conversation opens.
    await page.waitForSelector(`[data-peer-id="${b.id}"][aria-current="true"]`);
    await expect.poll(() => page.locator('.conversation-title h1').textContent()).toContain('Bob');

    const composer = page.getByLabel('Message to Bob');
    await composer.fill('Hello from the browser 你好');
    await composer.press('Enter');

    const printed = await b.proc.waitFor(
      (l) => l.event === 'messageAdded' && l.text === 'Hello from the browser 你好',
      15_000,
      'the message on B',
    );
    expect(printed.direction).toBe('in');
    await expect.poll(() => composer.inputValue()).toBe('');
    // B stored it and acked: the bubble says delivered.
    const mine = page.locator(`[data-message-id="${printed.id as string}"]`);
    await expect.poll(() => mine.getAttribute('data-state'), { timeout: 10_000 }).toBe('delivered');
    expect(await mine.getByRole('img').getAttribute('aria-label')).toBe('Delivered');

    // B replies; A's open conversation shows it and sends a read receipt.
    const aliceOnB = (await b.proc.call('listPeers')) as { id: string }[];
    const reply = (await b.proc.call('sendMessage', `direct:${aliceOnB[0]!.id}`, 'Hi Alice,\nsecond line')) as {
      id: string;
    };
    const theirs = page.locator(`[data-message-id="${reply.id}"]`);
    await theirs.waitFor();
    expect(await theirs.getAttribute('class')).toContain('in');
    expect(await theirs.locator('.bubble-text').textContent()).toBe('Hi Alice,\nsecond line');
    await b.proc.waitFor(
      (l) => l.event === 'messageUpdated' && l.id === reply.id && l.state === 'read',
      15_000,
      'read receipt on B',
    );

    // Shift+Enter makes a new line instead of sending.
    await composer.fill('line one');
    await composer.press('Shift+Enter');
    await composer.type('line two');
    expect(await composer.inputValue()).toBe('line one\nline two');
    await composer.press('Enter');
    await b.proc.waitFor(
      (l) => l.event === 'messageAdded' && l.text === 'line one\nline two',
      15_000,
      'two-line message on B',
    );

    // The sidebar shows the last line.
    await expect.poll(() => page.locator(`[data-peer-id="${b.id}"] .peer-last`).textContent()).toContain('line one');

    // History search finds the first message; opening the hit shows it highlighted.
    await page.getByRole('searchbox', { name: 'Search people and messages' }).fill('from the browser');
    const hit = page.locator('.search-hit').first();
    await hit.waitFor();
    expect(await hit.locator('mark').textContent()).toBe('from the browser');
    await hit.click();
    await page.locator(`.timeline-row.highlighted [data-message-id="${printed.id as string}"]`).waitFor();
    expect(errors).toEqual([]);
  });

  it('copies and replies to a message: the quote shows, the peer learns what it replies to, Escape cancels, a draft survives a reload', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    await a.node.addPeer(b.address);
    const alice = (await a.node.listPeers())[0]!;
    const question = await b.node.sendMessage(`direct:${a.node.peerId}`, 'Can you send the Q3 numbers?');
    await a.waitFor('messageAdded', (m) => m.id === question.id);
    const { page, errors } = await openApp(a);
    await page.click(`[data-peer-id="${alice.id}"]`);
    const row = page.locator(`[data-message-id="${question.id}"]`);
    // Copy puts the message's text on the clipboard (Chromium's own, read back here).
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await row.hover();
    await row.getByRole('button', { name: 'Copy text' }).click();
    await expect.poll(() => row.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Can you send the Q3 numbers?');
    await row.hover();
    await row.getByRole('button', { name: 'Reply' }).click();
    await expect.poll(() => page.locator('.reply-note').textContent()).toContain('Can you send the Q3 numbers?');
    // Escape cancels; Reply again, then send.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.reply-note').count()).toBe(0);
    await row.hover();
    await row.getByRole('button', { name: 'Reply' }).click();
    const composer = page.getByLabel('Message to Bob');
    await composer.fill('Sending them now');
    await composer.press('Enter');
    const reply = await b.waitFor('messageAdded', (m) => m.text === 'Sending them now');
    expect(reply.replyTo).toBe(question.id);
    await expect
      .poll(() => page.locator(`[data-message-id="${reply.id}"] .bubble-quote-text`).textContent())
      .toBe('Can you send the Q3 numbers?');

    // A half-written message is still there after the page is reloaded (the engine kept it).
    await composer.fill('and the slides');
    await expect.poll(() => a.node.getDraft(`direct:${alice.id}`)).toBe('and the slides');
    await page.reload();
    await page.click(`[data-peer-id="${alice.id}"]`);
    await expect.poll(() => page.getByLabel('Message to Bob').inputValue()).toBe('and the slides');
    expect(errors).toEqual([]);
  });

  it('shows why adding an address failed, next to the field, and keeps the dialog open', async () => {
    const a = await startNode('Alice');
    const { page } = await openApp(a);
    await page.getByRole('button', { name: 'Add by address' }).first().click();
    await page.getByRole('textbox', { name: /^Address/ }).fill('127.0.0.1:1');
    await page.getByRole('button', { name: 'Connect' }).click();
    const note = page.locator('[role="dialog"] .error-note');
    await note.waitFor({ timeout: 20_000 });
    expect(await note.getAttribute('data-code')).toBe('PEER_UNREACHABLE');
    expect(await note.textContent()).toContain('Couldn’t reach that address');
    expect(await page.getByRole('dialog').isVisible()).toBe(true);
  });

  it('switching the language to 简体中文 changes the visible strings, and the system language is the default', async () => {
    const a = await startNode('Alice');
    const { page } = await openApp(a);
    const search = page.locator('.search-box input');
    expect(await search.getAttribute('placeholder')).toBe('Search people and messages');

    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => search.getAttribute('placeholder')).toBe('搜索联系人和聊天记录');
    expect(await page.locator('.peer-list .empty-title').textContent()).toBe('这里还没有人');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect((await a.node.getSettings()).language).toBe('zh-CN');
    expect(await page.getByRole('button', { name: '设置' }).count()).toBe(1);

    // Back to "same as system" in a browser whose language is Chinese: still Chinese.
    const zh = await openApp(a, { locale: 'zh-CN' });
    await zh.page.getByRole('button', { name: '设置' }).click();
    await zh.page.getByLabel('语言').selectOption('system');
    await zh.page.getByRole('button', { name: '保存' }).click();
    await expect
      .poll(() => zh.page.locator('.search-box input').getAttribute('placeholder'))
      .toBe('搜索联系人和聊天记录');
    // …while the English browser follows the setting back to English.
    await expect.poll(() => search.getAttribute('placeholder')).toBe('Search people and messages');
  });

  it('verification: A’s UI shows the same code B computes; confirming marks B verified, and renaming and blocking work', async () => {
    const a = await startNode('Alice');
    const b = await startListener('Bob');
    const bob = await a.node.addPeer(`127.0.0.1:${b.port}`);
    const { page, errors } = await openApp(a);
    await page.click(`[data-peer-id="${bob.id}"]`);
    await page.getByRole('button', { name: 'Verify' }).click();
    const code = page.getByTestId('verification-code');
    await code.waitFor();
    const onB = await b.proc.call('getVerificationCode', a.node.peerId);
    expect((await code.locator('span').allTextContents()).join(' ')).toBe(onB);
    await page.getByRole('button', { name: 'They match' }).click();
    await page.locator('.verified-pill').waitFor();
    expect((await a.node.listPeers())[0]!.verified).toBe(true);
    await page.locator(`[data-peer-id="${bob.id}"] .verified-badge`).waitFor();

    await page.getByRole('button', { name: 'About this device' }).click();
    await page.locator('input[name="alias"]').fill('Bob (lab)');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => page.locator('.conversation-title h1').textContent()).toContain('Bob (lab)');
    await page.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('.banner.warn').waitFor();
    expect((await a.node.listPeers())[0]!.blocked).toBe(true);
    expect(errors).toEqual([]);
  });
});
