/**
 * A raw IP Messenger peer for tests: a UDP socket on a loopback address that sends
 * packets built byte by byte (the way FeiQ, IP Messenger or iptux would) and keeps
 * every packet it receives. Loopback only: nothing leaves the machine.
 */
import dgram from 'node:dgram';
import { parsePacket, type IpmsgPacket } from '../../electron/core/ipmsg/ipmsg-packet';
import { waitForValue } from './wait';

export interface Received extends IpmsgPacket {
  mode: number;
  from: string;
}

export interface RawIpmsgPeer {
  ip: string;
  port: number;
  received: Received[];
  /** Sends `version:packetNo:user:host:command:` + extra (+ NUL-separated sections), as raw bytes. */
  send(command: number, extra?: Buffer | string, options?: SendOptions): number;
  sendRaw(datagram: Buffer): void;
  waitFor(match: (p: Received) => boolean, what: string, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

export interface SendOptions {
  sections?: (Buffer | string)[];
  packetNo?: number;
  version?: string;
  user?: Buffer | string;
  host?: Buffer | string;
  /** Where to (default the Ferry under test). */
  to?: { ip: string; port: number };
}

/** A free UDP port on 127.0.0.1 (the tests' stand-in for the fixed 2425). */
export async function freeUdpPort(): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function rawIpmsgPeer(
  ip: string,
  port: number,
  ferry: { ip: string; port: number },
  defaults: { version?: string; user?: string; host?: string } = {},
): Promise<RawIpmsgPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(port, ip, resolve));
  const received: Received[] = [];
  socket.on('message', (datagram, rinfo) => {
    try {
      const p = parsePacket(datagram);
      received.push({ ...p, mode: p.command & 0xff, from: rinfo.address });
    } catch {
      // a test peer keeps only what parses; the tests look at what Ferry sent
    }
  });
  let next = 1;
  const bytes = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
  return {
    ip,
    port,
    received,
    send(command, extra = '', options = {}) {
      const packetNo = options.packetNo ?? next++;
      const parts = [
        Buffer.from(`${options.version ?? defaults.version ?? '1'}:${packetNo}:`, 'latin1'),
        bytes(options.user ?? defaults.user ?? 'tester'),
        Buffer.from(':'),
        bytes(options.host ?? defaults.host ?? 'testhost'),
        Buffer.from(`:${command >>> 0}:`, 'latin1'),
        bytes(extra),
        Buffer.from([0]),
      ];
      for (const s of options.sections ?? []) parts.push(bytes(s), Buffer.from([0]));
      const to = options.to ?? ferry;
      socket.send(Buffer.concat(parts), to.port, to.ip);
      return packetNo;
    },
    sendRaw(datagram) {
      socket.send(datagram, ferry.port, ferry.ip);
    },
    waitFor(match, what, timeoutMs = 5_000) {
      return waitForValue(() => received.find(match), { timeoutMs, what });
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
