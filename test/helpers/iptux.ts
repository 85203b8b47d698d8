/**
 * The iptux peer for IP Messenger interop tests: a headless program
 * (test/interop/iptux/driver.cpp) that runs Debian's libiptux-core, the engine
 * the iptux GUI runs on, driven by JSON lines. It broadcasts as soon as it
 * starts, so it only ever runs inside a network namespace (`netns` is required).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DRIVER_SOURCE = path.join(ROOT, 'test/interop/iptux/driver.cpp');
const CACHE_DIR = path.join(ROOT, 'node_modules/.cache/ferry-iptux');

export type JsonEvent = Record<string, unknown> & { event: string };

/** A child process that writes one JSON object per line on stdout and reads them on stdin. */
export interface JsonLinesProcess {
  child: ChildProcess;
  /** Every line so far, parsed (a line that isn't JSON becomes `{event:'text', text}`). */
  lines: JsonEvent[];
  stderr: () => string;
  /** The first line (already seen or still to come) that matches. */
  waitFor(match: (line: JsonEvent) => boolean, timeoutMs?: number, what?: string): Promise<JsonEvent>;
  send(command: Record<string, unknown>): void;
  exited: Promise<number | null>;
  /** Closes stdin (or sends `quitCommand`), waits for the exit, kills after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();
afterEach(() => {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
});

export function spawnJsonLines(
  command: string[],
  options: { quitCommand?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): JsonLinesProcess {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: options.env });
  live.add(child);
  const lines: JsonEvent[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as JsonEvent);
    } catch {
      lines.push({ event: 'text', text: line });
    }
    for (const w of waiters) w();
  });
  // A write after the child died must not crash the test run.
  child.stdin!.on('error', () => {});
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    for (const w of waiters) w();
    return code as number | null;
  });
  const tail = () => `last lines: ${JSON.stringify(lines.slice(-6))}; stderr: ${stderr.slice(-3000)}`;
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(match, timeoutMs = 15_000, what = 'a matching line') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(match);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`${command[0]} exited before ${what}; ${tail()}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${tail()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    send(cmd) {
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    },
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      if (options.quitCommand) child.stdin!.write(`${JSON.stringify(options.quitCommand)}\n`);
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

let skipReason: string | null | undefined;

/**
 * Why the iptux tests can't run here (not Linux, not root, no iproute2), or null.
 * Installs the iptux packages when they are missing (scripts/ensure-test-deps.mjs
 * iptux) and builds the driver; when that fails as root it throws (a failure, not a skip).
 */
export function iptuxSkipReason(): string | null {
  if (skipReason !== undefined) return skipReason;
  skipReason = findSkipReason();
  return skipReason;
}

function findSkipReason(): string | null {
  if (process.platform !== 'linux') return 'iptux runs in Linux network namespaces only';
  if (process.getuid?.() !== 0) return 'running iptux inside network namespaces needs root';
  if (!has('ip')) return 'iproute2 (ip) is not installed';
  const deps = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ensure-test-deps.mjs'), 'iptux'], {
    stdio: 'pipe',
    encoding: 'utf8',
  });
  // As root on Linux the tests can run, so a failed install or build is a failure, not a skip:
  // CI must not go green on iptux tests that never ran.
  if (deps.status !== 0)
    throw new Error(`could not install iptux and its build tools: ${(deps.stderr || deps.stdout).trim()}`);
  buildIptuxDriver();
  return null;
}

/**
 * Compiles driver.cpp against libiptux-core once; the binary is cached under
 * node_modules/.cache/ferry-iptux, named by a hash of the source and the
 * compiler flags, so an edit (or a new libiptux-core) rebuilds it.
 */
export function buildIptuxDriver(): string {
  const pkg = execFileSync('pkg-config', ['--cflags', '--libs', 'iptux-core'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  const flags = ['-std=c++17', '-O1', '-Wall'];
  const hash = createHash('sha256')
    .update(readFileSync(DRIVER_SOURCE))
    .update(JSON.stringify([flags, pkg]))
    .digest('hex')
    .slice(0, 16);
  const binary = path.join(CACHE_DIR, `driver-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  const built = spawnSync('nice', ['-n', '19', 'g++', ...flags, DRIVER_SOURCE, ...pkg, '-o', partial], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`g++ failed: ${built.stderr || built.error?.message}`);
  renameSync(partial, binary);
  // Drop the builds of older sources.
  for (const old of readdirSync(CACHE_DIR))
    if (old.startsWith('driver-') && path.join(CACHE_DIR, old) !== binary)
      rmSync(path.join(CACHE_DIR, old), { force: true });
  return binary;
}

export interface IptuxOptions {
  /** The network namespace it runs in (required: iptux broadcasts at start). */
  netns: string;
  /** Its address in that namespace (for the caller's bookkeeping; see `bind`). */
  ip: string;
  nick: string;
  group?: string;
  /** Becomes its HOME (config and cache files). */
  dataDir: string;
  /** Where `accept` puts files when the command names no dir. */
  recvDir?: string;
  /** Address to bind UDP/TCP 2425 to. Default 0.0.0.0: a socket bound to one address hears no broadcasts. */
  bind?: string;
  /** The engine's preference_encode (default utf-8), e.g. 'gb18030' for a legacy-charset peer. */
  encoding?: string;
  /** The engine's candidacy_encode (default 'gb18030,utf-16'): charsets it tries on text that isn't valid in `encoding`. */
  candidates?: string;
  /** send_message_retry_in_us: the engine waits this long after each of its 4 tries for RECVMSG (default 1 s). */
  retryUs?: number;
  /** The engine's log level on stderr; DEBUG hex-dumps every UDP packet. */
  log?: 'WARN' | 'INFO' | 'DEBUG';
}

export type IptuxPeer = JsonLinesProcess & { ip: string };

/** Starts the driver in `netns`; resolves once the engine is up (its `ready` event). */
export async function spawnIptux(options: IptuxOptions): Promise<IptuxPeer> {
  const args = ['--home', options.dataDir, '--nick', options.nick, '--bind', options.bind ?? '0.0.0.0'];
  if (options.group !== undefined) args.push('--group', options.group);
  if (options.recvDir) args.push('--recv-dir', options.recvDir);
  if (options.encoding) args.push('--encoding', options.encoding);
  if (options.candidates) args.push('--candidates', options.candidates);
  if (options.retryUs) args.push('--retry-us', String(options.retryUs));
  if (options.log) args.push('--log', options.log);
  const proc = spawnJsonLines(['ip', 'netns', 'exec', options.netns, buildIptuxDriver(), ...args], {
    quitCommand: { cmd: 'quit' },
  });
  await proc.waitFor((l) => l.event === 'ready', 15_000, `iptux ${options.nick} ready`);
  return Object.assign(proc, { ip: options.ip });
}
