/**
 * `npm run bench`: Ferry against the machine's limits and the tools people use instead,
 * side by side in one run on 127.0.0.1, every sender and receiver in its own process.
 * Ratios, not absolute times, are the result: a shared machine's speed varies.
 *
 *   npm run bench -- [--size-mib 2048] [--reps 3] [--small-files 5000] [--peers 200]
 *                    [--start-reps 20] [--only start,large,small,latency,fanout] [--json PATH]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { randomFillSync } from 'node:crypto';
import { cliStart, ensureBundle } from './cli-start';

const root = path.resolve(import.meta.dirname, '..');
const cache = path.join(root, '.bench-cache');
/** Ferry's CLI as `npm run build` bundles it (out/cli), not compiled on the fly by tsx: see main(). */
const FERRY = path.join(root, 'bin', 'ferry.mjs');
const TSX = ['--import', 'tsx'];

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '2048' },
    reps: { type: 'string', default: '3' },
    'small-files': { type: 'string', default: '5000' },
    peers: { type: 'string', default: '200' },
    'start-reps': { type: 'string', default: '20' },
    only: { type: 'string', default: 'start,large,small,latency,fanout' },
    json: { type: 'string', default: path.join(cache, 'results.json') },
  },
});
const sizeMiB = Number(values['size-mib']);
const reps = Number(values.reps);
const smallCount = Number(values['small-files']);
const peerCount = Number(values.peers);
const startReps = Number(values['start-reps']);
const sections = new Set(values.only!.split(','));

