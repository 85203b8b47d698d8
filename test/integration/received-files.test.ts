/**
 * The desktop host opens only files Ferry received and verified. That answer must
 * hold for a file received long ago (more than the 500 newest transfers back), and
 * never for anything else.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransferDto } from '../../shared/dto';
import { rawControl } from '../helpers/raw-peer';
import { tempDir } from '../helpers/temp-dir';
import { finished, pair, randomFile } from '../helpers/transfer';

describe('received files', () => {
  it('knows a file received more than 500 transfers ago, and nothing that was not received', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const { a, b, bId } = await pair({}, { downloadDir: downloads, autoAccept: 'any' });
    const file = await randomFile(path.join(src, 'long-ago.txt'), 2000);
    const t = await a.node.sendFiles(`direct:${bId}`, [file]);
    const done = await b.waitFor('transferUpdated', finished(t.id), 30_000);
    const saved = done.files[0]!.savedPath!;
    expect(saved).toBe(path.join(downloads, 'long-ago.txt'));

    // 501 later offers from another peer, each declined as it arrives.
    const raw = await rawControl(b.node.listeningPort);
    b.node.subscribe((e) => {
      if (e.name !== 'transferUpdated') return;
      const offer = e.payload as TransferDto;
      if (offer.state === 'offered' && offer.peerId !== a.node.peerId) void b.node.declineTransfer(offer.id);
    });
    const entries = Buffer.from(JSON.stringify([{ path: 'x.txt', size: 1, mtime: 0, dir: false }]));
    let last = '';
    for (let i = 0; i < 501; i++) {
      last = randomUUID();
      raw.send({ type: 'offer', id: last, fileCount: 1, totalBytes: 1, createdAt: Date.now() }, entries);
    }
    await b.waitFor('transferUpdated', (x) => x.id === last && x.state === 'declined', 60_000);
    // Declined offers are listed only with includeEnded. (Before the transfer state table, an
    // offer declined while auto-accept was on its way was stored as "failed" and listed anyway.)
    const listed = await b.node.listTransfers(undefined, { includeEnded: true });
    expect(listed.some((x) => x.id === t.id)).toBe(false);

    expect(b.node.isReceivedFile(saved)).toBe(true);
    expect(b.node.isReceivedFile(file)).toBe(false); // Bob never received the sender's copy
    expect(a.node.isReceivedFile(file)).toBe(false); // sent, not received
    expect(a.node.isReceivedFile(saved)).toBe(false);
    expect(b.node.isReceivedFile(path.join(downloads, 'x.txt'))).toBe(false); // declined, never saved
    expect(b.node.isReceivedFile(downloads)).toBe(false);
  }, 90_000);
});
