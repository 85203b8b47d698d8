/**
 * Two ends of one real TLS connection on 127.0.0.1, for tests of what runs on a
 * socket (FramedConnection, DataChannel) without a whole node around it.
 */
import tls, { type TLSSocket } from 'node:tls';
import {
  encodeFrame,
  FrameDecoder,
  type FrameRegistry,
  type RawHeader,
} from '../../electron/core/protocol/frame-codec';
import { testIdentity } from './raw-peer';

export interface TlsPair {
  /** The accepted (server-side) socket. */
  server: TLSSocket;
  /** The connecting (client-side) socket. */
  client: TLSSocket;
  /** Destroys both sockets and stops listening. */
  close(): Promise<void>;
}

export async function tlsPair(): Promise<TlsPair> {
  const id = await testIdentity();
  const listener = tls.createServer({ key: id.keyPem, cert: id.certPem, minVersion: 'TLSv1.3' });
  const accepted = new Promise<TLSSocket>((resolve) => listener.once('secureConnection', resolve));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  const client = tls.connect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.3',
  });
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', () => {
      client.off('error', reject); // leave the socket without 'error' handlers, as a dialer's is
      resolve();
    });
    client.once('error', reject);
  });
  const server = await accepted;
  return {
    server,
    client,
    close: async () => {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/** A hand-driven end of a pair: writes any bytes, records the frames it reads and whether it was closed. */
export interface RawEnd {
  frames: RawHeader[];
  bodies: (Buffer | null)[];
  /** The decoding error, if the bytes received stopped being valid frames. */
  broken: Error | null;
  send(header: RawHeader, body?: Uint8Array): void;
  /** True once the other side ended (FIN) or the socket closed. */
  ended: () => boolean;
}

export function rawEnd<H extends RawHeader>(socket: TLSSocket, registry: FrameRegistry<H>): RawEnd {
  const decoder = new FrameDecoder(registry);
  let ended = false;
  const end: RawEnd = {
    frames: [],
    bodies: [],
    broken: null,
    send: (header, body) => socket.write(encodeFrame(header, body)),
    ended: () => ended,
  };
  socket.on('error', () => {});
  socket.on('end', () => (ended = true));
  socket.on('close', () => (ended = true));
  socket.on('data', (chunk: Buffer) => {
    if (end.broken) return;
    try {
      for (const frame of decoder.push(chunk)) {
        end.frames.push(frame.header);
        end.bodies.push(frame.body);
      }
    } catch (err) {
      end.broken = err as Error;
    }
  });
  return end;
}
