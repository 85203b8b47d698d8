/**
 * One browser-mode Ferry per data dir, like the desktop app: the running one
 * writes where its UI listens into the data dir; a second `ferry ui` on the
 * same data dir asks it for a fresh one-time link instead of failing with
 * DATA_DIR_IN_USE. The session secret lives beside it (0600), so a restarted
 * engine accepts the tabs the previous run opened.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keyFor } from './request-guard';

const SECRET_FILE = 'browser-session.key';
const ENDPOINT_FILE = 'browser-ui.json';
/** The route a second instance calls; it presents INSTANCE_HEADER. */
export const INSTANCE_PATH = '/instance/open';
export const INSTANCE_HEADER = 'x-ferry-instance';

export interface UiEndpoint {
  pid: number;
  host: string;
  port: number;
}

export async function loadOrCreateSessionSecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, SECRET_FILE);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch {
    // First start (or an unreadable file: start a new secret; old tabs need a new link).
  }
  const secret = randomBytes(32);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, secret.toString('hex') + '\n', { mode: 0o600 });
  return secret;
}

export async function readEndpoint(dataDir: string): Promise<UiEndpoint | null> {
  try {
    const value = JSON.parse(await readFile(path.join(dataDir, ENDPOINT_FILE), 'utf8')) as UiEndpoint;
    if (typeof value.port === 'number' && typeof value.host === 'string') return value;
  } catch {
    // None yet, or garbage: treat as none.
  }
  return null;
}

export async function writeEndpoint(dataDir: string, endpoint: UiEndpoint): Promise<void> {
  await writeFile(path.join(dataDir, ENDPOINT_FILE), JSON.stringify(endpoint), { mode: 0o600 });
}

/**
 * On a clean stop: the file stays with pid 0 ("not running"), keeping the port
 * so the next start listens there again and open tabs find it.
 */
export async function markStopped(dataDir: string): Promise<void> {
  const current = await readEndpoint(dataDir);
  if (current?.pid === process.pid) await writeEndpoint(dataDir, { ...current, pid: 0 });
}

const LOOPBACK_FOR: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/**
 * Asks the Ferry running on `dataDir` (if any) for a fresh one-time link to its
 * UI. Null when none answers (not running, crashed, or another program on the port).
 */
export async function askRunningInstance(dataDir: string, timeoutMs = 3000): Promise<string | null> {
  const endpoint = await readEndpoint(dataDir);
  if (!endpoint?.pid) return null;
  let secret: Buffer;
  try {
    const text = (await readFile(path.join(dataDir, SECRET_FILE), 'utf8')).trim();
    secret = Buffer.from(text, 'hex');
  } catch {
    return null;
  }
  const host = LOOPBACK_FOR[endpoint.host] ?? endpoint.host;
  const hostHeader = `${host.includes(':') ? `[${host}]` : host}:${endpoint.port}`;
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port: endpoint.port,
        path: INSTANCE_PATH,
        method: 'POST',
        headers: { host: hostHeader, [INSTANCE_HEADER]: keyFor(secret, 'instance', endpoint.port) },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d.length < 10_000 ? d : ''));
        res.on('end', () => {
          try {
            const url = (JSON.parse(body) as { url?: unknown }).url;
            resolve(res.statusCode === 200 && typeof url === 'string' ? url : null);
          } catch {
            resolve(null);
          }
        });
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
