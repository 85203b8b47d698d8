/**
 * Browser mode: the engine serves the built renderer on 127.0.0.1 and carries the
 * contract over a WebSocket, so the same UI runs in any browser where Electron
 * can't. Every request must name our host, come from our origin (for the socket
 * and uploads) and present the random token from the printed URL.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FerryApi, FerryEvent } from '../../../shared/api';
import { FerryError } from '../ferry-error';
import { callEngine, toErrorDto } from './engine-call';
import { newToken, RequestGuard, TOKEN_COOKIE } from './request-guard';
import { pruneStaging, receiveUpload } from './staged-upload';
import { CONTENT_TYPES as TYPES } from '../content-types';

export interface BrowserEngine extends FerryApi {
  subscribe(listener: (event: FerryEvent) => void): () => void;
}

export interface BrowserHostOptions {
  engine: BrowserEngine;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** Where dropped files are staged before they are offered. */
  stagingDir: string;
  /** Interface to listen on; anything but loopback must be asked for explicitly. */
  host?: string;
  port?: number;
  token?: string;
  maxUploadBytes?: number;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** Chat text is at most 64 KiB; a request is never bigger than this. */
const MAX_WS_MESSAGE = 1024 * 1024;
const STAGING_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

function csp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const rendererDir = path.resolve(options.rendererDir);
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 ** 3;
  await stat(path.join(rendererDir, 'index.html')).catch(() => {
    throw new FerryError('NOT_FOUND', `no built renderer in ${rendererDir}; run "npm run build" first`);
  });
  void pruneStaging(options.stagingDir, STAGING_MAX_AGE_MS);

  // Answers nothing until allow() names our host:port below.
  const guard = new RequestGuard(token);
  const server = createServer((req, res) => void handle(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });

  const send = (res: ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!guard.hostOk(req)) return send(res, 421, 'Wrong host.');
    if (url.pathname === '/upload') {
      if (req.method !== 'POST') return send(res, 405, 'POST only.');
      if (!guard.originOk(req) || !guard.authorized(req, url)) {
        req.resume();
        return send(res, 403, {
          error: { code: 'UNAUTHORIZED', message: 'missing or wrong token, or a foreign origin' },
        });
      }
      try {
        const file = await receiveUpload(req, { stagingDir: options.stagingDir, maxBytes: maxUploadBytes });
        return send(res, 200, { path: file });
      } catch (err) {
        req.resume();
        const error = toErrorDto(err);
        const status = error.code === 'UPLOAD_TOO_LARGE' ? 413 : error.code === 'DISK_FULL' ? 507 : 400;
        return send(res, status, { error }, { connection: 'close' });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only.');
    if (!guard.authorized(req, url)) {
      return send(res, 403, 'Ferry: open the link Ferry printed when it started (it carries the access token).');
    }
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + path.sep)) return send(res, 403, 'Forbidden.');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'Not found.');
    const headers: Record<string, string> = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'content-security-policy': csp(server.address() ? (server.address() as AddressInfo).port : 0),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': relative === 'index.html' ? 'no-store' : 'private, max-age=3600',
    };
    // The token in the address bar becomes a cookie so the page's scripts and styles load too.
    if (url.searchParams.has('token')) {
      headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' || !guard.hostOk(req) || !guard.originOk(req) || !guard.authorized(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    const unsubscribe = options.engine.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event }));
    });
    ws.on('close', unsubscribe);
    ws.on('message', async (data, isBinary) => {
      let request: { id?: unknown; call?: unknown; args?: unknown };
      try {
        if (isBinary) throw new Error('binary');
        request = JSON.parse(String(data));
        if (!request || typeof request !== 'object') throw new Error('not an object');
      } catch {
        ws.send(
          JSON.stringify({
            id: null,
            ok: false,
            error: { code: 'INVALID_ARGUMENT', message: 'a request is a JSON object {id, call, args}' },
          }),
        );
        return;
      }
      const outcome = await callEngine(options.engine, request.call, request.args);
      if (ws.readyState === ws.OPEN)
        ws.send(JSON.stringify({ id: typeof request.id === 'number' ? request.id : null, ...outcome }));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new FerryError('PORT_IN_USE', `port ${options.port} is in use; pick another with --ui-port`)
          : err,
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const names = LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '::1'] : [host.toLowerCase(), '127.0.0.1', 'localhost'];
  guard.allow(names, port);
  const shownHost = host === '::1' ? '[::1]' : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;

  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
