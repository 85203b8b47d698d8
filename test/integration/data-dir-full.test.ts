/**
 * The data folder on a real, small tmpfs (needs root; skipped with the reason
 * otherwise). When SQLite can't write (the disk is full), the frame that needed
 * storing is refused unacknowledged, the user gets DATA_DIR_FULL, the engine
 * keeps serving, and the sender's retry lands once space is back.
 */
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { until } from '../helpers/raw-peer';
import { fillDisk, freeDisk, tmpfs, tmpfsUnavailable } from '../helpers/tmpfs';

const skipReason = tmpfsUnavailable();

describe.skipIf(skipReason !== null)(
  `data folder on a full disk${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('a message SQLite cannot store is not acked, the user is told, the engine serves on, and the retry lands later', async () => {
      const dataDir = await tmpfs('8m');
      // No free-space floor: this test proves the path where SQLite itself fails.
      const bob = await startNode('Bob', { dataDir, minFreeBytes: 0 });
      const alice = await startNode('Alice');
      const bobPeer = await alice.node.addPeer(bob.address);
      const aliceId = (await alice.node.getSelf()).id;
      await bob.waitFor('peerUpdated', (p) => p.id === aliceId && p.online);

      const filler = fillDisk(dataDir);
      const sent = await alice.node.sendMessage(`direct:${bobPeer.id}`, 'x'.repeat(60_000));
      const notice = await bob.waitFor('notice', (n) => n.code === 'DATA_DIR_FULL' || n.code === 'DATABASE_ERROR');
      expect(notice.code).toBe('DATA_DIR_FULL');
      expect(notice.peerId).toBe(aliceId);
      // Alice heard why, without Bob's local paths.
      const told = await alice.waitFor('notice', (n) => n.code === 'DATA_DIR_FULL');
      expect(told.message).not.toContain(dataDir);
      // Not acked: Alice still owes it.
      expect(
        (await alice.node.listMessages(`direct:${bobPeer.id}`)).messages.find((m) => m.id === sent.id)?.state,
      ).toBe('sent');

      // Bob still serves: a third peer connects and reads Bob's self description.
      const carol = await startNode('Carol');
      await carol.node.addPeer(bob.address);
      expect((await bob.node.getSelf()).name).toBe('Bob');

      // Space back: Alice's redial re-sends the message and Bob stores it once.
      await freeDisk(filler);
      await bob.waitFor('messageAdded', (m) => m.id === sent.id, 40_000);
      await alice.waitFor('messageUpdated', (m) => m.id === sent.id && m.state === 'delivered', 10_000);
      await until(
        () => bob.events.filter((e) => e.name === 'messageAdded').length === 1,
        1_000,
        'exactly one stored copy',
      );
    }, 60_000);

    it('below the free-space floor incoming messages are refused with DATA_DIR_FULL before SQLite is asked', async () => {
      const dataDir = await tmpfs('16m');
      const bob = await startNode('Bob', { dataDir, minFreeBytes: 32 * 1024 * 1024 });
      const alice = await startNode('Alice');
      const bobPeer = await alice.node.addPeer(bob.address);
      const sent = await alice.node.sendMessage(`direct:${bobPeer.id}`, 'hello over the floor');
      const notice = await bob.waitFor('notice', (n) => n.code === 'DATA_DIR_FULL');
      expect(notice.message).toMatch(/MiB are free/);
      expect(bob.events.some((e) => e.name === 'messageAdded')).toBe(false);
      expect(
        (await alice.node.listMessages(`direct:${bobPeer.id}`)).messages.find((m) => m.id === sent.id)?.state,
      ).toBe('sent');
    }, 30_000);
  },
);
