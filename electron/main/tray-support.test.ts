import { describe, expect, it } from 'vitest';
import { canShowTray } from './tray-support';

const probe = (desktop: string | undefined, watcher: boolean | null) =>
  canShowTray({
    platform: 'linux',
    env: desktop === undefined ? {} : { XDG_CURRENT_DESKTOP: desktop },
    statusNotifierWatcher: async () => watcher,
  });

describe('canShowTray', () => {
  it('stock GNOME (no StatusNotifier host, no XEmbed tray) shows none, so closing must close', async () => {
    expect(await probe('GNOME', false)).toBe(false);
    expect(await probe('ubuntu:GNOME', null)).toBe(false);
    expect(await probe(undefined, null)).toBe(false);
  });

  it('a StatusNotifier host (KDE, Ubuntu AppIndicator extension) or an XEmbed panel shows it', async () => {
    expect(await probe('ubuntu:GNOME', true)).toBe(true);
    expect(await probe('KDE', false)).toBe(true);
    expect(await probe('XFCE', null)).toBe(true);
  });

  it('Windows and macOS always have one', async () => {
    for (const platform of ['win32', 'darwin'] as const)
      expect(await canShowTray({ platform, env: {}, statusNotifierWatcher: async () => false })).toBe(true);
  });
});
