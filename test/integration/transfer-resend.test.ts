/**
 * "Send again" on a transfer that ended without arriving: the same chosen files and
 * folders are offered anew (a new transfer), found again from their source paths.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejection } from '../helpers/rejection';
import { tempDir } from '../helpers/temp-dir';
import { finished, pair, randomFile, sha256, tree, writeText } from '../helpers/transfer';

describe('sending a transfer again', () => {
  it('offers the same file and folder again after a decline, and they arrive', async () => {
    const { a, b, bId } = await pair({}, { downloadDir: await tempDir() });
    const src = await tempDir();
    const single = await randomFile(path.join(src, 'photo.jpg'), 70_000);
    await writeText(path.join(src, 'album', 'day 1', 'a.txt'), 'first');
    await writeText(path.join(src, 'album', 'b.txt'), 'second');
    const first = await a.node.sendFiles(`direct:${bId}`, [single, path.join(src, 'album')]);
    await b.waitFor('transferUpdated', (t) => t.id === first.id && t.state === 'offered');
    await b.node.declineTransfer(first.id);
    await a.waitFor('transferUpdated', (t) => t.id === first.id && t.state === 'declined');

    const again = await a.node.resendTransfer(first.id);
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({
      direction: 'out',
      peerId: bId,
      fileCount: first.fileCount,
      totalBytes: first.totalBytes,
    });
    await b.waitFor('transferUpdated', (t) => t.id === again.id && t.state === 'offered');
    await b.node.acceptTransfer(again.id);
    const done = await a.waitFor('transferUpdated', finished(again.id), 20_000);
    expect(done.state).toBe('done');
    const saveDir = (await b.node.getSettings()).downloadDir;
    expect(await tree(saveDir)).toEqual(await tree(src));
    expect(await sha256(path.join(saveDir, 'photo.jpg'))).toBe(await sha256(single));
  });

  it('refuses what cannot be sent again, with a reason', async () => {
    const { a, b, bId } = await pair();
    const src = await tempDir();
    const file = path.join(src, 'notes.txt');
    await writeText(file, 'hello');
    const out = await a.node.sendFiles(`direct:${bId}`, [file]);
    await b.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    // Still waiting for an answer: nothing to send again yet.
    expect(await rejection(a.node.resendTransfer(out.id))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    // The receiver's copy is not ours to send.
    expect(await rejection(b.node.resendTransfer(out.id))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    await a.node.cancelTransfer(out.id);
    await a.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'cancelled');
    // The file is gone since: the new offer says so instead of sending something else.
    await rm(file);
    const err = await rejection(a.node.resendTransfer(out.id));
    expect(err).toMatchObject({ code: 'SOURCE_MISSING' });
    expect(await rejection(a.node.resendTransfer('00000000-0000-4000-8000-00000000abcd'))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
