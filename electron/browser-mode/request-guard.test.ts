/**
 * Who may talk to the browser-mode server, judged on real requests: each check
 * below reads an IncomingMessage that a real HTTP client sent to a real server
 * on 127.0.0.1.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_TTL_MS, cookieValue, keyFor, newToken, RequestGuard, sameToken, uiCookieName } from './request-guard';

let server: Server;
let port: number;
const waiting: ((req: IncomingMessage) => void)[] = [];

beforeAll(async () => {
  // A request without a Host header must reach the guard too.
  server = createServer({ requireHostHeader: false }, (req, res) => {
    waiting.shift()!(req);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The request as our server receives it, with exactly these headers. */
function incoming(headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    waiting.push(resolve);
    request({ host: '127.0.0.1', port, headers, setHost: false }, (res) => res.resume())
      .on('error', reject)
      .end();
  });
}

const secret = () => randomBytes(32);
const mac = (s: Buffer, purpose: string, p: number) =>
  createHmac('sha256', s).update(`${purpose}\n${p}`).digest('base64url');

describe('request guard', () => {
  it('compares tokens only when both are present and equally long', () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(t);
    expect(sameToken(t, t)).toBe(true);
    expect(sameToken(t, `${t}x`)).toBe(false);
    expect(sameToken(t, t.slice(1))).toBe(false);
    expect(sameToken(t, `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(sameToken(t, '')).toBe(false);
    expect(sameToken(t, null)).toBe(false);
    expect(sameToken(t, undefined)).toBe(false);
  });

  it('keys are MACs bound to the secret, the purpose and the port', () => {
    const s = secret();
    expect(keyFor(s, 'ui', 8080)).toBe(mac(s, 'ui', 8080));
    expect(keyFor(s, 'ui', 8080)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keyFor(s, 'ui', 8081)).not.toBe(keyFor(s, 'ui', 8080));
    expect(keyFor(s, 'instance', 8080)).not.toBe(keyFor(s, 'ui', 8080));
    expect(keyFor(secret(), 'ui', 8080)).not.toBe(keyFor(s, 'ui', 8080));
    const guard = new RequestGuard(s);
    guard.allow(['127.0.0.1'], 8080);
    expect(guard.instanceKey()).toBe(mac(s, 'instance', 8080));
  });

  it('reads one cookie by exact name, keeping "=" inside its value', async () => {
    const req = await incoming({ cookie: 'a=1; ferry-ui-5=ab=cd==;other=2' });
    expect(cookieValue(req, 'ferry-ui-5')).toBe('ab=cd==');
    expect(cookieValue(req, 'a')).toBe('1');
    expect(cookieValue(req, 'other')).toBe('2');
    expect(cookieValue(req, 'ferry-ui')).toBeNull();
    expect(cookieValue(await incoming({}), 'a')).toBeNull();
    expect(uiCookieName(5)).toBe('ferry-ui-5');
  });

  it('answers only to its own host names at its own port (no DNS rebinding)', async () => {
    const guard = new RequestGuard(secret());
    expect(guard.hostOk(await incoming({ host: '127.0.0.1:8080' }))).toBe(false); // nothing allowed yet
    guard.allow(['127.0.0.1', 'localhost', '::1'], 8080);
    for (const host of ['127.0.0.1:8080', 'localhost:8080', 'LocalHost:8080', '[::1]:8080'])
      expect(guard.hostOk(await incoming({ host })), host).toBe(true);
    for (const host of ['127.0.0.1:8081', '127.0.0.1', 'evil.example:8080', '::1:8080', '[127.0.0.1]:8080'])
      expect(guard.hostOk(await incoming({ host })), host).toBe(false);
    expect(guard.hostOk(await incoming({}))).toBe(false);
  });

  it('accepts only its own http:// origin', async () => {
    const guard = new RequestGuard(secret());
    guard.allow(['127.0.0.1', 'localhost'], 8080);
    for (const origin of ['http://127.0.0.1:8080', 'http://LOCALHOST:8080'])
      expect(guard.originOk(await incoming({ origin })), origin).toBe(true);
    for (const origin of [
      'https://127.0.0.1:8080',
      'file://127.0.0.1:8080',
      'http://127.0.0.1:8081',
      'http://evil.example',
      'null',
    ])
      expect(guard.originOk(await incoming({ origin })), origin).toBe(false);
    expect(guard.originOk(await incoming({}))).toBe(false);
  });

  it('a one-time code opens the UI once, and only within CODE_TTL_MS', () => {
    let now = 1_000_000;
    const guard = new RequestGuard(secret(), () => now);
    guard.allow(['127.0.0.1'], 8080);
    const a = guard.issueCode();
    const b = guard.issueCode();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).not.toBe(a);
    // Issuing b kept a.
    expect(guard.redeemCode(a)).toBe(true);
    expect(guard.redeemCode(a)).toBe(false);
    expect(guard.redeemCode(null)).toBe(false);
    expect(guard.redeemCode('')).toBe(false);
    expect(guard.redeemCode(newToken())).toBe(false);
    now += CODE_TTL_MS - 1;
    expect(guard.redeemCode(b)).toBe(true);

    const c = guard.issueCode();
    now += CODE_TTL_MS;
    expect(guard.redeemCode(c)).toBe(false);
    // An expired code stays dead, also after newer codes are issued.
    const d = guard.issueCode();
    expect(guard.redeemCode(c)).toBe(false);
    expect(guard.redeemCode(d)).toBe(true);
    expect(CODE_TTL_MS).toBe(5 * 60_000);
  });

  it('session keys are <id>.<mac>: checked without state, refused when forged, cut or from another port', () => {
    const s = secret();
    const guard = new RequestGuard(s);
    guard.allow(['127.0.0.1'], 8080);
    const key = guard.issueSession();
    expect(key).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(guard.issueSession()).not.toBe(key);
    expect(guard.sessionOk(key)).toBe(true);
    const [id, tag] = key.split('.') as [string, string];
    expect(tag).toBe(mac(s, `session:${id}`, 8080));
    // Another guard with the same secret and port (a restarted engine) accepts it.
    const restarted = new RequestGuard(s);
    restarted.allow(['127.0.0.1'], 8080);
    expect(restarted.sessionOk(key)).toBe(true);
    const otherPort = new RequestGuard(s);
    otherPort.allow(['127.0.0.1'], 8081);
    expect(otherPort.sessionOk(key)).toBe(false);
    for (const bad of [`x${id}.${tag}`, `${id}.${tag}x`, `${id}${tag}`, tag, `.${tag}`, '', null, undefined])
      expect(guard.sessionOk(bad), String(bad)).toBe(false);
    // Even a valid MAC over an empty id is no session.
    expect(guard.sessionOk(`.${mac(s, 'session:', 8080)}`)).toBe(false);
  });

  it('the UI cookie is named for its port, HttpOnly and SameSite=Strict, and only that cookie counts', async () => {
    const s = secret();
    const guard = new RequestGuard(s);
    guard.allow(['127.0.0.1'], 8080);
    const value = mac(s, 'ui', 8080);
    expect(guard.uiCookie()).toBe(`ferry-ui-8080=${value}; HttpOnly; SameSite=Strict; Path=/`);
    expect(guard.uiCookieOk(await incoming({ cookie: `ferry-ui-8080=${value}` }))).toBe(true);
    expect(guard.uiCookieOk(await incoming({ cookie: `x=1; ferry-ui-8080=${value}` }))).toBe(true);
    for (const cookie of [`ferry-ui-8081=${value}`, `ferry-ui-8080=${value}x`, `ferry-ui-8080=`])
      expect(guard.uiCookieOk(await incoming({ cookie })), cookie).toBe(false);
    expect(guard.uiCookieOk(await incoming({}))).toBe(false);
  });
});