type Stats = { median: number; min: number; max: number; runs: number[] };
const stats = (runs: number[]): Stats => {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)!, runs };
};
const fmt = (s: Stats | null, digits = 0) =>
  s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})` : 'n/a';
const MB = 1e6;

// ── processes ─────────────────────────────────────────────────────────────────

interface Proc {
  child: ChildProcess;
  lines: string[];
  next(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exit: Promise<number | null>;
  /** Peak resident memory so far, from /proc (Linux), in bytes. */
  peakRss(): number;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let peak = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // exited, or not Linux
    }
  };
  const sampler = setInterval(sample, 50);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) w();
    });
  }
  const exit = once(child, 'exit').then(([code]) => {
    clearInterval(sampler);
    for (const w of waiters.splice(0)) w();
    return code as number | null;
  });
  return {
    child,
    lines,
    exit,
    peakRss: () => (sample(), peak),
    async next(match, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < lines.length; seen++) if (match(lines[seen]!)) return lines[seen]!;
        if (child.exitCode !== null)
          throw new Error(`${command} ${args.join(' ')} exited: ${lines.slice(-5).join(' | ')}`);
        if (Date.now() > deadline) throw new Error(`timeout waiting on ${command} ${args.join(' ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

const json = (line: string) => JSON.parse(line) as Record<string, unknown>;
const isJson = (pred: (o: Record<string, unknown>) => boolean) => (line: string) => {
  try {
    return pred(json(line));
  } catch {
    return false;
  }
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

// ── data ──────────────────────────────────────────────────────────────────────

async function randomFile(mib: number): Promise<string> {
  const file = path.join(cache, `random-${mib}MiB.bin`);
  if (existsSync(file) && (await stat(file)).size === mib * 1024 * 1024) return file;
  await mkdir(cache, { recursive: true });
  process.stderr.write(`creating ${file} (once)…\n`);
  const out = createWriteStream(file);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mib; i++) {
    randomFillSync(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  return file;
}

async function smallFilesDir(count: number): Promise<string> {
  const dir = path.join(cache, `small-${count}x8KiB`);
  if (existsSync(dir) && (await readdir(dir)).length === count) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const chunk = Buffer.alloc(8192);
  for (let i = 0; i < count; i++) {
    randomFillSync(chunk);
    await writeFile(path.join(dir, `file-${String(i).padStart(5, '0')}.bin`), chunk);
  }
  return dir;
}

// ── measurements ──────────────────────────────────────────────────────────────

/** A baseline pipe between two processes; returns MB/s seen by the receiver. */
async function pipe(mode: 'tcp' | 'tls' | 'tls-sha256' | 'tls-sha256-disk', file: string): Promise<number> {
  const receiver = start(process.execPath, [...TSX, 'bench/pipe-peer.ts', 'receive', mode]);
  const { port } = json(await receiver.next(isJson((o) => 'port' in o)));
  const sender = start(process.execPath, [...TSX, 'bench/pipe-peer.ts', 'send', mode, String(port), file]);
  const report = json(await receiver.next(isJson((o) => 'bytes' in o)));
  await sender.exit;
  return Number(report.bytes) / MB / (Number(report.ms) / 1000);
}

/** A shell pipeline on both ends (tar | TLS pipe | tar -x): files/s and MB/s. */
async function tarPipe(dir: string, count: number): Promise<{ filesPerSec: number; mbps: number }> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-tar-'));
  const node = `${JSON.stringify(process.execPath)} --import tsx bench/pipe-peer.ts`;
  const receiver = start('sh', ['-c', `RECEIVE_OUT=stdout ${node} receive tls | tar -xf - -C ${JSON.stringify(out)}`]);
  const { port } = json(await receiver.next(isJson((o) => 'port' in o)));
  const t0 = process.hrtime.bigint();
  const sender = start('sh', ['-c', `tar -cf - -C ${JSON.stringify(dir)} . | ${node} send tls ${port} -`]);
  await Promise.all([sender.exit, receiver.exit]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const received = (await readdir(out)).length;
  await rm(out, { recursive: true, force: true });
  if (received !== count) throw new Error(`tar pipe delivered ${received}/${count} files`);
  return { filesPerSec: count / seconds, mbps: (count * 8192) / MB / seconds };
}

interface FerryRun {
  seconds: number;
  senderRss: number;
  receiverRss: number;
}

/** A `ferry listen --accept` receiver in `work`, ready for connections. */
async function startReceiver(work: string): Promise<{ receiver: Proc; port: number }> {
  const port = await freePort();
  const receiver = start(process.execPath, [
    FERRY,
    'listen',
    ...[
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--no-discovery',
      '--no-ipmsg',
      '--accept',
      '--accept-from',
      'any',
    ],
    ...['--data-dir', path.join(work, 'rx'), '--download-dir', path.join(work, 'dl'), '--name', 'bench-rx'],
  ]);
  await receiver.next(isJson((o) => o.event === 'listening'));
  return { receiver, port };
}

/** Ferry `send` → `listen --accept`, timed by the receiver from accept to verified. */
async function ferrySend(target: string, expectFiles: number): Promise<FerryRun> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-'));
  const { receiver, port } = await startReceiver(work);
  const sender = start(process.execPath, [
    FERRY,
    'send',
    '--to',
    `127.0.0.1:${port}`,
    '--data-dir',
    path.join(work, 'tx'),
    target,
  ]);
  let t0 = 0n;
  await receiver.next((line) => {
    if (!t0 && isJson((o) => o.event === 'transferUpdated' && o.state === 'active')(line)) t0 = process.hrtime.bigint();
    return isJson((o) => o.event === 'transferUpdated' && ['done', 'failed', 'cancelled'].includes(String(o.state)))(
      line,
    );
  });
  const t1 = process.hrtime.bigint();
  const code = await sender.exit;
  const result = {
    seconds: Number(t1 - (t0 || t1)) / 1e9,
    senderRss: sender.peakRss(),
    receiverRss: receiver.peakRss(),
  };
  receiver.child.kill('SIGINT');
  await receiver.exit;
  const files = await countFiles(path.join(work, 'dl'));
  await rm(work, { recursive: true, force: true });
  if (code !== 0) throw new Error(`ferry send exited ${code}: ${sender.lines.slice(-3).join(' | ')}`);
  if (files !== expectFiles) throw new Error(`ferry delivered ${files}/${expectFiles} files`);
  return result;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  return n;
}

// ── sections ──────────────────────────────────────────────────────────────────

const results: Record<string, unknown> = {};
const table: string[][] = [];
const row = (...cells: string[]) => table.push(cells);

async function large(): Promise<void> {
  const file = await randomFile(sizeMiB);
  const bytes = sizeMiB * 1024 * 1024;
  const runs: Record<string, number[]> = { tcp: [], tls: [], 'tls-sha256': [], 'tls-sha256-disk': [], ferry: [] };
  const rss = { sender: [] as number[], receiver: [] as number[] };
  for (let i = 0; i < reps; i++) {
    for (const mode of ['tcp', 'tls', 'tls-sha256', 'tls-sha256-disk'] as const)
      runs[mode]!.push(await pipe(mode, file));
    const ferry = await ferrySend(file, 1);
    runs.ferry!.push(bytes / MB / ferry.seconds);
    rss.sender.push(ferry.senderRss / 2 ** 20);
    rss.receiver.push(ferry.receiverRss / 2 ** 20);
  }
  const s = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, stats(v)]));
  const ratio = (base: string) => stats(runs.ferry!.map((v, i) => v / runs[base]![i]!));
  results.large = {
    sizeMiB,
    mbps: s,
    ferryRatio: {
      tcp: ratio('tcp'),
      tls: ratio('tls'),
      'tls-sha256': ratio('tls-sha256'),
      'tls-sha256-disk': ratio('tls-sha256-disk'),
    },
    peakRssMiB: { sender: stats(rss.sender), receiver: stats(rss.receiver) },
    scp:
      has('scp') && has('sshd')
        ? 'not measured (scp over a loopback sshd is not wired yet)'
        : 'skipped: OpenSSH not installed',
  };
  row('Large file', `${sizeMiB} MiB`, '');
  for (const [k, label] of [
    ['tcp', 'plain TCP pipe'],
    ['tls', 'TLS 1.3 pipe'],
    ['tls-sha256', 'TLS 1.3 + SHA-256 pipe'],
    ['tls-sha256-disk', '… + writing the file to disk'],
    ['ferry', 'Ferry send → listen'],
  ] as const) {
    row(`  ${label}`, `${fmt(s[k]!)} MB/s`, k === 'ferry' ? '' : `Ferry ÷ this: ${fmt(ratio(k), 2)}`);
  }
  row('  Ferry peak RSS', `sender ${fmt(stats(rss.sender))} MiB`, `receiver ${fmt(stats(rss.receiver))} MiB`);
  row('  scp', String((results.large as { scp: string }).scp), '');
}

