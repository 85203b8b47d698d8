import os from 'node:os';
import path from 'node:path';
import { terminalSafeJson } from './terminal-text';

/**
 * Where the CLI keeps its identity and history unless told otherwise: the installed desktop
 * app's own engine folder (userData/engine), so browser mode and the desktop app are one profile.
 */
export function defaultDataDir(): string {
  if (process.env.FERRY_DATA_DIR) return process.env.FERRY_DATA_DIR;
  const base =
    process.platform === 'win32'
      ? (process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Application Support')
        : (process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'));
  return path.join(base, 'Ferry', 'engine');
}

/** `option` names the flag in the error (`--port`, `--discovery-port`, `--ui-port`). */
export function parsePort(value: string | undefined, option = '--port'): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw Object.assign(new Error(`${option}: "${value}" is not a port number (0–65535)`), {
      code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
    });
  return port;
}

/*
 * Every command's options live here rather than in its module: ferry-cli.ts needs them to
 * tell `--name -h` from `-h`, and must not load a command (its engine, SQLite, zod schemas,
 * the X.509 library, the web server) to answer `ferry <command> --help`.
 */

/** What every command that runs a node takes (listen, ui). */
export const NODE_OPTIONS = {
  'data-dir': { type: 'string' },
  'download-dir': { type: 'string' },
  name: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-discovery': { type: 'boolean' },
  'discovery-port': { type: 'string' },
  'no-ipmsg': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const LISTEN_OPTIONS = {
  ...NODE_OPTIONS,
  accept: { type: 'boolean' },
  'accept-from': { type: 'string' },
} as const;

export const SEND_OPTIONS = {
  to: { type: 'string' },
  'data-dir': { type: 'string' },
  name: { type: 'string' },
  message: { type: 'string', short: 'm' },
  timeout: { type: 'string' },
  new: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const PEERS_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HISTORY_OPTIONS = {
  'data-dir': { type: 'string' },
  conversation: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const UI_OPTIONS = {
  ...NODE_OPTIONS,
  'ui-port': { type: 'string' },
  'ui-host': { type: 'string' },
  'renderer-dir': { type: 'string' },
  'no-open': { type: 'boolean' },
} as const;

/** What a command writes to, reads from and stops on: the process's own, or a test's streams. */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where Ctrl-C (SIGINT) and SIGTERM arrive. */
  signals: NodeJS.EventEmitter;
  /** Ends the process at once (a second Ctrl-C while `ferry send` cancels). */
  exit: (code: number) => void;
}

export type CliOutput = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** The real terminal (or pipes) and the process's signals. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signals: process,
    exit: (code) => process.exit(code),
  };
}

/** One JSON object per line: what `ferry listen` prints and a test or script reads. */
export function printJson(value: Record<string, unknown>, out: CliOutput = process.stdout): void {
  out.write(`${terminalSafeJson(value)}\n`);
}
