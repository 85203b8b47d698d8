/**
 * The one door to the engine. In Electron the preload put `window.ferry` there;
 * in browser mode we build the same object over the WebSocket bridge. Nothing
 * else in the renderer knows which host it runs in.
 */
import type { FerryHost } from '../../../shared/host-api';
import { uploadEntries, type UploadEntry, type UploadProgress, type UploadTarget } from './browser-upload';
import { connectWsBridge, takeSession } from './ws-bridge';

declare global {
  interface Window {
    ferry?: FerryHost;
  }
}

let current: FerryHost | null = null;
/** Browser mode: where uploads go (the page's origin, with this tab's session key). */
let uploadTarget: UploadTarget | null = null;

export function setHost(host: FerryHost): void {
  current = host;
}

export function useHost(): FerryHost {
  if (!current) throw new Error('the Ferry host is not connected yet');
  return current;
}

/** Picks the preload's bridge when present, else the browser-mode WebSocket bridge. */
export async function connectHost(): Promise<FerryHost> {
  if (window.ferry) return window.ferry;
  const session = takeSession();
  const host = await connectWsBridge({ url: window.location.href, session });
  uploadTarget = { url: window.location.href, session };
  return host;
}

/**
 * Absolute paths for what the user dropped or picked, however this host gets
 * them: the real paths (desktop app), or staged uploads with their folder
 * structure and progress (browser mode).
 */
/** A Blob's bytes as base64 (what IPC and the browser bridge carry). */
export async function blobToBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export async function pathsForEntries(
  host: FerryHost,
  entries: UploadEntry[],
  onProgress?: (p: UploadProgress) => void,
): Promise<string[]> {
  if (host.getPathForFile) {
    // The desktop app gets top-level items (files or folders) with their real paths.
    const files = entries.filter((e) => e.file && !e.path.includes('/')).map((e) => e.file!);
    const paths = files.map((f) => host.getPathForFile!(f));
    if (paths.length && paths.every(Boolean)) return paths;
    // A file only in memory (a pasted screenshot) has no path: the desktop host keeps a copy of it.
    if (host.savePastedFile && files.length && files.length === entries.length) {
      const save = host.savePastedFile;
      return Promise.all(files.map(async (f, i) => paths[i] || save(f.name, await blobToBase64(f))));
    }
  }
  if (uploadTarget) return uploadEntries(uploadTarget, entries, onProgress);
  if (host.uploadFiles && entries.every((e) => e.file && !e.path.includes('/'))) {
    return host.uploadFiles(entries.map((e) => e.file!));
  }
  throw new Error('this host cannot read dropped files');
}
