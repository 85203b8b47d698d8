/**
 * Serves the built renderer from `ferry-app://ui/…` out of the app's own files,
 * with the CSP as a response header. Paths can't escape the renderer folder.
 */
import type { Protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_SCHEME, CONTENT_SECURITY_POLICY } from './hardened-window';
import { CONTENT_TYPES as TYPES } from '../core/content-types';

/** Must run before app 'ready'. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function resolveRendererPath(root: string, url: string): string | null {
  const { pathname } = new URL(url);
  const relative = decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html';
  const resolved = path.resolve(root, relative);
  return resolved === root || resolved.startsWith(root + path.sep) ? resolved : null;
}

export function serveRenderer(protocol: Protocol, root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveRendererPath(root, request.url);
    if (!file) return new Response('Forbidden', { status: 403 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
