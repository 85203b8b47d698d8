/**
 * What the renderer sees as `window.ferry`: the contract (shared/api.ts) plus the
 * event channel and a few host extras. The Electron preload and the browser-mode
 * client both implement exactly this; extras a host can't offer are absent.
 */
import { z } from 'zod';
import { request, type FerryApi, type FerryEvent } from './api';
import type { ErrorDto } from './errors';

export type FerryHost = FerryApi & {
  /** Every pushed event on one channel; returns an unsubscribe function. */
  onEvent(listener: (event: FerryEvent) => void): () => void;
  host: 'electron' | 'browser';
  /** Absolute path of a dropped File (Electron's webUtils.getPathForFile). */
  getPathForFile?(file: File): string;
  /** Native dialogs. */
  pickFiles?(): Promise<string[]>;
  pickFolder?(): Promise<string | null>;
  /** Opens a received file with its default app (never one that would execute). */
  openPath?(path: string): Promise<void>;
  showInFolder?(path: string): Promise<void>;
  /**
   * Browser mode: streams dropped or picked files to the local engine's staging
   * folder and returns their absolute paths there (for `sendFiles`). Absent in
   * Electron, where `getPathForFile` gives the real path.
   */
  uploadFiles?(files: File[]): Promise<string[]>;
  /**
   * Desktop: writes a pasted file that exists only in memory (a screenshot) to a private
   * temporary folder and returns its path there (for `sendFiles`). Browser mode uploads instead.
   */
  savePastedFile?(name: string, base64: string): Promise<string>;
  /** The host asks the UI to open a conversation (e.g. a notification was clicked). */
  onOpenConversation?(listener: (peerId: string) => void): () => void;
};

/** An absolute path on any of our platforms (`/…`, `C:\…`, `\\server\…`); the host checks the rest. */
/** Largest pasted file the desktop host keeps (a 4K screenshot as PNG is 5–25 MiB). */
export const PASTE_MAX_BYTES = 64 * 1024 * 1024;

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(s) && !s.includes('\0'), 'must be an absolute path');

/**
 * Host extras: requests a host may offer besides the contract, declared like the
 * contract's (argument tuple validated at the edge, result type). A host registers
 * the ones it implements; to a host that doesn't, the name is an unknown request.
 */
export const hostExtras = {
  pickFiles: request(z.tuple([])).returns<string[]>(),
  pickFolder: request(z.tuple([])).returns<string | null>(),
  openPath: request(z.tuple([absolutePath])).returns<void>(),
  showInFolder: request(z.tuple([absolutePath])).returns<void>(),
  savePastedFile: request(
    z.tuple([
      z.string().min(1).max(255),
      z
        .string()
        .min(1)
        .max(Math.ceil(PASTE_MAX_BYTES / 3) * 4),
    ]),
  ).returns<string>(),
};

export type HostRequestName = keyof typeof hostExtras;
export type HostRequestArgs<K extends HostRequestName> = z.infer<(typeof hostExtras)[K]['args']>;
export type HostRequestResult<K extends HostRequestName> = (typeof hostExtras)[K]['result'];
/** What a host implements for the extras it offers. */
export type HostExtrasApi = {
  [K in HostRequestName]: (...args: HostRequestArgs<K>) => Promise<HostRequestResult<K>>;
};

/** Names of the host extras (Electron carries all of them over IPC). */
export const hostRequests = Object.keys(hostExtras) as HostRequestName[];

/** IPC channel names (Electron host). */
export const IPC = {
  request: (name: string) => `ferry:${name}`,
  event: 'ferry:event',
  openConversation: 'ferry:open-conversation',
} as const;

/** How a request's outcome crosses IPC: errors keep their code (a thrown Error would lose it). */
export type IpcOutcome<T> = { ok: true; result: T } | { ok: false; error: ErrorDto };
