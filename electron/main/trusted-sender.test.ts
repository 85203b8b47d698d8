import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { isTrustedSender } from './trusted-sender';

/** Electron's WebContents and frames, reduced to what the check reads (the binary can't run here). */
function page(url: string) {
  const mainFrame = { url };
  const contents = { mainFrame } as unknown as WebContents;
  return { contents, mainFrame };
}
const event = (sender: unknown, senderFrame: unknown) =>
  ({ sender, senderFrame }) as unknown as Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;
const APP = 'ferry-app://ui';

describe('isTrustedSender', () => {
  it("trusts the main frame of Ferry's window on the app scheme", () => {
    const { contents, mainFrame } = page('ferry-app://ui/index.html');
    expect(isTrustedSender(event(contents, mainFrame), { contents, appOrigin: APP, devUrl: null })).toBe(true);
  });

  it('refuses another window, a subframe, a missing frame and no live window', () => {
    const { contents, mainFrame } = page('ferry-app://ui/index.html');
    const other = page('ferry-app://ui/index.html');
    const subframe = { url: 'ferry-app://ui/index.html' };
    const trusted = { contents, appOrigin: APP, devUrl: null };
    expect(isTrustedSender(event(other.contents, other.mainFrame), trusted)).toBe(false);
    expect(isTrustedSender(event(contents, subframe), trusted)).toBe(false);
    expect(isTrustedSender(event(contents, null), trusted)).toBe(false);
    expect(isTrustedSender(event(contents, mainFrame), { ...trusted, contents: null })).toBe(false);
  });

  it('refuses pages the window was navigated to, and look-alike origins', () => {
    for (const url of [
      'https://evil.example/index.html',
      'file:///etc/passwd',
      'ferry-app://uix/index.html',
      'ferry-app://ui.evil/index.html',
      'ferry-apps://ui/index.html',
      'not a url',
      'http://localhost:5173/',
    ]) {
      const { contents, mainFrame } = page(url);
      expect(isTrustedSender(event(contents, mainFrame), { contents, appOrigin: APP, devUrl: null }), url).toBe(false);
    }
  });

  it('trusts the dev server only in the dev tree', () => {
    const { contents, mainFrame } = page('http://localhost:5173/index.html');
    expect(isTrustedSender(event(contents, mainFrame), { contents, appOrigin: APP, devUrl: null })).toBe(false);
    expect(
      isTrustedSender(event(contents, mainFrame), { contents, appOrigin: APP, devUrl: 'http://localhost:5173' }),
    ).toBe(true);
    expect(
      isTrustedSender(event(contents, mainFrame), { contents, appOrigin: APP, devUrl: 'http://localhost:5174' }),
    ).toBe(false);
  });
});
