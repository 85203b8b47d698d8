/**
 * `ferry` — the headless CLI on the same engine as the desktop app.
 * Each command lives in its own module; this file parses the command name.
 */
import { listenCommand } from './listen-command';
import { peersCommand } from './peers-command';
import { sendCommand } from './send-command';
import { uiCommand } from './ui-command';
import { USAGE } from './usage';

export type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  listen: listenCommand,
  peers: peersCommand,
  send: sendCommand,
  ui: uiCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`ferry: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`ferry ${name}: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    return e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? 2 : 1;
  }
}
