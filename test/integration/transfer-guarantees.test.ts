/**
 * The guarantees a user relies on when a transfer does not go smoothly, each
 * proven end to end through real engines, sockets and files: damage is caught
 * by the hash, an edited source is refused, offers expire, resume works by hand
 * from either side and after the sender restarts, offers survive a reconnect,
 * cancel works mid-transfer from either side, progress is throttled, and
 * auto-accept from settings only trusts verified peers.
 *
 * A gate proxy holds the data connection after a few MiB, so "mid-transfer" is
 * a state the test waits for, not a race against a fast loopback.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransferProgressDto } from '../../shared/dto';
import { gateProxy } from '../helpers/gate-proxy';
import { startNode, stopNode, type TestNode } from '../helpers/nodes';
import { rawControl, rawDataChannel } from '../helpers/raw-peer';
import { tempDir } from '../helpers/temp-dir';
import { finished, randomFile, sha256, tree } from '../helpers/transfer';
import { waitUntil } from '../helpers/wait';

const MiB = 1024 * 1024;

/** Alice sends to Bob through a gate proxy in front of Bob; Bob accepts everything. */
async function gatedPair(bOptions = {}) {
  const src = await tempDir();
  const downloads = await tempDir();
  const a = await startNode('Alice');
  const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any', ...bOptions });
  const proxy = await gateProxy(b.node.listeningPort, { holdAfterBytes: 3 * MiB });
  const peer = await a.node.addPeer(`127.0.0.1:${proxy.port}`);
  await b.waitFor('peerUpdated', (p) => p.online);
  return { a, b, bId: peer.id, aId: a.node.peerId, proxy, src, downloads };
}

async function partSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** Bob holds a .part whose first bytes no longer match what Alice sent; the transfer has failed with HASH_MISMATCH. */
async function damagedTransfer() {
  const g = await gatedPair();
  const file = await randomFile(path.join(g.src, 'big.bin'), 24 * MiB + 321);
  const t = await g.a.node.sendFiles(`direct:${g.bId}`, [file]);
  await g.proxy.held;
  const part = path.join(g.downloads, 'big.bin.part');
  await waitUntil(async () => (await partSize(part)) > MiB, { what: 'Bob has more than 1 MiB in the .part' });
  // Damage a byte Bob already wrote, then drop the connection: the resume re-hashes this prefix.
  const h = await open(part, 'r+');
  const byte = Buffer.alloc(1);
  await h.read(byte, 0, 1, 1000);
  await h.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 1000);
  await h.close();
  g.proxy.cutHeld();
  g.proxy.release();
  const failedAtBob = await g.b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'failed', 30_000);
  const failedAtAlice = await g.a.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'failed', 30_000);
  return { ...g, file, t, failedAtBob, failedAtAlice };
}

