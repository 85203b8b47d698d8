/** A hand-driven TLS client that can send anything, for bad-input tests. */
import tls, { type TLSSocket } from 'node:tls';
import { ferryPeerId } from '../../shared/peer-id';
import { createIdentity, type DeviceIdentity } from '../../electron/core/identity/device-identity';
import { encodeFrame, FrameDecoder, type RawHeader } from '../../electron/core/protocol/frame-codec';
import { controlFrames, PROTOCOL_VERSION } from '../../electron/core/protocol/frames';
import { DataChannel } from '../../electron/core/transfer/data-channel';
import { waitUntil } from './wait';

let cached: DeviceIdentity | null = null;
export async function testIdentity(): Promise<DeviceIdentity> {
  cached ??= await createIdentity();
  return cached;
}

export interface RawPeer {
  socket: TLSSocket;
  identity: DeviceIdentity;
  /** The peer id the engine knows this peer by (`ferry:` and its fingerprint). */
  peerId: string;
  /** Frames received so far (decoded leniently: stops at the first bad one). */
  frames: RawHeader[];
  send(header: RawHeader, body?: Buffer): void;
  hello(overrides?: Partial<RawHeader>): void;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

export async function rawPeer(port: number, identity?: DeviceIdentity): Promise<RawPeer> {
  const id = identity ?? (await testIdentity());
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    key: id.keyPem,
    cert: id.certPem,
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.3',
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const frames: RawHeader[] = [];
  const decoder = new FrameDecoder(controlFrames);
  let broken = false;
  socket.on('data', (chunk: Buffer) => {
    if (broken) return;
    try {
      frames.push(...decoder.push(chunk).map((f) => f.header as RawHeader));
    } catch {
      broken = true;
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    identity: id,
    peerId: ferryPeerId(id.id),
    frames,
    closed,
    send: (header, body) => socket.write(encodeFrame(header, body)),
    hello: (overrides = {}) =>
      socket.write(
        encodeFrame({
          type: 'hello',
          v: PROTOCOL_VERSION,
          id: id.id,
          name: 'raw',
          platform: 'test',
          port: 0,
          caps: ['chat/1', 'transfer/1'],
          purpose: 'control',
          ...overrides,
        }),
      ),
  };
}

/** Polls until `check` holds (or throws after timeoutMs). */
export function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  return waitUntil(check, { timeoutMs, what });
}

/** A raw control link: hello exchanged, ready for hand-made frames. */
export async function rawControl(
  port: number,
  identity?: DeviceIdentity,
  hello: Partial<RawHeader> = {},
): Promise<RawPeer> {
  const peer = await rawPeer(port, identity);
  peer.hello(hello);
  await until(() => peer.frames.some((f) => f.type === 'hello'), 5_000, 'hello from the node');
  return peer;
}

/**
 * A raw data connection (purpose "transfer"), handed over to a DataChannel
 * after the hello, so a test can send data frames and raw bytes in any order.
 */
export async function rawDataChannel(port: number, identity?: DeviceIdentity): Promise<DataChannel> {
  const peer = await rawPeer(port, identity);
  peer.hello({ purpose: 'transfer' });
  await until(() => peer.frames.some((f) => f.type === 'hello'), 5_000, 'hello on the data connection');
  peer.socket.removeAllListeners('data');
  return new DataChannel(peer.socket, Buffer.alloc(0));
}
