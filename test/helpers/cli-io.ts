/**
 * In-process CLI runs: a command gets these streams instead of the process's, so a
 * test reads what it printed, types into its stdin and sends it Ctrl-C without
 * touching the test runner's own stdout or signals.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../electron/cli/cli-options';
import { waitUntil } from './wait';

export interface TestIo {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
  /** What the command reads; `type('y\n')` is a person typing y and Enter. */
  type: (text: string) => void;
  /** Ctrl-C (SIGINT) or SIGTERM, as the process would get them. */
  signal: (name: 'SIGINT' | 'SIGTERM') => void;
  /** Codes the command asked to exit with at once (io.exit). */
  exits: number[];
  /** Waits until stdout (or stderr) has a line matching. */
  waitForOut: (match: RegExp | string, stream?: 'stdout' | 'stderr', timeoutMs?: number) => Promise<void>;
  /** The JSON lines printed on stdout so far. */
  jsonLines: () => Record<string, unknown>[];
}

/**
 * tty: stdin, stdout and stderr claim to be a terminal (what `ferry listen` checks), unless
 * stdinTty / stdoutTty say otherwise for one of them; columns for the bar width.
 */
export function testIo(
  opts: { tty?: boolean; stdinTty?: boolean; stdoutTty?: boolean; columns?: number } = {},
): TestIo {
  let out = '';
  let err = '';
  // Synchronous sinks: what was written is readable right after the write.
  const sink = (add: (s: string) => void, isTTY = opts.tty) =>
    Object.assign(
      new Writable({
        decodeStrings: false,
        write(chunk: string | Buffer, _encoding, done) {
          add(String(chunk));
          done();
        },
      }),
      { isTTY, columns: opts.columns },
    );
  const stdout = sink((s) => (out += s), opts.stdoutTty ?? opts.tty);
  const stderr = sink((s) => (err += s));
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.stdinTty ?? opts.tty });
  const signals = new EventEmitter();
  const exits: number[] = [];
  const t: TestIo = {
    io: { stdout, stderr, stdin, signals, exit: (code) => void exits.push(code) },
    stdout: () => out,
    stderr: () => err,
    type: (text) => void stdin.write(text),
    signal: (name) => void signals.emit(name),
    exits,
    async waitForOut(match, stream = 'stdout', timeoutMs = 10_000) {
      const get = stream === 'stdout' ? t.stdout : t.stderr;
      await waitUntil(() => (typeof match === 'string' ? get().includes(match) : match.test(get())), {
        timeoutMs,
        what: `${stream} to show ${String(match)}; it has: ${JSON.stringify(get())}`,
      });
    },
    jsonLines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
  return t;
}
