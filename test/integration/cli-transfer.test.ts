/**
 * `ferry send FILE…` to a `ferry listen --accept` process, exit codes, and a
 * receiver SIGKILLed mid-transfer that resumes from its .part after a restart.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runFerry, spawnFerry, type FerryProcess } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { randomFile, sha256, tree, writeText } from '../helpers/transfer';

async function listen(
  dataDir: string,
  port: number,
  downloads: string,
  extra: string[] = [],
): Promise<{ proc: FerryProcess; id: string }> {
  const proc = spawnFerry([
    'listen',
    '--data-dir',
    dataDir,
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
  const ready = await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  return { proc, id: ready.id as string };
}

describe('ferry send FILE…', () => {
  it('sends files and a folder to `ferry listen --accept --accept-from any` and exits 0 once all are verified', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const port = await freePort();
    const a = await randomFile(path.join(src, 'a.bin'), 3_000_001);
    await writeText(path.join(src, 'docs', '说明.txt'), '你好');
    await listen(await tempDir(), port, downloads, ['--accept', '--accept-from', 'any']);
    const result = await runFerry(
      ['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), a, path.join(src, 'docs')],
      60_000,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/sent 2 item\(s\).*verified/);
    expect(result.stderr).toContain('accepted');
    expect(await tree(downloads)).toEqual(['a.bin', 'docs/', 'docs/说明.txt']);
    expect(await sha256(path.join(downloads, 'a.bin'))).toBe(await sha256(a));
  }, 90_000);

  it('without --accept-from any, an unverified sender waits; --timeout then cancels and the exit code is 1', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const port = await freePort();
    const bob = await listen(await tempDir(), port, downloads, ['--accept']);
    const file = await randomFile(path.join(src, 'x.bin'), 10);
    const result = await runFerry(
      ['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), '--timeout', '2', file],
      30_000,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Bob didn't answer within 2 s; the offer was withdrawn.");
    expect(result.stderr).not.toMatch(/CANCELLED/);
    await bob.proc.waitFor(
      (l) => l.event === 'transferUpdated' && l.state === 'cancelled',
      10_000,
      'cancel reaches Bob',
    );
    expect(await tree(downloads)).toEqual([]);
  }, 60_000);

  it('exits 1 when a source file does not exist, and 2 on bad --accept-from', async () => {
    const port = await freePort();
    await listen(await tempDir(), port, await tempDir(), ['--accept', '--accept-from', 'any']);
    const missing = await runFerry([
      'send',
      '--to',
      `127.0.0.1:${port}`,
      '--data-dir',
      await tempDir(),
      '/nonexistent/file.bin',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/"\/nonexistent\/file\.bin" doesn't exist; nothing was sent/);
    expect((await runFerry(['listen', '--accept', '--accept-from', 'everyone'])).code).toBe(2);
  }, 60_000);

  it('resumes from the .part after the receiver is SIGKILLed mid-transfer and restarted', async () => {
    const src = await tempDir();
    const downloads = await tempDir();
    const bobDir = await tempDir();
    const port = await freePort();
    const size = 512 * 1024 * 1024 + 333;
    const file = await randomFile(path.join(src, 'big.bin'), size);
    let bob = await listen(bobDir, port, downloads, ['--accept', '--accept-from', 'any']);
    const sender = spawnFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', await tempDir(), file]);
    const part = path.join(downloads, 'big.bin.part');
    let partSize = 0;
    for (let i = 0; i < 6000 && partSize < 32 * 1024 * 1024; i++) {
      partSize = (await stat(part).catch(() => ({ size: 0 }))).size;
      await new Promise((r) => setTimeout(r, 2));
    }
    bob.proc.child.kill('SIGKILL');
    await bob.proc.exited;
    const killedAt = (await stat(part)).size;
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(size);

    bob = await listen(bobDir, port, downloads, ['--accept', '--accept-from', 'any']);
    const done = await bob.proc.waitFor(
      (l) => l.event === 'transferUpdated' && l.state === 'done',
      90_000,
      'resumed transfer done',
    );
    expect(await sender.exited).toBe(0);
    // The restarted receiver continued from what was on disk, not from zero.
    const firstProgress = bob.proc.lines.find((l) => l.event === 'transferProgress' && l.id === done.id);
    expect(firstProgress?.bytesDone as number).toBeGreaterThanOrEqual(killedAt);
    expect(await tree(downloads)).toEqual(['big.bin']);
    expect(await sha256(path.join(downloads, 'big.bin'))).toBe(await sha256(file));
  }, 180_000);
});
