/**
 * Browser mode: `window.ferry` rebuilt over a WebSocket to the local engine
 * (electron/core/browser-mode). Requests are `{id, call, args}`, answers
 * `{id, ok, result | error}`, pushes `{event}`. The token from the page URL goes
 * with every request; dropped files are streamed to the engine by HTTP POST.
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
  token: string;
  reconnectDelayMs?: number;
}

export async function connectWsBridge(options: WsBridgeOptions): Promise<FerryHost> {
  const base = new URL(options.url);
  const wsUrl = new URL('/ws', base);
  wsUrl.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.search = new URLSearchParams({ token: options.token }).toString();

  const listeners = new Set<(e: FerryEvent) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket;
  let opened: Promise<void>;

  const open = () => {
    socket = new WebSocket(wsUrl);
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => {
        bridgeStatus.value = 'open';
        resolve();
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
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, call: name, args }));
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
            'x-ferry-token': options.token,
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