describe('transfer guarantees', () => {
  it('catches a damaged .part with HASH_MISMATCH and saves nothing; the receiver resumes by hand and the sender answers', async () => {
    const d = await damagedTransfer();
    expect(d.failedAtBob.error?.code).toBe('HASH_MISMATCH');
    expect(d.failedAtBob.files[0]!.error?.code).toBe('HASH_MISMATCH');
    expect(d.failedAtAlice.files[0]!.error?.code).toBe('HASH_MISMATCH');
    await waitUntil(async () => (await tree(d.downloads)).length === 0, { what: 'the damaged .part removed' });

    // Resume from the receiver's side: only the sender can move bytes, so this proves the request reached it.
    await d.b.node.resumeTransfer(d.t.id);
    const done = await d.b.waitFor('transferUpdated', (x) => x.id === d.t.id && x.state === 'done', 60_000);
    expect(done.files[0]!.state).toBe('done');
    await d.a.waitFor('transferUpdated', (x) => x.id === d.t.id && x.state === 'done');
    expect(await tree(d.downloads)).toEqual(['big.bin']);
    expect(await sha256(path.join(d.downloads, 'big.bin'))).toBe(await sha256(d.file));
  }, 90_000);

  it('the sender resumes a failed transfer by hand and the file arrives whole', async () => {
    const d = await damagedTransfer();
    await d.a.node.resumeTransfer(d.t.id);
    await d.b.waitFor('transferUpdated', (x) => x.id === d.t.id && x.state === 'done', 60_000);
    expect(await sha256(path.join(d.downloads, 'big.bin'))).toBe(await sha256(d.file));
  }, 90_000);

  it('refuses a sender whose data does not match its hash: HASH_MISMATCH, no file under any name', async () => {
    const downloads = await tempDir();
    const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
    const control = await rawControl(b.node.listeningPort);
    const id = randomUUID();
    const content = Buffer.from('the real bytes');
    const entries = [{ path: 'liar.txt', size: content.byteLength, mtime: 0, dir: false }];
    control.send(
      { type: 'offer', id, fileCount: 1, totalBytes: content.byteLength, createdAt: Date.now() },
      Buffer.from(JSON.stringify(entries)),
    );
    await b.waitFor('transferUpdated', (x) => x.id === id && x.state === 'active');
    const channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id, index: 0, size: content.byteLength });
    expect(await channel.readFrame()).toMatchObject({ type: 'data-ready', offset: 0 });
    await channel.writeRaw(content);
    const wrong = createHash('sha256').update('other bytes').digest('hex');
    channel.writeFrame({ type: 'data-end', id, index: 0, sha256: wrong });
    expect(await channel.expect('data-result')).toMatchObject({ ok: false, code: 'HASH_MISMATCH' });
    channel.close();
    const failed = await b.waitFor('transferUpdated', (x) => x.id === id && x.state === 'failed');
    expect(failed.error?.code).toBe('HASH_MISMATCH');
    expect(await tree(downloads)).toEqual([]);
  });

  it('fails with SOURCE_CHANGED on both sides when the source is edited while it is sent; nothing is saved', async () => {
    const g = await gatedPair();
    const file = await randomFile(path.join(g.src, 'edited.bin'), 16 * MiB);
    const t = await g.a.node.sendFiles(`direct:${g.bId}`, [file]);
    await g.proxy.held;
    // Same size, new bytes: only the modification time and the content tell.
    const h = await open(file, 'r+');
    await h.write(Buffer.from('edited while it was being sent'), 0, 30, 8 * MiB);
    await h.close();
    g.proxy.release();
    const atAlice = await g.a.waitFor('transferUpdated', finished(t.id), 30_000);
    expect(atAlice.state).toBe('failed');
    expect(atAlice.error?.code).toBe('SOURCE_CHANGED');
    const atBob = await g.b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'failed', 30_000);
    expect(atBob.error?.code).toBe('SOURCE_CHANGED');
    expect((await tree(g.downloads)).filter((f) => f === 'edited.bin')).toEqual([]);
  }, 60_000);

  it('expires an unanswered offer on both sides; it can no longer be accepted', async () => {
    const src = await tempDir();
    const a = await startNode('Alice');
    const b = await startNode('Bob', { offerTtlMs: 400 });
    const peer = await a.node.addPeer(b.address);
    const file = await randomFile(path.join(src, 'late.bin'), 1000);
    const t = await a.node.sendFiles(`direct:${peer.id}`, [file]);
    await b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'offered');
    const atBob = await b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'expired');
    expect(atBob.error?.code).toBe('OFFER_EXPIRED');
    const atAlice = await a.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'expired');
    expect(atAlice.error?.code).toBe('OFFER_EXPIRED');
    await expect(b.node.acceptTransfer(t.id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('resumes after the sender restarts mid-transfer, from the receiver’s .part, writing each byte once', async () => {
    const g = await gatedPair();
    const size = 20 * MiB + 77;
    const file = await randomFile(path.join(g.src, 'restart.bin'), size);
    const t = await g.a.node.sendFiles(`direct:${g.bId}`, [file]);
    await g.proxy.held;
    const part = path.join(g.downloads, 'restart.bin.part');
    await waitUntil(async () => (await partSize(part)) > MiB, { what: 'Bob has part of the file' });
    await stopNode(g.a);
    await g.b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'paused');
    g.proxy.release();
    const again = await startNode('Alice', { dataDir: g.a.dataDir });
    const done = await g.b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'done', 60_000);
    expect(done.files[0]!.state).toBe('done');
    await again.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'done');
    expect(await sha256(path.join(g.downloads, 'restart.bin'))).toBe(await sha256(file));
    expect(g.b.node.transfers.bytesWritten).toBe(size);
  }, 90_000);

  it('delivers an offer made while the receiver was offline once it is back, exactly once', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const a = await startNode('Alice');
    let b = await startNode('Bob', { downloadDir: downloads });
    const port = b.node.listeningPort;
    const peer = await a.node.addPeer(b.address);
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === peer.id && !p.online);
    const file = await randomFile(path.join(src, 'later.bin'), 5000);
    const t = await a.node.sendFiles(`direct:${peer.id}`, [file]);
    expect(t.state).toBe('offered');
    b = await startNode('Bob', { dataDir: b.dataDir, port, downloadDir: downloads });
    const offered = await b.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'offered', 30_000);
    expect(offered.files.map((f) => f.path)).toEqual(['later.bin']);
    await b.node.acceptTransfer(t.id);
    await b.waitFor('transferUpdated', finished(t.id), 30_000);
    expect((await b.node.listTransfers()).filter((x) => x.id === t.id)).toHaveLength(1);
    expect(await sha256(path.join(downloads, 'later.bin'))).toBe(await sha256(file));
  }, 60_000);

  for (const side of ['sender', 'receiver'] as const) {
    it(`cancels mid-transfer from the ${side}: both sides cancelled, the .part removed, nothing saved`, async () => {
      const g = await gatedPair();
      const file = await randomFile(path.join(g.src, 'stop.bin'), 16 * MiB);
      const t = await g.a.node.sendFiles(`direct:${g.bId}`, [file]);
      await g.proxy.held;
      const part = path.join(g.downloads, 'stop.bin.part');
      await waitUntil(async () => (await partSize(part)) > 0, { what: 'a .part at Bob' });
      const [canceller, other]: [TestNode, TestNode] = side === 'sender' ? [g.a, g.b] : [g.b, g.a];
      const mine = await canceller.node.cancelTransfer(t.id);
      expect(mine.state).toBe('cancelled');
      const theirs = await other.waitFor('transferUpdated', (x) => x.id === t.id && x.state === 'cancelled');
      expect(theirs.error?.code).toBe('CANCELLED');
      g.proxy.release();
      await waitUntil(async () => (await tree(g.downloads)).length === 0, { what: 'Bob’s download folder empty' });
      // A later transfer still works: the cancel stopped only that one.
      const next = await randomFile(path.join(g.src, 'next.bin'), 1234);
      const t2 = await g.a.node.sendFiles(`direct:${g.bId}`, [next]);
      const done = await g.b.waitFor('transferUpdated', finished(t2.id), 30_000);
      expect(done.state).toBe('done');
      expect(await tree(g.downloads)).toEqual(['next.bin']);
      expect((await g.a.node.listTransfers()).find((x) => x.id === t.id)?.state).toBe('cancelled');
    }, 60_000);
  }

  it('emits progress at most 10 times a second per transfer, on both sides', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const a = await startNode('Alice');
    const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
    const stamps = new Map<TestNode, number[]>([
      [a, []],
      [b, []],
    ]);
    for (const [n, list] of stamps) {
      n.node.subscribe((e) => {
        if (e.name === 'transferProgress') list.push(performance.now());
      });
    }
    const peer = await a.node.addPeer(b.address);
    const file = await randomFile(path.join(src, 'many-chunks.bin'), 96 * MiB);
    const t = await a.node.sendFiles(`direct:${peer.id}`, [file]);
    await b.waitFor('transferUpdated', finished(t.id), 60_000);
    for (const [n, list] of stamps) {
      const perTransfer = n.events.filter(
        (e) => e.name === 'transferProgress' && (e.payload as TransferProgressDto).id === t.id,
      );
      expect(perTransfer.length).toBe(list.length);
      // 96 chunks of 1 MiB: without the throttle there would be about one event per chunk.
      expect(list.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < list.length; i++) expect(list[i]! - list[i - 1]!).toBeGreaterThanOrEqual(95);
    }
  }, 60_000);

  it('auto-accepts from settings only what verified peers send', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const a = await startNode('Alice');
    const b = await startNode('Bob', { downloadDir: downloads });
    await b.node.updateSettings({ autoAcceptVerified: true });
    const peer = await a.node.addPeer(b.address);
    const aId = a.node.peerId;
    await b.waitFor('peerUpdated', (p) => p.id === aId && p.online);
    const first = await a.node.sendFiles(`direct:${peer.id}`, [
      await randomFile(path.join(src, 'unverified.bin'), 100),
    ]);
    await b.waitFor('transferUpdated', (x) => x.id === first.id && x.state === 'offered');
    await b.node.setPeerVerified(aId, true);
    const second = await a.node.sendFiles(`direct:${peer.id}`, [await randomFile(path.join(src, 'verified.bin'), 100)]);
    await b.waitFor('transferUpdated', (x) => x.id === second.id && x.state === 'done', 30_000);
    // The second offer was processed after the first: the first is still waiting for a click.
    expect((await b.node.listTransfers()).find((x) => x.id === first.id)?.state).toBe('offered');
    expect(await tree(downloads)).toEqual(['verified.bin']);

    await b.node.updateSettings({ autoAcceptVerified: false });
    const third = await a.node.sendFiles(`direct:${peer.id}`, [await randomFile(path.join(src, 'off-again.bin'), 100)]);
    await b.waitFor('transferUpdated', (x) => x.id === third.id && x.state === 'offered');
    const ping = await a.node.sendMessage(`direct:${peer.id}`, 'after the third offer');
    await a.waitFor('messageUpdated', (m) => m.id === ping.id && m.state === 'delivered');
    expect((await b.node.listTransfers()).find((x) => x.id === third.id)?.state).toBe('offered');
  }, 60_000);
});
