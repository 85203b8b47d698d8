/**
 * A TCP proxy on 127.0.0.1 that forwards to a target port and cuts connections
 * after a random number of bytes (TLS records and all), to prove resume.
 */
import net from 'node:net';
import { afterEach } from 'vitest';

export interface CuttingProxy {
  port: number;
  /** How many connections it cut. */
  cuts: () => number;
  /** Bytes forwarded client → target, all connections together. */
  forwarded: () => number;
  /** Stop cutting (let the transfer finish). */
  stopCutting(): void;
  close(): Promise<void>;
}

const open = new Set<CuttingProxy>();
afterEach(async () => {
  await Promise.all([...open].map((p) => p.close()));
  open.clear();
});

/**
 * Connections that carry fewer than `minBytes` (the control link) are never cut;
 * the others are cut at a random byte offset in [minBytes, maxBytes] of their upload.
 */
export async function cuttingProxy(
  targetPort: number,
  opts: { minBytes: number; maxBytes: number; maxCuts: number },
): Promise<CuttingProxy> {
  let cuts = 0;
  let forwarded = 0;
  let cutting = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const cutAt = opts.minBytes + Math.floor(Math.random() * (opts.maxBytes - opts.minBytes));
    let seen = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (cutting && cuts < opts.maxCuts && seen + chunk.byteLength > cutAt) {
        // Forward up to the cut point exactly, then drop both sides mid-record.
        const head = chunk.subarray(0, cutAt - seen);
        forwarded += head.byteLength;
        cuts++;
        upstream.write(head, cut);
        seen = cutAt;
        client.pause();
        return;
      }
      seen += chunk.byteLength;
      forwarded += chunk.byteLength;
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
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: CuttingProxy = {
    port: (server.address() as net.AddressInfo).port,
    cuts: () => cuts,
    forwarded: () => forwarded,
    stopCutting: () => (cutting = false),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  open.add(proxy);
  return proxy;
}