async function small(): Promise<void> {
  const dir = await smallFilesDir(smallCount);
  const ferryFps: number[] = [];
  const tarFps: number[] = [];
  for (let i = 0; i < reps; i++) {
    tarFps.push((await tarPipe(dir, smallCount)).filesPerSec);
    const run = await ferrySend(dir, smallCount);
    ferryFps.push(smallCount / run.seconds);
  }
  const mb = (fps: number[]) => stats(fps.map((f) => (f * 8192) / MB));
  results.small = {
    files: smallCount,
    ferry: { filesPerSec: stats(ferryFps), mbps: mb(ferryFps) },
    tarTlsPipe: { filesPerSec: stats(tarFps), mbps: mb(tarFps) },
    ferryRatioToTar: stats(ferryFps.map((f, i) => f / tarFps[i]!)),
    scp: has('scp') && has('sshd') ? 'not measured' : 'skipped: OpenSSH not installed',
  };
  row(`Small files`, `${smallCount} × 8 KiB`, '');
  row('  Ferry send → listen', `${fmt(stats(ferryFps))} files/s`, `${fmt(mb(ferryFps), 1)} MB/s`);
  row(
    '  tar | TLS pipe | tar -x',
    `${fmt(stats(tarFps))} files/s`,
    `Ferry ÷ this: ${fmt(stats(ferryFps.map((f, i) => f / tarFps[i]!)), 2)}`,
  );
}

