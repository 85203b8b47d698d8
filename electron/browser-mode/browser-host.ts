/**
 * Browser mode: the engine serves the built renderer on 127.0.0.1 and carries the
 * contract over a WebSocket, so the same UI runs in any browser where Electron
 * can't. Every request must name our host, come from our origin (for the socket
 * and uploads) and present the credentials request-guard.ts describes. Nothing a
 * request carries may throw out of a handler: a bad request gets a 4xx, the
 * engine keeps serving. Contract calls over the socket go through the engine's
 * dispatcher (../api/dispatcher.ts); browser mode offers no host extras.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FerryApi, FerryEvent } from '../../shared/api';
import type { TransferDto } from '../../shared/dto';
import { FerryError } from '../core/ferry-error';
import { Dispatcher, toErrorDto } from '../core/api/dispatcher';
import { RequestGuard, sameToken } from './request-guard';
import { receiveUpload, StagingTracker } from './staged-upload';
import { INSTANCE_HEADER, INSTANCE_PATH } from './ui-instance';
import { CONTENT_TYPES as TYPES } from '../core/content-types';

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
  /** Keys every credential; persisted by `ferry ui` so tabs survive a restart. Random if absent. */
  secret?: Buffer;
  maxUploadBytes?: number;
  /** Uploads streaming at the same time; more get 429 UPLOAD_BUSY. */
  maxConcurrentUploads?: number;
  /** An upload that sends nothing for this long is dropped. */
  uploadStallMs?: number;
  /** A staged file no `sendFiles` claimed within this long is deleted. */
  stagedClaimTtlMs?: number;
  /** Where an engine bug met by a request is logged, a line each (default: stderr). */
  log?: (line: string) => void;
}

