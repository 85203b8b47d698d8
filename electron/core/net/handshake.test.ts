import { describe, expect, it } from 'vitest';
import { startNode, stopNode } from '../../../test/helpers/nodes';
import { rawPeer } from '../../../test/helpers/raw-peer';
import { FerryError } from '../ferry-error';

describe('TLS handshake, hello and trust', () => {
  it('connects two nodes over TLS 1.3 and pins each other by certificate fingerprint', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const peer = await a.node.addPeer(b.address);
    expect(peer.id).toBe(b.node.peerId);
    expect(peer).toMatchObject({ name: 'Bob', online: true, manual: true });
    const seenByB = await b.waitFor('peerUpdated', (p) => p.id === a.node.peerId && p.online);
    expect(seenByB.name).toBe('Alice');
    const link = (
      a.node as unknown as { connections: { link(id: string): { conn: { socket: import('node:tls').TLSSocket } } } }
    ).connections.link(peer.id);
    expect(link.conn.socket.getProtocol()).toBe('TLSv1.3');
  });

  it('refuses a changed certificate for a known device with PEER_CERT_CHANGED', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const original = await a.node.addPeer(b.address);
    const port = b.node.listeningPort;
    await stopNode(b);
    // A different device (new identity) now answers on Bob's address.
    // A message waits for Bob; it must never reach whoever answers on his address.
    const waiting = await a.node.sendMessage(`direct:${original.id}`, 'for Bob only');
    const impostor = await startNode('Bob', { port });
    const refused = await a.waitFor('notice', (n) => n.code === 'PEER_CERT_CHANGED', 15_000);
    expect(refused.peerId).toBe(original.id);
    // The impostor saw Alice's dial fail at the hello: nothing after it could have been sent.
    await impostor.waitFor(
      'notice',
      (n) => n.code === 'PEER_CERT_CHANGED' || n.code === 'PEER_ID_MISMATCH' || n.level === 'warn',
    );
    expect(impostor.events.some((e) => e.name === 'messageAdded')).toBe(false);
    expect((await a.node.listMessages(`direct:${original.id}`)).messages.find((m) => m.id === waiting.id)?.state).toBe(
      'queued',
    );
    const peers = await a.node.listPeers();
    expect(peers.find((p) => p.id === original.id)?.online).toBe(false);
  });

  it('refuses a hello whose id is not the certificate fingerprint', async () => {
    const a = await startNode('Alice');
    const raw = await rawPeer(a.node.listeningPort);
    raw.hello({ id: 'b'.repeat(64) });
    await raw.closed;
    expect(raw.frames.find((f) => f.type === 'error')).toMatchObject({ code: 'PEER_ID_MISMATCH' });
    await a.waitFor('notice', (n) => n.code === 'PEER_ID_MISMATCH');
  });

  it('refuses another protocol version with a clear error on both sides', async () => {
    const a = await startNode('Alice');
    const raw = await rawPeer(a.node.listeningPort);
    raw.hello({ v: 99 });
    await raw.closed;
    const error = raw.frames.find((f) => f.type === 'error');
    expect(error).toMatchObject({ code: 'PROTOCOL_VERSION' });
    expect(String(error?.message)).toMatch(/protocol 99.*speaks 1/);
  });

  it('refuses to connect to itself', async () => {
    const a = await startNode('Alice');
    await expect(a.node.addPeer(a.address)).rejects.toMatchObject({ code: 'SELF_CONNECTION' });
  });

  it('explains an address where nothing listens', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const port = b.node.listeningPort;
    await stopNode(b);
    const err = await a.node.addPeer(`127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect(err).toMatchObject({ code: 'PEER_UNREACHABLE' });
    expect((err as Error).message).toMatch(/nothing is listening/);
  });

  it('rejects malformed addresses', async () => {
    const a = await startNode('Alice');
    for (const bad of ['127.0.0.1:0', '127.0.0.1:99999', 'host name with spaces', '127.0.0.1:abc']) {
      await expect(a.node.addPeer(bad)).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
    }
  });

  it('keeps exactly one connection when both sides dial at once', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    await Promise.allSettled([a.node.addPeer(b.address), b.node.addPeer(a.address)]);
    // Messages both ways, acked: both sides have settled on the link that carries them.
    const fromB = await b.node.sendMessage(`direct:${a.node.peerId}`, 'settled?');
    await b.waitFor('messageUpdated', (m) => m.id === fromB.id && m.state === 'delivered');
    const linksOf = (n: typeof a) =>
      (n.node as unknown as { connections: { connectedIds(): string[] } }).connections.connectedIds();
    expect(linksOf(a)).toEqual([b.node.peerId]);
    expect(linksOf(b)).toEqual([a.node.peerId]);
    const sent = await a.node.sendMessage(`direct:${b.node.peerId}`, 'still one link');
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
  });

  it('refuses a blocked peer', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    await b.node.addPeer(a.address);
    await a.node.setPeerBlocked(b.node.peerId, true);
    await b.waitFor('notice', (n) => n.code === 'PEER_DISCONNECTED' || n.code === 'PEER_BLOCKED');
    // Closed on like an offline device: the blocked peer is not told why (issue 17 item 7).
    await expect(b.node.addPeer(a.address)).rejects.toMatchObject({ code: 'PEER_GONE' });
  });
});
