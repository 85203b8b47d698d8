/** Browser mode's server: real HTTP and WebSocket requests against a real engine on 127.0.0.1. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNode } from '../../../test/helpers/nodes';
import { tempDir } from '../../../test/helpers/temp-dir';
import { startBrowserHost, type BrowserHost } from './browser-host';

const hosts: BrowserHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function setup(options: { maxUploadBytes?: number } = {}) {
  const node = await startNode('Alice');
  const rendererDir = await tempDir('ferry-renderer-');
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
  await mkdir(path.join(rendererDir, 'assets'));
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(path.dirname(rendererDir), `${path.basename(rendererDir)}-secret.txt`), 'secret');
  const stagingDir = path.join(await tempDir('ferry-staging-'), 'uploads');
  const host = await startBrowserHost({ engine: node.node, rendererDir, stagingDir, ...options });
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

function openSocket(url: string, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function rpc(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
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

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only and prints a URL with a long random token, new each start', async () => {
    const { host, node } = await setup();
    const url = new URL(host.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rendererDir = await tempDir();
    await writeFile(path.join(rendererDir, 'index.html'), '');
    const second = await startBrowserHost({ engine: node.node, rendererDir, stagingDir: await tempDir() });
    hosts.push(second);
    expect(second.token).not.toBe(host.token);
    await expect(
      startBrowserHost({ engine: node.node, rendererDir: await tempDir(), stagingDir: await tempDir() }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('serves the UI only with the token, then by cookie; refuses other hosts and paths outside the renderer', async () => {
    const { host } = await setup();
    expect((await http(host.port, '/')).status).toBe(403);
    expect((await http(host.port, '/?token=wrong')).status).toBe(403);
    const page = await http(host.port, `/?token=${host.token}`, { headers: { host: `127.0.0.1:${host.port}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Ferry</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toBe(`ferry-token=${host.token}`);
    expect(String(page.headers['set-cookie'])).toContain('HttpOnly');

    expect((await http(host.port, '/assets/app.js')).status).toBe(403);
    expect((await http(host.port, '/assets/app.js', { headers: { cookie } })).status).toBe(200);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 names its own host.
    expect(
      (await http(host.port, `/?token=${host.token}`, { headers: { host: `evil.example:${host.port}` } })).status,
    ).toBe(421);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', `/..%2f${path.basename('x')}-secret.txt`]) {
      expect([403, 404]).toContain((await http(host.port, p, { headers: { cookie } })).status);
    }
    expect((await http(host.port, '/nope.js', { headers: { cookie } })).status).toBe(404);
  });

  it('carries the contract over the WebSocket with validated arguments, errors as {code, message}, and pushed events', async () => {
    const { host, origin, node } = await setup();
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, origin);
    const self = await rpc(ws, { id: 1, call: 'getSelf', args: [] });
    expect(self).toMatchObject({ id: 1, ok: true, result: { id: node.node.identity.id, name: 'Alice' } });

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
    expect(await rpc(ws, { id: 5, call: 'sendMessage', args: ['a'.repeat(64), 'hi'] })).toMatchObject({
      ok: false,
      error: { code: 'PEER_UNKNOWN' },
    });

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

  it('refuses WebSocket connections without the token or from another origin', async () => {
    const { host, origin } = await setup();
    await expect(openSocket(`ws://127.0.0.1:${host.port}/ws`, origin)).rejects.toThrow(/403/);
    await expect(openSocket(`ws://127.0.0.1:${host.port}/ws?token=x${host.token.slice(1)}`, origin)).rejects.toThrow(
      /403/,
    );
    await expect(
      openSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, 'http://evil.example'),
    ).rejects.toThrow(/403/);
    await expect(openSocket(`ws://127.0.0.1:${host.port}/other?token=${host.token}`, origin)).rejects.toThrow(/403/);
  });

  it('streams an upload into its own staging folder and returns the path', async () => {
    const { host, origin, stagingDir } = await setup();
    const body = Buffer.alloc(300_000, 7);
    const res = await http(host.port, '/upload', {
      method: 'POST',
      headers: {
        origin,
        'x-ferry-token': host.token,
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
  });

  it('refuses uploads without the token, from another origin, over the size limit, or with unsafe names', async () => {
    const { host, origin, stagingDir } = await setup({ maxUploadBytes: 1000 });
    const post = (headers: Record<string, string>, body = 'hello') =>
      http(host.port, '/upload', {
        method: 'POST',
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
        body,
      });
    const good = { origin, 'x-ferry-token': host.token, 'x-ferry-name': 'a.txt' };

    expect((await post({ ...good, 'x-ferry-token': 'nope' })).status).toBe(403);
    expect((await post({ ...good, origin: 'http://evil.example' })).status).toBe(403);
    const { 'x-ferry-token': _, ...noToken } = good;
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
