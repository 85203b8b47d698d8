/** `ferry` CLI processes for end-to-end tests: spawn, read JSON lines, call the API over stdin. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

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
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
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
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
