/**
 * Browser mode has no tray: the tab title counts unread messages, and the
 * browser's Notification API speaks up while the tab is in the background.
 * Real engines on 127.0.0.1, the real renderer in Debian's chromium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { openApp, requireBuild } from './browser-app';

beforeAll(requireBuild);

describe('browser tab title and notifications', () => {
  it('shows the unread count in the title and notifies while the tab is hidden, when permitted', async () => {
    const alice = await startNode('Alice');
    const bob = await startNode('Bob');
    const { page, host, errors } = await openApp(alice);
    const context = page.context();
    await context.grantPermissions(['notifications'], { origin: `http://127.0.0.1:${host.port}` });
    // Record what the page hands the real Notification constructor.
    await context.addInitScript(() => {
      const Real = window.Notification;
      const notes: { title: string; body?: string }[] = [];
      (window as unknown as { __notes: typeof notes }).__notes = notes;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          notes.push({ title, body: options?.body });
        }
      }
      Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
    });
    // A reload keeps this tab's session (sessionStorage) and cookie.
    await page.reload();
    await page.waitForSelector('.app-shell');
    expect(await page.title()).toBe('Ferry');

    await bob.node.addPeer(alice.address);
    await alice.waitFor('peerUpdated', (p) => p.id === bob.node.peerId && p.online);
    await bob.node.sendMessage(`direct:${alice.node.peerId}`, 'first');
    await expect.poll(() => page.title()).toBe('(1) Ferry');

    // Another tab in front: this one is in the background, and a new message is a notification.
    // (Playwright fakes focus for every page; let chromium report the real one.)
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
    const other = await context.newPage();
    await other.bringToFront();
    await expect
      .poll(() => page.evaluate(() => document.visibilityState === 'hidden' || !document.hasFocus()))
      .toBe(true);
    await bob.node.sendMessage(`direct:${alice.node.peerId}`, 'are you there?');
    await expect.poll(() => page.title()).toBe('(2) Ferry');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes))
      .toEqual([{ title: 'Message from Bob', body: 'are you there?' }]);

    // Reading the conversation clears the count.
    await page.bringToFront();
    await page.locator('.peer-list').getByText('Bob').first().click();
    await expect.poll(() => page.title()).toBe('Ferry');
    expect(errors).toEqual([]);
  }, 90_000);
});
