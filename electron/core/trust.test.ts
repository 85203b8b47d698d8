import { describe, expect, it } from 'vitest';
import { runFerry } from '../../test/helpers/cli-process';
import { startNode, stopNode } from '../../test/helpers/nodes';

describe('trust', () => {
  it('shows the same verification code on both sides and remembers "verified"', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    await b.waitFor('peerUpdated', (p) => p.id === a.node.peerId);
    const codeA = await a.node.getVerificationCode(bob.id);
    const codeB = await b.node.getVerificationCode(a.node.peerId);
    expect(codeA).toBe(codeB);
    expect(codeA).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect((await a.node.setPeerVerified(bob.id, true)).verified).toBe(true);
    expect((await a.node.listPeers())[0]!.verified).toBe(true);
  });

  it('renames a peer locally and restores its own name', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    expect(await a.node.renamePeer(bob.id, '会计部 Bob')).toMatchObject({
      name: '会计部 Bob',
      announcedName: 'Bob',
      alias: '会计部 Bob',
    });
    expect(await a.node.renamePeer(bob.id, null)).toMatchObject({ name: 'Bob', alias: null });
  });

  it('blocks a peer: drops its link, refuses it, and unblocking lets it back', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    await a.node.setPeerBlocked(bob.id, true);
    await a.waitFor('peerUpdated', (p) => p.id === bob.id && p.blocked && !p.online);
    // The blocked side sees an offline device, never a PEER_BLOCKED (issue 17 item 7).
    await expect(b.node.addPeer(a.address)).rejects.toMatchObject({ code: 'PEER_GONE' });
    await expect(a.node.sendMessage(`direct:${bob.id}`, 'hi')).rejects.toMatchObject({ code: 'PEER_BLOCKED' });
    await a.node.setPeerBlocked(bob.id, false);
    await b.node.addPeer(a.address);
    await a.waitFor('peerUpdated', (p) => p.id === bob.id && !p.blocked && p.online);
  });

  it('forgets a peer: gone from the list, history kept, back when it returns', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const sent = await a.node.sendMessage(`direct:${bob.id}`, 'remember me');
    await a.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered');
    await a.node.forgetPeer(bob.id);
    await a.waitFor('peerRemoved', (p) => p.id === bob.id);
    expect(await a.node.listPeers()).toEqual([]);
    await expect(a.node.getVerificationCode(bob.id)).rejects.toMatchObject({ code: 'PEER_UNKNOWN' });
    await b.node.addPeer(a.address);
    await a.waitFor('peerUpdated', (p) => p.id === bob.id && p.online);
    expect((await a.node.listMessages(`direct:${bob.id}`)).messages.map((m) => m.text)).toEqual(['remember me']);
  });

  it('marks a pinned peer whose address now answers with another certificate', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    const bob = await a.node.addPeer(b.address);
    const port = b.node.listeningPort;
    await stopNode(b);
    await startNode('Bob', { port });
    const flagged = await a.waitFor('peerUpdated', (p) => p.id === bob.id && p.certChanged, 15_000);
    expect(flagged.online).toBe(false);
  });

  it('lists known peers with `ferry peers` (table and JSON)', async () => {
    const a = await startNode('Alice');
    const b = await startNode('小明');
    await a.node.addPeer(b.address);
    await a.node.setPeerVerified(b.node.peerId, true);
    await stopNode(a);
    const table = await runFerry(['peers', '--data-dir', a.dataDir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+ID\s+PLATFORM/);
    expect(table.stdout).toContain('小明');
    expect(table.stdout).toContain('verified, added by hand');
    const json = await runFerry(['peers', '--data-dir', a.dataDir, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: b.node.peerId, name: '小明', verified: true }),
    ]);
  });
});
