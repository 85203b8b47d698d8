/**
 * A data directory written by Ferry 0.1.0 (test/fixtures/datadir-0.1.0) opens in this
 * Ferry with every peer, message (state, reply-to, unread), transfer and setting intact:
 * what the engine shows is compared with what the 0.1.0 engine showed for it.
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';
import type { FerryNode } from '../../electron/core/ferry-node';
import { ferryPeerId } from '../../shared/peer-id';

const fixture = path.resolve(import.meta.dirname, '../fixtures/datadir-0.1.0');

/**
 * Every message of a peer's direct conversation, oldest first, through the paged API, in
 * 0.1.0's shape (which had no conversation id: each must be the peer's direct conversation).
 */
async function allMessages(node: FerryNode, peerId: string) {
  const all = [];
  let before: number | undefined;
  for (;;) {
    const page = await node.listMessages(
      `direct:${peerId}`,
      before === undefined ? { limit: 500 } : { before, limit: 500 },
    );
    all.unshift(...page.messages);
    if (!page.hasMore || page.messages.length === 0) {
      expect(new Set(all.map((m) => m.conversationId))).toEqual(new Set(all.length ? [`direct:${peerId}`] : []));
      return all.map(({ conversationId: _c, ...m }) => m);
    }
    before = page.messages[0]!.seq;
  }
}

describe('upgrading a 0.1.0 data directory', () => {
  it('shows every peer, message, transfer and setting the 0.1.0 engine showed', async () => {
    const expected = JSON.parse(await readFile(path.join(fixture, 'expected.json'), 'utf8'));
    const dataDir = await tempDir('ferry-upgrade-');
    await cp(path.join(fixture, 'alice'), dataDir, { recursive: true });
    const { node } = await startNode('ignored', { dataDir, name: undefined });

    // 0.1.0 named a device by its bare certificate fingerprint; this Ferry by `ferry:<fingerprint>`.
    const asPeer = (fingerprint: string) => ferryPeerId(fingerprint);
    const withPeer = <T extends { peerId: string }>(x: T) => ({ ...x, peerId: asPeer(x.peerId) });

    const self = await node.getSelf();
    expect({ id: self.id, name: self.name }).toEqual({ ...expected.self, id: asPeer(expected.self.id) });

    // Filtered to the fixture's peers: its manual peers are redialed at their old loopback
    // ports, where another test's node may be listening now (it would show up as a new peer).
    // 0.1.0 put each peer's unread count and last message on the peer; they are the
    // conversation's summary now.
    const known = new Set(expected.peers.map((p: { id: string }) => asPeer(p.id)));
    const conversations = await node.listConversations();
    const summaryOf = (peerId: string) => conversations.find((c) => c.id === `direct:${peerId}`);
    const peers = (await node.listPeers())
      .filter((p) => known.has(p.id))
      .map(({ online: _o, lastSeen: _l, protocol, capabilities, ...p }) => ({
        // New since 0.1.0: every peer of a 0.1.0 data dir speaks Ferry, with its full abilities.
        protocol,
        files: capabilities.files && capabilities.chat && capabilities.verifiable,
        ...p,
        unread: summaryOf(p.id)?.unread ?? 0,
        lastMessage: summaryOf(p.id)?.lastMessage?.id ?? null,
      }));
    expect(peers.map((p) => [p.protocol, p.files])).toEqual(expected.peers.map(() => ['ferry', true]));
    expect(peers.map(({ protocol: _p, files: _f, ...p }) => p)).toEqual(
      expected.peers.map((p: { id: string }) => ({ ...p, id: asPeer(p.id) })),
    );
    expect(peers).toHaveLength(3);

    for (const peer of expected.peers) {
      expect(await allMessages(node, asPeer(peer.id))).toEqual(expected.messages[peer.id].map(withPeer));
    }
    const total = Object.values(expected.messages as Record<string, unknown[]>).reduce((n, m) => n + m.length, 0);
    expect(total).toBe(311);

    const transfers = (await node.listTransfers(undefined, { includeEnded: true, limit: 500 })).map(
      ({ updatedAt: _u, conversationId, ...t }) => {
        expect(conversationId).toBe(`direct:${t.peerId}`);
        return t;
      },
    );
    expect(transfers).toEqual(expected.transfers.map(withPeer));
    expect(transfers.map((t) => t.state).sort()).toEqual(['declined', 'done', 'done', 'paused']);

    // Settings added since 0.1.0 take their defaults: talking to IP Messenger users is on.
    expect(await node.getSettings()).toEqual({ ...expected.settings, ipmsg: true });
  });
});
