/**
 * Blocking between two real engines: the blocked peer sees an offline device
 * (never a PEER_BLOCKED from us), and what it sends while blocked is dropped,
 * not delivered after the unblock; what it sends afterwards arrives.
 */
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';

describe('blocking', () => {
  it('looks like offline to the blocked peer and drops what it sent meanwhile', async () => {
    const alice = await startNode('Alice');
    const bob = await startNode('Bob');
    const bobId = (await alice.node.addPeer(bob.address)).id;
    const aliceId = (await alice.node.getSelf()).id;
    await bob.waitFor('peerUpdated', (p) => p.id === aliceId && p.online);

    await bob.node.setPeerBlocked(aliceId, true);
    await alice.waitFor('peerUpdated', (p) => p.id === bobId && !p.online);
    const during = await alice.node.sendMessage(`direct:${bobId}`, 'sent while blocked');
    // Alice keeps redialing; Bob closes on her without a word each time.
    await bob.waitFor('notice', (n) => n.code === 'PEER_BLOCKED' && n.peerId === aliceId, 20_000);

    await bob.node.setPeerBlocked(aliceId, false);
    // Alice reconnects, re-sends; Bob acks it (so she stops retrying) but does not keep it.
    await alice.waitFor('messageUpdated', (m) => m.id === during.id && m.state === 'delivered', 40_000);
    const after = await alice.node.sendMessage(`direct:${bobId}`, 'sent after the unblock');
    await bob.waitFor('messageAdded', (m) => m.id === after.id);
    expect((await bob.node.listMessages(`direct:${aliceId}`)).messages.map((m) => m.text)).toEqual([
      'sent after the unblock',
    ]);

    // Nothing ever told Alice she was blocked.
    const codes = alice.events.filter((e) => e.name === 'notice').map((e) => (e.payload as { code: string }).code);
    expect(codes).not.toContain('PEER_BLOCKED');
  }, 90_000);
});
