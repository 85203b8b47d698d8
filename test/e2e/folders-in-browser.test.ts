/**
 * Folders in browser mode (issue 17 items 2 and 11): a folder dropped on the
 * conversation (a real drag of a real directory, through Chromium's DevTools
 * input) or picked with the paperclip's folder choice arrives with its
 * structure and empty folders; a big upload shows its progress.
 */
import { mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

/** A folder with a sub-folder, an empty folder and a CJK name. */
async function makeFolder(): Promise<string> {
  const root = path.join(await tempDir('ferry-e2e-src-'), '旅行 photos');
  await mkdir(path.join(root, '2024', 'june'), { recursive: true });
  await mkdir(path.join(root, 'empty'));
  await writeFile(path.join(root, 'notes.txt'), 'packing list');
  await writeFile(path.join(root, '2024', 'june', 'beach.jpg'), Buffer.alloc(70_000, 9));
  await writeFile(path.join(root, '2024', 'map.png'), Buffer.alloc(1234, 3));
  return root;
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const info = await stat(path.join(dir, name));
    out.push(info.isDirectory() ? `${name}/` : `${name} ${info.size}`);
  }
  return out;
}

async function setup() {
  const bDownloads = await tempDir('ferry-e2e-b-dl-');
  const a = await startNode('Alice');
  const b = await startNode('Bob', { downloadDir: bDownloads });
  const bob = await a.node.addPeer(b.address);
  const app = await openApp(a);
  await app.page.click(`[data-peer-id="${bob.id}"]`);
  await app.page.waitForSelector('.conversation');
  return { a, b, bob, bDownloads, ...app };
}

describe('folders in the browser UI', () => {
  it('a folder dragged onto the conversation arrives with its structure and its empty folder', async () => {
    const { b, page, bDownloads, errors } = await setup();
    const folder = await makeFolder();

    // A real drag of a real directory: Chromium builds the DataTransfer (and its directory entries) itself.
    const cdp = await page.context().newCDPSession(page);
    const box = (await page.locator('.message-list, .conversation').first().boundingBox())!;
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const data = { items: [], files: [folder], dragOperationsMask: 1 };
    await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', ...at, data });
    await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', ...at, data });
    await page.locator('.drop-overlay').waitFor();
    await cdp.send('Input.dispatchDragEvent', { type: 'drop', ...at, data });

    const offer = await b.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered', 20_000);
    expect(offer.files.map((f) => `${f.path}${f.isDirectory ? '/' : ''}`).sort()).toEqual([
      '旅行 photos/2024/june/beach.jpg',
      '旅行 photos/2024/map.png',
      '旅行 photos/empty/',
      '旅行 photos/notes.txt',
    ]);
    // The sender's card is named by the folder and lists what is inside.
    const card = page.locator(`[data-transfer-id="${offer.id}"]`);
    await card.waitFor();
    expect(await card.locator('.file-name').textContent()).toBe('旅行 photos');

    await b.node.acceptTransfer(offer.id);
    await b.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done', 20_000);
    expect(await tree(path.join(bDownloads, '旅行 photos'))).toEqual(await tree(folder));
    expect(await page.locator('.composer .error-note').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the paperclip offers a folder choice; the picked folder keeps its structure', async () => {
    const { b, page, bDownloads } = await setup();
    const folder = await makeFolder();
    await page.getByRole('button', { name: 'Send files' }).click();
    const menu = page.getByRole('menu');
    await menu.waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Files…', 'Folder…']);
    const chooser = page.waitForEvent('filechooser');
    await menu.getByRole('menuitem', { name: 'Folder…' }).click();
    await (await chooser).setFiles(folder);

    const offer = await b.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered', 20_000);
    // A browser's folder picker lists files only: the empty folder can't come this way (dragging keeps it).
    expect(offer.files.map((f) => f.path).sort()).toEqual([
      '旅行 photos/2024/june/beach.jpg',
      '旅行 photos/2024/map.png',
      '旅行 photos/notes.txt',
    ]);
    await b.node.acceptTransfer(offer.id);
    await b.waitFor('transferUpdated', (t) => t.id === offer.id && t.state === 'done', 20_000);
    expect(await readFile(path.join(bDownloads, '旅行 photos', '2024', 'june', 'beach.jpg'))).toHaveLength(70_000);
  });

  it('a big upload shows how far it got while it is handed to the engine', async () => {
    const { b, page } = await setup();
    const big = path.join(await tempDir('ferry-e2e-big-'), 'disk image.iso');
    await writeFile(big, '');
    await truncate(big, 300 * 1024 * 1024);

    // Record every value the upload progress bar and its text take.
    await page.evaluate(() => {
      const seen: { values: number[]; texts: string[] } = { values: [], texts: [] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        const note = document.querySelector('.upload-note');
        if (!note) return;
        const value = Number(note.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow'));
        if (seen.values.at(-1) !== value) seen.values.push(value);
        const text = note.textContent ?? '';
        if (seen.texts.at(-1) !== text) seen.texts.push(text);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Send files' }).click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('menuitem', { name: 'Files…' }).click();
    await (await chooser).setFiles(big);

    await b.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered', 60_000);
    const seen = await page.evaluate(() => (window as unknown as { seen: { values: number[]; texts: string[] } }).seen);
    // It moved through values strictly between start and end, and said how many bytes of how many.
    expect(seen.values.some((v) => v > 0 && v < 100)).toBe(true);
    expect(seen.values).toEqual([...seen.values].sort((x, y) => x - y));
    expect(seen.texts.some((t) => /^Handing files to Ferry: [\d.,]+ MB of 300 MB \(\d+%\)$/.test(t.trim()))).toBe(true);
    await expect.poll(() => page.locator('.upload-note').count()).toBe(0);
  });
});
