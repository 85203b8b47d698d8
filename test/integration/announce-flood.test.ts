/**
 * Spoofed announcements with fresh ids from 16 loopback addresses (UDP on
 * 127.0.0.0/8 only), each claiming a tarpit that accepts TCP and never answers:
 * a real engine dials at most a fixed budget of them at once, queues a bounded
 * number, drops the rest, and pushes a bounded number of notices.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAnnounce } from '../../electron/core/discovery/announce-packet';
import { startNode } from '../helpers/nodes';
import { until } from '../helpers/raw-peer';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

const SOURCES = Array.from({ length: 16 }, (_, i) => `127.0.0.${20 + i}`);

/** TCP servers on every source address, one port: they accept and say nothing. */
async function tarpit(): Promise<{ port: number; open: () => number; max: () => number }> {
  let open = 0;
  let max = 0;
  const held: net.Socket[] = [];
  const onConn = (s: net.Socket) => {
    held.push(s);
    open++;
    max = Math.max(max, open);
    s.on('error', () => {});
    s.once('close', () => open--);
  };
  const first = net.createServer(onConn);
  await new Promise<void>((r) => first.listen(0, SOURCES[0], () => r()));
  const port = (first.address() as net.AddressInfo).port;
  const servers = [first];
  for (const host of SOURCES.slice(1)) {
    const s = net.createServer(onConn);
    await new Promise<void>((r) => s.listen(port, host, () => r()));
    servers.push(s);
  }
  cleanup.push(() => {
    for (const s of held) s.destroy();
    for (const s of servers) s.close();
  });
  return { port, open: () => open, max: () => max };
}

async function senders(): Promise<dgram.Socket[]> {
  const out: dgram.Socket[] = [];
  for (const host of SOURCES) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    out.push(s);
  }
  cleanup.push(() => out.forEach((s) => s.close()));
  return out;
}

describe('announcement flood', () => {
  it('dials spoofed claims through a bounded budget and queue, with bounded notices', async () => {
    const discoveryPort = 20_000 + Math.floor(Math.random() * 40_000);
    const bob = await startNode('Bob', {
      discovery: true,
      discoveryOptions: {
        port: discoveryPort,
        interfaces: ['127.0.0.1'],
        announceIntervalMs: 60_000,
        expiryMs: 120_000,
      },
    });
    const pit = await tarpit();
    const udp = await senders();
    let sent = 0;
    for (let round = 0; round < 30; round++) {
      for (const s of udp) {
        const id = randomBytes(32).toString('hex');
        s.send(
          encodeAnnounce({ kind: 'announce', v: 1, id, name: `fake ${sent}`, platform: 'x', port: pit.port }),
          discoveryPort,
          '127.0.0.1',
        );
        sent++;
      }
      await new Promise((r) => setImmediate(r));
    }
    // Processed: the queue filled and claims were dropped for lack of room.
    await until(() => bob.node.announceDialing.dropped > 0, 20_000, 'claims dropped past the queue');
    await until(() => pit.open() >= 4, 10_000, 'the dial budget in use');
    const stats = bob.node.announceDialing;
    expect(stats.active).toBeLessThanOrEqual(4);
    expect(stats.queued).toBeLessThanOrEqual(64);
    expect(pit.max()).toBeLessThanOrEqual(4);
    const notices = bob.events.filter((e) => e.name === 'notice').length;
    expect(notices).toBeLessThan(60);
  }, 60_000);
});
