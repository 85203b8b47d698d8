/**
 * Who may talk to the browser-mode server: requests for our own Host (no DNS
 * rebinding), from our own Origin (no other web page), presenting credentials
 * derived from the session secret.
 *
 * - The opener (xdg-open, printed link) only ever sees a one-time code: the
 *   first GET with it is answered with a redirect that carries the tab's session
 *   key in the URL fragment (never sent to a server, wiped by the page with
 *   history.replaceState) and sets the UI cookie. The code then dies.
 * - Browsers send a cookie for 127.0.0.1 to every port, so the cookie only opens
 *   the static renderer files: its name carries our port, and its value is a MAC
 *   over that port. The WebSocket and uploads need the session key, which the
 *   page keeps in sessionStorage: that storage belongs to the origin, port
 *   included, so no other local server ever receives it.
 * - Keys are MACs under a secret persisted in the data dir, so a tab's key stays
 *   valid when the same engine restarts on the same port, and dies with the secret.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How long a printed/opened link works if nobody opens it. */
export const CODE_TTL_MS = 5 * 60_000;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(expected: string, presented: string | null | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Name of the UI cookie of the server on `port`. */
export function uiCookieName(port: number): string {
  return `ferry-ui-${port}`;
}

export function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

/** A MAC under the session secret, bound to the UI port. */
export function keyFor(secret: Buffer, purpose: string, port: number): string {
  return createHmac('sha256', secret).update(`${purpose}\n${port}`).digest('base64url');
}

export class RequestGuard {
  /** host:port strings this server answers to. */
  private readonly hosts = new Set<string>();
  private readonly codes = new Map<string, number>();
  private port = 0;

  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  /** Set once the server listens (the port is part of every allowed host:port and every key). */
  allow(hostnames: string[], port: number): void {
    this.port = port;
    for (const h of hostnames) this.hosts.add(`${h.includes(':') ? `[${h}]` : h}:${port}`);
  }

  private mac(purpose: string): string {
    return keyFor(this.secret, purpose, this.port);
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

  /** A fresh one-time code for the opener. */
  issueCode(): string {
    const code = newToken();
    const now = this.now();
    for (const [c, expires] of this.codes) if (expires <= now) this.codes.delete(c);
    this.codes.set(code, now + CODE_TTL_MS);
    return code;
  }

  /** True once per issued, unexpired code. */
  redeemCode(code: string | null): boolean {
    if (!code) return false;
    const expires = this.codes.get(code);
    if (expires === undefined) return false;
    this.codes.delete(code);
    return expires > this.now();
  }

  /** A session key for one tab: `<id>.<mac>`, checked without server state. */
  issueSession(): string {
    const id = randomBytes(12).toString('base64url');
    return `${id}.${this.mac(`session:${id}`)}`;
  }

  sessionOk(key: string | null | undefined): boolean {
    if (!key) return false;
    const dot = key.indexOf('.');
    if (dot <= 0) return false;
    return sameToken(this.mac(`session:${key.slice(0, dot)}`), key.slice(dot + 1));
  }

  uiCookie(): string {
    return `${uiCookieName(this.port)}=${this.mac('ui')}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** Only the cookie named for our own port counts. */
  uiCookieOk(req: IncomingMessage): boolean {
    return sameToken(this.mac('ui'), cookieValue(req, uiCookieName(this.port)));
  }

  /** What a second `ferry ui` on the same data dir presents to ask for a new link. */
  instanceKey(): string {
    return this.mac('instance');
  }
}
