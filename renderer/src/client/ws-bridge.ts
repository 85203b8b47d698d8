/**
 * Browser mode: `window.ferry` rebuilt over a WebSocket to the local engine
 * (electron/browser-mode). Requests are `{id, call, args}`, answers
 * `{id, ok, result | error}`, pushes `{event}`. The tab's session key arrives
 * once in the URL fragment, is moved to sessionStorage (which belongs to this
 * origin, port included) and wiped from the address bar; it goes with the
 * socket and every upload. Dropped files are streamed to the engine by HTTP POST.
 */
import { ref } from 'vue';
import { requestNames, type FerryApi, type FerryEvent } from '../../../shared/api';
import type { FerryHost } from '../../../shared/host-api';
import { RequestError } from './request-error';

/** 'connecting' until the first open, 'lost' while reconnecting. */
export const bridgeStatus = ref<'connecting' | 'open' | 'lost'>('connecting');

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface WsBridgeOptions {
  /** The page's own URL; the socket and uploads go to the same origin. */
  url: string;
  session: string;
  reconnectDelayMs?: number;
  /** The engine came back after the socket was lost (default: reload the page, so every store is fresh). */
  onReconnect?: () => void;
}

/** The engine's WebSocket message limit (browser-host.ts MAX_WS_MESSAGE). */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const SESSION_KEY = 'ferry-session';

/**
 * This tab's session key: taken from the `#session=` fragment the engine's
 * redirect put there (then wiped from the address bar and history entry), or
 * from sessionStorage after a reload.
 */
export function takeSession(win: Window = window): string {
  const fromHash = new URLSearchParams(win.location.hash.replace(/^#/, '')).get('session');
  if (fromHash) win.sessionStorage.setItem(SESSION_KEY, fromHash);
  const url = new URL(win.location.href);
  if (url.hash || url.searchParams.has('code') || url.searchParams.has('token')) {
    url.hash = '';
    url.searchParams.delete('code');
    url.searchParams.delete('token');
    win.history.replaceState(win.history.state, '', url.pathname + url.search);
  }
  return win.sessionStorage.getItem(SESSION_KEY) ?? '';
}

export async function connectWsBridge(options: WsBridgeOptions): Promise<FerryHost> {
  const base = new URL(options.url);
  const wsUrl = new URL('/ws', base);
  wsUrl.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.search = new URLSearchParams({ session: options.session }).toString();
  const onReconnect = options.onReconnect ?? (() => window.location.reload());

  const listeners = new Set<(e: FerryEvent) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket;
  let opened: Promise<void>;

  const open = () => {
    socket = new WebSocket(wsUrl);
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => {
        const wasLost = bridgeStatus.value === 'lost';
        bridgeStatus.value = 'open';
        resolve();
        // Events were missed while the engine was away: start from its current state.
        if (wasLost) onReconnect();
      });
      socket.addEventListener('error', () => reject(new RequestError('ENGINE_GONE', 'cannot reach the Ferry engine')));
    });
    opened.catch(() => {});
    socket.addEventListener('message', (msg) => {
      let data: {
        id?: number;
        ok?: boolean;
        result?: unknown;
        error?: { code: string; message: string };
        event?: FerryEvent;
      };
      try {
        data = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (data.event) {
        for (const l of listeners) l(data.event);
        return;
      }
      const waiter = data.id !== undefined ? pending.get(data.id) : undefined;
      if (!waiter) return;
      pending.delete(data.id!);
      if (data.ok) waiter.resolve(data.result ?? undefined);
      else waiter.reject(new RequestError(data.error?.code ?? 'INTERNAL', data.error?.message ?? 'request failed'));
    });
    socket.addEventListener('close', () => {
      bridgeStatus.value = 'lost';
      for (const [, w] of pending)
        w.reject(new RequestError('ENGINE_GONE', 'the connection to the Ferry engine was lost'));
      pending.clear();
      setTimeout(open, options.reconnectDelayMs ?? 2000);
    });
  };
  open();
  await opened!;

  const call = async (name: string, args: unknown[]) => {
    if (socket.readyState !== WebSocket.OPEN) await opened;
    const id = nextId++;
    const text = JSON.stringify({ id, call: name, args });
    // Over the engine's limit the socket would be closed (1009): refuse here, with a reason.
    if (text.length > MAX_REQUEST_BYTES / 3 && new TextEncoder().encode(text).length > MAX_REQUEST_BYTES) {
      throw new RequestError('REQUEST_TOO_LARGE', 'too many files at once for browser mode; send fewer');
    }
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(text);
    });
  };

  const requests = Object.fromEntries(
    requestNames.map((name) => [name, (...args: unknown[]) => call(name, args)]),
  ) as unknown as FerryApi;

  return {
    ...requests,
    host: 'browser',
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async uploadFiles(files) {
      const paths: string[] = [];
      for (const file of files) {
        const res = await fetch(new URL('/upload', base), {
          method: 'POST',
          headers: {
            'x-ferry-session': options.session,
            'x-ferry-name': encodeURIComponent(file.name),
            'content-type': 'application/octet-stream',
          },
          body: file,
        });
        const body = (await res.json().catch(() => ({}))) as {
          path?: string;
          error?: { code: string; message: string };
        };
        if (!res.ok || !body.path) {
          throw new RequestError(
            body.error?.code ?? 'INTERNAL',
            body.error?.message ?? `upload failed (${res.status})`,
          );
        }
        paths.push(body.path);
      }
      return paths;
    },
  };
}
