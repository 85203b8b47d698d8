/**
 * Discovery over UDP multicast and broadcast on the loopback interface only
 * (nothing leaves this machine): the service itself in this process, then real
 * nodes discovering each other.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, stopNode, type TestNode } from '../../../test/helpers/nodes';
import { waitUntil } from '../../../test/helpers/wait';
import { decodeAnnounce, encodeAnnounce } from './announce-packet';
import {
  DISCOVERY_GROUP,
  DISCOVERY_PORT,
  DiscoveryService,
  type DiscoveryOptions,
  type Sighting,
} from './discovery-service';

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

/** A discovery service on loopback only (127.0.0.1, its broadcast address and the group on lo). */
async function service(name: string, port: number, options: Partial<DiscoveryOptions> = {}) {
  const id = createHash('sha256').update(name).digest('hex');
  const logs: { code: string; message: string }[] = [];
  const events: { kind: 'seen' | 'heard' | 'expired' | 'goodbye'; id: string; sighting?: Sighting; at: number }[] = [];
  const s = new DiscoveryService({
    port,
    interfaces: ['127.0.0.1'],
    announceIntervalMs: 60_000,
    self: () => ({ id, name, platform: 'linux', port: 4242 }),
    protocolVersion: 3,
    log: (_level, code, message) => logs.push({ code, message }),
    ...options,
  });
  s.on('seen', (sighting) => events.push({ kind: 'seen', id: sighting.id, sighting, at: Date.now() }));
  s.on('heard', (sighting) => events.push({ kind: 'heard', id: sighting.id, sighting, at: Date.now() }));
  s.on('expired', (gone) => events.push({ kind: 'expired', id: gone, at: Date.now() }));
  s.on('goodbye', (gone) => events.push({ kind: 'goodbye', id: gone, at: Date.now() }));
  await s.start();
  services.push(s);
  const saw = (kind: string, who: string) => events.filter((e) => e.kind === kind && e.id === who).length;
  return { s, id, logs, events, saw };
}
const services: DiscoveryService[] = [];
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  for (const socket of sockets.splice(0)) socket.close();
});

/** A raw UDP socket on a loopback address that broadcasts on 127.255.255.255. */
async function rawPeer(address = '127.0.0.1') {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on('message', (data) => received.push(data));
  await new Promise<void>((r) => socket.bind(0, address, () => r()));
  socket.setBroadcast(true);
  const send = (packet: Buffer, port: number) => socket.send(packet, port, '127.255.255.255');
  return Object.assign(send, { received });
}

const announce = (id: string, name = 'Raw', kind: 'announce' | 'reply' | 'goodbye' = 'announce') =>
  encodeAnnounce({ kind, v: 1, id, name, platform: 'x', port: 9 });