export interface BrowserHost {
  /** A one-time link to the UI (the first one; `issueUrl()` makes more). */
  url: string;
  port: number;
  /** A fresh one-time link: opens the UI once, within CODE_TTL_MS. */
  issueUrl(): string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/**
 * Largest WebSocket message. Chat text is at most 64 KiB; the big request is
 * `sendFiles` with up to 10,000 paths. A staged path is a few hundred bytes, so
 * 32 MiB holds 10,000 paths of 3,000 bytes each. Bigger: closed with 1009.
 */
export const MAX_WS_MESSAGE = 32 * 1024 * 1024;
const TERMINAL: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled', 'declined', 'expired']);

const LINK_DEAD =
  'Ferry: this link was already used or has expired (each link opens Ferry once).\n' +
  'Run "ferry ui" (or "npm start -- --browser") again: a running Ferry opens a new tab for you.\n\n' +
  'Ferry：此链接已使用或已过期（每个链接只能打开一次）。\n' +
  '请再次运行 "ferry ui"（或 "npm start -- --browser"）：正在运行的 Ferry 会为你打开新的标签页。\n';
const NO_ACCESS =
  'Ferry: open the link Ferry printed when it started, or run "ferry ui" (or "npm start -- --browser") again.\n\n' +
  'Ferry：请打开 Ferry 启动时输出的链接，或再次运行 "ferry ui"（或 "npm start -- --browser"）。\n';

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

/** The request target as a URL, or null when it isn't a plain path (`//`, `http://x/…`, garbage). */
function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/';
  if (!target.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

function decodedPath(url: URL): string | null {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const host = options.host ?? '127.0.0.1';
  const secret = options.secret ?? randomBytes(32);
  const rendererDir = path.resolve(options.rendererDir);
  const stagingDir = path.resolve(options.stagingDir);
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 ** 3;
  const maxConcurrentUploads = options.maxConcurrentUploads ?? 4;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dispatcher = new Dispatcher({ engine: options.engine, host: 'browser WebSocket', log });
  /** An unexpected error outside a contract call (an HTTP handler, an upload) is logged like one. */
  const logBug = (what: string) => (err: unknown) => {
    try {
      log(`ferry: engine bug in ${what} (browser mode); answered INTERNAL: ${(err as Error)?.stack ?? String(err)}`);
    } catch {
      // logging must never be the thing that fails
    }
  };
  await stat(path.join(rendererDir, 'index.html')).catch(() => {
    throw new FerryError('NOT_FOUND', `no built renderer in ${rendererDir}; run "npm run build" first`);
  });

  // Staged uploads live as long as their transfer: the ones a still-unfinished
  // transfer (from before a restart) claims stay, everything else goes now.
  const staging = new StagingTracker(stagingDir, { claimTtlMs: options.stagedClaimTtlMs });
  const unfinished = new Set(
    (await options.engine.listTransfers().catch(() => [] as TransferDto[]))
      .filter((t) => t.direction === 'out' && !TERMINAL.has(t.state))
      .map((t) => t.id),
  );
  await staging.recover((id) => unfinished.has(id));
  const unsubscribeStaging = options.engine.subscribe((event) => {
    if (event.name !== 'transferUpdated') return;
    const t = event.payload as TransferDto;
    void staging.transferState(t.id, t.state);
  });
  let uploading = 0;

  // Answers nothing until allow() names our host:port below.
  const guard = new RequestGuard(secret);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A handler bug must cost one request, never the engine.
      if (!res.headersSent) send(res, 500, { error: toErrorDto(err, logBug('an HTTP request')) });
      else res.destroy();
    });
  });
  // Whole uploads may take longer than Node's default 5 minutes; stalls are cut by receiveUpload.
  server.requestTimeout = 0;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });
  wss.on('error', () => {});

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
    const url = requestUrl(req);
    const pathname = url && decodedPath(url);
    if (!url || pathname === null) {
      req.resume();
      return send(res, 400, 'Bad request.', { connection: 'close' });
    }
    if (!guard.hostOk(req)) return send(res, 421, 'Wrong host.');
    if (url.pathname === INSTANCE_PATH) {
      // A second `ferry ui` on our data dir asks for a fresh link (it read the secret there).
      req.resume();
      const key = req.headers[INSTANCE_HEADER];
      if (req.method !== 'POST' || typeof key !== 'string' || !sameToken(guard.instanceKey(), key))
        return send(res, 403, { error: { code: 'UNAUTHORIZED', message: 'not this Ferry’s data dir' } });
      return send(res, 200, { url: issueUrl() });
    }
    if (url.pathname === '/upload') return upload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only.');

    if (url.searchParams.has('code')) {
      // The one-time code becomes the UI cookie and this tab's session key; the
      // key rides in the fragment (never sent to a server) and the page wipes it.
      if (!guard.redeemCode(url.searchParams.get('code'))) return send(res, 403, LINK_DEAD);
      res.writeHead(303, {
        location: `/#session=${guard.issueSession()}`,
        'set-cookie': guard.uiCookie(),
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      return void res.end();
    }
    if (!guard.uiCookieOk(req)) return send(res, 403, NO_ACCESS);
    const relative = pathname.replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + path.sep)) return send(res, 403, 'Forbidden.');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'Not found.');
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'content-security-policy': csp(port),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': relative === 'index.html' ? 'no-store' : 'private, max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, 'POST only.');
    }
    const refuse = (status: number, code: string, message: string) => {
      req.resume();
      send(res, status, { error: { code, message } }, { connection: 'close' });
    };
    const key = req.headers['x-ferry-session'];
    if (!guard.originOk(req) || !guard.sessionOk(typeof key === 'string' ? key : null)) {
      return refuse(403, 'UNAUTHORIZED', 'missing or wrong session key, or a foreign origin');
    }
    if (uploading >= maxConcurrentUploads || !staging.hasRoom()) {
      return refuse(429, 'UPLOAD_BUSY', 'too many files are being handed to Ferry at once; try again shortly');
    }
    uploading++;
    try {
      const file = await receiveUpload(req, {
        stagingDir,
        maxBytes: maxUploadBytes,
        stallMs: options.uploadStallMs,
        onStaged: (id) => staging.staged(id),
      });
      return send(res, 200, { path: file });
    } catch (err) {
      const error = toErrorDto(err, logBug('an upload'));
      const status =
        error.code === 'UPLOAD_TOO_LARGE'
          ? 413
          : error.code === 'DISK_FULL'
            ? 507
            : error.code === 'INTERNAL'
              ? 500
              : 400;
      return refuse(status, error.code, error.message);
    } finally {
      uploading--;
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Before handleUpgrade the raw socket is ours: a reset must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    if (!url || decodedPath(url) === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    if (
      url.pathname !== '/ws' ||
      !guard.hostOk(req) ||
      !guard.originOk(req) ||
      !guard.sessionOk(url.searchParams.get('session'))
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    // ws closes the socket itself on a bad frame (1007 invalid UTF-8, 1009 too big,
    // 1002 protocol error); without a listener that 'error' would end the process.
    ws.on('error', () => {});
    const unsubscribe = options.engine.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event }));
    });
    ws.on('close', unsubscribe);
    ws.on('message', (data, isBinary) => void answer(ws, data, isBinary));
  }

  async function answer(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): Promise<void> {
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
    const outcome = await dispatcher.call(request.call, request.args);
    if (request.call === 'sendFiles' && Array.isArray(request.args) && Array.isArray(request.args[1])) {
      // Staged uploads belong to the transfer now, or go at once if it was refused.
      const ids = staging.uploadIds(request.args[1]);
      if (outcome.ok) {
        const t = outcome.result as TransferDto;
        await staging.claim(t.id, ids);
        await staging.transferState(t.id, t.state);
      } else await staging.discard(ids);
    }
    if (ws.readyState === ws.OPEN)
      ws.send(JSON.stringify({ id: typeof request.id === 'number' ? request.id : null, ...outcome }));
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
  }).catch((err: unknown) => {
    unsubscribeStaging();
    staging.stop();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const names = LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '::1'] : [host.toLowerCase(), '127.0.0.1', 'localhost'];
  guard.allow(names, port);
  const shownHost = host === '::1' ? '[::1]' : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const issueUrl = () => `http://${shownHost}:${port}/?code=${guard.issueCode()}`;

  return {
    url: issueUrl(),
    port,
    issueUrl,
    async close() {
      unsubscribeStaging();
      staging.stop();
      for (const client of wss.clients) client.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
