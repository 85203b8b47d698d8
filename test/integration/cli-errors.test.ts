/**
 * `ferry send` failures: quick, honest about --timeout, caught locally before
 * connecting when they are local, told in plain words (codes only with --json),
 * "Cancelled." on Ctrl-C, and a visible wait while the peer is away.
 */
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runFerry, spawnFerry, throttledProxy, type FerryProcess } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { randomFile, sha256, tree } from '../helpers/transfer';

async function listen(port: number, downloads: string, extra: string[] = []): Promise<FerryProcess> {
  const proc = spawnFerry([
    'listen',
    '--data-dir',
    await tempDir(),
    '--port',
    String(port),
    '--name',
    'Bob',
    '--no-discovery',
    '--no-ipmsg',
    '--host',
    '127.0.0.1',
    '--download-dir',
    downloads,
    ...extra,
  ]);
  await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  return proc;
}

/** A port that was bound on 127.0.0.1 and closed again: connecting to it is refused. */
async function refusedPort(): Promise<number> {
  return freePort();
}

/** Until `check` holds, polling (no fixed sleeps as synchronisation). */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ferry send: failures', () => {
  it('reports a refused port as refused at once, not as a --timeout 30 timeout, in plain words', async () => {
    const port = await refusedPort();
    const dataDir = path.join(await tempDir(), 'sender');
    const result = await runFerry(
      ['send', '--to', `127.0.0.1:${port}`, '--data-dir', dataDir, '--timeout', '30', '-m', 'hi'],
      25_000, // well before the 30 s --timeout could have fired
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Nothing is listening at 127\.0\.0\.1:\d+: is Ferry running there/m);
    expect(result.stderr).not.toMatch(/within 30 s/);
    expect(result.stderr).not.toMatch(/PEER_UNREACHABLE|[A-Z]{4,}_[A-Z]{3,}/);
    // --json: one line with the code, for scripts.
    const json = await runFerry(['send', '--json', '--to', `127.0.0.1:${port}`, '--data-dir', dataDir, '-m', 'hi']);
    expect(json.code).toBe(1);
    const line = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { event: string; code: string };
    expect(line).toMatchObject({ event: 'error', code: 'PEER_UNREACHABLE' });
  }, 60_000);

  it('honours --timeout while connecting to a peer that never answers', async () => {
    // Accepts TCP and then says nothing (no TLS): without --timeout the engine waits 10 s.
    const held = new Set<net.Socket>();
    const silent = net.createServer((s) => held.add(s.on('error', () => {})));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const result = await runFerry(
        ['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), '--timeout', '1', '-m', 'hi'],
        25_000,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/No answer from 127\.0\.0\.1:\d+ within 1 s/);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  }, 40_000);

  it('Ctrl-C while connecting prints "Cancelled." and exits 130', async () => {
    let connected = false;
    const held = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      connected = true;
      held.add(s.on('error', () => {}));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const sender = spawnFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), '-m', 'hi']);
      await until(() => connected, 20_000, 'the sender dialing');
      sender.child.kill('SIGINT');
      expect(await sender.exited).toBe(130);
      expect(sender.stderr().trim()).toBe('Cancelled.');
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  }, 40_000);

  it('a missing file is reported before connecting (no node started) in plain words', async () => {
    const port = await freePort();
    const bob = await listen(port, await tempDir(), ['--accept', '--accept-from', 'any']);
    const dataDir = path.join(await tempDir(), 'sender');
    const result = await runFerry([
      'send',
      '--to',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '/nonexistent/file.bin',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`"/nonexistent/file.bin" doesn't exist; nothing was sent.`);
    // The sender never started a node, so it cannot have connected.
    expect(existsSync(dataDir)).toBe(false);
    expect(bob.lines.filter((l) => l.event === 'peerUpdated')).toEqual([]);
  }, 60_000);

  it('an unreadable file is reported before connecting', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'secret.bin');
    await writeFile(file, 'x');
    await chmod(file, 0o000);
    await chmod(dir, 0o755);
    const dataDir = path.join(await tempDir(), 'sender');
    // Root reads anything: run the sender as "nobody" there, so the file really is unreadable.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await runFerry(
      ['send', '--to', `127.0.0.1:${await refusedPort()}`, '--data-dir', dataDir, file],
      30_000,
      asNobody,
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trim()).toBe(`"${file}" can't be read (permission denied); nothing was sent.`);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('Ctrl-C while waiting for an answer prints "Cancelled.", exits 130 and tells the receiver', async () => {
    const port = await freePort();
    const bob = await listen(port, await tempDir()); // no --accept: the offer waits
    const src = await tempDir();
    const file = await randomFile(path.join(src, 'x.bin'), 1000);
    const sender = spawnFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), file]);
    await until(() => sender.stderr().includes('waiting for an answer'), 20_000, 'the offer');
    sender.child.kill('SIGINT');
    expect(await sender.exited).toBe(130);
    expect(sender.stderr().trim().split('\n').at(-1)).toBe('Cancelled.');
    expect(sender.stderr()).not.toMatch(/CANCELLED/);
    await bob.waitFor((l) => l.event === 'transferUpdated' && l.state === 'cancelled', 10_000, 'cancel reaches Bob');
  }, 60_000);

  it('says "waiting for Bob to come back…" while the peer is away, then finishes', async () => {
    const port = await freePort();
    const downloads = await tempDir();
    const bob = await listen(port, downloads, ['--accept', '--accept-from', 'any']);
    const src = await tempDir();
    const size = 12 * 1024 * 1024;
    const file = await randomFile(path.join(src, 'big.bin'), size);
    const proxy = await throttledProxy(port, 2 * 1024 * 1024);
    const sender = spawnFerry(['send', '--to', `127.0.0.1:${proxy.port}`, '--data-dir', await tempDir(), file]);
    await bob.waitFor((l) => l.event === 'transferProgress' && (l.bytesDone as number) > 0, 30_000, 'data moving');
    expect(sender.stderr()).not.toContain('come back');
    proxy.away(); // every connection through the proxy drops: Bob is gone as far as the sender knows
    await until(() => sender.stderr().includes('waiting for Bob to come back…'), 20_000, 'the waiting line');
    proxy.unthrottle();
    proxy.back();
    expect(await sender.exited, sender.stderr()).toBe(0);
    expect(sender.stderr()).toMatch(/waiting for Bob to come back…[\s\S]*Bob is back; continuing/);
    expect(await tree(downloads)).toEqual(['big.bin']);
    expect(await sha256(path.join(downloads, 'big.bin'))).toBe(await sha256(file));
  }, 120_000);
});
