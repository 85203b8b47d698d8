/**
 * The last-resort net in a real host process running a real engine: repeated
 * unhandled rejections and operational exceptions are logged once each and the
 * engine keeps answering; a programming error stops the engine cleanly with
 * exit status 70 and a line saying why.
 *
 * The same rules in this process ("in-process" below): Vitest keeps its own
 * process-wide handlers, so those tests call the handlers installLastResort adds
 * (found on `process`) directly, with a log, shutdown and exit of their own.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from '../../test/helpers/raw-peer';
import { tempDir } from '../../test/helpers/temp-dir';
import { FerryError } from './ferry-error';
import { installLastResort, isOperational, UNSAFE_EXIT_CODE, type LastResortOptions } from './last-resort';

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

/** Installs the net with a recording log/shutdown/exit; returns the two handlers it put on `process`. */
function inProcess(options: Partial<LastResortOptions> = {}) {
  const lines: string[] = [];
  const exits: number[] = [];
  let shutdowns = 0;
  const before = {
    rejection: process.listeners('unhandledRejection'),
    exception: process.listeners('uncaughtException'),
  };
  const remove = installLastResort({
    log: (line) => lines.push(line),
    context: () => 'unit host (data dir /tmp/x)',
    shutdown: async () => {
      shutdowns++;
    },
    exit: (code) => exits.push(code),
    ...options,
  });
  removers.push(remove);
  const added = <T>(now: T[], old: T[]) => now.filter((l) => !old.includes(l));
  const [rejection] = added(process.listeners('unhandledRejection'), before.rejection) as ((r: unknown) => void)[];
  const [exception] = added(process.listeners('uncaughtException'), before.exception) as ((e: unknown) => void)[];
  return { lines, exits, shutdowns: () => shutdowns, rejection: rejection!, exception: exception!, remove };
}
const removers: (() => void)[] = [];
afterEach(() => {
  for (const r of removers.splice(0)) r();
  vi.useRealTimers();
});

const ioError = (code: string) => Object.assign(new Error(`failed: ${code}`), { code });

