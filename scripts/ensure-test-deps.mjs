#!/usr/bin/env node
// Makes sure the system programs the test suite drives are present: Debian's
// chromium for the end-to-end tests (Playwright drives it; no browser download)
// iproute2/nftables for the multi-host discovery test, and colour-emoji and CJK fonts for screenshots. Installs them with
// apt-get when running as root; otherwise says exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED = [
  { pkg: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
  { pkg: 'iproute2', present: () => has('ip') },
  { pkg: 'nftables', present: () => has('nft') },
  // A colour-emoji font and a CJK font, so screenshots show emoji and Chinese rather than boxes.
  { pkg: 'fonts-noto-color-emoji', present: () => existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf') },
  { pkg: 'fonts-noto-cjk', present: () => existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc') },
];

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = NEEDED.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !has('apt-get')) {
  console.error(`The tests need these system packages: ${missing.join(', ')}.
Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run the tests again.`);
  process.exit(1);
}
console.log(`Installing test dependencies with apt-get: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
