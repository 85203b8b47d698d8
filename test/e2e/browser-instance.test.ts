/**
 * Browser mode as a user runs it: real `ferry ui` processes on one data dir,
 * Debian's chromium via playwright-core, raw bytes over real sockets.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnFerry, type FerryProcess } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { CHROMIUM, CHROMIUM_ARGS, RENDERER_DIR, requireBuild } from './browser-app';

beforeAll(requireBuild);
let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
});

function startUi(dataDir: string): FerryProcess {
  return spawnFerry([
    'ui',
    '--json',
    '--no-open',
    '--no-discovery',
    '--no-ipmsg',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--renderer-dir',
    RENDERER_DIR,
  ]);
}

async function uiLine(proc: FerryProcess) {
  const line = await proc.waitFor((l) => l.event === 'ui', 30_000, 'the ui line');
  return { url: line.url as string, port: line.port as number, existing: line.existing === true };
}

function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('latin1').on('data', (d: string) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.end(bytes);
  });
}

/** Opens a one-time link like a browser would: the session key from the redirect. */
function session(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
      res.resume();
      const key = /#session=(.+)$/.exec(String(res.headers.location))?.[1];
      if (key) resolve(key);
      else reject(new Error(`no session in the redirect (HTTP ${res.statusCode})`));
    })
      .on('error', reject)
      .end();
  });
}

describe('browser mode, real processes', () => {
  it('a hostile request or frame costs the sender its request, never the engine process', async () => {
    const proc = startUi(await tempDir('ferry-ui-'));
    const { url, port } = await uiLine(proc);
    const upgrade = (target: string) =>
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    for (const bytes of [
      'GET // HTTP/1.1\r\nHost: anything\r\n\r\n',
      `GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
      upgrade('//'),
      upgrade('/%'),
    ]) {
      expect(await raw(port, bytes), JSON.stringify(bytes)).toMatch(/^HTTP\/1\.1 400 /);
    }
    const key = await session(url);
    const origin = `http://127.0.0.1:${port}`;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?session=${encodeURIComponent(key)}`, { origin });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const utf8 = await open();
    utf8.on('error', () => {});
    const c1 = closed(utf8);
    utf8.send(Buffer.from([0xc3, 0x28]), { binary: false });
    expect(await c1).toBe(1007);
    const big = await open();
    big.on('error', () => {});
    const c2 = closed(big);
    big.send(Buffer.alloc(33 * 1024 * 1024, 0x20), { binary: false });
    expect(await c2).toBe(1009);

    // The same process still answers a real request.
    const good = await open();
    const answer = new Promise<Record<string, unknown>>((resolve) =>
      good.on('message', (d) => {
        const m = JSON.parse(String(d)) as Record<string, unknown>;
        if (m.id === 1) resolve(m);
      }),
    );
    good.send(JSON.stringify({ id: 1, call: 'getSelf', args: [] }));
    expect(await answer).toMatchObject({ ok: true });
    good.close();
    expect(proc.child.exitCode).toBeNull();
  }, 90_000);

  it('one instance per data dir: a second start opens a new tab; a tab survives the engine restarting', async () => {
    const dataDir = await tempDir('ferry-ui-');
    const first = startUi(dataDir);
    const { url, port } = await uiLine(first);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?code=[\\w-]{43}$`));

    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('.app-shell');
    // Nothing secret is left in the address bar (the code died; the key went to sessionStorage).
    expect(page.url()).toBe(`http://127.0.0.1:${port}/`);
    // The used link is dead for anyone else.
    const reuse = await context.newPage();
    const dead = await reuse.goto(url);
    expect(dead?.status()).toBe(403);
    await reuse.close();

    // A second `ferry ui` on the same data dir: no DATA_DIR_IN_USE, a fresh link, exit 0.
    const second = startUi(dataDir);
    const again = await uiLine(second);
    expect(again.existing).toBe(true);
    expect(await second.exited).toBe(0);
    const tab2 = await context.newPage();
    await tab2.goto(again.url);
    await tab2.waitForSelector('.app-shell');
    await tab2.close();

    // The engine dies: the tab says how to get back...
    first.child.kill('SIGKILL');
    await first.exited;
    const banner = page.locator('.banner.danger');
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toContain('ferry ui');

    // ...and comes back by itself when the same engine returns (same data dir → same port and secret).
    const third = startUi(dataDir);
    const back = await uiLine(third);
    expect(back.existing).toBe(false);
    expect(back.port).toBe(port);
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    await page.waitForSelector('.app-shell');
    expect(page.url()).toBe(`http://127.0.0.1:${port}/`);
    const self = await page.evaluate(() => window.location.href);
    expect(self).not.toContain('session');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    await context.close();
  }, 120_000);
});
