/**
 * One end of a baseline pipe, run as its own process: the receiver listens and
 * counts (optionally hashing), the sender streams a file (optionally hashing).
 * Modes: tcp, tls, tls-sha256. Prints one JSON line when done.
 *   receiver: node pipe-peer.ts receive MODE            → prints {"port":…}, then {"bytes":…,"ms":…}
 *   sender:   node pipe-peer.ts send MODE PORT FILE     → prints {"bytes":…,"ms":…}
 * FILE "-" reads stdin (tar | pipe); RECEIVE_OUT=stdout in the environment makes the
 * receiver write the data to stdout (pipe | tar -x) and report on stderr instead.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createIdentity } from '../electron/core/identity/device-identity';

type Mode = 'tcp' | 'tls' | 'tls-sha256' | 'tls-sha256-disk';
const [role, mode, portArg, file] = process.argv.slice(2) as ['send' | 'receive', Mode, string?, string?];

async function main(): Promise<void> {
  const identity = await createIdentity();
  const tlsOptions = {
    key: identity.keyPem,
    cert: identity.certPem,
    minVersion: 'TLSv1.3' as const,
    rejectUnauthorized: false,
  };
  const hashing = mode.startsWith('tls-sha256');
  const toDisk = mode === 'tls-sha256-disk';
  if (role === 'receive') {
    const onSocket = (socket: net.Socket) => {
      const started = process.hrtime.bigint();
      const hash = hashing ? createHash('sha256') : null;
      let bytes = 0;
      const toStdout = process.env.RECEIVE_OUT === 'stdout';
      // The limit for a file transfer: also write what arrives to a file, like a receiver must.
      const sink = toStdout
        ? process.stdout
        : toDisk
          ? createWriteStream(path.join(os.tmpdir(), `ferry-bench-sink-${process.pid}`), {
              highWaterMark: 4 * 1024 * 1024,
            })
          : null;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash?.update(chunk);
        if (sink && !sink.write(chunk)) {
          socket.pause();
          sink.once('drain', () => socket.resume());
        }
      });
      socket.on('end', () => {
        if (toDisk) {
          (sink as WriteStream).end(() => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            rmSync((sink as WriteStream).path as string, { force: true });
            process.stdout.write(
              `${JSON.stringify({ bytes, ms, sha256: hash?.digest('hex') ?? null, rssMax: process.resourceUsage().maxRSS })}\n`,
            );
            process.exit(0);
          });
          return;
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const report = `${JSON.stringify({ bytes, ms, sha256: hash?.digest('hex') ?? null, rssMax: process.resourceUsage().maxRSS })}\n`;
        const finish = () => (toStdout ? process.stderr.write(report) : process.stdout.write(report), process.exit(0));
        if (toStdout) process.stdout.end(finish);
        else finish();
      });
    };
    const server =
      mode === 'tcp' ? net.createServer(onSocket) : tls.createServer({ ...tlsOptions, requestCert: true }, onSocket);
    const announce = process.env.RECEIVE_OUT === 'stdout' ? process.stderr : process.stdout;
    server.listen(0, '127.0.0.1', () =>
      announce.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`),
    );
    return;
  }
  const port = Number(portArg);
  const socket: net.Socket = await new Promise((resolve, reject) => {
    const s =
      mode === 'tcp'
        ? net.connect(port, '127.0.0.1', () => resolve(s))
        : tls.connect({ ...tlsOptions, host: '127.0.0.1', port, checkServerIdentity: () => undefined }, () =>
            resolve(s),
          );
    s.on('error', reject);
  });
  const hash = hashing ? createHash('sha256') : null;
  const started = process.hrtime.bigint();
  let bytes = 0;
  const source = file === '-' ? process.stdin : createReadStream(file!, { highWaterMark: 1024 * 1024 });
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash?.update(chunk);
  });
  await pipeline(source, socket as unknown as Writable);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(
    `${JSON.stringify({ bytes, ms, sha256: hash?.digest('hex') ?? null, rssMax: process.resourceUsage().maxRSS })}\n`,
  );
}

void main();
