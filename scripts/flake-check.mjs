#!/usr/bin/env node
// Runs the whole vitest suite N times in a row (default 5) while two CPU hogs load
// the machine, and reports every failure. The hogs are killed by PID at the end.
// Usage: npm run flake-check [-- --runs 5 --hogs 2 [vitest args…]]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, hogs: { type: 'string', default: '2' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const hogs = Array.from({ length: Number(values.hogs) }, () =>
  spawn('yes', [], { stdio: ['ignore', 'ignore', 'ignore'] }),
);
const stopHogs = () => {
  for (const h of hogs) if (h.exitCode === null) process.kill(h.pid, 'SIGKILL');
};
process.on('SIGINT', () => {
  stopHogs();
  process.exit(130);
});
console.log(`flake check: ${runs} runs, ${hogs.length} CPU hogs (PIDs ${hogs.map((h) => h.pid).join(', ')})`);
const results = [];
// Every run's whole output is kept, so a failure can be read afterwards, not only named.
const logDir = 'reports/flake';
mkdirSync(logDir, { recursive: true });
try {
  for (let i = 1; i <= runs; i++) {
    const started = Date.now();
    const r = spawnSync('npx', ['vitest', 'run', '--reporter=dot', ...positionals], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\u001b\[[0-9;]*m/g, '');
    writeFileSync(`${logDir}/run-${i}.log`, plain);
    const tests = plain.match(/Tests\s+(.*)/)?.[1]?.trim() ?? 'no summary';
    const failed = [...plain.matchAll(/FAIL\s+(.*)/g)].map((m) => m[1].trim());
    results.push({ run: i, status: r.status, tests, failed, seconds: Math.round((Date.now() - started) / 1000) });
    console.log(`run ${i}: exit ${r.status}, ${tests} (${results.at(-1).seconds} s)`);
    for (const f of new Set(failed)) console.log(`  FAIL ${f}`);
    if (failed.length) console.log(`  (the whole output: ${logDir}/run-${i}.log)`);
  }
} finally {
  stopHogs();
}
const bad = results.filter((r) => r.status !== 0);
console.log(`flake check: ${runs - bad.length} of ${runs} runs green`);
process.exit(bad.length ? 1 : 0);
