/**
 * The last-resort net in a real host process running a real engine: repeated
 * unhandled rejections and operational exceptions are logged once each and the
 * engine keeps answering; a programming error stops the engine cleanly with
 * exit status 70 and a line saying why.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/helpers/raw-peer';
import { tempDir } from '../../test/helpers/temp-dir';
import { UNSAFE_EXIT_CODE } from './last-resort';

const HOST = path.resolve(import.meta.dirname, '../../test/fixtures/last-resort-host.ts');
const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

async function host() {
  const child = spawn(process.execPath, ['--import', 'tsx', HOST, await tempDir()], { stdio: 'pipe' });
  children.add(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  await until(() => lines.includes('ready'), 20_000, 'host ready');
  const send = (cmd: string) => child.stdin.write(`${cmd}\n`);
  let pings = 0;
  /** Proves the engine still serves (and that every earlier line was processed). */
  const ping = async () => {
    const want = ++pings;
    send('ping');
    await until(() => lines.filter((l) => l === 'pong Host').length >= want, 10_000, `pong #${want}`);
  };
  return { child, lines, stderr: () => stderr, exited, send, ping };
}

describe('last-resort handler', () => {
  it('logs an unhandled rejection and an operational exception once each and keeps the engine serving', async () => {
    const h = await host();
    for (let i = 0; i < 3; i++) h.send('reject');
    for (let i = 0; i < 3; i++) h.send('throw-io');
    await h.ping();
    await until(() => /EPIPE/.test(h.stderr()), 5_000, 'the EPIPE line');
    const stderr = h.stderr();
    expect(stderr.match(/unhandled promise rejection/g)).toHaveLength(1);
    expect(stderr).toMatch(/boom in a promise/);
    expect(stderr).toMatch(/test host \(data dir /); // context
    expect(stderr.match(/uncaught exception/g)).toHaveLength(1);
    expect(h.child.exitCode).toBeNull();
  }, 30_000);

  it('stops cleanly with status 70 and says why after a programming error', async () => {
    const h = await host();
    h.send('throw-bug');
    expect(await h.exited).toBe(UNSAFE_EXIT_CODE);
    expect(h.lines).toContain('stopped'); // the engine was stopped, not killed
    expect(h.stderr()).toMatch(/unexpected error in test host.*stopping cleanly/);
    expect(h.stderr()).toMatch(/TypeError/);
  }, 30_000);
});
