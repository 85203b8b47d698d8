/**
 * One browser-mode Ferry per data dir: the files it keeps there (real temp dirs),
 * and a second instance asking the running one for a link over real HTTP on 127.0.0.1.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import { startBrowserHost, type BrowserHost } from './browser-host';
import { keyFor } from './request-guard';
import {
  askRunningInstance,
  INSTANCE_HEADER,
  INSTANCE_PATH,
  loadOrCreateSessionSecret,
  markStopped,
  readEndpoint,
  writeEndpoint,
} from './ui-instance';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

/** A server on 127.0.0.1 that records what it was asked and answers with `reply`. */
async function fakeFerry(reply: (res: ServerResponse) => void) {
  const seen: { method?: string; url?: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    reply(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

/** A data dir whose Ferry says it runs (this pid) on `port` of `host`, with a session secret. */
async function runningOn(port: number, host = '127.0.0.1') {
  const dataDir = await tempDir('ferry-ui-');
  const secret = await loadOrCreateSessionSecret(dataDir);
  await writeEndpoint(dataDir, { pid: process.pid, host, port });
  return { dataDir, secret };
}

describe('ui instance', () => {
  it('creates the session secret once (0600 in a 0700 data dir) and reads it back on the next start', async () => {
    const dataDir = path.join(await tempDir('ferry-ui-'), 'nested', 'data');
    const secret = await loadOrCreateSessionSecret(dataDir);
    expect(secret.length).toBe(32);
    const file = path.join(dataDir, 'browser-session.key');
    expect(await readFile(file, 'utf8')).toBe(`${secret.toString('hex')}\n`);
    expect(await mode(file)).toBe(0o600);
    expect(await mode(dataDir)).toBe(0o700);
    expect((await loadOrCreateSessionSecret(dataDir)).equals(secret)).toBe(true);
    // Written by hand without the newline, with spaces around: still the same secret.
    await writeFile(file, `  ${secret.toString('hex')}  `);
    expect((await loadOrCreateSessionSecret(dataDir)).equals(secret)).toBe(true);
  });

  it('replaces a damaged secret file with a new secret', async () => {
    const dataDir = await tempDir('ferry-ui-');
    const file = path.join(dataDir, 'browser-session.key');
    for (const garbage of ['not hex', 'ab'.repeat(31), 'AB'.repeat(32), `${'ab'.repeat(32)}0`, `x${'ab'.repeat(32)}`]) {
      await writeFile(file, garbage);
      const secret = await loadOrCreateSessionSecret(dataDir);
      expect(secret.length, garbage).toBe(32);
      expect(await readFile(file, 'utf8'), garbage).toBe(`${secret.toString('hex')}\n`);
    }
    // A folder where the file should be cannot be read or replaced: that is an error, not a silent new secret.
    const blocked = await tempDir('ferry-ui-');
    await mkdir(path.join(blocked, 'browser-session.key'));
    await expect(loadOrCreateSessionSecret(blocked)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('writes where the UI listens (0600), reads it back, and ignores a missing or damaged file', async () => {
    const dataDir = await tempDir('ferry-ui-');
    expect(await readEndpoint(dataDir)).toBeNull();
    await writeEndpoint(dataDir, { pid: 42, host: '127.0.0.1', port: 5555 });
    expect(await readEndpoint(dataDir)).toEqual({ pid: 42, host: '127.0.0.1', port: 5555 });
    expect(await mode(path.join(dataDir, 'browser-ui.json'))).toBe(0o600);
    const file = path.join(dataDir, 'browser-ui.json');
    for (const garbage of [
      '{',
      'null',
      '{"pid":1,"host":"127.0.0.1","port":"5555"}',
      '{"pid":1,"host":5,"port":5555}',
    ]) {
      await writeFile(file, garbage);
      expect(await readEndpoint(dataDir), garbage).toBeNull();
    }
  });

  it('on a clean stop keeps host and port with pid 0, but only its own entry', async () => {
    const dataDir = await tempDir('ferry-ui-');
    await markStopped(dataDir); // nothing written yet: nothing to mark
    expect(await readEndpoint(dataDir)).toBeNull();
    await writeEndpoint(dataDir, { pid: process.pid, host: '::', port: 6000 });
    await markStopped(dataDir);
    expect(await readEndpoint(dataDir)).toEqual({ pid: 0, host: '::', port: 6000 });
    // Another process's entry (a newer Ferry on this data dir) is left alone.
    await writeEndpoint(dataDir, { pid: process.pid + 1, host: '127.0.0.1', port: 6001 });
    await markStopped(dataDir);
    expect(await readEndpoint(dataDir)).toEqual({ pid: process.pid + 1, host: '127.0.0.1', port: 6001 });
  });

  it('a second instance gets a fresh working link from the running browser host', async () => {
    const node = await startNode('Alice');
    const dataDir = await tempDir('ferry-ui-');
    const rendererDir = await tempDir('ferry-renderer-');
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Ferry</title>');
    const host: BrowserHost = await startBrowserHost({
      engine: node.node,
      rendererDir,
      stagingDir: await tempDir('ferry-staging-'),
      secret: await loadOrCreateSessionSecret(dataDir),
    });
    closers.push(() => host.close());
    await writeEndpoint(dataDir, { pid: process.pid, host: '127.0.0.1', port: host.port });
    const url = await askRunningInstance(dataDir);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?code=[A-Za-z0-9_-]{43}$`));
    expect(url).not.toBe(host.url);
    const opened = await fetch(url!, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    // Another data dir's secret gets nothing from it.
    const stranger = await tempDir('ferry-ui-');
    await loadOrCreateSessionSecret(stranger);
    await writeEndpoint(stranger, { pid: process.pid, host: '127.0.0.1', port: host.port });
    expect(await askRunningInstance(stranger)).toBeNull();
  });

  it('asks with POST on the instance path, its own Host and the instance key for that port', async () => {
    const ferry = await fakeFerry((res) => res.end(JSON.stringify({ url: 'http://127.0.0.1:1/?code=abc' })));
    const { dataDir, secret } = await runningOn(ferry.port);
    // Written by hand with spaces around: read as the same secret.
    await writeFile(path.join(dataDir, 'browser-session.key'), `  ${secret.toString('hex')}  \n`);
    expect(await askRunningInstance(dataDir)).toBe('http://127.0.0.1:1/?code=abc');
    expect(ferry.seen).toHaveLength(1);
    expect(ferry.seen[0]).toMatchObject({ method: 'POST', url: INSTANCE_PATH });
    expect(ferry.seen[0]!.headers.host).toBe(`127.0.0.1:${ferry.port}`);
    expect(ferry.seen[0]!.headers[INSTANCE_HEADER]).toBe(keyFor(secret, 'instance', ferry.port));
    expect(INSTANCE_PATH).toBe('/instance/open');
    expect(INSTANCE_HEADER).toBe('x-ferry-instance');
  });

  it('reaches a host that listens on every interface through loopback', async () => {
    const ferry = await fakeFerry((res) => res.end(JSON.stringify({ url: 'http://x/' })));
    const { dataDir } = await runningOn(ferry.port, '0.0.0.0');
    expect(await askRunningInstance(dataDir)).toBe('http://x/');
    expect(ferry.seen[0]!.headers.host).toBe(`127.0.0.1:${ferry.port}`);
  });

  it('reaches an IPv6 host (or one on every IPv6 interface) through ::1, bracketed in the Host header', async () => {
    const hostHeaders: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      hostHeaders.push(req.headers.host);
      req.resume();
      res.end(JSON.stringify({ url: 'http://[::1]/' }));
    });
    await new Promise<void>((r) => server.listen(0, '::1', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    for (const host of ['::1', '::']) {
      const { dataDir } = await runningOn(port, host);
      expect(await askRunningInstance(dataDir), host).toBe('http://[::1]/');
      expect(hostHeaders.at(-1), host).toBe(`[::1]:${port}`);
    }
  });

  it('answers null when no Ferry runs there or the answer is not a link', async () => {
    // Not running: no file, pid 0, or no secret beside it.
    const empty = await tempDir('ferry-ui-');
    expect(await askRunningInstance(empty)).toBeNull();
    const ferry = await fakeFerry((res) => res.end(JSON.stringify({ url: 'http://x/' })));
    const stopped = await runningOn(ferry.port);
    await writeEndpoint(stopped.dataDir, { pid: 0, host: '127.0.0.1', port: ferry.port });
    expect(await askRunningInstance(stopped.dataDir)).toBeNull();
    const noSecret = await tempDir('ferry-ui-');
    await writeEndpoint(noSecret, { pid: process.pid, host: '127.0.0.1', port: ferry.port });
    expect(await askRunningInstance(noSecret)).toBeNull();
    expect(ferry.seen).toHaveLength(0);

    const answers: ((res: ServerResponse) => void)[] = [
      (res) => res.writeHead(403).end(JSON.stringify({ url: 'http://x/' })),
      (res) => res.end('not json'),
      (res) => res.end(JSON.stringify({ url: 5 })),
      (res) => res.end('null'),
      (res) => res.end(JSON.stringify({ url: 'http://x/', pad: 'x'.repeat(100_000) })),
      // Dies in the middle of its answer.
      (res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"url":"http://x/"', () => res.socket?.destroy());
      },
    ];
    for (const reply of answers) {
      const other = await fakeFerry(reply);
      const { dataDir } = await runningOn(other.port);
      expect(await askRunningInstance(dataDir), reply.toString()).toBeNull();
      expect(other.seen).toHaveLength(1);
    }
  });

  it('gives up on a port nobody answers on, and on a server that never answers', async () => {
    const closed = await fakeFerry(() => {});
    const { port } = closed;
    await closers.pop()!(); // the port is free again: connection refused
    const refused = await runningOn(port);
    expect(await askRunningInstance(refused.dataDir)).toBeNull();

    const silent = await fakeFerry(() => {}); // takes the request, never answers
    const { dataDir } = await runningOn(silent.port);
    const started = Date.now();
    expect(await askRunningInstance(dataDir, 300)).toBeNull();
    expect(silent.seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_900);
  });
});
