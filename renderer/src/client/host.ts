/**
 * The one door to the engine. In Electron the preload put `window.ferry` there;
 * in browser mode we build the same object over the WebSocket bridge. Nothing
 * else in the renderer knows which host it runs in.
 */
import type { FerryHost } from '../../../shared/host-api';
import { connectWsBridge, takeSession } from './ws-bridge';

declare global {
  interface Window {
    ferry?: FerryHost;
  }
}

let current: FerryHost | null = null;

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
  return connectWsBridge({ url: window.location.href, session: takeSession() });
}

/** Absolute paths for files the user dropped or picked, however this host gets them. */
export async function pathsForFiles(host: FerryHost, files: File[]): Promise<string[]> {
  if (host.getPathForFile) {
    const paths = files.map((f) => host.getPathForFile!(f)).filter(Boolean);
    if (paths.length === files.length) return paths;
  }
  if (host.uploadFiles) return host.uploadFiles(files);
  throw new Error('this host cannot read dropped files');
}
