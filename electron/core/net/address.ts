import net from 'node:net';
import { FerryError } from '../ferry-error';

/** TCP port Ferry listens on unless told otherwise (docs/PROTOCOL.md). */
export const DEFAULT_PORT = 47820;

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `IP`, `IP:port`, `[v6]:port`, `hostname` or `hostname:port`. */
export function parseAddress(input: string, defaultPort = DEFAULT_PORT): HostPort {
  const text = input.trim();
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (net.isIPv6(text)) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon !== -1) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (!host || !/^[\w.:%-]+$/u.test(host) || host.length > 253) {
    throw new FerryError('BAD_ADDRESS', `"${input}" is not an IP address or host name`);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!/^\d+$/.test(portText ?? '0') || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new FerryError('BAD_ADDRESS', `"${portText}" is not a port number (1–65535)`);
  }
  return { host, port };
}

export function formatAddress({ host, port }: HostPort): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
