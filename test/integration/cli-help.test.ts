/**
 * `--help`/`-h` on every command prints that command's usage and exits 0
 * without starting a node (no data dir, no port, no announcement);
 * `--version`/`-V` prints package.json's version.
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runFerry } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
  version: string;
};

/** Resolves true when `port` on 127.0.0.1 can be bound (nobody holds it). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('ferry --help / --version', () => {
  it.each([
    ['listen', '--help'],
    ['listen', '-h'],
    ['ui', '--help'],
    ['ui', '-h'],
    ['send', '--help'],
    ['send', '-h'],
    ['peers', '--help'],
    ['peers', '-h'],
  ])(
    'ferry %s %s prints its own usage, exits 0 and starts nothing',
    async (command, flag) => {
      const dataDir = path.join(await tempDir(), 'never-created');
      const port = await freePort();
      // Options that would make the command start a node (and open the port) if --help were ignored.
      const extra =
        command === 'listen' || command === 'ui'
          ? ['--port', String(port), '--host', '127.0.0.1', '--no-discovery', '--no-ipmsg', '--no-open']
          : command === 'send'
            ? ['--to', `127.0.0.1:${port}`, '--message', 'hi']
            : [];
      const args = [
        command,
        '--data-dir',
        dataDir,
        ...extra.filter((a) => command === 'ui' || a !== '--no-open'),
        flag,
      ];
      const result = await runFerry(args, 20_000);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Usage: ferry ${command}`);
      // Its own usage only, not every command's.
      const others = ['listen', 'ui', 'send', 'peers'].filter((c) => c !== command);
      for (const other of others) expect(result.stdout).not.toContain(`Usage: ferry ${other}`);
      expect(result.stderr).toBe('');
      expect(existsSync(dataDir), 'the data dir was created: a node started').toBe(false);
      expect(await bindable(port)).toBe(true);
    },
    30_000,
  );

  it('--help after other options, even unknown ones, still only prints help', async () => {
    const result = await runFerry(['send', '--bogus', '-h']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: ferry send');
  });

  it('an option value that looks like -h is not a request for help', async () => {
    // `--name -h` is ambiguous to the parser: a usage error (exit 2), never a started node.
    const dataDir = path.join(await tempDir(), 'never-created');
    const result = await runFerry(['listen', '--data-dir', dataDir, '--name', '-h']);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('Usage: ferry listen');
    expect(result.stderr).toMatch(/ferry listen: .*see ferry listen --help/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each(['--version', '-V'])('ferry %s prints the version from package.json', async (flag) => {
    const result = await runFerry([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`ferry ${pkg.version}`);
  });

  it('ferry --help lists every command and exits 0; no command is bad usage (2)', async () => {
    const help = await runFerry(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['listen', 'send', 'peers', 'ui']) expect(help.stdout).toContain(`Usage: ferry ${c}`);
    expect(help.stdout).toContain('--version');
    expect((await runFerry([])).code).toBe(2);
  });

  it('an unknown option is a usage error in plain words, without the parser code', async () => {
    const result = await runFerry(['peers', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ferry peers: Unknown option '--bogus'/);
    expect(result.stderr).not.toMatch(/ERR_PARSE_ARGS/);
  });
});
