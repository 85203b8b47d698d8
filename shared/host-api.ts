/**
 * What the renderer sees as `window.ferry`: the contract (shared/api.ts) plus the
 * event channel and a few host extras. The Electron preload and the browser-mode
 * client both implement exactly this; extras a host can't offer are absent.
 */
import type { FerryApi, FerryEvent } from './api';

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
  /** The host asks the UI to open a conversation (e.g. a notification was clicked). */
  onOpenConversation?(listener: (peerId: string) => void): () => void;
};

/** Host extras carried over IPC besides the contract requests. */
export const hostRequests = ['pickFiles', 'pickFolder', 'openPath', 'showInFolder'] as const;
export type HostRequestName = (typeof hostRequests)[number];

/** IPC channel names (Electron host). */
export const IPC = {
  request: (name: string) => `ferry:${name}`,
  event: 'ferry:event',
  openConversation: 'ferry:open-conversation',
} as const;

/** How a request's outcome crosses IPC: errors keep their code (a thrown Error would lose it). */
export type IpcOutcome<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } };
