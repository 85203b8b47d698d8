/**
 * `ferry` — the headless CLI on the same engine as the desktop app.
 * Each command lives in its own module, loaded only when that command runs: this file
 * parses the command name and answers --help and --version without loading any of them
 * (no engine, no SQLite, no zod schemas, no X.509 library), so they start nothing and
 * answer at once. test/integration/cli-bundle.test.ts checks which files `--help` opens.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  HISTORY_OPTIONS,
  LISTEN_OPTIONS,
  PEERS_OPTIONS,
  processIo,
  SEND_OPTIONS,
  UI_OPTIONS,
  type CliIo,
} from './cli-options';
import { plainError } from './plain-error';
import { HISTORY_USAGE, LISTEN_USAGE, PEERS_USAGE, SEND_USAGE, UI_USAGE, USAGE } from './usage';

export type Command = (argv: string[], io: CliIo) => Promise<number>;

type Options = NonNullable<ParseArgsConfig['options']>;

const commands: Record<string, { run: Command; usage: string; options: Options }> = {
  listen: {
    run: async (argv, io) => (await import('./listen-command')).listenCommand(argv, io),
    usage: LISTEN_USAGE,
    options: LISTEN_OPTIONS,
  },
  peers: {
    run: async (argv, io) => (await import('./peers-command')).peersCommand(argv, io),
    usage: PEERS_USAGE,
    options: PEERS_OPTIONS,
  },
  send: {
    run: async (argv, io) => (await import('./send-command')).sendCommand(argv, io),
    usage: SEND_USAGE,
    options: SEND_OPTIONS,
  },
  history: {
    run: async (argv, io) => (await import('./history-command')).historyCommand(argv, io),
    usage: HISTORY_USAGE,
    options: HISTORY_OPTIONS,
  },
  ui: {
    run: async (argv, io) => (await import('./ui-command')).uiCommand(argv, io),
    usage: UI_USAGE,
    options: UI_OPTIONS,
  },
};

export function version(): string {
  const pkg = path.resolve(import.meta.dirname, '../../package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** True when -h/--help is among the options (not the value of another option, not after `--`). */
export function wantsHelp(argv: string[], options: Options): boolean {
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'));
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] && Object.hasOwn(commands, rest[0]) ? commands[rest[0]]! : undefined;
    io.stdout.write(topic?.usage ?? USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`ferry ${version()}\n`);
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.stderr.write(`ferry: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (wantsHelp(rest, command.options)) {
    io.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const e = err as { code?: string };
    const usage = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
    const json = rest.includes('--json');
    if (json) io.stdout.write(`${JSON.stringify({ event: 'error', ...plainError(err).toJson() })}\n`);
    else if (usage) io.stderr.write(`ferry ${name}: ${plainError(err).text} (see ferry ${name} --help)\n`);
    else io.stderr.write(`${plainError(err).text}\n`);
    return usage ? 2 : 1;
  }
}
