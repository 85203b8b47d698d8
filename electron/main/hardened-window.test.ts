import { describe, expect, it, vi } from 'vitest';
import {
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  denyAllPermissions,
  hardenedWebPreferences,
  lockDownContents,
} from './hardened-window';

describe('hardened window', () => {
  it('uses exactly the hardened webPreferences', () => {
    expect(hardenedWebPreferences('/app/preload/index.cjs')).toEqual({
      preload: '/app/preload/index.cjs',
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
    });
  });

  it('has a CSP that allows only our own origin and no remote code', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|unsafe-eval|\*/);
  });

  it('blocks navigation away from the app, denies popups and sends web links to the browser', () => {
    const handlers = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    let openHandler: (d: { url: string }) => { action: string } = () => ({ action: 'allow' });
    const contents = {
      on: (name: string, fn: (event: { preventDefault(): void }, url: string) => void) => handlers.set(name, fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
    };
    const openExternal = vi.fn();
    lockDownContents(contents as never, openExternal);

    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() };
      handlers.get('will-navigate')!(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate(`${APP_ORIGIN}/index.html`)).toBe(false);
    expect(handlers.has('will-redirect')).toBe(true);

    expect(openHandler({ url: 'https://ferry.example/help' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://ferry.example/help');
    expect(openHandler({ url: 'file:///bin/sh' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('denies every permission request and check but writing text to the clipboard', () => {
    let request: (c: unknown, p: string, cb: (ok: boolean) => void) => void = () => {};
    let check: (c: unknown, p: string) => boolean = () => true;
    denyAllPermissions({
      setPermissionRequestHandler: (fn: typeof request) => (request = fn),
      setPermissionCheckHandler: (fn: typeof check) => (check = fn),
    } as never);
    const answer = vi.fn();
    request(null, 'media', answer);
    expect(answer).toHaveBeenCalledWith(false);
    for (const permission of ['clipboard-read', 'notifications', 'geolocation', 'openExternal']) {
      expect(check(null, permission)).toBe(false);
      const no = vi.fn();
      request(null, permission, no);
      expect(no).toHaveBeenCalledWith(false);
    }
    expect(check(null, 'clipboard-sanitized-write')).toBe(true);
    const yes = vi.fn();
    request(null, 'clipboard-sanitized-write', yes);
    expect(yes).toHaveBeenCalledWith(true);
  });
});
