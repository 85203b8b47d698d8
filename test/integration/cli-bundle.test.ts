/**
 * The bundled CLI (out/cli, `npm run build`): it behaves like the sources, `--help` loads
 * none of the engine (shown by what the process loads and opens, not by timing), and
 * bin/ferry.mjs never runs a bundle older than its sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, cp, mkdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_DIR, staleReason } from '../../bin/cli-bundle.mjs';
import { FERRY_BIN, freePort, runFerry, spawnFerry } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';

const root = path.resolve(import.meta.dirname, '../..');
const LOAD_TRACE = path.join(root, 'test/helpers/load-trace.mjs');
const env = (which: 'bundle' | 'source', more: NodeJS.ProcessEnv = {}) => ({
  env: { ...process.env, FERRY_CLI: which, ...more },
});
/** What the engine brings that `--help` must not load: its sources, SQLite, zod, X.509. */
const ENGINE = /\/electron\/core\/|node-sqlite3-wasm|\.wasm$|\/zod\/|@peculiar|reflect-metadata/;

beforeAll(() => {
  // Built by `npm run build`; here too when missing or older than the sources (it takes a few seconds).
  if (staleReason() === null) return;
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build-cli.mjs')], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  expect(staleReason()).toBeNull();
}, 120_000);

describe('the bundled CLI', () => {
  it.each([
    [['--help']],
    [['--version']],
    [['send', '--help']],
    [['send', '--bogus']],
    [['send', '--to', '127.0.0.1:1', '--timeout', 'soon', '--message', 'hi']],
    [['listen', '--port', 'many']],
    [['frobnicate']],
    [[]],
  ])('answers %j exactly as the sources do', async (args) => {
    const bundled = await runFerry(args, 30_000, env('bundle'));
    const source = await runFerry(args, 30_000, env('source'));
    expect(bundled).toEqual(source);
  });

  it('runs a listen ↔ send round trip (message and file) on 127.0.0.1', async () => {
    const [rx, tx, dl] = [await tempDir(), await tempDir(), await tempDir()];
    const port = await freePort();
    const listener = spawnFerry(
      [
        'listen',
        ...['--data-dir', rx, '--download-dir', dl, '--port', String(port), '--host', '127.0.0.1'],
        ...['--no-discovery', '--no-ipmsg', '--accept', '--accept-from', 'any', '--name', 'Bundled Bob'],
      ],
      ['env', 'FERRY_CLI=bundle'],
    );
    await listener.waitFor((l) => l.event === 'listening', 20_000, 'listening');
    const file = path.join(tx, 'report.txt');
    await writeFile(file, 'sent by the bundle\n');
    const sent = await runFerry(
      ['send', '--to', `127.0.0.1:${port}`, '--data-dir', path.join(tx, 'data'), '--message', 'hi bundle', file],
      60_000,
      env('bundle'),
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain('connected to Bundled Bob');
    await listener.waitFor((l) => l.event === 'messageAdded' && l.text === 'hi bundle', 10_000, 'the message');
    await expect.poll(() => existsSync(path.join(dl, 'report.txt'))).toBe(true);
    expect(await readFile(path.join(dl, 'report.txt'), 'utf8')).toBe('sent by the bundle\n');
  });
});

describe('ferry --help through the bundle', () => {
  /** Every module file the process loaded through the ES module loader. */
  async function loaded(args: string[]): Promise<string[]> {
    const trace = path.join(await tempDir(), 'loaded.txt');
    await writeFile(trace, '');
    const run = spawnSync(process.execPath, ['--import', LOAD_TRACE, FERRY_BIN, ...args], {
      encoding: 'utf8',
      ...env('bundle', { FERRY_LOAD_TRACE: trace, FERRY_REPORT_READY: '1' }),
    });
    expect(run.stderr).not.toMatch(/FERRY_CLI=bundle/);
    return (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .map((u) => new URL(u).pathname);
  }
  const outputs = () =>
    JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'outputs.json'), 'utf8')) as Record<string, string[]>;
  /** The sources inside the bundle files a process loaded. */
  const sourcesIn = (files: string[]) =>
    files.filter((f) => f.startsWith(`${BUNDLE_DIR}/`)).flatMap((f) => outputs()[path.basename(f)] ?? [`?${f}`]);

  it('loads the bundle entry and its help texts, and nothing of the engine, SQLite, zod or X.509', async () => {
    const files = await loaded(['--help']);
    // Only the launcher and the bundle: no TypeScript compiler, no package from node_modules.
    expect(files.filter((f) => !f.startsWith(`${BUNDLE_DIR}/`) && !f.startsWith(`${root}/bin/`))).toEqual([]);
    const sources = sourcesIn(files);
    expect(sources).toContain('electron/cli/usage.ts');
    expect(sources.filter((s) => ENGINE.test(`/${s}`))).toEqual([]);
  });

  it('(the same trace sees the engine load when `ferry send` runs)', async () => {
    const port = await freePort(); // nobody listens there
    const dir = await tempDir();
    const sources = sourcesIn(
      await loaded(['send', '--to', `127.0.0.1:${port}`, '--data-dir', dir, '--timeout', '2', '--message', 'hi']),
    );
    expect(sources).toContain('electron/core/ferry-node.ts');
    expect(sources).toContain('node_modules/zod/index.js');
  });

  const strace = spawnSync('strace', ['-V']).status === 0;
  it.skipIf(!strace)('opens none of the engine’s files (strace)', async () => {
    const opened = async (args: string[]) => {
      const log = path.join(await tempDir(), 'strace.txt');
      const run = spawnSync(
        'strace',
        ['-f', '-qq', '-e', 'trace=open,openat', '-o', log, process.execPath, FERRY_BIN, ...args],
        { encoding: 'utf8', ...env('bundle') },
      );
      expect(run.status, run.stderr).not.toBeNull();
      return [...(await readFile(log, 'utf8')).matchAll(/open(?:at)?\([^"]*"([^"]+)"/g)].map((m) => m[1]!);
    };
    const help = await opened(['--help']);
    // Files it read itself (SQLite's .wasm, a package) and sources inside the bundle files it read.
    expect(help.filter((f) => ENGINE.test(f) || f.includes('/tsx/'))).toEqual([]);
    expect(sourcesIn(help)).toContain('electron/cli/usage.ts');
    expect(sourcesIn(help).filter((s) => ENGINE.test(`/${s}`))).toEqual([]);
    // Control: the same trace does see SQLite's WebAssembly opened when a command starts a node.
    const dir = await tempDir();
    const peers = await opened(['peers', '--data-dir', dir]);
    expect(peers.filter((f) => f.endsWith('.wasm'))).not.toEqual([]);
  });
});

describe('bin/ferry.mjs and a stale bundle', () => {
  /**
   * A copy of the checkout's launcher, bundle and every source the bundle lists (the copy is
   * what the test edits; node_modules is shared through a link).
   */
  async function copyOfCheckout(): Promise<string> {
    const copy = path.join(await tempDir('ferry-stale-'), 'ferry');
    const stamp = JSON.parse(await readFile(path.join(BUNDLE_DIR, 'stamp.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    for (const file of [...Object.keys(stamp.inputs), 'package.json']) {
      await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
      await cp(path.join(root, file), path.join(copy, file), { preserveTimestamps: true });
    }
    await cp(path.join(root, 'bin'), path.join(copy, 'bin'), { recursive: true });
    await cp(BUNDLE_DIR, path.join(copy, 'out/cli'), { recursive: true, preserveTimestamps: true });
    await symlink(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    return copy;
  }
  const ferry = (copy: string, args: string[], which?: 'bundle') =>
    spawnSync(process.execPath, [path.join(copy, 'bin/ferry.mjs'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, FERRY_CLI: which ?? '' },
    });

  it('runs the sources, not the bundle, once a source it was built from changed', async () => {
    const copy = await copyOfCheckout();
    expect(ferry(copy, ['--help'], 'bundle').status).toBe(0);

    // Touched but unchanged (a checkout, an editor saving the same text): the bundle is still good.
    const usage = path.join(copy, 'electron/cli/usage.ts');
    await utimes(usage, new Date(), new Date(Date.now() + 5_000));
    const touched = ferry(copy, ['--help'], 'bundle');
    expect(touched.status, touched.stderr).toBe(0);

    // Changed (same size, so only the content tells): the edit shows, so the sources ran; and
    // the bundle is refused when demanded.
    const text = await readFile(usage, 'utf8');
    await writeFile(usage, text.replace('Ferry — chat and send files', 'FERRY — chat and send files'));
    const edited = ferry(copy, ['--help']);
    expect(edited.status, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/^FERRY — chat/);
    const demanded = ferry(copy, ['--help'], 'bundle');
    expect(demanded.status).toBe(1);
    expect(demanded.stderr).toContain('electron/cli/usage.ts changed since the bundle was built');
  });

  it('treats a missing stamp (an interrupted build) or a deleted source as stale', async () => {
    const copy = await copyOfCheckout();
    const cliDir = path.join(copy, 'out/cli');
    const gone = 'electron/cli/plain-error.ts';
    await appendFile(path.join(copy, 'package.json'), ''); // not a listed input: no effect
    expect(staleReason(cliDir, copy)).toBeNull();
    await cp(path.join(copy, gone), path.join(copy, `${gone}.bak`));
    await writeFile(path.join(copy, gone), '');
    expect(staleReason(cliDir, copy)).toBe(`${gone} changed since the bundle was built`);
    await cp(path.join(copy, `${gone}.bak`), path.join(copy, gone)); // same content, new mtime
    expect(staleReason(cliDir, copy)).toBeNull();
    await rm(path.join(copy, gone));
    expect(staleReason(cliDir, copy)).toBe(`${gone} is gone since the bundle was built`);
    await writeFile(path.join(cliDir, 'stamp.json'), '{');
    expect(staleReason(cliDir, copy)).toMatch(/^no bundle/);
  });
});
