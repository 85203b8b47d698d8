/**
 * Redialing a peer that is gone: the waits between attempts grow (doubling, with
 * jitter in the upper half), and start small again after a link came up. Observed
 * from outside, as a TCP server on the peer's port that counts the attempts.
 */
import net from 'node:net';
import type { PeerDto } from '../../../shared/dto';
import { describe, expect, it } from 'vitest';
import { startNode, stopNode } from '../../../test/helpers/nodes';
import { waitUntil } from '../../../test/helpers/wait';

const MIN = 100;

/** Listens on the port, notes when each connection arrives, and drops it (a dead peer). */
async function attemptCounter(port: number): Promise<{ at: number[]; close(): Promise<void> }> {
  const at: number[] = [];
  const server = net.createServer((s) => {
    at.push(performance.now());
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { at, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const gaps = (at: number[]) => at.slice(1).map((t, i) => t - at[i]!);

describe('redial backoff', () => {
  it('waits longer after each failed attempt, and starts small again once the peer was back', async () => {
    const a = await startNode('Alice', { redialBackoffMs: { min: MIN, max: 3_200 } });
    let b = await startNode('Bob');
    const port = b.node.listeningPort;
    const bob = await a.node.addPeer(b.address);
    await stopNode(b);
    let dead = await attemptCounter(port);
    await waitUntil(() => dead.at.length >= 6, { timeoutMs: 30_000, what: 'six redial attempts' });
    // Attempt k waits at least MIN·2^k / 2 (timers never fire early; a missed first attempt only makes waits longer).
    gaps(dead.at)
      .slice(0, 5)
      .forEach((gap, i) =>
        expect(gap, `wait after attempt ${i + 1}`).toBeGreaterThanOrEqual((MIN * 2 ** (i + 1)) / 2 - 5),
      );
    await dead.close();

    const mark = a.events.length;
    b = await startNode('Bob', { dataDir: b.dataDir, port });
    await waitUntil(
      () =>
        a.events
          .slice(mark)
          .some(
            (e) => e.name === 'peerUpdated' && (e.payload as PeerDto).id === bob.id && (e.payload as PeerDto).online,
          ),
      { timeoutMs: 30_000, what: 'Alice reconnected to Bob' },
    );
    await stopNode(b);
    dead = await attemptCounter(port);
    await waitUntil(() => dead.at.length >= 2, { timeoutMs: 30_000, what: 'two redial attempts after the reset' });
    // Without the reset this wait would be at least 1,600 ms (the cap's lower half).
    expect(gaps(dead.at)[0]).toBeLessThan(1_000);
    await dead.close();
  }, 60_000);
});
