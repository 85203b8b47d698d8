/**
 * Builds `window.ferry` from the contract: one function per request, the event
 * channel and the host extras. The renderer never sees ipcRenderer itself.
 */
import type { IpcRenderer, WebUtils } from 'electron';
import { requestNames, type FerryApi, type FerryEvent } from '../../shared/api';
import { hostRequests, IPC, type FerryHost, type IpcOutcome } from '../../shared/host-api';

/**
 * An Error that keeps the engine's code, so the UI can translate it. contextBridge
 * rebuilds errors from their message alone, so the code also leads the message
 * (`CODE: message`), which the renderer parses back.
 */
class FerryRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FerryRequestError';
  }
}

export function createBridge(ipcRenderer: IpcRenderer, webUtils: WebUtils): FerryHost {
  const invoke = async (name: string, args: unknown[]) => {
    const outcome = (await ipcRenderer.invoke(IPC.request(name), ...args)) as IpcOutcome<unknown>;
    if (!outcome.ok) throw new FerryRequestError(outcome.error.code, outcome.error.message);
    return outcome.result;
  };
  const requests = Object.fromEntries(
    [...requestNames, ...hostRequests].map((name) => [name, (...args: unknown[]) => invoke(name, args)]),
  ) as unknown as FerryApi & Pick<FerryHost, (typeof hostRequests)[number]>;

  return {
    ...requests,
    host: 'electron',
    onEvent(listener) {
      const wrapped = (_event: unknown, payload: FerryEvent) => listener(payload);
      ipcRenderer.on(IPC.event, wrapped);
      return () => ipcRenderer.removeListener(IPC.event, wrapped);
    },
    onOpenConversation(listener) {
      const wrapped = (_event: unknown, peerId: string) => listener(peerId);
      ipcRenderer.on(IPC.openConversation, wrapped);
      return () => ipcRenderer.removeListener(IPC.openConversation, wrapped);
    },
    getPathForFile: (file) => webUtils.getPathForFile(file),
  };
}
