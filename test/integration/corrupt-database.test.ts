/**
 * A damaged ferry.db (truncated to 0 bytes, overwritten with garbage, last
 * pages damaged) under a real engine: it never starts silently empty over it.
 * The file is moved aside as ferry.db.corrupt-<date>, a DATABASE_CORRUPT notice
 * names it, and the history comes back from the backup when there is one.
 * Also: bad input to search and settings gets INVALID_ARGUMENT or a result, never INTERNAL.
 */
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../shared/api';
import { startNode, stopNode, type TestNode } from '../helpers/nodes';

async function withHistory(): Promise<{ a: TestNode; b: TestNode; bId: string }> {
  const a = await startNode('Alice');
  const b = await startNode('Bob');
  const bId = (await a.node.addPeer(b.address)).id;
  for (let i = 0; i < 20; i++) await a.node.sendMessage(`direct:${bId}`, `message ${i}`);
  await a.waitFor('messageUpdated', (m) => m.text === 'message 19' && m.state === 'delivered');
  return { a, b, bId };
}

const corruptNotice = (t: TestNode) => t.waitFor('notice', (n) => n.code === 'DATABASE_CORRUPT');

describe('damaged database', () => {
  it.each([
    ['truncated to 0 bytes', (file: string) => truncate(file, 0)],
    ['overwritten with garbage', (file: string) => writeFile(file, Buffer.alloc(64 * 1024, 0x5a))],
    [
      'damaged in its last pages',
      async (file: string) => {
        const size = (await stat(file)).size;
        const bytes = await readFile(file);
        bytes.fill(0xff, Math.max(100, size - 8192));
        await writeFile(file, bytes);
      },
    ],
  ])(
    '%s: moved aside, named in a notice, never opened silently empty',
    async (_what, damage) => {
      const { a } = await withHistory();
      const dataDir = a.dataDir;
      await stopNode(a);
      const file = path.join(dataDir, 'ferry.db');
      await damage(file);

      const again = await startNode('Alice', { dataDir });
      const notice = await corruptNotice(again);
      const aside = (await readdir(dataDir)).find((f) => f.startsWith('ferry.db.corrupt-'));
      expect(aside).toBeDefined();
      expect(notice.message).toContain(file);
      expect(notice.message).toContain(aside!);
      // The daily backup was taken when the history was still empty: the notice says what happened.
      expect(notice.message).toMatch(/restored from the backup|no backup/);
      await again.node.getSelf(); // serving
    },
    60_000,
  );

  it('restores the history from the backup', async () => {
    const { a, bId } = await withHistory();
    expect(a.node.backupDatabase()).toMatch(/ferry\.db\.backup$/);
    const dataDir = a.dataDir;
    await stopNode(a);
    await writeFile(path.join(dataDir, 'ferry.db'), Buffer.alloc(8192, 1));
    const again = await startNode('Alice', { dataDir });
    expect((await corruptNotice(again)).message).toMatch(/restored from the backup/);
    const texts = (await again.node.listMessages(`direct:${bId}`)).messages.map((m) => m.text);
    expect(texts).toHaveLength(20);
    expect(texts.at(-1)).toBe('message 19');
  }, 60_000);

  it('a healthy database, closed cleanly, opens with no notice', async () => {
    const { a, bId } = await withHistory();
    const dataDir = a.dataDir;
    await stopNode(a);
    const again = await startNode('Alice', { dataDir });
    expect((await again.node.listMessages(`direct:${bId}`)).messages).toHaveLength(20);
    expect(
      again.events.some((e) => e.name === 'notice' && (e.payload as { code: string }).code === 'DATABASE_CORRUPT'),
    ).toBe(false);
    expect((await readdir(dataDir)).some((f) => f.includes('corrupt'))).toBe(false);
  }, 60_000);
});

describe('bad input to search and settings', () => {
  it('searchMessages("a\\0b") answers, not INTERNAL', async () => {
    const { a, bId } = await withHistory();
    await a.node.sendMessage(`direct:${bId}`, 'a b c');
    await expect(a.node.searchMessages('a\0b')).resolves.toEqual(expect.any(Array));
    await expect(a.node.searchMessages('\0\0\0')).resolves.toEqual([]);
    expect((await a.node.searchMessages('message 1\0')).length).toBeGreaterThan(0);
  }, 30_000);

  it('updateSettings refuses a relative downloadDir, at the edge and in the engine', async () => {
    const a = await startNode('Alice');
    const before = await a.node.getSettings();
    expect(() => parseArgs('updateSettings', [{ downloadDir: 'relative/dir' }])).toThrow();
    await expect(a.node.updateSettings({ downloadDir: 'relative/dir' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect((await a.node.getSettings()).downloadDir).toBe(before.downloadDir);
    expect(parseArgs('updateSettings', [{ downloadDir: '/tmp/ok' }])).toEqual([{ downloadDir: '/tmp/ok' }]);
  }, 30_000);
});
