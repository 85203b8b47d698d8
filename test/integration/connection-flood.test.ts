/**
 * 1,100 idle TCP connections from one address (127.0.0.5) against a real
 * engine: that address is capped at its unauthenticated quota, and a peer from
 * another address (127.0.0.1) still connects and chats.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { until } from '../helpers/raw-peer';

const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  // (each test stops its own reopening before it ends)
});

describe('connection flood', () => {
  it('caps unauthenticated connections per source IP so other peers still get in', async () => {
    const bob = await startNode('Bob');
    const port = bob.node.listeningPort;
    // Like an attacker: 1,100 sockets, each reopened as soon as the server cuts it.
    let connects = 0;
    let flooding = true;
    const open = () => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' });
      sockets.push(s);
      s.on('error', () => {});
      s.once('connect', () => connects++);
      s.once('close', () => {
        sockets.splice(sockets.indexOf(s), 1);
        if (flooding) setTimeout(open, 20);
      });
    };
    for (let i = 0; i < 1_100; i++) open();
    await until(() => connects >= 1_100, 20_000, 'every flood socket accepted once');

    const alice = await startNode('Alice');
    const peer = await alice.node.addPeer(bob.address);
    await alice.node.sendMessage(`direct:${peer.id}`, 'through the flood');
    await bob.waitFor('messageAdded', (m) => m.text === 'through the flood');
    flooding = false;
    const notices = bob.events.filter(
      (e) => e.name === 'notice' && (e.payload as { code: string }).code === 'RATE_LIMITED',
    );
    expect(notices.length).toBeLessThan(50); // bounded notice output, not one per refused socket
  }, 60_000);
});
