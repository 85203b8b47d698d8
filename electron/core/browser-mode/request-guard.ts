/**
 * Who may talk to the browser-mode server: requests for our own Host (no DNS
 * rebinding), from our own Origin (no other web page), presenting the random
 * token the engine printed (no other local user or program guessing).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'ferry-token';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(expected: string, presented: string | null | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return v.join('=');
  }
  return null;
}

export class RequestGuard {
  /** host:port strings this server answers to. */
  private readonly hosts: Set<string>;

  constructor(readonly token: string) {
    this.hosts = new Set();
  }

  /** Set once the server listens (the port is part of every allowed host:port). */
  allow(hostnames: string[], port: number): void {
    for (const h of hostnames) this.hosts.add(`${h.includes(':') ? `[${h}]` : h}:${port}`);
  }

  /** The Host header names us (a rebinding attack's page would carry its own host name). */
  hostOk(req: IncomingMessage): boolean {
    return this.hosts.has(String(req.headers.host ?? '').toLowerCase());
  }

  /** The Origin is this server's own (the page we served). */
  originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return (
      typeof origin === 'string' &&
      origin.startsWith('http://') &&
      this.hosts.has(origin.slice('http://'.length).toLowerCase())
    );
  }

  tokenIn(req: IncomingMessage, url: URL): string | null {
    const header = req.headers['x-ferry-token'];
    return (typeof header === 'string' ? header : null) ?? url.searchParams.get('token') ?? cookieToken(req);
  }

  authorized(req: IncomingMessage, url: URL): boolean {
    return sameToken(this.token, this.tokenIn(req, url));
  }
}
