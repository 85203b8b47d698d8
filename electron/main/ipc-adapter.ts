/**
 * The one place renderer requests enter the main process. It registers exactly
 * the contract's handlers plus the host extras, refuses any request that doesn't
 * come from our own main frame (a host concern), and hands the rest to the
 * engine's dispatcher (electron/core/api/dispatcher.ts), which validates the
 * arguments and maps errors to {code, message}.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { FerryApi } from '../../shared/api';
import { IPC, type HostExtrasApi, type IpcOutcome } from '../../shared/host-api';
import { Dispatcher } from '../core/api/dispatcher';

export type HostHandlers = HostExtrasApi;

export interface IpcAdapterOptions {
  engine: FerryApi;
  host: HostHandlers;
  /** True only for our window's main frame loaded from our own origin. */
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  /** Where an engine bug met by a request is logged (default: stderr). */
  log?: (line: string) => void;
}

export function registerIpc(
  ipcMain: IpcMain,
  { engine, host, isTrustedSender, log = (line) => process.stderr.write(`${line}\n`) }: IpcAdapterOptions,
): () => void {
  const dispatcher = new Dispatcher({ engine, extras: host, host: 'IPC', log });
  const channels = dispatcher.names.map((name) => {
    const channel = IPC.request(name);
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<IpcOutcome<unknown>> => {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'request from an untrusted frame refused' } };
      }
      return dispatcher.call(name, args);
    });
    return channel;
  });
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}
