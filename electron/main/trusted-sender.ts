/**
 * Which IPC calls the engine answers: only those from the main frame of Ferry's own
 * window, showing Ferry's own page (the app scheme; the dev server only in the dev tree).
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron';

export interface TrustedPage {
  /** The app's window's contents, or null when there is no live window. */
  contents: WebContents | null;
  /** Origin of the packaged page, e.g. ferry-app://ui. */
  appOrigin: string;
  /** The dev server's URL (dev tree only; null when packaged). */
  devUrl: string | null;
}

export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, page: TrustedPage): boolean {
  const { contents } = page;
  if (!contents || event.sender !== contents || !event.senderFrame || event.senderFrame !== contents.mainFrame)
    return false;
  const url = event.senderFrame.url;
  return sameOrigin(url, page.appOrigin) || (page.devUrl !== null && sameOrigin(url, page.devUrl));
}

function sameOrigin(url: string, base: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(base);
    // Custom schemes have an opaque origin ("null"): compare scheme and host instead.
    return a.protocol === b.protocol && a.host === b.host;
  } catch {
    return false;
  }
}
