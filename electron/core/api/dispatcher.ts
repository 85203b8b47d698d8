/**
 * The one door for untrusted calls into the engine: IPC from the renderer
 * (electron/main/ipc-adapter.ts), the browser-mode WebSocket (browser-host.ts)
 * and `ferry listen` stdin (listen-command.ts). Each host only carries
 * `{name, args}` here and the outcome back; what is callable, how arguments are
 * checked and what an error looks like are decided here, once:
 *
 * - callable: the contract's requests (shared/api.ts) and the host extras
 *   (shared/host-api.ts) the host registered; any other name is an unknown request;
 * - arguments: parsed with the request's zod tuple; a misfit is INVALID_ARGUMENT
 *   naming each bad argument by its path;
 * - errors: a FerryError keeps its code and message; anything else thrown is a
 *   bug in the engine, not the caller's fault: it answers INTERNAL with a generic
 *   message (no stack, no local paths) and is logged once, with the request name,
 *   the host and the stack, through the log the host passed in.
 */
import { requests, type FerryApi, type RequestName } from '../../../shared/api';
import type { ErrorDto } from '../../../shared/errors';
import { hostExtras, type HostExtrasApi, type HostRequestName } from '../../../shared/host-api';
import { FerryError } from '../ferry-error';
import { describeError } from '../last-resort';

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorDto };

export interface DispatcherOptions {
  engine: FerryApi;
  /** The host extras this host offers; the others are unknown requests to it. */
  extras?: Partial<HostExtrasApi>;
  /** Which host this is, for the log ("IPC", "browser WebSocket", "ferry listen stdin"). */
  host: string;
  /** The engine's log (a line each); gets one entry per call that hit an engine bug. */
  log: (line: string) => void;
}

/** What a caller is told about an engine bug: it did nothing wrong, and nothing local leaks. */
export const INTERNAL_MESSAGE =
  'Ferry failed to handle this request because of an internal error (not a problem with the request); it was logged. Try again; if it keeps happening, restart Ferry.';

/** Longest piece of an unknown name echoed back in the error. */
const SHOWN_NAME_CHARS = 64;

interface Callable {
  args: { safeParse(args: unknown): { success: true; data: unknown } | { success: false; error: unknown } };
  run: (args: unknown[]) => Promise<unknown>;
}

export class Dispatcher {
  private readonly table = new Map<string, Callable>();

  constructor(private readonly options: DispatcherOptions) {
    const { engine, extras } = options;
    for (const name of Object.keys(requests) as RequestName[]) {
      this.table.set(name, {
        args: requests[name].args,
        run: (args) => (engine[name] as (...a: unknown[]) => Promise<unknown>).apply(engine, args),
      });
    }
    for (const name of Object.keys(hostExtras) as HostRequestName[]) {
      const extra = extras?.[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      if (extra) this.table.set(name, { args: hostExtras[name].args, run: (args) => extra.apply(extras, args) });
    }
  }

  /** Every name this host answers: the contract's requests, then its extras. */
  get names(): string[] {
    return [...this.table.keys()];
  }

  /**
   * Runs one untrusted call. Never throws: every failure is an outcome. `args`
   * absent means no arguments; `caller` (a connection, a line id) goes into the log.
   */
  async call(name: unknown, args: unknown, caller?: string): Promise<CallOutcome> {
    const callable = typeof name === 'string' ? this.table.get(name) : undefined;
    if (!callable) {
      return fail({
        code: 'INVALID_ARGUMENT',
        message: `unknown request "${shownName(name)}"; requests: ${this.names.join(', ')}`,
      });
    }
    const parsed = callable.args.safeParse(args ?? []);
    if (!parsed.success) return fail(toErrorDto(parsed.error));
    try {
      const result = await callable.run(parsed.data as unknown[]);
      // JSON (and IPC's structured clone, for symmetry) has no undefined.
      return { ok: true, result: result ?? null };
    } catch (err) {
      return fail(toErrorDto(err, (bug) => this.logBug(name as string, caller, bug)));
    }
  }

  private logBug(name: string, caller: string | undefined, err: unknown): void {
    try {
      this.options.log(
        `ferry: engine bug in request "${name}" via ${this.options.host}${caller ? ` (${caller})` : ''}; answered INTERNAL: ${describeError(err)}`,
      );
    } catch {
      // logging must never be the thing that fails
    }
  }
}

function shownName(name: unknown): string {
  try {
    return String(name).slice(0, SHOWN_NAME_CHARS);
  } catch {
    return typeof name;
  }
}

function fail(error: ErrorDto): CallOutcome {
  return { ok: false, error };
}

/**
 * The one error mapping: a validation error (an array of zod issues) is
 * INVALID_ARGUMENT with "path: message" per issue; a FerryError keeps its code;
 * anything else is an engine bug, handed to `onBug` and answered with a
 * generic INTERNAL.
 */
export function toErrorDto(err: unknown, onBug: (err: unknown) => void = () => {}): ErrorDto {
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown }).issues)) {
    const issues = (err as { issues: { path?: PropertyKey[]; message?: string }[] }).issues;
    return {
      code: 'INVALID_ARGUMENT',
      message: issues.map((i) => `${(i.path ?? []).map(String).join('.') || 'arguments'}: ${i.message}`).join('; '),
    };
  }
  if (err instanceof FerryError) return err.toDto();
  onBug(err);
  return { code: 'INTERNAL', message: INTERNAL_MESSAGE };
}
