import { describe, expect, it } from 'vitest';
import { startNode, stopNode } from '../../../test/helpers/nodes';

describe('chat', () => {
  it('delivers messages both ways with sent → delivered states and reply-to', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const alice = a.node.identity.id;

    const hello = await a.node.sendMessage(bob.id, '你好，Bob! 👋');
    const delivered = await a.waitFor('messageUpdated', (m) => m.id === hello.id && m.state === 'delivered');
    expect(delivered.text).toBe('你好，Bob! 👋');
    expect(
      a.events
        .filter((e) => e.name === 'messageUpdated' && (e.payload as { id: string }).id === hello.id)
        .map((e) => (e.payload as { state: string }).state),
    ).toEqual(['sent', 'delivered']);

    const got = await b.waitFor('messageAdded', (m) => m.id === hello.id);
    expect(got).toMatchObject({ direction: 'in', peerId: alice, state: 'delivered' });

    const reply = await b.node.sendMessage(alice, 'hi Alice', { replyTo: hello.id });
    const seen = await a.waitFor('messageAdded', (m) => m.id === reply.id);
    expect(seen.replyTo).toBe(hello.id);

    const page = await a.node.listMessages(bob.id);
    expect(page.messages.map((m) => m.text)).toEqual(['你好，Bob! 👋', 'hi Alice']);
  });

  it('marks a conversation read and tells the sender (read receipts)', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const sent = await a.node.sendMessage(bob.id, 'read me');
    await b.waitFor('messageAdded', (m) => m.id === sent.id);
    expect((await b.node.listPeers())[0]!.unread).toBe(1);
    await b.node.markRead(a.node.identity.id);
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'read');
    expect((await b.node.listPeers())[0]!.unread).toBe(0);
  });

  it('queues while the peer is down and delivers once after it comes back', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const { dataDir } = b;
    const port = b.node.listeningPort;
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === bob.id && !p.online);

    const queued = await a.node.sendMessage(bob.id, 'are you there?');
    expect(queued.state).toBe('queued');
    const b2 = await startNode('Bob', { dataDir, port });
    await a.waitFor('messageUpdated', (m) => m.id === queued.id && m.state === 'delivered', 15_000);
    await b2.waitFor('messageAdded', (m) => m.id === queued.id);
    const page = await b2.node.listMessages(a.node.identity.id);
    expect(page.messages.filter((m) => m.id === queued.id)).toHaveLength(1);
  });

  it('stores a re-sent message once (ids make retries idempotent)', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const id = '6a1f8d0e-4b7c-4e2a-9d3f-0c5b7e8a1f20';
    const first = await a.node.sendMessage(bob.id, 'once', { id });
    const again = await a.node.sendMessage(bob.id, 'once', { id });
    expect(again.seq).toBe(first.seq);
    await a.waitFor('messageUpdated', (m) => m.id === id && m.state === 'delivered');
    // Force a raw re-send of the same frame, as a reconnect would.
    const link = (
      a.node as unknown as { connections: { link(id: string): { conn: { send(h: object, b: Buffer): void } } } }
    ).connections.link(bob.id);
    link.conn.send({ type: 'message', id, sentAt: first.sentAt }, Buffer.from('once'));
    // Frames on a link are handled in order: once a later message is acked, the re-send was handled.
    const later = await a.node.sendMessage(bob.id, 'later');
    await a.waitFor('messageUpdated', (m) => m.id === later.id && m.state === 'delivered');
    expect((await b.node.listMessages(a.node.identity.id)).messages.map((m) => m.text)).toEqual(['once', 'later']);
    expect(b.events.filter((e) => e.name === 'messageAdded')).toHaveLength(2);
  });

  it('refuses messages to unknown peers and text over 64 KiB at the contract edge', async () => {
    const a = await startNode('Alice');
    await expect(a.node.sendMessage('c'.repeat(64), 'hi')).rejects.toMatchObject({ code: 'PEER_UNKNOWN' });
    const { parseArgs } = await import('../../../shared/api');
    expect(() => parseArgs('sendMessage', ['c'.repeat(64), 'x'.repeat(64 * 1024 + 1)])).toThrow(/64 KiB/);
    expect(() => parseArgs('sendMessage', ['c'.repeat(64), ''])).toThrow();
    expect(() => parseArgs('sendMessage', ['not-an-id', 'hi'])).toThrow(/device id/);
  });

  it('finds messages by full-text search, Chinese included', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    for (const text of ['明天下午开会', 'the quarterly report is ready', '会议室在三楼']) {
      await a.node.sendMessage(bob.id, text);
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
