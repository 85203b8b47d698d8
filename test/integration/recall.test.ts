/**
 * Recall (docs/PROTOCOL.md §6), between real engines over TLS on 127.0.0.1 and real
 * SQLite files: the author takes a message back within 2 minutes; the receiver judges the
 * time against when it stored the message and ignores any recall that doesn't hold. The
 * clocks are the engines' own `now` option, moved by the test instead of sleeping.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../../electron/core/identity/device-identity';
import type { FerryError } from '../../electron/core/ferry-error';
import { RECALL_ALLOWANCE_MS, RECALL_WINDOW_MS } from '../../electron/core/chat/chat-service';
import { FerryDatabase } from '../../electron/core/store/database';
import { MessageRepo } from '../../electron/core/store/message-repo';
import { PeerRepo } from '../../electron/core/store/peer-repo';
import { startNode, stopNode } from '../helpers/nodes';
import { rawControl } from '../helpers/raw-peer';
import { rejection } from '../helpers/rejection';
import { tempDir } from '../helpers/temp-dir';
import { pair } from '../helpers/transfer';
import { waitUntil } from '../helpers/wait';

/** A clock the test moves. */
function clock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** Every byte of the node's database files (the database and its write-ahead log). */
async function databaseBytes(dataDir: string): Promise<Buffer> {
  const names = (await readdir(dataDir, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.startsWith('ferry.db') && !e.name.endsWith('.backup'))
    .map((e) => e.name);
  return Buffer.concat(await Promise.all(names.map((n) => readFile(path.join(dataDir, n)))));
}

describe('recall', () => {
  it('takes a message back on both sides within 2 minutes: no text kept, a recalled line, search finds nothing', async () => {
    const { a, b, aId, bId } = await pair();
    // Letters that make up no other word here: their trigrams are what the search index would keep.
    const secret = `the vault code is 7391-qzxjvk ${'and more words to make it long, '.repeat(40)}`;
    const keep = await a.node.sendMessage(`direct:${bId}`, 'this one stays');
    const sent = await a.node.sendMessage(`direct:${bId}`, secret, { replyTo: keep.id });
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    expect(await b.node.searchMessages('qzxjvk')).toHaveLength(1);

    const recalled = await a.node.recallMessage(`direct:${bId}`, sent.id);
    expect(recalled).toMatchObject({ id: sent.id, text: '', recalledAt: expect.any(Number) });
    const seen = await b.waitFor('messageUpdated', (m) => m.id === sent.id && m.recalledAt !== undefined);
    expect(seen.text).toBe('');

    const bHistory = (await b.node.listMessages(`direct:${aId}`)).messages;
    expect(bHistory.map((m) => [m.text, m.recalledAt !== undefined])).toEqual([
      ['this one stays', false],
      ['', true],
    ]);
    expect(bHistory[1]!.replyTo).toBe(keep.id); // the row stays, in its place
    expect((await a.node.listMessages(`direct:${bId}`)).messages[1]).toMatchObject({
      text: '',
      recalledAt: recalled.recalledAt,
    });
    for (const node of [a.node, b.node]) {
      expect(await node.searchMessages('qzxjvk')).toEqual([]);
      expect(await node.searchMessages('7391')).toEqual([]);
      expect(await node.searchMessages('stays')).toHaveLength(1);
    }
    // Not in SQLite at all: not in the row, the search index's segments, free pages or the log.
    for (const dir of [a.dataDir, b.dataDir]) {
      const bytes = await databaseBytes(dir);
      // The index keeps terms prefix-compressed: look for each trigram alone.
      for (const trigram of ['qzxjvk', 'qzx', 'zxj', 'xjv', 'jvk']) expect(bytes.includes(trigram)).toBe(false);
    }
    // The conversation summary no longer counts it unread, nor shows its text.
    await waitUntil(
      () =>
        b.events.some(
          (e) => e.name === 'conversationUpdated' && e.payload.lastMessage?.id === sent.id && e.payload.unread === 1,
        ),
      { what: 'Bob’s summary: the recalled message no longer unread' },
    );

    // Recalling again is harmless on both sides.
    expect(await a.node.recallMessage(`direct:${bId}`, sent.id)).toMatchObject({
      text: '',
      recalledAt: recalled.recalledAt,
    });
    await expect(b.node.recallMessage(`direct:${aId}`, keep.id)).rejects.toMatchObject({ code: 'NOT_YOURS' });
    await expect(a.node.recallMessage(`direct:${bId}`, randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses the author after 2 minutes (RECALL_TOO_LATE); the message stays on both sides', async () => {
    const alice = clock();
    const { a, b, aId, bId } = await pair({ now: alice.now });
    const sent = await a.node.sendMessage(`direct:${bId}`, 'said and done');
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    alice.advance(RECALL_WINDOW_MS + 1);
    const refused = await rejection<FerryError>(a.node.recallMessage(`direct:${bId}`, sent.id));
    expect(refused.code).toBe('RECALL_TOO_LATE');
    expect((await a.node.listMessages(`direct:${bId}`)).messages[0]).toMatchObject({ text: 'said and done' });
    expect((await a.node.listMessages(`direct:${bId}`)).messages[0]).not.toHaveProperty('recalledAt');
    expect((await b.node.listMessages(`direct:${aId}`)).messages[0]).toMatchObject({ text: 'said and done' });
  });

  it('the receiver judges the time by when it stored the message (2 minutes + 30 s), and ignores a late recall', async () => {
    const bob = clock();
    const { a, b, aId, bId } = await pair({}, { now: bob.now });
    const sent = await a.node.sendMessage(`direct:${bId}`, 'arrived long ago for Bob');
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    bob.advance(RECALL_WINDOW_MS + RECALL_ALLOWANCE_MS + 1);
    await a.node.recallMessage(`direct:${bId}`, sent.id); // Alice's clock says it is fresh
    const notice = await b.waitFor('notice', (n) => n.code === 'RECALL_TOO_LATE');
    expect(notice.peerId).toBe(aId);
    expect((await b.node.listMessages(`direct:${aId}`)).messages[0]).toMatchObject({
      text: 'arrived long ago for Bob',
    });
    expect(b.events.some((e) => e.name === 'messageUpdated' && e.payload.id === sent.id)).toBe(false);
  });

  it('ignores a forged recall: of the receiver’s own message, of another peer’s, of nothing; the link and the rest stay', async () => {
    const { a, b, bId } = await pair();
    const mallory = await rawControl(b.node.listeningPort, await createIdentity(), {
      caps: ['chat/1', 'transfer/1', 'recall/1'],
    });
    await b.waitFor('peerUpdated', (p) => p.id === mallory.peerId && p.online);
    const fromAlice = await a.node.sendMessage(`direct:${bId}`, 'Alice to Bob, not Mallory’s');
    await b.waitFor('messageAdded', (m) => m.id === fromAlice.id);
    const bobsOwn = await b.node.sendMessage(`direct:${mallory.peerId}`, 'Bob to Mallory');
    await waitUntil(() => mallory.frames.some((f) => f.type === 'message' && f.id === bobsOwn.id), {
      what: 'Mallory got Bob’s message',
    });

    mallory.send({ type: 'recall', id: bobsOwn.id });
    expect((await b.waitFor('notice', (n) => n.code === 'NOT_YOURS')).peerId).toBe(mallory.peerId);
    mallory.send({ type: 'recall', id: fromAlice.id });
    mallory.send({ type: 'recall', id: randomUUID() });
    await waitUntil(() => b.events.filter((e) => e.name === 'notice' && e.payload.code === 'NOT_FOUND').length === 2, {
      what: 'two NOT_FOUND notices',
    });
    expect((await b.node.listMessages(`direct:${mallory.peerId}`)).messages).toMatchObject([
      { id: bobsOwn.id, text: 'Bob to Mallory' },
    ]);
    expect((await b.node.listMessages(`direct:${(await a.node.getSelf()).id}`)).messages).toMatchObject([
      { id: fromAlice.id, text: 'Alice to Bob, not Mallory’s' },
    ]);
    expect(b.events.some((e) => e.name === 'messageUpdated' && e.payload.recalledAt !== undefined)).toBe(false);

    // Its own message it may recall, twice over: recalled once, and the link stays up.
    const own = randomUUID();
    mallory.send({ type: 'message', id: own, sentAt: Date.now() }, Buffer.from('oops'));
    await b.waitFor('messageAdded', (m) => m.id === own);
    mallory.send({ type: 'recall', id: own });
    mallory.send({ type: 'recall', id: own });
    mallory.send({ type: 'ping', ts: 42 });
    await waitUntil(() => mallory.frames.some((f) => f.type === 'pong' && f.ts === 42), { what: 'a pong: link alive' });
    expect(b.events.filter((e) => e.name === 'messageUpdated' && e.payload.id === own)).toHaveLength(1);
    expect((await b.node.listMessages(`direct:${mallory.peerId}`)).messages.at(-1)).toMatchObject({ text: '' });
  });

  it('refuses peers that can’t recall: IP Messenger users and Ferrys without recall/1 (PEER_UNSUPPORTED)', async () => {
    const dataDir = await tempDir('ferry-recall-ipmsg-');
    const ipmsgPeer = 'ipmsg:192.0.2.7';
    const id = randomUUID();
    {
      const db = FerryDatabase.open(path.join(dataDir, 'ferry.db'));
      new PeerRepo(db).upsertSeen({ id: ipmsgPeer, name: 'wang', platform: 'iptux' }, Date.now());
      const now = Date.now();
      new MessageRepo(db).insert({
        id,
        conversationId: `direct:${ipmsgPeer}`,
        peerId: ipmsgPeer,
        direction: 'out',
        text: 'to FeiQ',
        replyTo: null,
        sentAt: now,
        storedAt: now,
        state: 'delivered',
      });
      db.close();
    }
    const a = await startNode('Alice', { dataDir });
    const refused = await rejection<FerryError>(a.node.recallMessage(`direct:${ipmsgPeer}`, id));
    expect(refused.code).toBe('PEER_UNSUPPORTED');
    expect(refused.message).toContain('IP Messenger');
    expect((await a.node.listMessages(`direct:${ipmsgPeer}`)).messages[0]).toMatchObject({ text: 'to FeiQ' });

    const old = await rawControl(a.node.listeningPort, await createIdentity(), { caps: ['chat/1', 'transfer/1'] });
    await a.waitFor('peerUpdated', (p) => p.id === old.peerId && p.online && !p.capabilities.recall);
    const sent = await a.node.sendMessage(`direct:${old.peerId}`, 'to an older Ferry');
    const older = await rejection<FerryError>(a.node.recallMessage(`direct:${old.peerId}`, sent.id));
    expect(older.code).toBe('PEER_UNSUPPORTED');
    expect(older.message).toContain('recall/1');
    // Nothing it can't read was sent to it.
    expect(old.frames.some((f) => f.type === 'recall')).toBe(false);
  });

  it('offline: a message that left needs the peer online (PEER_OFFLINE); one still queued is withdrawn here and never sent', async () => {
    const { a, b, bId } = await pair({ redialBackoffMs: { min: 60_000, max: 60_000 } });
    const sent = await a.node.sendMessage(`direct:${bId}`, 'already there');
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === bId && !p.online);
    const offline = await rejection<FerryError>(a.node.recallMessage(`direct:${bId}`, sent.id));
    expect(offline.code).toBe('PEER_OFFLINE');

    const queued = await a.node.sendMessage(`direct:${bId}`, 'never leaves');
    expect(queued.state).toBe('queued');
    const withdrawn = await a.node.recallMessage(`direct:${bId}`, queued.id);
    expect(withdrawn).toMatchObject({ state: 'queued', text: '', recalledAt: expect.any(Number) });

    // Bob comes back on the same data folder: the recalled message is not re-sent to him.
    const b2 = await startNode('Bob', { dataDir: b.dataDir });
    await a.node.addPeer(b2.address);
    await b2.waitFor('peerUpdated', (p) => p.online);
    const probe = await a.node.sendMessage(`direct:${bId}`, 'after the break');
    await b2.waitFor('messageAdded', (m) => m.id === probe.id);
    expect(b2.events.some((e) => e.name === 'messageAdded' && e.payload.id === queued.id)).toBe(false);
  });
});
