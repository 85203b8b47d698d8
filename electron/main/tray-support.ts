/**
 * Whether a tray icon will actually be visible, so closing the window may hide it
 * there. On Linux, Electron shows the icon through a StatusNotifier host (KDE, Ubuntu's
 * AppIndicator extension, most panels) or, lacking one, an XEmbed tray; stock GNOME has
 * neither, and a window "closed to the tray" there would leave an invisible process.
 */
import { execFile } from 'node:child_process';

export interface TrayProbe {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** True when a StatusNotifierWatcher owns its name on the session bus; null when it can't be asked. */
  statusNotifierWatcher: () => Promise<boolean | null>;
}

export async function canShowTray({ platform, env, statusNotifierWatcher }: TrayProbe): Promise<boolean> {
  if (platform !== 'linux') return true;
  if (await statusNotifierWatcher()) return true;
  // No StatusNotifier host: only desktops with an XEmbed tray show the icon, and GNOME has none.
  const desktop = `${env.XDG_CURRENT_DESKTOP ?? ''}:${env.DESKTOP_SESSION ?? ''}`.toLowerCase();
  if (!desktop.replace(/:/g, '')) return false;
  return !/gnome|unity|ubuntu|pantheon|phosh/.test(desktop);
}

/** Asks the session bus (dbus-send ships with every D-Bus install) whether a StatusNotifier host runs. */
export function dbusStatusNotifierWatcher(timeoutMs = 2000): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.kde.StatusNotifierWatcher',
      ],
      { timeout: timeoutMs },
      (err, stdout) => resolve(err ? null : /boolean true/.test(stdout)),
    );
  });
}
