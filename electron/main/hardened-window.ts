/**
 * The window's security settings in one place (asserted by a test): a sandboxed,
 * context-isolated renderer with no Node, a strict CSP, no navigation, no popups,
 * no permissions.
 */
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

/** Scheme the packaged renderer is served from (never a remote URL). */
export const APP_SCHEME = 'ferry-app';
export const APP_ORIGIN = `${APP_SCHEME}://ui`;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function hardenedWebPreferences(
  preloadPath: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Blocks navigation and popups; http(s) links open in the system browser. */
export function lockDownContents(contents: WebContents, openExternal: (url: string) => void): void {
  const isOurs = (url: string) => url.startsWith(`${APP_ORIGIN}/`) || url === APP_ORIGIN;
  contents.on('will-navigate', (event, url) => {
    if (!isOurs(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isOurs(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/**
 * Writing plain text to the clipboard (a message's Copy action) is the one thing a
 * page may do: write-only and sanitised, it reads nothing.
 */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

/** Denies every permission request (camera, notifications via web API, geolocation, reading the clipboard…) but a clipboard write. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(ALLOWED_PERMISSIONS.has(permission)),
  );
  session.setPermissionCheckHandler((_contents, permission) => ALLOWED_PERMISSIONS.has(permission));
}
