/**
 * What the receiver sees of files (issue 17 items 3, 10, 12): the names in a
 * multi-file offer (and in the transfers panel), the whole tree of a 10,000-file
 * offer without 10,000 DOM rows, each file's state after accepting, the people
 * list's last line for files, and saved paths cut in the middle.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

describe('files as the receiver sees them', () => {
  it('a multi-file offer names its files on the card and in the transfers panel, then each file’s state', async () => {
    const a = await startNode('Alice', { downloadDir: await tempDir('ferry-e2e-a-dl-') });
    const b = await startNode('Bob');
    const src = await tempDir('ferry-e2e-src-');
    const names = ['agenda.md', 'budget.xlsx', 'minutes.txt', 'slides.pdf', 'photo.jpg'];
    for (const [i, n] of names.entries()) await writeFile(path.join(src, n), Buffer.alloc(1000 * (i + 1), i));
    await a.node.addPeer(b.address);
    const alice = (await b.node.listPeers())[0]!;
    const out = await b.node.sendFiles(
      `direct:${alice.id}`,
      names.map((n) => path.join(src, n)),
    );
    await a.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');

    const { page, errors } = await openApp(a);
    await page.click(`[data-peer-id="${b.node.peerId}"]`);
    const card = page.locator(`.conversation [data-transfer-id="${out.id}"]`);
    await card.waitFor();
    expect(await card.locator('.file-name').textContent()).toBe('5 files');
    expect(await card.locator('.file-preview-item').allTextContents()).toEqual(names.slice(0, 3));
    expect((await card.locator('.file-list-toggle').textContent())?.trim()).toBe('and 2 more');
    await card.locator('.file-list-toggle').click();
    expect(await card.locator('.file-tree-name').allTextContents()).toEqual([...names].sort());

    // The transfers panel says the same.
    await page.getByRole('button', { name: 'Transfers' }).click();
    const row = page.locator(`.transfers-panel [data-transfer-id="${out.id}"]`);
    expect(await row.locator('.file-preview-item').allTextContents()).toEqual(names.slice(0, 3));
    await page.keyboard.press('Escape');

    await card.getByRole('button', { name: 'Accept' }).click();
    await a.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'done', 20_000);
    await expect.poll(() => card.locator('.file-tree-state.done').count(), { timeout: 10_000 }).toBe(5);
    expect(errors).toEqual([]);
  });

  it('a 10,000-file folder offer opens its whole tree with only a window of rows in the page', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const root = path.join(await tempDir('ferry-e2e-many-'), 'dataset');
    for (let d = 0; d < 20; d++)
      await mkdir(path.join(root, `part-${String(d).padStart(2, '0')}`), { recursive: true });
    await Promise.all(
      Array.from({ length: 9_999 }, (_, i) =>
        writeFile(
          path.join(root, `part-${String(i % 20).padStart(2, '0')}`, `item-${String(i).padStart(5, '0')}.csv`),
          'x',
        ),
      ),
    );
    await mkdir(path.join(root, 'empty'));
    await a.node.addPeer(b.address);
    const out = await b.node.sendFiles(`direct:${a.node.peerId}`, [root]);
    expect(out.fileCount).toBe(10_000);
    await a.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered', 30_000);

    const { page } = await openApp(a);
    await page.click(`[data-peer-id="${b.node.peerId}"]`);
    const card = page.locator(`.conversation [data-transfer-id="${out.id}"]`);
    await card.waitFor();
    expect(await card.locator('.file-name').textContent()).toBe('dataset');
    expect((await card.locator('.file-list-toggle').textContent())?.trim()).toBe('and 9996 more');
    await card.locator('.file-list-toggle').click();
    const tree = card.locator('.file-tree');
    expect(await card.locator('.file-tree-row').count()).toBeLessThan(40);
    // Scrolled to the end: the last folder's last file (part-19/item-09979) is there, still only a window of rows.
    // The card carries the first 100 files; the open tree loads the rest, then scrolls to its end.
    await expect
      .poll(async () => {
        await tree.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
          el.dispatchEvent(new Event('scroll'));
        });
        return card.locator('.file-tree-name').allTextContents();
      })
      .toContain('item-09979.csv');
    expect(await card.locator('.file-tree-row').count()).toBeLessThan(40);
  });

  it('the people list shows a file as the newest activity; a saved path keeps its file name visible', async () => {
    const a = await startNode('Alice', { downloadDir: await tempDir('ferry-e2e-a-downloads-with-a-long-name-') });
    const b = await startNode('Bob');
    const c = await startNode('Carol');
    await a.node.addPeer(b.address);
    await a.node.addPeer(c.address);
    const bob = (await a.node.listPeers()).find((p) => p.id === b.node.peerId)!;
    const carol = (await a.node.listPeers()).find((p) => p.id === c.node.peerId)!;
    const m = await a.node.sendMessage(`direct:${bob.id}`, 'see you at 4');
    await a.waitFor('messageUpdated', (u) => u.id === m.id && u.state === 'delivered');
    const m2 = await a.node.sendMessage(`direct:${carol.id}`, 'lunch?');
    await a.waitFor('messageUpdated', (u) => u.id === m2.id && u.state === 'delivered');

    const { page } = await openApp(a, { width: 640, height: 600 });
    const bobItem = page.locator(`[data-peer-id="${bob.id}"]`);
    expect(await bobItem.locator('.peer-last').textContent()).toBe('You: see you at 4');

    // Bob sends a file after the last message: it becomes his line and he moves to the top.
    const src = await tempDir('ferry-e2e-src-');
    const file = path.join(src, 'quarterly report with a rather long name 2026.pdf');
    await writeFile(file, Buffer.alloc(5000, 1));
    const out = await b.node.sendFiles(`direct:${a.node.peerId}`, [file]);
    await expect
      .poll(() => bobItem.locator('.peer-last').textContent(), { timeout: 10_000 })
      .toBe('Sent you quarterly report with a rather long name 2026.pdf');
    expect(await page.locator('.peer-item').first().getAttribute('data-peer-id')).toBe(bob.id);

    await bobItem.click();
    const card = page.locator(`[data-transfer-id="${out.id}"]`);
    await card.getByRole('button', { name: 'Accept' }).click();
    const saved = card.locator('.saved-path');
    await saved.waitFor({ timeout: 20_000 });
    const full = await saved.getAttribute('title');
    expect(full).toMatch(
      /ferry-e2e-a-downloads-with-a-long-name-.*quarterly report with a rather long name 2026\.pdf$/,
    );
    // The file name (the tail) is whole and inside the card; the folders before it gave way.
    const fits = await card.evaluate((el) => {
      const cardBox = el.getBoundingClientRect();
      const tail = el.querySelector('.saved-tail') as HTMLElement;
      const head = el.querySelector('.saved-head') as HTMLElement;
      return {
        tailInside: tail.getBoundingClientRect().right <= cardBox.right + 0.5,
        tailWhole: tail.scrollWidth <= tail.clientWidth,
        headCut: head.scrollWidth > head.clientWidth,
      };
    });
    expect(fits).toEqual({ tailInside: true, tailWhole: true, headCut: true });
  });
});
