/**
 * Chat floods against a real engine: a per-peer rate limit and a cap on unread
 * volume. Refused messages are not stored or acked; the peer hears
 * RATE_LIMITED, the user gets a notice, and an honest sender's retry lands
 * once the user has read the conversation.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { rawControl } from '../helpers/raw-peer';

describe('chat flood', () => {
  it('a raw peer over the message rate is refused with RATE_LIMITED after its burst; nothing past it is stored', async () => {
    const b = await startNode('Bob', { chatQuota: { messageBurst: 10, messagesPerSecond: 0.01 } });
    const peer = await rawControl(b.node.listeningPort);
    const ids = Array.from({ length: 15 }, () => randomUUID());
    for (const id of ids) peer.send({ type: 'message', id, sentAt: Date.now() }, Buffer.from('x'.repeat(1000)));
    await peer.closed;
    const acked = peer.frames.filter((f) => f.type === 'ack').map((f) => f.id);
    expect(acked).toEqual(ids.slice(0, 10));
    expect(peer.frames.at(-1)).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    expect(b.events.filter((e) => e.name === 'messageAdded')).toHaveLength(10);
    const notice = await b.waitFor('notice', (n) => n.code === 'RATE_LIMITED');
    expect(notice.peerId).toBe(peer.peerId);
  }, 30_000);

  it('a byte rate over its burst is refused too', async () => {
    const b = await startNode('Bob', { chatQuota: { byteBurst: 100_000, bytesPerSecond: 1 } });
    const peer = await rawControl(b.node.listeningPort);
    for (let i = 0; i < 3; i++)
      peer.send({ type: 'message', id: randomUUID(), sentAt: Date.now() }, Buffer.from('y'.repeat(60_000)));
    await peer.closed;
    expect(peer.frames.filter((f) => f.type === 'ack')).toHaveLength(1);
    expect(peer.frames.at(-1)).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
  }, 30_000);

  it('unread volume over the cap waits for the user; the sender retries and it lands after markRead', async () => {
    const bob = await startNode('Bob', { chatQuota: { maxUnreadMessages: 3 } });
    const alice = await startNode('Alice');
    const bobPeer = await alice.node.addPeer(bob.address);
    const aliceId = (await alice.node.getSelf()).id;
    const sent: { id: string }[] = [];
    for (let i = 0; i < 5; i++) sent.push(await alice.node.sendMessage(`direct:${bobPeer.id}`, `m${i}`));
    await bob.waitFor('notice', (n) => n.code === 'RATE_LIMITED' && n.peerId === aliceId);
    await alice.waitFor('notice', (n) => n.code === 'RATE_LIMITED');
    expect(
      bob.events.filter((e) => e.name === 'messageAdded').map((e) => (e.payload as { text: string }).text),
    ).toEqual(['m0', 'm1', 'm2']);
    expect((await alice.node.listMessages(`direct:${bobPeer.id}`)).messages.map((m) => m.state)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'sent',
      'sent',
    ]);
    await bob.node.markRead(`direct:${aliceId}`);
    await alice.waitFor(
      'messageUpdated',
      (m) => m.id === sent[4]!.id && m.state !== 'sent' && m.state !== 'queued',
      40_000,
    );
    expect((await bob.node.listMessages(`direct:${aliceId}`)).messages.map((m) => m.text)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm4',
    ]);
  }, 60_000);
});
