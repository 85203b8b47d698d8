/** Browser mode's server: real HTTP and WebSocket requests against a real engine on 127.0.0.1. */
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { engineWithBug } from '../../test/helpers/engine-with-bug';
import { startNode, type TestNode } from '../../test/helpers/nodes';
import { INTERNAL_MESSAGE } from '../core/api/dispatcher';
import { tempDir } from '../../test/helpers/temp-dir';
import { MAX_WS_MESSAGE, startBrowserHost, type BrowserHost, type BrowserHostOptions } from './browser-host';

const hosts: BrowserHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function rendererDir(): Promise<string> {
  const dir = await tempDir('ferry-renderer-');
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Ferry</title>');
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), 'secret');
  return dir;
}

async function setup(options: Partial<BrowserHostOptions> & { node?: TestNode } = {}) {
  const node = options.node ?? (await startNode('Alice'));
  const stagingDir = options.stagingDir ?? path.join(await tempDir('ferry-staging-'), 'uploads');
  const host = await startBrowserHost({ engine: node.node, rendererDir: await rendererDir(), ...options, stagingDir });
  hosts.push(host);
  const origin = `http://127.0.0.1:${host.port}`;
  return { node, host, origin, stagingDir };
}

function http(
  port: number,
  pathname: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: pathname, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a one-time link like a browser: the UI cookie and the session key from the redirect's fragment. */
async function login(host: BrowserHost, link = host.url) {
  const res = await http(host.port, new URL(link).pathname + new URL(link).search, {
    headers: { host: `127.0.0.1:${host.port}` },
  });
  expect(res.status).toBe(303);
  const session = /^\/#session=(.+)$/.exec(String(res.headers.location))![1]!;
  const setCookie = String(res.headers['set-cookie']);
  return { session, setCookie, cookie: setCookie.split(';')[0]! };
}

/** Raw bytes over a real socket; resolves with everything the server sent before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1').on('data', (d: string) => (got += d));
    socket.on('end', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.end(bytes, 'latin1');
  });
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval, not a synchronisation
  }
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function openSocket(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function rpc(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    ws.once('close', (code) => reject(new Error(`the socket closed (${code}) before the answer`)));
    const onMessage = (data: WebSocket.RawData) => {
      const parsed = JSON.parse(String(data)) as Record<string, unknown>;
      if ('event' in parsed) return;
      ws.off('message', onMessage);
      resolve(parsed);
    };
    ws.on('message', onMessage);
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

async function socketFor(host: BrowserHost, origin: string): Promise<WebSocket> {
  const { session } = await login(host, host.issueUrl());
  return openSocket(`ws://127.0.0.1:${host.port}/ws?session=${encodeURIComponent(session)}`, origin);
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only; its link carries a one-time code that works once', async () => {
    const { host, node } = await setup();
    const url = new URL(host.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const first = await login(host);
    expect(first.setCookie).toContain(`ferry-ui-${host.port}=`);
    expect(first.setCookie).toContain('HttpOnly');
    expect(first.setCookie).toContain('SameSite=Strict');
    // The code died with its first use: another process that read it (ps, history) gets nothing.
    const again = await http(host.port, url.pathname + url.search, { headers: { host: `127.0.0.1:${host.port}` } });
    expect(again.status).toBe(403);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('ferry ui');
    expect(host.issueUrl()).not.toBe(host.url);

    const second = await startBrowserHost({
      engine: node.node,
      rendererDir: await rendererDir(),
      stagingDir: await tempDir(),
    });
    hosts.push(second);
    // Another engine (another secret) accepts none of this one's credentials.
    const foreign = `http://127.0.0.1:${second.port}`;
    await expect(
      openSocket(`ws://127.0.0.1:${second.port}/ws?session=${encodeURIComponent(first.session)}`, foreign),
    ).rejects.toThrow(/403/);
    await expect(
      startBrowserHost({ engine: node.node, rendererDir: await tempDir(), stagingDir: await tempDir() }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves files only to the cookie named for its own port; refuses other hosts and paths outside the renderer', async () => {
    const { host } = await setup();
    expect((await http(host.port, '/')).status).toBe(403);
    expect((await http(host.port, '/?code=wrong')).status).toBe(403);
    const { cookie } = await login(host);
    const value = cookie.slice(cookie.indexOf('=') + 1);
    const page = await http(host.port, '/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Ferry</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // The same value under another port's name, or the old name, opens nothing.
    for (const other of [
      `ferry-ui-${host.port + 1}=${value}`,
      `ferry-token=${value}`,
      `ferry-ui-${host.port}=x${value}`,
    ])
      expect((await http(host.port, '/', { headers: { cookie: other } })).status, other).toBe(403);

    expect((await http(host.port, '/assets/app.js')).status).toBe(403);
    expect((await http(host.port, '/assets/app.js', { headers: { cookie } })).status).toBe(200);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 names its own host.
    expect(
      (
        await http(host.port, host.issueUrl().replace(/^http:\/\/[^/]+/, ''), {
          headers: { host: `evil.example:${host.port}` },
        })
      ).status,
    ).toBe(421);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', `/..%2f${path.basename('x')}-secret.txt`]) {
      expect([403, 404]).toContain((await http(host.port, p, { headers: { cookie } })).status);
    }
    expect((await http(host.port, '/nope.js', { headers: { cookie } })).status).toBe(404);
  });

  it('answers 400 to `GET //`, an upgrade to `//` and a bad % escape, and keeps serving', async () => {
    const { host, origin } = await setup();
    const { cookie } = await login(host);
    const requests = [
      'GET // HTTP/1.1\r\nHost: anything\r\n\r\n',
      `GET // HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `GET //evil.example/x HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nCookie: ${cookie}\r\n\r\n`,
      `GET /% HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `POST // HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 0\r\n\r\n`,
      'GET // HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      `GET /%zz HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ];
    for (const bytes of requests) {
      expect(await raw(host.port, bytes), JSON.stringify(bytes)).toMatch(/^HTTP\/1\.1 400 /);
    }
    // Still serving: a good page and a good socket.
    expect((await http(host.port, '/', { headers: { cookie } })).status).toBe(200);
    const ws = await socketFor(host, origin);
    expect(await rpc(ws, { id: 1, call: 'getSelf', args: [] })).toMatchObject({ ok: true });
    ws.close();
  });

  it('closes a socket that sends invalid UTF-8 (1007) or an oversized frame (1009), and keeps serving', async () => {
    const { host, origin } = await setup();
    const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const bad = await socketFor(host, origin);
    bad.on('error', () => {});
    const closed = closeCode(bad);
    // ws lets a client send any bytes as a text frame: these are not UTF-8.
    bad.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);

    const big = await socketFor(host, origin);
    big.on('error', () => {});
    const bigClosed = closeCode(big);
    big.send(Buffer.alloc(MAX_WS_MESSAGE + 1, 0x20), { binary: false });
    expect(await bigClosed).toBe(1009);

    const good = await socketFor(host, origin);
    expect(await rpc(good, { id: 1, call: 'getSelf', args: [] })).toMatchObject({ ok: true });
    good.close();
  });

  it('carries the contract over the WebSocket with validated arguments, errors as {code, message}, and pushed events', async () => {
    const { host, origin, node } = await setup();
    const ws = await socketFor(host, origin);
    const self = await rpc(ws, { id: 1, call: 'getSelf', args: [] });
    expect(self).toMatchObject({ id: 1, ok: true, result: { id: node.node.peerId, name: 'Alice' } });

    expect(await rpc(ws, { id: 2, call: 'sendMessage', args: ['not-a-device-id', 'hi'] })).toMatchObject({
      id: 2,
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await rpc(ws, { id: 3, call: 'constructor', args: [] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await rpc(ws, { id: 4, call: 'pickFiles', args: [] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await rpc(ws, 'not json')).toMatchObject({ id: null, ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await rpc(ws, { id: 5, call: 'sendMessage', args: [`direct:ferry:${'a'.repeat(64)}`, 'hi'] })).toMatchObject(
      {
        ok: false,
        error: { code: 'PEER_UNKNOWN' },
      },
    );

    const pushed = new Promise<Record<string, unknown>>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as Record<string, unknown>;
        if (m.event) resolve(m.event as Record<string, unknown>);
      }),
    );
    const result = await rpc(ws, { id: 6, call: 'updateSettings', args: [{ displayName: 'Alice B.' }] });
    expect(result).toMatchObject({ ok: true, result: { displayName: 'Alice B.' } });
    expect(await pushed).toMatchObject({ name: 'settingsUpdated', payload: { displayName: 'Alice B.' } });
    ws.close();
  });

  it('maps errors over the WebSocket like every host: bad arguments by path, unknown names, kept codes, engine bugs INTERNAL and logged once', async () => {
    const node = await startNode('Alice');
    const log: string[] = [];
    const engine = engineWithBug(
      node.node,
      'listPeers',
      () => new TypeError("Cannot read properties of null (reading 'x')"),
    );
    const { host, origin } = await setup({ node, engine, log: (line) => log.push(line) });
    const ws = await socketFor(host, origin);
    expect(await rpc(ws, { id: 1, call: 'listPeers', args: [] })).toEqual({
      id: 1,
      ok: false,
      error: { code: 'INTERNAL', message: INTERNAL_MESSAGE },
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/request "listPeers" via browser WebSocket; answered INTERNAL: TypeError: Cannot read/);
    expect(
      await rpc(ws, {
        id: 2,
        call: 'sendMessage',
        args: [`direct:ferry:${'a'.repeat(64)}`, 'hi', { replyTo: 'nope' }],
      }),
    ).toEqual({
      id: 2,
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '2.replyTo: Invalid UUID' },
    });
    expect(await rpc(ws, { id: 3, call: 'openPath', args: ['/etc/passwd'] })).toMatchObject({
      id: 3,
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^unknown request "openPath"; requests: /) },
    });
    expect(await rpc(ws, { id: 4, call: 'forgetPeer', args: [`ferry:${'b'.repeat(64)}`] })).toEqual({
      id: 4,
      ok: false,
      error: { code: 'PEER_UNKNOWN', message: 'no such peer; add it by address first' },
    });
    expect(await rpc(ws, { id: 5, call: 'getSelf', args: [] })).toMatchObject({ id: 5, ok: true });
    // Only the engine bug was logged.
    expect(log).toHaveLength(1);
    ws.close();
  });

  it('refuses WebSocket connections without a valid session key, with only the cookie, or from another origin', async () => {
    const { host, origin } = await setup();
    const { session, cookie } = await login(host);
    const url = `ws://127.0.0.1:${host.port}/ws`;
    await expect(openSocket(url, origin)).rejects.toThrow(/403/);
    const [id, mac] = session.split('.');
    await expect(openSocket(`${url}?session=${id}.x${mac!.slice(1)}`, origin)).rejects.toThrow(/403/);
    await expect(openSocket(`${url}?session=other.${mac}`, origin)).rejects.toThrow(/403/);
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { origin, headers: { cookie } });
        ws.once('open', resolve);
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      }),
    ).rejects.toThrow(/403/);
    await expect(openSocket(`${url}?session=${session}`, 'http://evil.example')).rejects.toThrow(/403/);
    await expect(openSocket(`ws://127.0.0.1:${host.port}/other?session=${session}`, origin)).rejects.toThrow(/403/);
    const ok = await openSocket(`${url}?session=${session}`, origin);
    ok.close();
  });

  it('streams an upload into its own staging folder and returns the path', async () => {
    const { host, origin, stagingDir } = await setup();
    const { session } = await login(host);
    const body = Buffer.alloc(300_000, 7);
    const res = await http(host.port, '/upload', {
      method: 'POST',
      headers: {
        origin,
        'x-ferry-session': session,
        'x-ferry-name': encodeURIComponent('报告 final.pdf'),
        'content-length': String(body.length),
      },
      body,
    });
    expect(res.status).toBe(200);
    const { path: saved } = JSON.parse(res.body) as { path: string };
    expect(path.basename(saved)).toBe('报告 final.pdf');
    expect(path.dirname(path.dirname(saved))).toBe(stagingDir);
    expect((await readFile(saved)).equals(body)).toBe(true);
    // Only this user may read what was staged.
    expect((await stat(stagingDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(saved))).mode & 0o777).toBe(0o700);
    expect((await stat(saved)).mode & 0o777).toBe(0o600);
  });

  it('refuses uploads without the token, from another origin, over the size limit, or with unsafe names', async () => {
    const { host, origin, stagingDir } = await setup({ maxUploadBytes: 1000 });
    const { session } = await login(host);
    const post = (headers: Record<string, string>, body = 'hello') =>
      http(host.port, '/upload', {
        method: 'POST',
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
        body,
      });
    const good = { origin, 'x-ferry-session': session, 'x-ferry-name': 'a.txt' };

    expect((await post({ ...good, 'x-ferry-session': 'nope' })).status).toBe(403);
    expect((await post({ ...good, origin: 'http://evil.example' })).status).toBe(403);
    const { 'x-ferry-session': _, ...noToken } = good;
    expect((await post(noToken)).status).toBe(403);

    const big = await post(good, 'x'.repeat(1001));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { code: 'UPLOAD_TOO_LARGE' } });

    const unsafe = ['..', '.', '', 'CON', 'nul.txt', 'a\u0000b', 'tab\there', 'trailing. ', 'x'.repeat(256), 'a:b'].map(
      encodeURIComponent,
    );
    for (const name of [...unsafe, '%E0%A4%A']) {
      const res = await post({ ...good, 'x-ferry-name': name });
      expect(res.status, name).toBe(400);
      expect(JSON.parse(res.body).error.code, name).toBe('NAME_REJECTED');
    }
    // A path is cut to its last segment, never followed.
    const res = await post({ ...good, 'x-ferry-name': encodeURIComponent('../../etc/passwd') });
    expect(res.status).toBe(200);
    expect(path.basename(JSON.parse(res.body).path)).toBe('passwd');
    expect(JSON.parse(res.body).path.startsWith(stagingDir + path.sep)).toBe(true);
    // Nothing from the refused uploads was left behind.
    expect((await readdir(stagingDir)).length).toBe(1);
  });
});

describe('staged uploads and what may be sent', () => {
  async function pair() {
    const alice = await startNode('Alice');
    const bob = await startNode('Bob');
    await alice.node.addPeer(bob.address);
    await bob.waitFor('peerUpdated', (p) => p.id === alice.node.peerId && p.online);
    return { alice, bob };
  }

  async function upload(host: BrowserHost, origin: string, session: string, name: string, body: string) {
    const res = await http(host.port, '/upload', {
      method: 'POST',
      headers: {
        origin,
        'x-ferry-session': session,
        'x-ferry-name': encodeURIComponent(name),
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    expect(res.status, res.body).toBe(200);
    return (JSON.parse(res.body) as { path: string }).path;
  }

  it('offers 10,000 staged paths in one sendFiles, and deletes them all once the offer is declined', async () => {
    const { alice, bob } = await pair();
    const { host, origin, stagingDir } = await setup({ node: alice });
    const paths: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const dir = path.join(stagingDir, randomUUID());
      await mkdir(dir, { recursive: true });
      paths.push(path.join(dir, `file-${i}-${'x'.repeat(80)}.txt`));
      await writeFile(paths[i]!, String(i));
    }
    const ws = await socketFor(host, origin);
    const sent = await rpc(ws, { id: 1, call: 'sendFiles', args: [`direct:${bob.node.peerId}`, paths] });
    expect(sent).toMatchObject({ ok: true, result: { fileCount: 10_000, state: 'offered' } });
    const id = (sent.result as { id: string }).id;
    await bob.waitFor('transferUpdated', (t) => t.id === id, 30_000);
    await bob.node.declineTransfer(id);
    await alice.waitFor('transferUpdated', (t) => t.id === id && t.state === 'declined', 30_000);
    await until(async () => (await readdir(stagingDir)).length === 0, 'the staged files to go', 30_000);
    ws.close();
  }, 120_000);

  it('deletes a staged upload when its transfer is done, or when sendFiles refused it', async () => {
    const { alice, bob } = await pair();
    const { host, origin, stagingDir } = await setup({ node: alice });
    const { session } = await login(host);
    const ws = await socketFor(host, origin);

    const refused = await upload(host, origin, session, 'refused.txt', 'no');
    expect(
      await rpc(ws, { id: 1, call: 'sendFiles', args: [`direct:ferry:${'a'.repeat(64)}`, [refused]] }),
    ).toMatchObject({
      ok: false,
      error: { code: 'PEER_UNKNOWN' },
    });
    expect(await exists(path.dirname(refused))).toBe(false);

    const staged = await upload(host, origin, session, 'hello.txt', 'hello bob');
    const sent = await rpc(ws, { id: 2, call: 'sendFiles', args: [`direct:${bob.node.peerId}`, [staged]] });
    const id = (sent.result as { id: string }).id;
    expect(await exists(`${path.dirname(staged)}.transfer`)).toBe(true);
    await bob.waitFor('transferUpdated', (t) => t.id === id);
    await bob.node.acceptTransfer(id);
    await alice.waitFor('transferUpdated', (t) => t.id === id && t.state === 'done');
    await until(async () => (await readdir(stagingDir)).length === 0, 'the staged file to go');
    ws.close();
  });

  it('deletes uploads no sendFiles claimed, and at start keeps only what an unfinished transfer claims', async () => {
    const node = await startNode('Alice');
    const stagingDir = path.join(await tempDir('ferry-staging-'), 'uploads');
    // Left from a previous run: a claim by a transfer that no longer exists, and an unclaimed upload.
    for (const id of ['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222']) {
      await mkdir(path.join(stagingDir, id), { recursive: true });
      await writeFile(path.join(stagingDir, id, 'a.txt'), 'a');
    }
    await writeFile(path.join(stagingDir, '11111111-1111-1111-1111-111111111111.transfer'), 'gone-transfer');
    const { host, origin } = await setup({ node, stagingDir, stagedClaimTtlMs: 300 });
    expect(await readdir(stagingDir)).toEqual([]);

    const { session } = await login(host);
    const staged = await upload(host, origin, session, 'never-sent.txt', 'x');
    expect(await exists(staged)).toBe(true);
    await until(async () => !(await exists(path.dirname(staged))), 'the unclaimed upload to be swept');
  });

  it('a restarted server keeps the uploads of a transfer that is still open, and deletes them when it ends', async () => {
    const { alice, bob } = await pair();
    const first = await setup({ node: alice });
    const { session } = await login(first.host);
    const staged = await upload(first.host, first.origin, session, 'later.txt', 'later');
    const ws = await socketFor(first.host, first.origin);
    const sent = await rpc(ws, { id: 1, call: 'sendFiles', args: [`direct:${bob.node.peerId}`, [staged]] });
    const id = (sent.result as { id: string }).id;
    ws.close();
    await first.host.close();

    // The same engine serves a new browser host on the same staging folder (as after a restart).
    await setup({ node: alice, stagingDir: first.stagingDir });
    expect(await exists(staged)).toBe(true);
    await bob.waitFor('transferUpdated', (t) => t.id === id);
    await bob.node.declineTransfer(id);
    await until(async () => (await readdir(first.stagingDir)).length === 0, 'the recovered upload to go');
  });

  it('caps concurrent uploads (429 UPLOAD_BUSY) and drops a stalled one', async () => {
    const { host, origin, stagingDir } = await setup({ maxConcurrentUploads: 1, uploadStallMs: 500 });
    const { session } = await login(host);
    // An upload that says 1000 bytes and sends 10, then nothing.
    const stalled = new Promise<string>((resolve, reject) => {
      const socket = connect(host.port, '127.0.0.1');
      let got = '';
      socket.setEncoding('utf8').on('data', (d: string) => (got += d));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      socket.write(
        `POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: ${origin}\r\n` +
          `x-ferry-session: ${session}\r\nx-ferry-name: slow.bin\r\nContent-Length: 1000\r\n\r\n0123456789`,
      );
    });
    await until(async () => (await readdir(stagingDir).catch(() => [])).length === 1, 'the slow upload to start');
    const busy = await http(host.port, '/upload', {
      method: 'POST',
      headers: { origin, 'x-ferry-session': session, 'x-ferry-name': 'b.txt', 'content-length': '1' },
      body: 'b',
    });
    expect(busy.status).toBe(429);
    expect(JSON.parse(busy.body)).toMatchObject({ error: { code: 'UPLOAD_BUSY' } });

    const answer = await stalled;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('UPLOAD_FAILED');
    expect(await readdir(stagingDir)).toEqual([]);
    // The slot is free again.
    expect((await upload(host, origin, session, 'c.txt', 'c')).endsWith('c.txt')).toBe(true);
  });

  it("refuses to send Ferry's own data folder, whatever path leads there (PATH_NOT_ALLOWED)", async () => {
    const { alice, bob } = await pair();
    const { host, origin } = await setup({ node: alice, stagingDir: path.join(alice.dataDir, 'browser-uploads') });
    const { session } = await login(host);
    const ws = await socketFor(host, origin);
    const elsewhere = await tempDir('ferry-elsewhere-');
    await symlink(path.join(alice.dataDir, 'identity'), path.join(elsewhere, 'innocent'));
    const forbidden = [
      path.join(alice.dataDir, 'identity', 'device-key.pem'),
      path.join(alice.dataDir, 'ferry.db'),
      alice.dataDir,
      path.dirname(alice.dataDir),
      path.join(elsewhere, 'innocent', 'device-key.pem'),
      path.join(alice.dataDir, 'browser-uploads', '..', 'identity'),
    ];
    let id = 1;
    for (const p of forbidden) {
      expect(await rpc(ws, { id: id++, call: 'sendFiles', args: [`direct:${bob.node.peerId}`, [p]] }), p).toMatchObject(
        {
          ok: false,
          error: { code: 'PATH_NOT_ALLOWED' },
        },
      );
    }
    expect(bob.events.some((e) => e.name === 'transferUpdated')).toBe(false);
    // Browser mode's own staging folder inside the data dir is the one exception.
    const staged = await upload(host, origin, session, 'ok.txt', 'fine');
    expect(await rpc(ws, { id, call: 'sendFiles', args: [`direct:${bob.node.peerId}`, [staged]] })).toMatchObject({
      ok: true,
    });
    ws.close();
  });
});