describe('discovery service (in-process, loopback)', () => {
  it('a newcomer is answered at once: both know each other without waiting for the next announce', async () => {
    const port = randomUdpPort();
    const a = await service('Alice', port);
    const b = await service('Bob', port);
    // Announces are a minute apart: Bob knows Alice only from her unicast reply.
    await waitUntil(() => a.saw('seen', b.id) === 1 && b.saw('seen', a.id) === 1, { what: 'both to see each other' });
    expect(a.events.find((e) => e.id === b.id)!.sighting).toEqual({
      id: b.id,
      name: 'Bob',
      platform: 'linux',
      port: 4242,
      host: '127.0.0.1',
      v: 3,
    });
    expect(a.s.knownCount).toBe(1);
    expect(b.s.knownCount).toBe(1);
    expect(a.s.port).toBe(port);
    // Later packets of a known peer are "heard", not "seen" again.
    const heard = a.saw('heard', b.id);
    b.s.announceNow();
    await waitUntil(() => a.saw('heard', b.id) > heard, { what: 'Alice to hear Bob again' });
    const bobHeard = b.saw('heard', a.id);
    a.s.announceNow();
    await waitUntil(() => b.saw('heard', a.id) > bobHeard, { what: 'Bob to hear Alice again' });
    expect(b.saw('seen', a.id)).toBe(1);
    expect(a.saw('seen', b.id)).toBe(1);
    expect(a.events.filter((e) => e.id === a.id)).toEqual([]); // its own announces, looped back, are ignored
  });

  it('announces again every interval', async () => {
    const port = randomUdpPort();
    const b = await service('Bob', port);
    const a = await service('Alice', port, { announceIntervalMs: 150 });
    await waitUntil(() => b.saw('heard', a.id) >= 6, { what: 'Bob to hear Alice again and again' });
  });

  it('says goodbye on stop, and forgets peers that fall silent (not before expiryMs)', async () => {
    const port = randomUdpPort();
    const a = await service('Alice', port, { expiryMs: 600 });
    const b = await service('Bob', port);
    await waitUntil(() => a.saw('seen', b.id) === 1, { what: 'Alice to see Bob' });
    await b.s.stop();
    await b.s.stop(); // twice is fine
    await waitUntil(() => a.saw('goodbye', b.id) === 1, { what: "Bob's goodbye" });
    expect(a.s.knownCount).toBe(0);

    const send = await rawPeer();
    const ghost = 'e'.repeat(64);
    send(announce(ghost), port);
    await waitUntil(() => a.saw('seen', ghost) === 1, { what: 'the ghost to be seen' });
    await waitUntil(() => a.saw('expired', ghost) === 1, { what: 'the ghost to expire', timeoutMs: 5_000 });
    const seenAt = a.events.find((e) => e.kind === 'seen' && e.id === ghost)!.at;
    const expiredAt = a.events.find((e) => e.kind === 'expired' && e.id === ghost)!.at;
    expect(expiredAt - seenAt).toBeGreaterThanOrEqual(590);
    expect(a.s.knownCount).toBe(0);
    // A goodbye from someone unknown changes nothing.
    send(announce('d'.repeat(64), 'x', 'goodbye'), port);
    send(announce(ghost, 'Ghost again'), port);
    await waitUntil(() => a.saw('seen', ghost) === 2, { what: 'the ghost to be seen again' });
    expect(a.saw('goodbye', 'd'.repeat(64))).toBe(0);
  });

  it('without expiryMs, a silent peer expires after three announce intervals and a second', async () => {
    const port = randomUdpPort();
    const a = await service('Alice', port, { announceIntervalMs: 100 });
    const send = await rawPeer();
    const ghost = '9'.repeat(64);
    send(announce(ghost), port);
    await waitUntil(() => a.saw('expired', ghost) === 1, { what: 'the ghost to expire', timeoutMs: 5_000 });
    const seenAt = a.events.find((e) => e.kind === 'seen' && e.id === ghost)!.at;
    const expiredAt = a.events.find((e) => e.kind === 'expired' && e.id === ghost)!.at;
    expect(expiredAt - seenAt).toBeGreaterThanOrEqual(1_290);
  });

  it('a forgotten peer counts as new on its next announce; only an announce gets a reply', async () => {
    const port = randomUdpPort();
    const a = await service('Alice', port);
    const send = await rawPeer();
    const raw = 'c'.repeat(64);
    send(announce(raw, 'Raw', 'reply'), port);
    await waitUntil(() => a.saw('seen', raw) === 1, { what: 'the raw peer seen' });
    a.s.forget(raw);
    expect(a.s.knownCount).toBe(0);
    send(announce(raw), port);
    await waitUntil(() => a.saw('seen', raw) === 2, { what: 'the raw peer seen again' });
    await waitUntil(() => send.received.length > 0, { what: "Alice's reply" });
    // Alice's socket answers in order: had the first packet (a reply) been answered, that answer came first.
    send(announce(raw), port);
    await waitUntil(() => a.saw('heard', raw) === 1, { what: 'the known peer heard' });
    expect(send.received.map((d) => decodeAnnounce(d))).toEqual([
      { ok: true, packet: { kind: 'reply', v: 3, id: a.id, name: 'Alice', platform: 'linux', port: 4242 } },
    ]);
  });

  it('ignores packets carrying its own id, and counts and reports dropped packets (one line per 10 s)', async () => {
    const port = randomUdpPort();
    const a = await service('Alice', port);
    const send = await rawPeer('127.0.0.3');
    send(announce(a.id, 'Impostor'), port);
    send(Buffer.from('FERRY1 {"kind":'), port);
    send(Buffer.from('hello'), port);
    send(Buffer.alloc(2000, 1), port);
    const sentinel = 'b'.repeat(64);
    send(announce(sentinel), port);
    await waitUntil(() => a.saw('seen', sentinel) === 1, { what: 'the sentinel seen' });
    expect(a.events.filter((e) => e.id === a.id)).toEqual([]);
    expect(a.s.dropped).toEqual({ oversized: 1, foreign: 1, malformed: 1, rate: 0, 'table-full': 0 });
    expect(a.logs).toEqual([
      {
        code: 'DISCOVERY_DROPPED',
        message:
          'dropped 1 discovery packet(s) since the last report (latest from 127.0.0.3: malformed); totals {"oversized":0,"foreign":0,"malformed":1,"rate":0,"table-full":0}',
      },
    ]);
    // A flood from one address: the first 40 pass (the burst), the rest are dropped.
    for (let i = 0; i < 100; i++) send(announce(i.toString(16).padStart(64, '0')), port);
    const second = 'a'.repeat(64);
    (await rawPeer('127.0.0.4'))(announce(second), port);
    await waitUntil(() => a.saw('seen', second) === 1 && a.s.dropped.rate > 0, { what: 'the flood handled' });
    expect(a.s.knownCount).toBeLessThanOrEqual(42);
    expect(a.logs).toHaveLength(1);
  });

  it('refuses to start when its port is taken by a program that does not share it', async () => {
    const port = randomUdpPort();
    const holder = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    sockets.push(holder);
    await new Promise<void>((r) => holder.bind(port, () => r()));
    const s = new DiscoveryService({
      port,
      interfaces: ['127.0.0.1'],
      self: () => ({ id: 'f'.repeat(64), name: 'X', platform: 'linux', port: 1 }),
      protocolVersion: 1,
      log: () => {},
    });
    await expect(s.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('uses the well-known port and group unless told otherwise', () => {
    const s = new DiscoveryService({
      self: () => ({ id: 'f'.repeat(64), name: 'X', platform: 'linux', port: 1 }),
      protocolVersion: 1,
      log: () => {},
    });
    expect(s.port).toBe(DISCOVERY_PORT);
    expect(s.group).toBe(DISCOVERY_GROUP);
    expect([DISCOVERY_PORT, DISCOVERY_GROUP]).toEqual([47821, '239.255.78.21']);
  });
});

describe('LAN discovery', () => {
  it('finds two and three nodes without adding anyone by hand', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.peerId));
    await b.waitFor('peerUpdated', online(b, a.node.peerId));
    const c = await startNode('Carol', discoveryOn(port));
    await c.waitFor('peerUpdated', online(c, a.node.peerId));
    await c.waitFor('peerUpdated', online(c, b.node.peerId));
    await a.waitFor('peerUpdated', online(a, c.node.peerId));
    expect((await a.node.listPeers()).map((p) => p.name).sort()).toEqual(['Bob', 'Carol']);
    // Discovered peers chat like any other.
    const sent = await c.node.sendMessage(`direct:${a.node.peerId}`, 'found you');
    await c.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
  });

  it('marks a peer offline when it stops and online again when it comes back', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    const bobId = b.node.peerId;
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
    // The wire carries the fingerprint; the engine names the peer `ferry:<fingerprint>`.
    await a.waitFor('notice', (n) => n.code === 'PEER_DISCOVERED' && n.peerId === `ferry:${id}`);
    await a.waitFor('notice', (n) => n.code === 'PEER_EXPIRED' && n.peerId === `ferry:${id}`, 5_000);
    fake.close();
    // A claim alone never becomes a peer: nothing answered on its TCP port.
    expect((await a.node.listPeers()).find((p) => p.id === `ferry:${id}`)).toBeUndefined();
  });

  it('refuses a spoofed announcement (right name, wrong fingerprint) and keeps the real peer', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const bob = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, bob.node.peerId));
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
    const refused = await a.waitFor('notice', (n) => n.code === 'PEER_ID_MISMATCH' && n.peerId === `ferry:${victimId}`);
    expect(refused.message).toMatch(/announcement .* ignored/);
    spoof.close();
    const peers = await a.node.listPeers();
    expect(peers.map((p) => p.id)).toEqual([bob.node.peerId]);
    expect(peers[0]).toMatchObject({ online: true, certChanged: false });
  });

  it('drops malformed, oversized and flooding packets with bounded memory and a clear log line', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.peerId));
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
          service: {
            dropped: Record<'rate' | 'malformed' | 'oversized' | 'foreign', number>;
            knownCount: number;
            on(event: 'seen', listener: (s: { id: string }) => void): void;
          };
        };
      }
    ).discovery.service;
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
    const sent = await a.node.sendMessage(`direct:${b.node.peerId}`, 'still fine');
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
  });

  it('turns discovery off and on at run time, with the same port and interfaces', async () => {
    const port = randomUdpPort();
    const a = await startNode('Alice', discoveryOn(port));
    const b = await startNode('Bob', discoveryOn(port));
    await a.waitFor('peerUpdated', online(a, b.node.peerId));
    await a.node.updateSettings({ discovery: false });
    // Alice no longer listens or answers (her link to Bob stays). Carol announces; Bob answers at
    // once and then announces every ~300 ms. Once Carol has heard Bob three times, an Alice still
    // on would long have answered Carol too.
    const c = await startNode('Carol', discoveryOn(port));
    type Emitter = { on(e: 'seen' | 'heard', l: (s: { id: string }) => void): void };
    const carolDiscovery = (c.node as unknown as { discovery: { service: Emitter } }).discovery.service;
    const carolSaw: string[] = [];
    let bobHeard = 0;
    carolDiscovery.on('seen', (s) => carolSaw.push(s.id));
    carolDiscovery.on('heard', (s) => {
      if (s.id === b.node.identity.id) bobHeard++; // the service speaks the wire's fingerprints
    });
    await waitUntil(() => bobHeard >= 3, { what: 'Carol hears Bob three times' });
    expect(carolSaw).not.toContain(a.node.identity.id);
    expect((await a.node.listPeers()).map((p) => p.id)).not.toContain(c.node.peerId);
    expect((await a.node.getSettings()).discovery).toBe(false);

    await a.node.updateSettings({ discovery: true });
    await a.waitFor('peerUpdated', online(a, c.node.peerId));
    await c.waitFor('peerUpdated', online(c, a.node.peerId));
  });
});
