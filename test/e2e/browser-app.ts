/**
 * End-to-end harness: a real engine on 127.0.0.1 serving the built renderer in
 * browser mode, and Debian's chromium driven by playwright-core.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../electron/browser-mode/browser-host';
import type { TestNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
// FERRY_E2E_RENDERER_DIR: run the e2e tests against another build (e.g. the code before a fix, to see them fail).
export const RENDERER_DIR = process.env.FERRY_E2E_RENDERER_DIR ?? path.join(REPO_ROOT, 'out', 'renderer');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export function requireBuild(): void {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`no built renderer in ${RENDERER_DIR}: run "npm run build" first`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium`);
}

let browser: Browser | null = null;
const hosts = new Set<BrowserHost>();
const contexts = new Set<BrowserContext>();

afterEach(async () => {
  await Promise.all([...contexts].map((c) => c.close().catch(() => {})));
  contexts.clear();
  await Promise.all([...hosts].map((h) => h.close()));
  hosts.clear();
});
afterAll(async () => {
  await browser?.close();
  browser = null;
});

export async function launchBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return browser;
}

export interface AppPage {
  page: Page;
  host: BrowserHost;
  errors: string[];
}

/** Serves `node`'s UI in browser mode and opens it in a fresh browser context. */
export async function openApp(
  node: TestNode,
  options: {
    locale?: string;
    colorScheme?: 'light' | 'dark';
    width?: number;
    height?: number;
    maxUploadBytes?: number;
    stagingDir?: string;
  } = {},
): Promise<AppPage> {
  const host = await startBrowserHost({
    engine: node.node,
    rendererDir: RENDERER_DIR,
    stagingDir: options.stagingDir ?? (await tempDir('ferry-staging-')),
    ...(options.maxUploadBytes !== undefined ? { maxUploadBytes: options.maxUploadBytes } : {}),
  });
  hosts.add(host);
  const b = await launchBrowser();
  const context = await b.newContext({
    locale: options.locale ?? 'en-US',
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1000, height: options.height ?? 660 },
    deviceScaleFactor: 1,
  });
  contexts.add(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(host.url);
  await page.waitForSelector('.app-shell');
  return { page, host, errors };
}
