/**
 * A forged announcement (UDP on loopback only) claims a manually added peer's
 * id at an impostor's address. When the real link drops, the redial tries the
 * pinned peer's known address first; the impostor is PEER_ID_MISMATCH for its
 * address, never PEER_CERT_CHANGED of the real peer, and the real peer is
 * reached again when it comes back.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAnnounce } from '../../electron/core/discovery/announce-packet';
import { startNode, stopNode } from '../helpers/nodes';

const sockets: dgram.Socket[] = [];
afterEach(() => sockets.splice(0).forEach((s) => s.close()));

describe('forged announcement', () => {
  it('does not cut off a manually added peer', async () => {
    const discoveryPort = 20_000 + Math.floor(Math.random() * 40_000);
    const alice = await startNode('Alice', {
      discovery: true,
      discoveryOptions: {
        port: discoveryPort,
        interfaces: ['127.0.0.1'],
        announceIntervalMs: 60_000,
        expiryMs: 120_000,
      },
    });
    const bob = await startNode('Bob');
    const mallory = await startNode('Mallory');
    const bobPort = bob.node.listeningPort;
    const bobId = (await alice.node.addPeer(bob.address)).id;

    // Mallory's address claims to be Bob.
    const udp = dgram.createSocket('udp4');
    sockets.push(udp);
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    udp.send(
      encodeAnnounce({
        kind: 'announce',
        v: 1,
        id: bob.node.identity.id, // the wire speaks fingerprints; bobId is `ferry:<fingerprint>`
        name: 'Bob',
        platform: 'linux',
        port: mallory.node.listeningPort,
      }),
      discoveryPort,
      '127.0.0.1',
    );
    await alice.waitFor('notice', (n) => n.code === 'PEER_DISCOVERED' && n.peerId === bobId);

    // Bob's link drops; while he is away the redial meets the impostor's claim.
    await stopNode(bob);
    await alice.waitFor('peerUpdated', (p) => p.id === bobId && !p.online);
    await alice.waitFor('notice', (n) => n.code === 'PEER_ID_MISMATCH' && n.peerId === bobId, 20_000);

    // Bob returns at his address: Alice reaches him again, and nothing recorded a certificate change.
    const back = await startNode('Bob', { dataDir: bob.dataDir, port: bobPort });
    await alice.waitFor(
      'peerUpdated',
      (p) => p.id === bobId && p.online && p.lastSeen !== null && !p.certChanged,
      40_000,
    );
    const sent = await alice.node.sendMessage(`direct:${bobId}`, 'still you?');
    await back.waitFor('messageAdded', (m) => m.id === sent.id);
    expect(
      alice.events.some((e) => e.name === 'notice' && (e.payload as { code: string }).code === 'PEER_CERT_CHANGED'),
    ).toBe(false);
    expect((await alice.node.listPeers()).find((p) => p.id === bobId)?.certChanged).toBe(false);
  }, 90_000);
});
