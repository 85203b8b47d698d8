/**
 * The TCP half of a raw IP Messenger peer, on a loopback address: a server that
 * answers Ferry's GETFILEDATA / GETDIRFILES with whatever bytes a test scripts
 * (honest or hostile), and a client that fetches from Ferry's server from a chosen
 * source address. Loopback only: nothing leaves the machine.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parsePacket } from '../../electron/core/ipmsg/ipmsg-packet';

export interface FileRequest {
  mode: number;
  command: number;
  /** The attach fields as sent: hex packet number, hex file id, hex offset… */
  fields: string[];
  from: string;
}

export interface RawFileServer {
  requests: FileRequest[];
  close(): Promise<void>;
}

/** Listens on ip:port; each request (one packet ending in NUL) is answered by `answer`, then the socket ends. */
export async function rawFileServer(
  ip: string,
  port: number,
  answer: (request: FileRequest) => Buffer | Buffer[],
): Promise<RawFileServer> {
  const requests: FileRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf(0);
      if (end === -1) return;
      const p = parsePacket(buffer.subarray(0, end + 1));
      const request = {
        mode: p.command & 0xff,
        command: p.command,
        fields: p.extra.toString('latin1').split(':'),
        from: (socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
      };
      requests.push(request);
      const out = answer(request);
      for (const part of Array.isArray(out) ? out : [out]) socket.write(part);
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, ip, resolve));
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends one request packet to Ferry's TCP port from `fromIp`; resolves with every byte Ferry sent before it closed. */
export function fetchFrom(
  ferry: { ip: string; port: number },
  fromIp: string,
  command: number,
  attach: string,
): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: ferry.ip, port: ferry.port, localAddress: fromIp }, () => {
      socket.write(Buffer.from(`1_iptux 0.8.3:${Date.now()}:root:vm:${command}:${attach}\0`, 'latin1'));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** One header of a folder stream: `hhhh:name:size:attr:` (hhhh counts the whole header). */
export function dirHeader(name: string, size: number, attr: number, lengthOverride?: string): Buffer {
  const rest = Buffer.from(`:${name.replaceAll(':', '::')}:${size.toString(16)}:${attr.toString(16)}:`, 'utf8');
  const length = lengthOverride ?? (4 + rest.length).toString(16).padStart(4, '0');
  return Buffer.concat([Buffer.from(length, 'latin1'), rest]);
}

/** A port free for UDP and TCP on every given loopback address (IP Messenger uses both on one port). */
export async function freeIpmsgPort(addresses: string[]): Promise<number> {
  for (;;) {
    // Below Linux's ephemeral range (32768–60999): a port the OS hands out for listen(0) and
    // for every outgoing connection of the other tests could be taken again before Ferry binds it.
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await Promise.all(
      addresses.flatMap((ip) => [
        new Promise<boolean>((resolve) => {
          const s = net.createServer();
          s.once('error', () => resolve(false));
          s.listen(port, ip, () => s.close(() => resolve(true)));
        }),
        new Promise<boolean>((resolve) => {
          const s = dgram.createSocket('udp4');
          s.once('error', () => resolve(false));
          s.bind(port, ip, () => s.close(() => resolve(true)));
        }),
      ]),
    );
    if (ok.every(Boolean)) return port;
  }
}
