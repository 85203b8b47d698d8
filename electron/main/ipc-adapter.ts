/**
 * The one place renderer requests enter the main process. It registers exactly
 * the contract's handlers (plus host extras), checks each request comes from our
 * own main frame, validates every argument with the shared schemas, and returns
 * errors as {code, message}.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { parseArgs, requestNames, type FerryApi } from '../../shared/api';
import { hostRequests, IPC, type HostRequestName, type IpcOutcome } from '../../shared/host-api';
import { FerryError } from '../core/ferry-error';

export type HostHandlers = { [K in HostRequestName]: (...args: unknown[]) => Promise<unknown> };

export interface IpcAdapterOptions {
  engine: FerryApi;
  host: HostHandlers;
  /** True only for our window's main frame loaded from our own origin. */
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
}

export function registerIpc(ipcMain: IpcMain, { engine, host, isTrustedSender }: IpcAdapterOptions): () => void {
  const channels: string[] = [];
  const handle = (name: string, run: (args: unknown[]) => Promise<unknown>) => {
    const channel = IPC.request(name);
    channels.push(channel);
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<IpcOutcome<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'request from an untrusted frame refused' } };
      }
      try {
        return { ok: true, result: (await run(args)) ?? null };
      } catch (err) {
        return { ok: false, error: toErrorDto(err) };
      }
    });
  };
  for (const name of requestNames) {
    handle(name, (args) => {
      const valid = parseArgs(name, args) as unknown[];
      return (engine[name] as (...a: unknown[]) => Promise<unknown>).apply(engine, valid);
    });
  }
  for (const name of hostRequests) handle(name, (args) => host[name](...args));
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}

function toErrorDto(err: unknown): { code: string; message: string } {
  if (err && typeof err === 'object' && 'issues' in err) {
    const issues = (err as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    return {
      code: 'INVALID_ARGUMENT',
      message: issues.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`).join('; '),
    };
  }
  return FerryError.from(err).toDto();
}
