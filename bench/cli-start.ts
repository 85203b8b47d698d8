/**
 * How long `ferry` takes to start, bundled (out/cli, what `npm run build` makes) and from
 * sources through tsx, against `node -e 0` on the same machine in the same run. Part of
 * `npm run bench` (section "start"); alone: `npm run bench:cli-start -- [--reps 20]`.
 *
 *   - `ferry --help`: spawn to exit.
 *   - `ferry send`: spawn until it is ready to connect, i.e. its node is up and the dial
 *     starts (`ferry:ready` on stderr with FERRY_REPORT_READY=1, see send-command.ts), to
 *     127.0.0.1:<a port nobody listens on>. `ferry send` never discovers or talks IP
 *     Messenger, so nothing leaves the machine. Its data dir is made by one untimed run
 *     first: creating a device identity (a key pair) happens once per install, not per send.
 *
 * The variants run interleaved (one of each per round), so a busy moment of a shared
 * machine hits all of them alike. Each figure: median (min–max) of the rounds, and the
 * median ÷ the median of `node -e 0`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { staleReason } from '../bin/cli-bundle.mjs';

const root = path.resolve(import.meta.dirname, '..');
const BIN = path.join(root, 'bin', 'ferry.mjs');

export interface StartStats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface StartResult {
  reps: number;
  ms: Record<string, StartStats>;
  /** Each variant's median ÷ the baseline's median. */
  ratio: Record<string, number>;
  /** The table `npm run bench` prints: [label, figure, ratio]. */
  rows: string[][];
}

const stats = (runs: number[]): StartStats => {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)!, runs };
};

/** Milliseconds from spawn until `done` says so (a line on stderr) or the process exits. */
function timeRun(args: string[], env: NodeJS.ProcessEnv, readyLine?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    let at: number | null = null;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (readyLine && at === null && stderr.split('\n').includes(readyLine)) at = elapsed();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const end = elapsed();
      if (!readyLine)
        return code === 0 ? resolve(end) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      // The send itself fails (nobody listens): only the marker matters.
      if (at === null) reject(new Error(`${args.join(' ')} never got ready: ${stderr}`));
      else resolve(at);
    });
  });
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = (server.address() as net.AddressInfo)!;
      server.close(() => resolve(port));
    });
  });
}

/** Builds out/cli when it is missing or older than its sources. */
export function ensureBundle(): void {
  const stale = staleReason();
  if (!stale) return;
  process.stderr.write(`building the CLI bundle (${stale})…\n`);
  const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('scripts/build-cli.mjs failed');
}

export async function cliStart(reps: number): Promise<StartResult> {
  ensureBundle();
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-start-'));
  try {
    const port = await closedPort();
    const send = (dir: string) => [
      BIN,
      'send',
      '--to',
      `127.0.0.1:${port}`,
      '--data-dir',
      path.join(work, dir),
      '--timeout',
      '2',
      '--message',
      'hi',
    ];
    const READY = { FERRY_REPORT_READY: '1' };
    const variants: [string, () => Promise<number>][] = [
      ['node -e 0', () => timeRun(['-e', '0'], {})],
      ['ferry --help, bundled', () => timeRun([BIN, '--help'], { FERRY_CLI: 'bundle' })],
      ['ferry --help, tsx', () => timeRun([BIN, '--help'], { FERRY_CLI: 'source' })],
      ['ferry send → ready, bundled', () => timeRun(send('bundled'), { ...READY, FERRY_CLI: 'bundle' }, 'ferry:ready')],
      ['ferry send → ready, tsx', () => timeRun(send('tsx'), { ...READY, FERRY_CLI: 'source' }, 'ferry:ready')],
    ];
    // Untimed: each send's data dir gets its identity, and the disk cache its files.
    for (const [, run] of variants) await run();
    const runs = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let i = 0; i < reps; i++) for (const [name, run] of variants) runs.get(name)!.push(await run());

    const ms = Object.fromEntries([...runs].map(([name, r]) => [name, stats(r)]));
    const base = ms['node -e 0']!.median;
    const ratio = Object.fromEntries(Object.entries(ms).map(([name, s]) => [name, s.median / base]));
    const f = (n: number) => n.toFixed(0);
    const rows = [
      ['CLI start', 'ms: median (min–max)', '÷ node -e 0 (medians)'],
      ...Object.entries(ms).map(([name, s]) => [
        `  ${name}`,
        `${f(s.median)} (${f(s.min)}–${f(s.max)}) ms`,
        `${ratio[name]!.toFixed(2)}`,
      ]),
    ];
    return { reps, ms, ratio, rows };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '20' } } });
  const result = await cliStart(Number(values.reps));
  console.log(`Node ${process.version}, ${os.cpus().length} cores; ${result.reps} interleaved rounds.\n`);
  const widths = [0, 1, 2].map((c) => Math.max(...result.rows.map((r) => r[c]!.length)));
  for (const r of result.rows)
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('   ')
        .trimEnd(),
    );
}
