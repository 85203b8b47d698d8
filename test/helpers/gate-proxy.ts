/**
 * A TCP proxy on 127.0.0.1 that forwards to a target port and, once a connection
 * has uploaded `holdAfterBytes`, stops forwarding it (without closing it) until
 * the test releases or cuts it: what the client sends meanwhile is kept (like a
 * stalled network's buffers), and the client closing still closes the other side.
 * It makes "mid-transfer" a state a test can wait for instead of a race against
 * a fast loopback.
 */
import net from 'node:net';
import { afterEach } from 'vitest';

export interface GateProxy {
  port: number;
  /** Resolves when the first connection is held. */
  held: Promise<void>;
  /** Forward everything from now on (held connections continue where they stopped). */
  release(): void;
  /** Closes every held connection abruptly (a dropped network). */
  cutHeld(): void;
  close(): Promise<void>;
}

const open = new Set<GateProxy>();
afterEach(async () => {
  await Promise.all([...open].map((p) => p.close()));
  open.clear();
});

export async function gateProxy(targetPort: number, opts: { holdAfterBytes: number }): Promise<GateProxy> {
  let gating = true;
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const sockets = new Set<net.Socket>();
  const heldPairs = new Set<{ client: net.Socket; upstream: net.Socket; resume: () => void }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = 0;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    let backlog: Buffer[] = [];
    const pair = {
      client,
      upstream,
      resume: () => {
        for (const chunk of backlog) upstream.write(chunk);
        backlog = [];
        heldPairs.delete(pair);
      },
    };
    client.on('data', (chunk: Buffer) => {
      if (heldPairs.has(pair)) {
        backlog.push(chunk);
        return;
      }
      if (gating && seen + chunk.byteLength > opts.holdAfterBytes) {
        const room = Math.max(0, opts.holdAfterBytes - seen);
        upstream.write(chunk.subarray(0, room));
        backlog.push(chunk.subarray(room));
        seen += chunk.byteLength;
        heldPairs.add(pair);
        onHeld();
        return;
      }
      seen += chunk.byteLength;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        sockets.delete(s);
        heldPairs.delete(pair);
        kill();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: GateProxy = {
    port: (server.address() as net.AddressInfo).port,
    held,
    release() {
      gating = false;
      for (const p of [...heldPairs]) p.resume();
    },
    cutHeld() {
      for (const p of [...heldPairs]) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  open.add(proxy);
  return proxy;
}
