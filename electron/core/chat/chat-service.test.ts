import { describe, expect, it } from 'vitest';
import { startNode, stopNode } from '../../../test/helpers/nodes';
import { rawControl, until, type RawPeer } from '../../../test/helpers/raw-peer';
import { createIdentity } from '../identity/device-identity';

describe('chat', () => {
  it('delivers messages both ways with sent → delivered states and reply-to', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const alice = a.node.peerId;

    const hello = await a.node.sendMessage(`direct:${bob.id}`, '你好，Bob! 👋');
    const delivered = await a.waitFor('messageUpdated', (m) => m.id === hello.id && m.state === 'delivered');
    expect(delivered.text).toBe('你好，Bob! 👋');
    expect(
      a.events
        .filter((e) => e.name === 'messageUpdated' && (e.payload as { id: string }).id === hello.id)
        .map((e) => (e.payload as { state: string }).state),
    ).toEqual(['sent', 'delivered']);

    const got = await b.waitFor('messageAdded', (m) => m.id === hello.id);
    expect(got).toMatchObject({ direction: 'in', peerId: alice, state: 'delivered' });

    const reply = await b.node.sendMessage(`direct:${alice}`, 'hi Alice', { replyTo: hello.id });
    const seen = await a.waitFor('messageAdded', (m) => m.id === reply.id);
    expect(seen.replyTo).toBe(hello.id);

    const page = await a.node.listMessages(`direct:${bob.id}`);
    expect(page.messages.map((m) => m.text)).toEqual(['你好，Bob! 👋', 'hi Alice']);
  });

  it('marks a conversation read and tells the sender (read receipts)', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const sent = await a.node.sendMessage(`direct:${bob.id}`, 'read me');
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    expect((await b.node.listConversations())[0]!.unread).toBe(1);
    await b.node.markRead(`direct:${a.node.peerId}`);
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'read');
    expect((await b.node.listConversations())[0]!.unread).toBe(0);
  });

  it('queues while the peer is down and delivers once after it comes back', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const { dataDir } = b;
    const port = b.node.listeningPort;
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === bob.id && !p.online);

    const queued = await a.node.sendMessage(`direct:${bob.id}`, 'are you there?');
    expect(queued.state).toBe('queued');
    const b2 = await startNode('Bob', { dataDir, port });
    await a.waitFor('messageUpdated', (m) => m.id === queued.id && m.state === 'delivered', 15_000);
    await b2.waitFor('messageAdded', (m) => m.id === queued.id);
    const page = await b2.node.listMessages(`direct:${a.node.peerId}`);
    expect(page.messages.filter((m) => m.id === queued.id)).toHaveLength(1);
  });

  it('after a restart, redials a peer it owes messages to, even one it never added by hand', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    // Bob dials Alice: to Alice, Bob is a peer that called, not one she added.
    const alice = await b.node.addPeer(a.address);
    const bobId = b.node.peerId;
    await a.waitFor('peerUpdated', (p) => p.id === bobId && p.online);
    expect((await a.node.listPeers()).find((p) => p.id === bobId)?.manual).toBe(false);
    // Bob forgets Alice, so nothing but Alice's owed message can bring the two together again.
    await b.node.forgetPeer(alice.id);
    const bob = { dataDir: b.dataDir, port: b.node.listeningPort };
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === bobId && !p.online);
    const owed = await a.node.sendMessage(`direct:${bobId}`, 'owed across a restart');
    expect(owed.state).toBe('queued');
    const alicesDir = a.dataDir;
    await stopNode(a);

    const b2 = await startNode('Bob', bob);
    await startNode('Alice', { dataDir: alicesDir });
    await b2.waitFor('messageAdded', (m) => m.id === owed.id, 15_000);
  });

  it('stores a re-sent message once (ids make retries idempotent)', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const id = '6a1f8d0e-4b7c-4e2a-9d3f-0c5b7e8a1f20';
    const first = await a.node.sendMessage(`direct:${bob.id}`, 'once', { id });
    const again = await a.node.sendMessage(`direct:${bob.id}`, 'once', { id });
    expect(again.seq).toBe(first.seq);
    await a.waitFor('messageUpdated', (m) => m.id === id && m.state === 'delivered');
    // Force a raw re-send of the same frame, as a reconnect would.
    const link = (
      a.node as unknown as { connections: { link(id: string): { conn: { send(h: object, b: Buffer): void } } } }
    ).connections.link(bob.id);
    link.conn.send({ type: 'message', id, sentAt: first.sentAt }, Buffer.from('once'));
    // Frames on a link are handled in order: once a later message is acked, the re-send was handled.
    const later = await a.node.sendMessage(`direct:${bob.id}`, 'later');
    await a.waitFor('messageUpdated', (m) => m.id === later.id && m.state === 'delivered');
    expect((await b.node.listMessages(`direct:${a.node.peerId}`)).messages.map((m) => m.text)).toEqual([
      'once',
      'later',
    ]);
    expect(b.events.filter((e) => e.name === 'messageAdded')).toHaveLength(2);
  });

  it('refuses messages to unknown peers and text over 64 KiB at the contract edge', async () => {
    const a = await startNode('Alice');
    await expect(a.node.sendMessage(`direct:ferry:${'c'.repeat(64)}`, 'hi')).rejects.toMatchObject({
      code: 'PEER_UNKNOWN',
    });
    const { parseArgs } = await import('../../../shared/api');
    const withCarol = `direct:ferry:${'c'.repeat(64)}`;
    expect(() => parseArgs('sendMessage', [withCarol, 'x'.repeat(64 * 1024 + 1)])).toThrow(/64 KiB/);
    expect(() => parseArgs('sendMessage', [withCarol, ''])).toThrow();
    expect(() => parseArgs('sendMessage', [withCarol, 'hi'])).not.toThrow();
    expect(() => parseArgs('sendMessage', ['not-an-id', 'hi'])).toThrow(/conversation id/);
    // A bare device id was 0.1.0's form: a conversation id is needed now.
    expect(() => parseArgs('sendMessage', ['c'.repeat(64), 'hi'])).toThrow(/conversation id/);
  });

  it('finds messages by full-text search, Chinese included', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    for (const text of ['明天下午开会', 'the quarterly report is ready', '会议室在三楼']) {
      await a.node.sendMessage(`direct:${bob.id}`, text);
    }
    expect((await a.node.searchMessages('quarterly')).map((h) => h.message.text)).toEqual([
      'the quarterly report is ready',
    ]);
    expect((await a.node.searchMessages('下午开会')).map((h) => h.message.text)).toEqual(['明天下午开会']);
    // Two characters: below the trigram index, found by the substring fallback.
    const hits = await a.node.searchMessages('会议');
    expect(hits.map((h) => h.message.text)).toEqual(['会议室在三楼']);
    expect(hits[0]!.snippet).toContain('\u0001会议\u0002');
    expect(await a.node.searchMessages('nothing like this')).toEqual([]);
  });
});

