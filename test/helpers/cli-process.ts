/** `ferry` CLI processes for end-to-end tests: spawn, read JSON lines, call the API over stdin. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';
import { tcpProxy } from './tcp-proxy';

export const FERRY_BIN = path.resolve(import.meta.dirname, '../../bin/ferry.mjs');

const live = new Set<ChildProcess>();
afterEach(() => {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
});

export type JsonLine = Record<string, unknown> & { event: string };

export interface FerryProcess {
  child: ChildProcess;
  lines: JsonLine[];
  /** Stdout exactly as written (escape sequences and all). */
  stdout: () => string;
  stderr: () => string;
  waitFor(match: (line: JsonLine) => boolean, timeoutMs?: number, what?: string): Promise<JsonLine>;
  call(name: string, ...args: unknown[]): Promise<unknown>;
  exited: Promise<number | null>;
}

let nextCall = 1;

/** `prefix` runs it under another command, e.g. ['ip', 'netns', 'exec', 'ns1']. */
export function spawnFerry(args: string[], prefix: string[] = []): FerryProcess {
  const command = [...prefix, process.execPath, FERRY_BIN, ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const lines: JsonLine[] = [];
  let stderr = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as JsonLine);
    } catch {
      lines.push({ event: 'text', text: line });
    }
    for (const w of waiters) w();
  });
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    for (const w of waiters) w();
    return code as number | null;
  });
  const proc: FerryProcess = {
    child,
    lines,
    stdout: () => stdout,
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
            reject(new Error(`process exited before ${what}; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`timed out waiting for ${what}; stdout: ${JSON.stringify(lines.slice(-5))}; stderr: ${stderr}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async call(name, ...callArgs) {
      const id = nextCall++;
      child.stdin!.write(`${JSON.stringify({ id, call: name, args: callArgs })}\n`);
      const line = await proc.waitFor((l) => l.event === 'result' && l.id === id, 15_000, `result of ${name}`);
      if (!line.ok) throw Object.assign(new Error(JSON.stringify(line.error)), line.error as object);
      return line.result;
    },
  };
  return proc;
}

export function runFerry(
  args: string[],
  timeoutMs = 30_000,
  /** `uid`/`gid` run it as another user (needs root), e.g. to meet a file it can't read. */
  options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ferry ${args[0]} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TtyFerry {
  /** Everything the terminal showed so far, escape sequences and all. */
  output: () => string;
  /** Types into the terminal (use "\r" for Enter). */
  type(text: string): void;
  waitForOutput(match: RegExp, timeoutMs?: number, from?: number): Promise<void>;
  exited: Promise<number | null>;
  child: ChildProcess;
}

/**
 * `ferry` on a real pseudo-terminal: util-linux `script` gives the process a
 * pty (isTTY is true for stdin and stdout) and relays our pipe to it.
 */
export function ttyFerry(args: string[]): TtyFerry {
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, FERRY_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' },
  });
  live.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: string) => {
    output += d;
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    for (const w of waiters) w();
    return code as number | null;
  });
  return {
    child,
    exited,
    output: () => output,
    type: (text) => void child.stdin!.write(text),
    waitForOutput(match, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (match.test(output.slice(from))) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`terminal exited before ${match}; output: ${output.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${match}; output: ${output.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export interface Proxy {
  port: number;
  /** Connections it has accepted so far. */
  accepted: () => number;
  /** Lifts the rate limit. */
  unthrottle(): void;
  /** Drops every connection and refuses new ones (the peer is "away"), until back(). */
  away(): void;
  back(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 whose uploads (client → target) are limited to `bytesPerSecond`. */
export async function throttledProxy(targetPort: number, bytesPerSecond: number): Promise<Proxy> {
  let rate = bytesPerSecond;
  let isAway = false;
  let accepted = 0;
  const proxy = await tcpProxy(targetPort, ({ client, upstream, forward }) => {
    if (isAway) return false;
    accepted++;
    client.on('data', (chunk: Buffer) => {
      if (rate === Infinity) return forward(chunk);
      upstream.write(chunk);
      // Hold the next read back for as long as this chunk "takes" at the rate.
      client.pause();
      setTimeout(() => client.resume(), (chunk.byteLength / rate) * 1000);
    });
  });
  return {
    port: proxy.port,
    accepted: () => accepted,
    unthrottle: () => (rate = Infinity),
    away() {
      isAway = true;
      for (const s of proxy.sockets) s.destroy();
    },
    back: () => (isAway = false),
    close: proxy.close,
  };
}
