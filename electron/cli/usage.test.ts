/** The help must match the parsers: every option a command parses is documented in its help, and nothing else is. */
import { describe, expect, it } from 'vitest';
import { HISTORY_OPTIONS, LISTEN_OPTIONS, PEERS_OPTIONS, SEND_OPTIONS, UI_OPTIONS } from './cli-options';
import { HISTORY_USAGE, LISTEN_USAGE, PEERS_USAGE, SEND_USAGE, UI_USAGE, USAGE } from './usage';

type Options = Record<string, { type: string; short?: string }>;

/** Every `--option` and `-x` the help mentions as an option of this command. */
function mentioned(usage: string): string[] {
  return [...new Set(usage.match(/(?<![\w-])--?[a-zA-Z][\w-]*/gu) ?? [])].sort();
}

function parsed(options: Options): string[] {
  return Object.entries(options)
    .flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])])
    .sort();
}

describe('help texts', () => {
  it.each([
    ['listen', LISTEN_USAGE, LISTEN_OPTIONS],
    ['send', SEND_USAGE, SEND_OPTIONS],
    ['peers', PEERS_USAGE, PEERS_OPTIONS],
    ['history', HISTORY_USAGE, HISTORY_OPTIONS],
    ['ui', UI_USAGE, UI_OPTIONS],
  ])('ferry %s --help documents exactly the options it parses', (command, usage, options) => {
    expect(usage.startsWith(`Usage: ferry ${command} `)).toBe(true);
    expect(mentioned(usage)).toEqual(parsed(options as Options));
  });

  it('ferry --help lists every command with its whole help, the exit codes and --version', () => {
    for (const command of ['listen', 'send', 'peers', 'history', 'ui']) expect(USAGE).toContain(`  ferry ${command} `);
    for (const usage of [LISTEN_USAGE, SEND_USAGE, PEERS_USAGE, HISTORY_USAGE, UI_USAGE])
      expect(USAGE).toContain(usage);
    expect(USAGE).toContain('ferry --version');
    expect(USAGE).toContain('Exit codes: 0 success, 1 failure (the reason is printed), 2 bad usage, 130 cancelled.');
    expect(USAGE.startsWith('Ferry — chat and send files between computers on one LAN.\n')).toBe(true);
  });

  it('each help ends with a newline and says -h starts nothing where a node could start', () => {
    for (const usage of [LISTEN_USAGE, SEND_USAGE, PEERS_USAGE, UI_USAGE, USAGE])
      expect(usage.endsWith('\n')).toBe(true);
    for (const usage of [LISTEN_USAGE, SEND_USAGE, UI_USAGE])
      expect(usage).toContain('show this help (starts nothing)');
    expect(LISTEN_USAGE).toContain('--port P              TCP port to listen on (default 47820; 0 picks a free one)');
    expect(UI_USAGE).toContain('--port P              TCP port to listen on (default 47820; 0 picks a free one)');
  });
});
