/**
 * Re-running `ferry send` with the same files to the same peer after the sender
 * was SIGKILLed mid-transfer resumes that transfer (and says so) instead of
 * sending a second copy; `--new` starts over.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runFerry, spawnFerry, throttledProxy, type FerryProcess } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { randomFile, sha256, tree } from '../helpers/transfer';

async function listen(port: number, downloads: string): Promise<FerryProcess> {
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
    '--accept',
    '--accept-from',
    'any',
  ]);
  await proc.waitFor((l) => l.event === 'listening', 20_000, 'listening');
  return proc;
}

const offersSeen = (bob: FerryProcess) =>
  new Set(bob.lines.filter((l) => l.event === 'transferUpdated' && l.direction === 'in').map((l) => l.id as string));

/** Starts a throttled send and SIGKILLs the sender once Bob's .part holds some of it. */
async function killedMidway(
  bob: FerryProcess,
  port: number,
  downloads: string,
): Promise<{ file: string; senderDir: string; firstId: string; size: number }> {
  const src = await tempDir();
  const size = 16 * 1024 * 1024;
  const file = await randomFile(path.join(src, 'big.bin'), size);
  const senderDir = await tempDir();
  const proxy = await throttledProxy(port, 2 * 1024 * 1024);
  const sender = spawnFerry(['send', '--to', `127.0.0.1:${proxy.port}`, '--data-dir', senderDir, file]);
  const progress = await bob.waitFor(
    (l) => l.event === 'transferProgress' && (l.bytesDone as number) >= 2 * 1024 * 1024,
    60_000,
    'a few MiB arrived',
  );
  sender.child.kill('SIGKILL');
  await sender.exited;
  const part = await stat(path.join(downloads, 'big.bin.part'));
  expect(part.size).toBeLessThan(size);
  return { file, senderDir, firstId: progress.id as string, size };
}

describe('ferry send again after a crash', () => {
  it('resumes the unfinished transfer of the same files: one transfer, one file, right hash', async () => {
    const port = await freePort();
    const downloads = await tempDir();
    const bob = await listen(port, downloads);
    const { file, senderDir, firstId } = await killedMidway(bob, port, downloads);

    // Same command, straight to Bob this time (no throttle).
    const again = await runFerry(['send', '--to', `127.0.0.1:${port}`, '--data-dir', senderDir, file], 90_000);
    expect(again.code, again.stderr).toBe(0);
    // Bob was offered these files once: the rerun continued that offer rather than making another.
    expect([...offersSeen(bob)]).toEqual([firstId]);
    await bob.waitFor((l) => l.event === 'transferUpdated' && l.id === firstId && l.state === 'done', 10_000, 'done');
    expect(again.stderr).toMatch(/resuming the unfinished transfer of these files to Bob \(\d+ % done/);
    expect(again.stderr).not.toMatch(/^offered /m);
    expect(again.stdout).toMatch(/sent 1 item\(s\), 16\.0 MiB to Bob; verified/);
    expect(await tree(downloads)).toEqual(['big.bin']);
    expect(await sha256(path.join(downloads, 'big.bin'))).toBe(await sha256(file));
  }, 180_000);

  it('--new cancels the unfinished one and sends a fresh copy, still one file', async () => {
    const port = await freePort();
    const downloads = await tempDir();
    const bob = await listen(port, downloads);
    const { file, senderDir, firstId } = await killedMidway(bob, port, downloads);

    const again = await runFerry(['send', '--new', '--to', `127.0.0.1:${port}`, '--data-dir', senderDir, file], 90_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/cancelled the unfinished transfer of these files; starting over \(--new\)/);
    expect(again.stderr).toMatch(/^offered 1 item/m);
    await bob.waitFor(
      (l) => l.event === 'transferUpdated' && l.id === firstId && l.state === 'cancelled',
      10_000,
      'the old one cancelled',
    );
    const ids = [...offersSeen(bob)];
    expect(ids).toHaveLength(2);
    const secondId = ids.find((id) => id !== firstId)!;
    await bob.waitFor((l) => l.event === 'transferUpdated' && l.id === secondId && l.state === 'done', 10_000, 'done');
    // The cancelled transfer's .part goes shortly after the cancel.
    const start = Date.now();
    while ((await tree(downloads)).length !== 1 && Date.now() - start < 10_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(await tree(downloads)).toEqual(['big.bin']);
    expect(await sha256(path.join(downloads, 'big.bin'))).toBe(await sha256(file));
  }, 180_000);
});
