/** The settings of a fresh data dir: named after the computer, saving to ~/Downloads/Ferry. */
import os from 'node:os';
import path from 'node:path';
import type { SettingsDto } from '../../../shared/dto';
import { DEFAULT_PORT } from '../net/address';

export function defaultSettings(): SettingsDto {
  return {
    displayName: safeHostname(),
    downloadDir: path.join(os.homedir(), 'Downloads', 'Ferry'),
    port: DEFAULT_PORT,
    discovery: true,
    ipmsg: true,
    autoAcceptVerified: false,
    language: 'system',
    theme: 'system',
    closeToTray: true,
  };
}

function safeHostname(): string {
  const name = os
    .hostname()
    .replace(/\.local$/, '')
    .trim();
  return name
    ? Buffer.from(name)
        .subarray(0, 255)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
    : 'Ferry';
}