describe('last-resort handler (in-process)', () => {
  it('adds one handler for each kind and removes exactly those', () => {
    const rejections = process.listenerCount('unhandledRejection');
    const exceptions = process.listenerCount('uncaughtException');
    const net = inProcess();
    expect(process.listenerCount('unhandledRejection')).toBe(rejections + 1);
    expect(process.listenerCount('uncaughtException')).toBe(exceptions + 1);
    net.remove();
    expect(process.listeners('unhandledRejection')).not.toContain(net.rejection);
    expect(process.listeners('uncaughtException')).not.toContain(net.exception);
    expect(process.listenerCount('unhandledRejection')).toBe(rejections);
    expect(process.listenerCount('uncaughtException')).toBe(exceptions);
  });

  it('logs each unhandled rejection once with the context, however often it repeats, and keeps running', () => {
    const net = inProcess();
    const boom = new Error('boom in a promise');
    for (let i = 0; i < 3; i++) net.rejection(boom);
    expect(net.lines).toHaveLength(1);
    expect(net.lines[0]).toMatch(
      /^ferry: unhandled promise rejection in unit host \(data dir \/tmp\/x\) \(kept running; reported once\): Error: boom in a promise\n {4}at /,
    );
    // Another message is another line; the same message thrown from elsewhere deeper in the stack is not.
    net.rejection(new Error('another'));
    expect(net.lines).toHaveLength(2);
    const deeper = new Error('boom in a promise');
    deeper.stack = `${boom.stack!.split('\n').slice(0, 2).join('\n')}\n    at somewhere else (x.js:1:1)`;
    net.rejection(deeper);
    expect(net.lines).toHaveLength(2);
    const elsewhere = new Error('boom in a promise');
    elsewhere.stack = 'Error: boom in a promise\n    at another place (y.js:2:2)';
    net.rejection(elsewhere);
    expect(net.lines).toHaveLength(3);
    expect(net.exits).toEqual([]);
    expect(net.shutdowns()).toBe(0);
  });

  it('describes what was thrown, error or not', () => {
    const net = inProcess();
    net.rejection({ reason: 'quota' });
    expect(net.lines.at(-1)).toMatch(/: non-error value: \{"reason":"quota"\}$/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    net.rejection(circular);
    expect(net.lines.at(-1)).toMatch(/: non-error value: \[object Object\]$/);
    net.rejection(undefined);
    expect(net.lines.at(-1)).toMatch(/: non-error value: undefined$/);
    const bare = new RangeError('no stack here');
    bare.stack = undefined;
    net.rejection(bare);
    expect(net.lines.at(-1)).toMatch(/\): RangeError: no stack here$/);
    expect(net.lines).toHaveLength(4);
  });

  it('names the host "ferry" when its context cannot be told', () => {
    const net = inProcess({
      context: () => {
        throw new Error('no context');
      },
    });
    net.rejection(new Error('x'));
    expect(net.lines[0]).toMatch(/^ferry: unhandled promise rejection in ferry \(kept running/);
  });

  it('remembers at most 1000 distinct failures; past that, new ones are logged each time rather than stored', () => {
    const net = inProcess();
    for (let i = 0; i < 999; i++) net.rejection(`failure ${i}`);
    expect(net.lines).toHaveLength(999);
    net.rejection('number 1000');
    net.rejection('number 1000');
    expect(net.lines).toHaveLength(1000); // the 1000th is still remembered
    net.rejection('one too many');
    net.rejection('one too many');
    expect(net.lines).toHaveLength(1002);
    net.rejection('failure 0'); // remembered ones stay quiet
    expect(net.lines).toHaveLength(1002);
  });

  it('keeps running after an operational exception, logging it once', () => {
    const net = inProcess();
    for (let i = 0; i < 3; i++) net.exception(ioError('EPIPE'));
    expect(net.lines).toHaveLength(1);
    expect(net.lines[0]).toMatch(
      /^ferry: uncaught exception in unit host \(data dir \/tmp\/x\) \(kept running; reported once\): Error: failed: EPIPE/,
    );
    // The same error as a rejection is a separate line.
    net.rejection(ioError('EPIPE'));
    net.exception(new FerryError('DISK_FULL', 'the disk is full'));
    net.exception(Object.assign(new Error('database is locked'), { name: 'SQLite3Error' }));
    expect(net.lines).toHaveLength(4);
    expect(net.exits).toEqual([]);
    expect(net.shutdowns()).toBe(0);
  });

  it('tells operational failures (I/O, FerryError, SQLite) from programming errors', () => {
    const operational = [
      'ECONNRESET',
      'ECONNREFUSED',
      'ECONNABORTED',
      'EPIPE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOSPC',
      'EDQUOT',
      'EIO',
      'EROFS',
      'EACCES',
      'EPERM',
      'ENOENT',
      'EMFILE',
      'ENFILE',
      'ERR_STREAM_DESTROYED',
      'ERR_STREAM_PREMATURE_CLOSE',
      'ERR_STREAM_WRITE_AFTER_END',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ];
    for (const code of operational) expect(isOperational(ioError(code)), code).toBe(true);
    expect(isOperational(new FerryError('INTERNAL', 'x'))).toBe(true);
    expect(isOperational(Object.assign(new Error('x'), { name: 'SQLite3Error' }))).toBe(true);
    expect(isOperational({ code: 'EPIPE' })).toBe(true);
    for (const bug of [
      new TypeError("Cannot set properties of null (setting 'x')"),
      ioError('ERR_INVALID_ARG_TYPE'),
      ioError(''),
      { code: 32 },
      { name: 'Error' },
      null,
      undefined,
      'EPIPE',
    ])
      expect(isOperational(bug), String(bug)).toBe(false);
  });

  it('after a programming error stops the engine once, then exits with status 70', async () => {
    let finish!: () => void;
    const stopped = new Promise<void>((r) => (finish = r));
    let calls = 0;
    const net = inProcess({
      shutdown: () => {
        calls++;
        return stopped;
      },
    });
    net.exception(new TypeError("Cannot set properties of null (setting 'x')"));
    net.exception(new TypeError('a second one while stopping'));
    expect(calls).toBe(1);
    expect(net.lines).toHaveLength(1);
    expect(net.lines[0]).toMatch(
      /^ferry: unexpected error in unit host \(data dir \/tmp\/x\); stopping cleanly so no data is damaged\. Start Ferry again; if it repeats, report this: TypeError: Cannot set properties of null/,
    );
    expect(net.exits).toEqual([]); // not before the engine stopped
    finish();
    await vi.waitFor(() => expect(net.exits).toEqual([UNSAFE_EXIT_CODE]));
    expect(UNSAFE_EXIT_CODE).toBe(70);
    // Operational failures during the stop are still only logged.
    net.exception(ioError('ECONNRESET'));
    expect(net.lines).toHaveLength(2);
    expect(net.exits).toEqual([70]);
  });

  it('exits with status 70 even when stopping fails, and says so', async () => {
    const net = inProcess({ shutdown: () => Promise.reject(new Error('database is closed')) });
    net.exception(new ReferenceError('x is not defined'));
    await vi.waitFor(() => expect(net.exits).toEqual([70]));
    expect(net.lines).toHaveLength(2);
    expect(net.lines[1]).toMatch(/^ferry: stopping after the error failed too: Error: database is closed/);
  });

  it('exits with status 70 after 5 s when stopping hangs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const net = inProcess({ shutdown: () => new Promise<void>(() => {}) });
    net.exception(new ReferenceError('x is not defined'));
    vi.advanceTimersByTime(4_999);
    expect(net.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(net.exits).toEqual([70]);
  });

  it('cancels the 5 s deadline once the engine stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const net = inProcess();
    net.exception(new ReferenceError('x is not defined'));
    await vi.waitFor(() => expect(net.exits).toEqual([70]));
    vi.advanceTimersByTime(10_000);
    expect(net.exits).toEqual([70]);
  });
});

// Last in the file: a failing in-process test above stops a mutant run before these slow ones.
describe('last-resort handler (child process)', () => {
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
