/** `ferry` itself: help and version before anything starts, the command table, and how errors are told. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testIo } from '../../test/helpers/cli-io';
import { startNode } from '../../test/helpers/nodes';
import { tempDir } from '../../test/helpers/temp-dir';
import { waitForValue } from '../../test/helpers/wait';
import { LISTEN_OPTIONS, SEND_OPTIONS } from './cli-options';
import { main, version, wantsHelp } from './ferry-cli';
import { LISTEN_USAGE, PEERS_USAGE, SEND_USAGE, UI_USAGE, USAGE } from './usage';

let savedDataDir: string | undefined;
let defaultDir = '';
beforeEach(async () => {
  savedDataDir = process.env.FERRY_DATA_DIR;
  // A command that wrongly started would make this folder: the tests check it stays absent.
  defaultDir = path.join(await tempDir('ferry-default-'), 'data');
  process.env.FERRY_DATA_DIR = defaultDir;
});
afterEach(() => {
  if (savedDataDir === undefined) delete process.env.FERRY_DATA_DIR;
  else process.env.FERRY_DATA_DIR = savedDataDir;
});

async function run(argv: string[]) {
  const t = testIo();
  const code = await main(argv, t.io);
  return { code, out: t.stdout(), err: t.stderr(), t };
}

describe('version', () => {
  it('is the package version', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(version()).toBe(pkg.version);
    expect(version()).toMatch(/^\d+\.\d+\.\d+/u);
  });
});

describe('wantsHelp', () => {
  it('finds -h / --help among the options, wherever they are', () => {
    expect(wantsHelp(['-h'], SEND_OPTIONS)).toBe(true);
    expect(wantsHelp(['--help'], SEND_OPTIONS)).toBe(true);
    expect(wantsHelp(['--to', 'x', '--bogus', '--help'], SEND_OPTIONS)).toBe(true);
    expect(wantsHelp(['file.txt', '-h'], SEND_OPTIONS)).toBe(true);
  });

  it('-h counts as help even where the options declare no short -h', () => {
    expect(wantsHelp(['-h'], {})).toBe(true);
    expect(wantsHelp(['--x', '-h'], { x: { type: 'boolean' } })).toBe(true);
    expect(wantsHelp(['-x'], {})).toBe(false);
  });

  it('not as the value of another option, not after --, not without it', () => {
    expect(wantsHelp(['--name', '-h'], SEND_OPTIONS)).toBe(false);
    expect(wantsHelp(['-m', '--help'], SEND_OPTIONS)).toBe(false);
    expect(wantsHelp(['--', '-h'], SEND_OPTIONS)).toBe(false);
    expect(wantsHelp([], LISTEN_OPTIONS)).toBe(false);
    expect(wantsHelp(['--json', 'help'], LISTEN_OPTIONS)).toBe(false);
  });
});

describe('ferry (no command), --help, help, --version', () => {
  it('no command prints the whole help and is bad usage (2)', async () => {
    const r = await run([]);
    expect([r.code, r.out, r.err]).toEqual([2, USAGE, '']);
  });

  it.each([['--help'], ['-h'], ['help']])('%s prints the whole help and exits 0', async (flag) => {
    const r = await run([flag]);
    expect([r.code, r.out, r.err]).toEqual([0, USAGE, '']);
  });

  it('help <command> prints that command’s help; an unknown topic the whole help', async () => {
    expect((await run(['help', 'send'])).out).toBe(SEND_USAGE);
    expect((await run(['help', 'listen'])).out).toBe(LISTEN_USAGE);
    expect((await run(['help', 'nope'])).out).toBe(USAGE);
    expect((await run(['help', 'constructor'])).out).toBe(USAGE);
    expect((await run(['--help', 'peers'])).out).toBe(USAGE);
  });

  it.each([['--version'], ['-V'], ['version']])('%s prints "ferry <version>"', async (flag) => {
    const r = await run([flag]);
    expect([r.code, r.out, r.err]).toEqual([0, `ferry ${version()}\n`, '']);
  });

  it('an unknown command is bad usage, with the help on stderr', async () => {
    for (const name of ['bogus', 'toString', '__proto__']) {
      const r = await run([name, '--json']);
      expect([r.code, r.out, r.err]).toEqual([2, '', `ferry: unknown command "${name}"\n\n${USAGE}`]);
    }
  });
});

describe('ferry <command> --help starts nothing', () => {
  it.each([
    ['listen', LISTEN_USAGE],
    ['send', SEND_USAGE],
    ['peers', PEERS_USAGE],
    ['ui', UI_USAGE],
  ])('%s', async (command, usage) => {
    const dataDir = path.join(await tempDir(), 'data');
    for (const args of [['--help'], ['-h'], ['--data-dir', dataDir, '--bogus', '-h'], ['--port', '1', '--help']]) {
      const r = await run([command, ...args]);
      expect([r.code, r.out, r.err]).toEqual([0, usage, '']);
    }
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(defaultDir)).toBe(false);
  });

  it('-h as the value of an option is not help: the command runs (and its parser refuses the value)', async () => {
    const r = await run(['send', '--name', '-h']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(/^ferry send: Option '--name' argument is ambiguous\..* \(see ferry send --help\)\n$/su);
    for (const option of ['--ui-port', '--ui-host', '--renderer-dir', '--discovery-port']) {
      const ui = await run(['ui', option, '-h']);
      expect(ui.code).toBe(2);
      expect(ui.err).toMatch(new RegExp(`^ferry ui: Option '${option}' argument is ambiguous\\.`, 'u'));
    }
    expect(existsSync(defaultDir)).toBe(false);
  });
});

describe('ferry <command>: errors', () => {
  it('a usage error names the command and points at its help; exit 2', async () => {
    const r = await run(['peers', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ferry peers: Unknown option '--bogus'.*\. \(see ferry peers --help\)\n$/su);
    expect(r.err).not.toContain('ERR_PARSE_ARGS');
    const value = await run(['listen', '--accept-from', 'friends']);
    expect(value.code).toBe(2);
    expect(value.err).toBe(
      'ferry listen: --accept-from: "friends" must be "verified" or "any". (see ferry listen --help)\n',
    );
  });

  it('--json: the error is a JSON line on stdout, with its code; usage errors still exit 2', async () => {
    const r = await run(['send', '--json', '--timeout', 'x', '-m', 'hi', '--to', '127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      '{"event":"error","code":"ERR_PARSE_ARGS_INVALID_OPTION_VALUE","message":"--timeout: \\"x\\" is not a number of seconds."}\n',
    );
  });

  it('any other failure: its sentence on stderr (code only with --json), exit 1', async () => {
    const missing = path.join(await tempDir(), 'nope.bin');
    const r = await run(['send', '--to', '127.0.0.1:9', missing]);
    expect([r.code, r.out, r.err]).toEqual([1, '', `"${missing}" doesn't exist; nothing was sent.\n`]);
    const j = await run(['send', '--to', '127.0.0.1:9', missing, '--json']);
    expect([j.code, j.err]).toEqual([1, '']);
    expect(JSON.parse(j.out)).toEqual({
      event: 'error',
      code: 'SOURCE_MISSING',
      message: `"${missing}" doesn't exist; nothing was sent.`,
    });
  });
});

describe('ferry <command> runs the command with the given streams', () => {
  it('peers', async () => {
    const r = await run(['peers', '--data-dir', await tempDir()]);
    expect([r.code, r.out]).toEqual([
      0,
      'No peers yet. Start `ferry listen` on both computers, or add one by address.\n',
    ]);
  });

  it('send', async () => {
    const bob = await startNode('Bob');
    const r = await run(['send', '--to', bob.address, '--data-dir', await tempDir(), '-m', 'hi']);
    expect([r.code, r.out]).toEqual([0, 'delivered to Bob\n']);
  });

  it('listen', async () => {
    const t = testIo();
    const done = main(
      ['listen', '--data-dir', await tempDir(), '--host', '127.0.0.1', '--port', '0', '--no-discovery', '--no-ipmsg'],
      t.io,
    );
    await waitForValue(() => t.jsonLines().find((l) => l.event === 'listening'));
    t.signal('SIGINT');
    expect(await done).toBe(0);
    expect(t.jsonLines().at(-1)).toEqual({ event: 'stopped' });
  });

  it('ui', async () => {
    const renderer = await tempDir();
    await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>Ferry UI</title>');
    const t = testIo();
    const args = ['ui', '--json', '--no-open', '--renderer-dir', renderer, '--data-dir', await tempDir()];
    const done = main([...args, '--host', '127.0.0.1', '--port', '0', '--no-discovery', '--no-ipmsg'], t.io);
    const line = await waitForValue(() => t.jsonLines().find((l) => l.event === 'ui'));
    expect(new URL(line.url as string).hostname).toBe('127.0.0.1');
    t.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(t.jsonLines().at(-1)).toEqual({ event: 'stopped' });
  });
});