async function latency(): Promise<void> {
  const file = await randomFile(Math.min(sizeMiB, 2048));
  const idle: Record<string, number[]> = { p50: [], p99: [], max: [] };
  const busy: Record<string, number[]> = { p50: [], p99: [], max: [] };
  for (let i = 0; i < reps; i++) {
    for (const [bucket, extra] of [
      [idle, []],
      [busy, [file]],
    ] as const) {
      const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-lat-'));
      const { receiver, port } = await startReceiver(work);
      const sender = start(process.execPath, [
        ...TSX,
        'bench/chat-latency.ts',
        path.join(work, 'tx'),
        `127.0.0.1:${port}`,
        '200',
        ...extra,
      ]);
      const report = json(await sender.next(isJson((o) => 'p50' in o)));
      await sender.exit;
      receiver.child.kill('SIGINT');
      await receiver.exit;
      await rm(work, { recursive: true, force: true });
      for (const k of ['p50', 'p99', 'max']) bucket[k]!.push(Number(report[k]));
    }
  }
  const summary = (b: Record<string, number[]>) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, stats(v)]));
  results.latency = { idle: summary(idle), duringTransfer: summary(busy) };
  row('Chat round trip (send → ack)', 'p50 / p99 / max ms', '');
  row('  idle', `${fmt(stats(idle.p50!), 2)} / ${fmt(stats(idle.p99!), 2)}`, `max ${fmt(stats(idle.max!), 1)}`);
  row(
    '  during a large transfer',
    `${fmt(stats(busy.p50!), 2)} / ${fmt(stats(busy.p99!), 2)}`,
    `max ${fmt(stats(busy.max!), 1)}`,
  );
}

async function fanout(): Promise<void> {
  const ms: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < reps; i++) {
    const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-bench-fan-'));
    const hub = start(process.execPath, [...TSX, 'bench/fanout-hub.ts', work, String(peerCount)]);
    const { port } = json(await hub.next(isJson((o) => 'port' in o)));
    const peers = start(process.execPath, [...TSX, 'bench/light-peers.ts', String(port), String(peerCount)]);
    const report = json(await hub.next(isJson((o) => 'ms' in o)));
    await hub.exit;
    peers.child.kill();
    await peers.exit;
    await rm(work, { recursive: true, force: true });
    ms.push(Number(report.ms));
    rss.push(Number(report.rss) / 2 ** 20);
  }
  results.fanout = { peers: peerCount, msToLastAck: stats(ms), hubRssMiB: stats(rss) };
  row(`Fan-out to ${peerCount} peers`, `${fmt(stats(ms))} ms to the last ack`, `hub RSS ${fmt(stats(rss))} MiB`);
}

async function startup(): Promise<void> {
  const result = await cliStart(startReps);
  results.start = { reps: result.reps, ms: result.ms, ratioToNode: result.ratio };
  row('CLI start', `ms: median (min–max) of ${startReps}`, '');
  for (const r of result.rows.slice(1)) row(r[0]!, r[1]!, `÷ node -e 0: ${r[2]}`);
}

async function main(): Promise<void> {
  // Every `ferry` this run starts is the bundle (built now if missing or stale); FERRY_CLI=bundle
  // makes bin/ferry.mjs fail rather than quietly fall back to tsx.
  ensureBundle();
  process.env.FERRY_CLI = 'bundle';
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = {
    cores: os.cpus().length,
    cpu,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
  results.machine = machine;
  results.options = { sizeMiB, reps, smallCount, peerCount, sections: [...sections] };
  console.log(
    `Machine: ${machine.cores} cores, ${cpu}, Node ${machine.node}, ${machine.platform}, ${machine.memoryGiB} GiB`,
  );
  console.log(`Each figure: median (min–max) of ${reps} runs.\n`);
  const plan: [string, () => Promise<void>][] = [
    ['start', startup],
    ['large', large],
    ['small', small],
    ['latency', latency],
    ['fanout', fanout],
  ];
  for (const [name, run] of plan) {
    if (!sections.has(name)) continue;
    process.stderr.write(`running ${name}…\n`);
    try {
      await run();
    } catch (err) {
      row(name, `failed: ${(err as Error).message}`, '');
      results[name] = { error: (err as Error).message };
    }
  }
  const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const r of table)
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('   ')
        .trimEnd(),
    );
  await mkdir(path.dirname(values.json!), { recursive: true });
  await writeFile(values.json!, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nJSON: ${values.json}`);
}

void main();
