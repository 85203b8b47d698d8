/**
 * Offer bombs from a raw peer against a real engine: per-peer caps on
 * unanswered offers (count and entries), finished offers leave memory and the
 * default listing, and listings carry a bounded slice of each file list.
 */
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { ackedMessage, manyFiles, sendOffer } from '../helpers/raw-offer';
import { rawControl, until } from '../helpers/raw-peer';

const waitUntil = (check: () => boolean) => until(check, 10_000, 'condition');

describe('offer quotas', () => {
  it('refuses offers over the per-peer caps with RATE_LIMITED, stores nothing for them, and keeps the chat link', async () => {
    const b = await startNode('Bob', { offerQuota: { maxPendingOffers: 4, maxPendingEntries: 2_500 } });
    const peer = await rawControl(b.node.listeningPort);
    const first = sendOffer(peer, manyFiles(1_000, 'a'));
    const second = sendOffer(peer, manyFiles(1_000, 'b'));
    const overEntries = sendOffer(peer, manyFiles(1_000, 'c')); // 3,000 > 2,500 entries
    const third = sendOffer(peer, manyFiles(10, 'd'));
    const fourth = sendOffer(peer, manyFiles(10, 'e'));
    const overCount = sendOffer(peer, manyFiles(1, 'f')); // a fifth pending offer
    await ackedMessage(peer, waitUntil);

    const refused = peer.frames.filter((f) => f.type === 'transfer-stop');
    expect(refused.map((f) => f.id).sort()).toEqual([overEntries, overCount].sort());
    for (const f of refused) expect(f).toMatchObject({ code: 'RATE_LIMITED', state: 'declined' });
    const listed = (await b.node.listTransfers()).map((t) => t.id);
    expect(listed.sort()).toEqual([first, second, third, fourth].sort());
    expect(
      b.events.filter((e) => e.name === 'notice' && (e.payload as { code: string }).code === 'RATE_LIMITED').length,
    ).toBeGreaterThan(0);
    expect(peer.socket.destroyed).toBe(false);
  }, 30_000);

  it('drops expired offers from memory, from the default listing and their file rows; the quota frees up', async () => {
    const b = await startNode('Bob', { offerTtlMs: 200, offerQuota: { maxPendingOffers: 2 } });
    const peer = await rawControl(b.node.listeningPort);
    const ids = [sendOffer(peer, manyFiles(500)), sendOffer(peer, manyFiles(500))];
    for (const id of ids) await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'expired');
    expect(b.node.transfers.liveCount).toBe(0);
    expect(await b.node.listTransfers()).toEqual([]);
    const ended = await b.node.listTransfers(undefined, { includeEnded: true });
    expect(ended.map((t) => t.id).sort()).toEqual([...ids].sort());
    for (const t of ended) {
      expect(t.fileCount).toBe(500);
      expect(t.files).toEqual([]);
    }
    // Room again for new offers.
    const next = sendOffer(peer, manyFiles(3));
    await b.waitFor('transferUpdated', (t) => t.id === next && t.state === 'offered');
  }, 30_000);

  it('lists transfers with the first 100 files and pages the rest on request', async () => {
    const b = await startNode('Bob');
    const peer = await rawControl(b.node.listeningPort);
    const id = sendOffer(peer, manyFiles(1_000));
    await b.waitFor('transferUpdated', (t) => t.id === id);
    const [t] = await b.node.listTransfers();
    expect(t!.fileCount).toBe(1_000);
    expect(t!.files).toHaveLength(100);
    const updated = b.events.find((e) => e.name === 'transferUpdated')!.payload as { files: unknown[] };
    expect(updated.files).toHaveLength(100);
    const tail = await b.node.listTransferFiles(id, { offset: 900, limit: 500 });
    expect(tail.map((f) => f.path)).toEqual(
      manyFiles(1_000)
        .slice(900)
        .map((e) => e.path),
    );
    // Paged by creation time.
    const older = sendOffer(peer, manyFiles(1));
    await b.waitFor('transferUpdated', (x) => x.id === older);
    const page1 = await b.node.listTransfers(undefined, { limit: 1 });
    const page2 = await b.node.listTransfers(undefined, { limit: 1, before: page1[0]!.createdAt });
    expect(page1).toHaveLength(1);
    expect(page2.map((x) => x.id)).not.toContain(page1[0]!.id);
  }, 30_000);
});