/**
 * The chat service against a hand-driven peer: every frame the node sends is seen
 * as it is on the wire, and the peer can send what a real Ferry would not.
 */
describe('chat on the wire (store-then-ack)', () => {
  const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
  const framesOf = (raw: RawPeer, type: string) => raw.frames.filter((f) => f.type === type);

  async function nodeAndRaw() {
    // Bursts of hundreds of messages here test receipts, not the flood quota (chat-flood.test.ts does).
    const a = await startNode('Alice', { chatQuota: { messagesPerSecond: 10_000, messageBurst: 10_000 } });
    const raw = await rawControl(a.node.listeningPort, await createIdentity());
    const peerId = raw.peerId;
    await a.waitFor('peerUpdated', (p) => p.id === peerId && p.online);
    return { a, raw, peerId };
  }

  it('stores an incoming message, then acks it; a re-sent id is acked again but stored once', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    raw.send({ type: 'message', id: uuid(1), sentAt: 1_700_000_000_000, replyTo: uuid(9) }, Buffer.from('你好 👋'));
    await until(() => framesOf(raw, 'ack').length === 1, 5_000, 'ack');
    expect(framesOf(raw, 'ack')).toEqual([{ type: 'ack', id: uuid(1) }]);
    // The ack came after the insert: the message is already readable from the store.
    const page = await a.node.listMessages(`direct:${peerId}`);
    expect(page.messages).toEqual([
      expect.objectContaining({
        id: uuid(1),
        peerId,
        direction: 'in',
        text: '你好 👋',
        replyTo: uuid(9),
        sentAt: 1_700_000_000_000,
        state: 'delivered',
      }),
    ]);
    const added = await a.waitFor('messageAdded', (m) => m.id === uuid(1));
    expect(added).toEqual(page.messages[0]);

    raw.send({ type: 'message', id: uuid(1), sentAt: 1_700_000_000_000 }, Buffer.from('你好 👋'));
    raw.send({ type: 'message', id: uuid(2), sentAt: 5 }, Buffer.from('second'));
    await until(() => framesOf(raw, 'ack').length === 3, 5_000, 'three acks');
    expect(framesOf(raw, 'ack').map((f) => f.id)).toEqual([uuid(1), uuid(1), uuid(2)]);
    await a.waitFor('messageAdded', (m) => m.id === uuid(2));
    expect(a.events.filter((e) => e.name === 'messageAdded').map((e) => (e.payload as { id: string }).id)).toEqual([
      uuid(1),
      uuid(2),
    ]);
    const second = (await a.node.listMessages(`direct:${peerId}`)).messages[1]!;
    expect(second).toMatchObject({ id: uuid(2), replyTo: null, text: 'second' });
  });

  it('refuses text that is not UTF-8 with BAD_FRAME, stores and acks nothing', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    raw.send({ type: 'message', id: uuid(3), sentAt: 1 }, Buffer.from([0x68, 0xff, 0xfe]));
    await raw.closed;
    expect(framesOf(raw, 'error')).toEqual([
      expect.objectContaining({ code: 'BAD_FRAME', message: 'message text is not valid UTF-8' }),
    ]);
    expect(framesOf(raw, 'ack')).toEqual([]);
    expect((await a.node.listMessages(`direct:${peerId}`)).messages).toEqual([]);
  });

  it('refuses a frame that is neither chat nor transfer', async () => {
    const { raw } = await nodeAndRaw();
    raw.send({ type: 'pong', ts: 1 });
    raw.hello();
    await raw.closed;
    expect(framesOf(raw, 'error')).toEqual([
      expect.objectContaining({ code: 'BAD_FRAME', message: 'unexpected "hello" frame on a control connection' }),
    ]);
  });

  it('sends with id, time and reply-to, then follows the ack and the read receipt', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    const before = Date.now();
    const sent = await a.node.sendMessage(`direct:${peerId}`, 'hello raw', { replyTo: uuid(7) });
    expect(sent).toMatchObject({ peerId, direction: 'out', text: 'hello raw', replyTo: uuid(7), state: 'sent' });
    expect(sent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.sentAt).toBeGreaterThanOrEqual(before);
    expect(sent.sentAt).toBeLessThanOrEqual(Date.now());
    await until(() => framesOf(raw, 'message').length === 1, 5_000, 'message frame');
    expect(framesOf(raw, 'message')[0]).toEqual({
      type: 'message',
      id: sent.id,
      sentAt: sent.sentAt,
      replyTo: uuid(7),
      bodyLength: Buffer.byteLength('hello raw'),
    });
    expect(a.events.filter((e) => e.name === 'messageAdded' || e.name === 'messageUpdated').map((e) => e.name)).toEqual(
      ['messageAdded', 'messageUpdated'],
    );

    raw.send({ type: 'ack', id: uuid(404) }); // not ours: ignored
    raw.send({ type: 'ack', id: sent.id });
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
    raw.send({ type: 'ack', id: sent.id }); // twice: no second event
    raw.send({ type: 'read', ids: [sent.id] });
    const read = await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'read');
    expect(read).toMatchObject({ id: sent.id, text: 'hello raw', state: 'read' });
    const updates = a.events
      .filter((e) => e.name === 'messageUpdated')
      .map((e) => e.payload as { id: string; state: string });
    expect(updates.map((u) => [u.id, u.state])).toEqual([
      [sent.id, 'sent'],
      [sent.id, 'delivered'],
      [sent.id, 'read'],
    ]);
    expect((await a.node.listMessages(`direct:${peerId}`)).messages[0]!.state).toBe('read');
    // Acks and receipts are chat frames: the link stays up and keeps taking messages.
    raw.send({ type: 'message', id: uuid(8), sentAt: 1 }, Buffer.from('still there'));
    await until(() => framesOf(raw, 'ack').some((f) => f.id === uuid(8)), 5_000, 'ack after the receipts');
  });

  it('a fresh id per message; the id of a received message cannot be reused for sending', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    const one = await a.node.sendMessage(`direct:${peerId}`, 'one');
    const two = await a.node.sendMessage(`direct:${peerId}`, 'two');
    expect(one.id).not.toBe(two.id);
    raw.send({ type: 'message', id: uuid(5), sentAt: 1 }, Buffer.from('theirs'));
    await a.waitFor('messageAdded', (m) => m.id === uuid(5));
    await expect(a.node.sendMessage(`direct:${peerId}`, 'mine', { id: uuid(5) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'a message with this id already exists',
    });
    expect((await a.node.listMessages(`direct:${peerId}`)).messages.map((m) => m.text)).toEqual([
      'one',
      'two',
      'theirs',
    ]);
  });

  it('queues while the peer is away and re-sends everything unacked, oldest first, when it is back', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    const early = await a.node.sendMessage(`direct:${peerId}`, 'early');
    await until(() => framesOf(raw, 'message').length === 1, 5_000, 'first message');
    raw.send({ type: 'ack', id: early.id });
    await a.waitFor('messageUpdated', (m) => m.id === early.id && m.state === 'delivered');
    const unacked = await a.node.sendMessage(`direct:${peerId}`, 'sent, never acked');
    await until(() => framesOf(raw, 'message').length === 2, 5_000, 'second message');
    raw.socket.destroy();
    await a.waitFor('peerUpdated', (p) => p.id === peerId && !p.online);

    const q1 = await a.node.sendMessage(`direct:${peerId}`, 'queued 1');
    const q2 = await a.node.sendMessage(`direct:${peerId}`, 'queued 2');
    expect([q1.state, q2.state]).toEqual(['queued', 'queued']);
    expect(
      a.events.filter((e) => e.name === 'messageAdded').map((e) => (e.payload as { state: string }).state),
    ).toEqual(['queued', 'queued', 'queued', 'queued']);

    const back = await rawControl(a.node.listeningPort, raw.identity);
    await until(() => framesOf(back, 'message').length === 3, 5_000, 'the re-sent messages');
    expect(framesOf(back, 'message').map((f) => f.id)).toEqual([unacked.id, q1.id, q2.id]);
    await a.waitFor('messageUpdated', (m) => m.id === q2.id && m.state === 'sent');
    expect((await a.node.listMessages(`direct:${peerId}`)).messages.map((m) => [m.text, m.state])).toEqual([
      ['early', 'delivered'],
      ['sent, never acked', 'sent'],
      ['queued 1', 'sent'],
      ['queued 2', 'sent'],
    ]);
  });

  it('sends read receipts in frames of at most 500 ids, and only for what was unread', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    const ids = Array.from({ length: 501 }, (_, i) => uuid(1000 + i));
    for (const id of ids) raw.send({ type: 'message', id, sentAt: 1 }, Buffer.from('x'));
    await until(() => framesOf(raw, 'ack').length === ids.length, 15_000, 'all acks');
    await a.node.markRead(`direct:${peerId}`);
    await until(() => framesOf(raw, 'read').length === 2, 5_000, 'two read frames');
    const reads = framesOf(raw, 'read').map((f) => f.ids as string[]);
    expect(reads.map((r) => r.length)).toEqual([500, 1]);
    expect(reads.flat()).toEqual(ids);
    expect((await a.node.listConversations()).find((c) => c.peerId === peerId)!.unread).toBe(0);

    // Nothing unread: no frame. Proven by a later message's ack arriving first.
    await a.node.markRead(`direct:${peerId}`);
    raw.send({ type: 'message', id: uuid(1), sentAt: 1 }, Buffer.from('later'));
    await until(() => framesOf(raw, 'ack').length === ids.length + 1, 5_000, 'the later ack');
    expect(framesOf(raw, 'read')).toHaveLength(2);
  });

  it('marks read while the peer is away without sending anything', async () => {
    const { a, raw, peerId } = await nodeAndRaw();
    raw.send({ type: 'message', id: uuid(2), sentAt: 1 }, Buffer.from('x'));
    await until(() => framesOf(raw, 'ack').length === 1, 5_000, 'ack');
    raw.socket.destroy();
    await a.waitFor('peerUpdated', (p) => p.id === peerId && !p.online);
    await a.node.markRead(`direct:${peerId}`);
    expect((await a.node.listConversations()).find((c) => c.peerId === peerId)!.unread).toBe(0);
  });
});
