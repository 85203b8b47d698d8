/**
 * Many lightweight peers in one process, for the fan-out benchmark: each has its
 * own identity, dials the hub over TLS, says hello and acks every message.
 *   node --import tsx bench/light-peers.ts PORT N
 */
import tls from 'node:tls';
import { createIdentity } from '../electron/core/identity/device-identity';
import { encodeFrame, FrameDecoder } from '../electron/core/protocol/frame-codec';
import { controlFrames, PROTOCOL_VERSION } from '../electron/core/protocol/frames';

const [portArg, countArg] = process.argv.slice(2);

async function peer(port: number, index: number): Promise<void> {
  const identity = await createIdentity();
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    key: identity.keyPem,
    cert: identity.certPem,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
  const decoder = new FrameDecoder(controlFrames);
  socket.on('secureConnect', () => {
    socket.write(
      encodeFrame({
        type: 'hello',
        v: PROTOCOL_VERSION,
        id: identity.id,
        name: `peer-${index}`,
        platform: 'bench',
        port: 0,
        caps: ['chat/1'],
        purpose: 'control',
      }),
    );
  });
  socket.on('data', (chunk: Buffer) => {
    for (const { header } of decoder.push(chunk)) {
      if (header.type === 'message') socket.write(encodeFrame({ type: 'ack', id: header.id }));
      if (header.type === 'ping') socket.write(encodeFrame({ type: 'pong', ts: header.ts }));
    }
  });
  socket.on('error', (err) => process.stderr.write(`peer-${index}: ${err.message}\n`));
}

async function main(): Promise<void> {
  const port = Number(portArg);
  const count = Number(countArg);
  for (let i = 0; i < count; i++) await peer(port, i);
  process.stdout.write(`${JSON.stringify({ connected: count })}\n`);
}

void main();
