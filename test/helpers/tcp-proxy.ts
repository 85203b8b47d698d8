/**
 * The skeleton every test proxy shares: listen on 127.0.0.1, dial the target for
 * each client, carry target → client with backpressure, propagate ends, and tear
 * both sides down when either fails or closes. Each proxy decides only what
 * happens to the client's bytes (cut them, hold them, throttle them).
 */
import net from 'node:net';
import { afterEach } from 'vitest';

export interface ProxyLink {
  client: net.Socket;
  upstream: net.Socket;
  /** Closes both sides at once (a dropped network). */
  kill(): void;
  /** Writes to the target, pausing the client until the target drains. */
  forward(chunk: Buffer): void;
}

export interface TcpProxy {
  port: number;
  /** Every socket still open, both sides. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

const open = new Set<TcpProxy>();
afterEach(async () => {
  await Promise.all([...open].map((p) => p.close()));
  open.clear();
});

/**
 * Starts a proxy to `targetPort`. `onClient` is called for each connection and must
 * handle the client's 'data' (usually through `link.forward`); return false to refuse it.
 */
export async function tcpProxy(targetPort: number, onClient: (link: ProxyLink) => void | false): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    const link: ProxyLink = {
      client,
      upstream,
      kill,
      forward(chunk) {
        if (!upstream.write(chunk)) {
          client.pause();
          upstream.once('drain', () => client.resume());
        }
      },
    };
    if (onClient(link) === false) return kill();
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
        kill();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  open.add(proxy);
  return proxy;
}
