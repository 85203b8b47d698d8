/**
 * Files through the browser UI: dropped files are uploaded to the local engine
 * and offered; offers from the other side show Accept / Decline.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnFerry } from '../helpers/cli-process';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

/** The bytes the page builds for a dropped file (the same formula on both sides). */
function pattern(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >> 8) + 7) & 255;
  return out;
}
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function setup() {
  const a = await startNode('Alice', { downloadDir: await tempDir('ferry-e2e-a-dl-') });
  const bDownloads = await tempDir('ferry-e2e-b-dl-');
  const b = spawnFerry([
    'listen',
    '--data-dir',
    await tempDir('ferry-e2e-b-'),
    '--download-dir',
    bDownloads,
    '--name',
    'Bob',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--no-discovery',
    '--no-ipmsg',
  ]);
  const listening = await b.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  const bob = await a.node.addPeer(`127.0.0.1:${listening.port as number}`);
  const app = await openApp(a);
  await app.page.click(`[data-peer-id="${bob.id}"]`);
  await app.page.waitForSelector('.conversation');
  return { a, b, bob, bDownloads, ...app };
}

describe('files in the browser UI', () => {
  it('a file dropped on B’s conversation is uploaded, offered, accepted by B, verified, and ends in "done"', async () => {
    const { b, page, bDownloads, errors } = await setup();
    const size = 3 * 1024 * 1024 + 17;
    const expected = sha256(pattern(size));

    // Watch the card from the moment it appears: its states and progress values.
    await page.evaluate(() => {
      const seen: { states: string[]; values: number[] } = { states: [], values: [] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        const card = document.querySelector('.conversation .file-card');
        const state = card?.getAttribute('data-state');
        if (state && seen.states.at(-1) !== state) seen.states.push(state);
        const value = Number(card?.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow') ?? NaN);
        if (!Number.isNaN(value) && seen.values.at(-1) !== value) seen.values.push(value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });

    const dataTransfer = await page.evaluateHandle((n) => {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (i * 31 + (i >> 8) + 7) & 255;
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'quarterly report.pdf', { type: 'application/pdf' }));
      return dt;
    }, size);
    const conversation = page.locator('.conversation');
    await conversation.dispatchEvent('dragenter', { dataTransfer });
    // A clear drop target while dragging.
    await page.locator('.drop-overlay').waitFor();
    expect(await page.locator('.drop-title').textContent()).toBe('Drop to send to Bob');
    await conversation.dispatchEvent('dragover', { dataTransfer });
    await conversation.dispatchEvent('drop', { dataTransfer });
    expect(await page.locator('.drop-overlay').count()).toBe(0);

    const offer = await b.waitFor(
      (l) => l.event === 'transferUpdated' && l.direction === 'in' && l.state === 'offered',
      20_000,
      'the offer on B',
    );
    expect(offer.totalBytes).toBe(size);
    const card = page.locator(`[data-transfer-id="${offer.id as string}"]`);
    await card.waitFor();
    expect(await card.locator('.file-name').textContent()).toBe('quarterly report.pdf');

    await b.call('acceptTransfer', offer.id);
    const done = await b.waitFor(
      (l) => l.event === 'transferUpdated' && l.id === offer.id && l.state === 'done',
      30_000,
      'done on B',
    );
    const saved = (done.files as { savedPath: string }[])[0]!.savedPath;
    expect(path.dirname(saved)).toBe(bDownloads);
    expect(sha256(await readFile(saved))).toBe(expected);

    await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('done');
    expect(await card.locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('100');
    expect(await card.locator('.file-state-label').textContent()).toBe('Done');
    const seen = await page.evaluate(
      () => (window as unknown as { seen: { states: string[]; values: number[] } }).seen,
    );
    expect(seen.states.at(-1)).toBe('done');
    expect(seen.values.at(-1)).toBe(100);
    expect([...seen.values].sort((x, y) => x - y)).toEqual(seen.values); // the bar only moves forward
    expect(errors).toEqual([]);
  });

  it('an offer from B shows Accept and Decline; accepting saves the file, declining tells B', async () => {
    const { a, b, page } = await setup();
    const aliceOnB = ((await b.call('listPeers')) as { id: string; name: string }[]).find((p) => p.name === 'Alice')!;
    const dir = await tempDir('ferry-e2e-src-');
    const body = pattern(200_000);
    await writeFile(path.join(dir, 'photo.jpg'), body);
    await writeFile(path.join(dir, 'notes.txt'), 'not wanted');

    const sent = (await b.call('sendFiles', `direct:${aliceOnB.id}`, [path.join(dir, 'photo.jpg')])) as { id: string };
    const card = page.locator(`[data-transfer-id="${sent.id}"]`);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-state')).toBe('offered');
    expect(await card.locator('.file-state-label').textContent()).toBe('Wants to send you this');
    await card.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    const downloads = (await a.node.getSettings()).downloadDir;
    expect((await readFile(path.join(downloads, 'photo.jpg'))).equals(body)).toBe(true);
    await b.waitFor(
      (l) => l.event === 'transferUpdated' && l.id === sent.id && l.state === 'done',
      15_000,
      'done on B',
    );

    const second = (await b.call('sendFiles', `direct:${aliceOnB.id}`, [path.join(dir, 'notes.txt')])) as {
      id: string;
    };
    const other = page.locator(`[data-transfer-id="${second.id}"]`);
    await other.getByRole('button', { name: 'Decline' }).click();
    await b.waitFor(
      (l) => l.event === 'transferUpdated' && l.id === second.id && l.state === 'declined',
      15_000,
      'declined on B',
    );
    await expect.poll(() => other.getAttribute('data-state')).toBe('declined');
    await expect(readFile(path.join(downloads, 'notes.txt'))).rejects.toThrow();
  });
});
