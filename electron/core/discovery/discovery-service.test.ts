/**
 * Real nodes discovering each other over UDP multicast and broadcast on the
 * loopback interface only (nothing leaves this machine).
 */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { startNode, stopNode, type TestNode } from '../../../test/helpers/nodes';
import { waitUntil } from '../../../test/helpers/wait';
import { encodeAnnounce } from './announce-packet';

function discoveryOn(port: number) {
  return {
    discovery: true,
    discoveryOptions: { port, interfaces: ['127.0.0.1'], announceIntervalMs: 300, expiryMs: 1_200 },
  };
}

const randomUdpPort = () => 20_000 + Math.floor(Math.random() * 40_000);

/** A raw UDP sender on loopback. It broadcasts (127.255.255.255): with several nodes sharing the
 *  discovery port, a unicast datagram reaches only one of them, as on a real host. */
async function udpSender(): Promise<{ send(packet: Buffer, port: number): void; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  socket.setBroadcast(true);
  return { send: (packet, port) => socket.send(packet, port, '127.255.255.255'), close: () => socket.close() };
}

const online = (node: TestNode, id: string) => (p: { id: string; online: boolean }) => p.id === id && p.online;

describe('LAN discovery', () => {
  it('finds two and three nodes without adding anyone by hand', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.identity.id));
    await b.waitFor('peerUpdated', online(b, a.node.identity.id));
    const c = await startNode('Carol', discoveryOn(port));
    await c.waitFor('peerUpdated', online(c, a.node.identity.id));
    await c.waitFor('peerUpdated', online(c, b.node.identity.id));
    await a.waitFor('peerUpdated', online(a, c.node.identity.id));
    expect((await a.node.listPeers()).map((p) => p.name).sort()).toEqual(['Bob', 'Carol']);
    // Discovered peers chat like any other.
    const sent = await c.node.sendMessage(a.node.identity.id, 'found you');
    await c.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
  });

  it('marks a peer offline when it stops and online again when it comes back', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    const bobId = b.node.identity.id;
    await a.waitFor('peerUpdated', online(a, bobId));
    const { dataDir } = b;
    await stopNode(b);
    await a.waitFor('peerUpdated', (p) => p.id === bobId && !p.online);
    await a.waitFor('notice', (n) => n.code === 'PEER_GOODBYE' && n.peerId === bobId);
    a.events.length = 0;
    await startNode('Bob', { ...discoveryOn(port), dataDir });
    await a.waitFor('peerUpdated', online(a, bobId));
  });

  it('expires a peer that goes silent without a goodbye', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const fake = dgram.createSocket('udp4');
    await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
    const id = 'e'.repeat(64);
    fake.send(
      encodeAnnounce({ kind: 'announce', v: 1, id, name: 'Ghost', platform: 'linux', port: 9 }),
      port,
      '127.0.0.1',
    );
    await a.waitFor('notice', (n) => n.code === 'PEER_DISCOVERED' && n.peerId === id);
    await a.waitFor('notice', (n) => n.code === 'PEER_EXPIRED' && n.peerId === id, 5_000);
    fake.close();
    // A claim alone never becomes a peer: nothing answered on its TCP port.
    expect((await a.node.listPeers()).find((p) => p.id === id)).toBeUndefined();
  });

  it('refuses a spoofed announcement (right name, wrong fingerprint) and keeps the real peer', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const bob = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, bob.node.identity.id));
    // Mallory listens for TLS (with her own certificate) and claims to be Bob.
    const mallory = await startNode('Mallory');
    const spoof = await udpSender();
    // Pretend to be a newcomer (Alice has never seen this id) so Alice dials the claim.
    const victimId = 'f'.repeat(64);
    spoof.send(
      encodeAnnounce({
        kind: 'announce',
        v: 1,
        id: victimId,
        name: 'Bob',
        platform: 'linux',
        port: mallory.node.listeningPort,
      }),
      port,
    );
    const refused = await a.waitFor('notice', (n) => n.code === 'PEER_ID_MISMATCH' && n.peerId === victimId);
    expect(refused.message).toMatch(/announcement .* ignored/);
    spoof.close();
    const peers = await a.node.listPeers();
    expect(peers.map((p) => p.id)).toEqual([bob.node.identity.id]);
    expect(peers[0]).toMatchObject({ online: true, certChanged: false });
  });

  it('drops malformed, oversized and flooding packets with bounded memory and a clear log line', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.identity.id));
    const flood = await udpSender();
    const junk = [Buffer.from('FERRY1 {"kind":'), Buffer.alloc(60_000, 1), Buffer.from('hello')];
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      const id = i.toString(16).padStart(64, '0');
      const packet =
        i % 4 === 3
          ? encodeAnnounce({ kind: 'announce', v: 1, id, name: `spam ${i}`, platform: 'x', port: 9 })
          : junk[i % 3]!;
      flood.send(packet, port);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await a.waitFor('notice', (n) => n.code === 'DISCOVERY_DROPPED');
    const discovery = (
      a.node as unknown as {
        discovery: {
          dropped: Record<'rate' | 'malformed' | 'oversized' | 'foreign', number>;
          knownCount: number;
          on(event: 'seen', listener: (s: { id: string }) => void): void;
        };
      }
    ).discovery;
    // A last announcement from another loopback address (its own rate budget) queues behind
    // the flood on the socket: once it is seen, everything that arrived before it was handled.
    const sentinelId = 'e'.repeat(64);
    const sentinelSeen = new Promise<void>((resolve) =>
      discovery.on('seen', (s) => {
        if (s.id === sentinelId) resolve();
      }),
    );
    const sentinel = dgram.createSocket('udp4');
    await new Promise<void>((r) => sentinel.bind(0, '127.0.0.2', () => r()));
    sentinel.setBroadcast(true); // unicast would reach only one of the nodes sharing the port
    const sentinelPacket = encodeAnnounce({
      kind: 'announce',
      v: 1,
      id: sentinelId,
      name: 'Sentinel',
      platform: 'x',
      port: 9,
    });
    // Sent again until seen: a copy that met a full socket buffer is dropped by the kernel.
    const resend = setInterval(() => sentinel.send(sentinelPacket, port, '127.255.255.255'), 50);
    await sentinelSeen;
    clearInterval(resend);
    sentinel.close();
    // The kernel drops what overflows the socket buffer; of what arrives, the limiter drops the excess.
    expect(discovery.dropped.rate).toBeGreaterThan(100);
    expect(discovery.dropped.malformed + discovery.dropped.oversized + discovery.dropped.foreign).toBeGreaterThan(0);
    // Only the first burst's worth of spam announces got past the rate limit.
    expect(discovery.knownCount).toBeLessThan(60);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    flood.close();
    // Still working: the real peer chats.
    const sent = await a.node.sendMessage(b.node.identity.id, 'still fine');
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
  });

  it('turns discovery off and on at run time, with the same port and interfaces', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.identity.id));
    await a.node.updateSettings({ discovery: false });
    // Alice no longer listens or answers (her link to Bob stays). Carol announces; Bob answers at
    // once and then announces every ~300 ms. Once Carol has heard Bob three times, an Alice still
    // on would long have answered Carol too.
    const c = await startNode('Carol', discoveryOn(port));
    type Emitter = { on(e: 'seen' | 'heard', l: (s: { id: string }) => void): void };
    const carolDiscovery = (c.node as unknown as { discovery: Emitter }).discovery;
    const carolSaw: string[] = [];
    let bobHeard = 0;
    carolDiscovery.on('seen', (s) => carolSaw.push(s.id));
    carolDiscovery.on('heard', (s) => {
      if (s.id === b.node.identity.id) bobHeard++;
    });
    await waitUntil(() => bobHeard >= 3, { what: 'Carol hears Bob three times' });
    expect(carolSaw).not.toContain(a.node.identity.id);
    expect((await a.node.listPeers()).map((p) => p.id)).not.toContain(c.node.identity.id);
    expect((await a.node.getSettings()).discovery).toBe(false);

    await a.node.updateSettings({ discovery: true });
    await a.waitFor('peerUpdated', online(a, c.node.identity.id));
    await c.waitFor('peerUpdated', online(c, a.node.identity.id));
  });
});
