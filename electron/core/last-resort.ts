/**
 * The net under the engine's hosts (CLI `listen`/`ui`, the desktop app): an
 * unhandled rejection or uncaught exception is logged once with context
 * instead of ending the process silently. It is not the fix: input errors are
 * handled where they happen. Operational failures (a socket, the disk, a
 * FerryError) leave the engine consistent, so it keeps running; a programming
 * error may have left state half-updated, so the host stops cleanly and says why.
 */
import { FerryError } from './ferry-error';

export interface LastResortOptions {
  /** Where the lines go (default: stderr). */
  log?: (line: string) => void;
  /** Which host this is and anything that helps reading the log ("ferry listen, data dir …"). */
  context: () => string;
  /** Stops the engine cleanly before an unsafe exit. */
  shutdown: () => Promise<void>;
  /** Default: process.exit. */
  exit?: (code: number) => void;
}

/** Exit status after an unexpected error (EX_SOFTWARE). */
export const UNSAFE_EXIT_CODE = 70;

/** Error codes of failing I/O: the operation failed, our state did not break. */
const OPERATIONAL_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOENT',
  'EMFILE',
  'ENFILE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** True when the process may keep serving after `err` went unhandled. */
export function isOperational(err: unknown): boolean {
  if (err instanceof FerryError) return true;
  const e = err as { name?: unknown; code?: unknown } | null;
  if (e && e.name === 'SQLite3Error') return true;
  return typeof e?.code === 'string' && OPERATIONAL_CODES.has(e.code);
}

/** An error for a log line: its stack, or what a thrown non-Error was. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  try {
    return `non-error value: ${JSON.stringify(err)}`;
  } catch {
    return `non-error value: ${String(err)}`;
  }
}

/** Installs the handlers; returns a function that removes them. */
export function installLastResort(options: LastResortOptions): () => void {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const seen = new Map<string, number>();
  let stopping = false;

  const once = (kind: string, err: unknown): boolean => {
    const text = describeError(err);
    // Same kind, same message, same place: one log line, however often it repeats.
    const key = `${kind}|${text.split('\n').slice(0, 2).join('|')}`;
    const n = (seen.get(key) ?? 0) + 1;
    if (seen.size < 1000 || seen.has(key)) seen.set(key, n);
    return n === 1;
  };

  const onRejection = (reason: unknown) => {
    if (!once('rejection', reason)) return;
    log(
      `ferry: unhandled promise rejection in ${safeContext(options)} (kept running; reported once): ${describeError(reason)}`,
    );
  };

  const onException = (err: unknown) => {
    if (isOperational(err)) {
      if (once('exception', err))
        log(
          `ferry: uncaught exception in ${safeContext(options)} (kept running; reported once): ${describeError(err)}`,
        );
      return;
    }
    if (stopping) return;
    stopping = true;
    log(
      `ferry: unexpected error in ${safeContext(options)}; stopping cleanly so no data is damaged. Start Ferry again; if it repeats, report this: ${describeError(err)}`,
    );
    const timer = setTimeout(() => exit(UNSAFE_EXIT_CODE), 5_000);
    timer.unref();
    options
      .shutdown()
      .catch((e: unknown) => log(`ferry: stopping after the error failed too: ${describeError(e)}`))
      .finally(() => {
        clearTimeout(timer);
        exit(UNSAFE_EXIT_CODE);
      });
  };

  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

function safeContext(options: LastResortOptions): string {
  try {
    return options.context();
  } catch {
    return 'ferry';
  }
}
