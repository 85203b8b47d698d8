#!/usr/bin/env node
// Makes sure the system programs the test suite drives are present: Debian's
// chromium for the end-to-end tests (Playwright drives it; no browser download)
// iproute2/nftables for the multi-host discovery test, strace for the CLI bundle's test, colour-emoji and CJK fonts for screenshots, and
// iptux's engine library plus what it takes to compile the headless iptux peer against it (test/interop/iptux).
// Installs them with apt-get when running as root; otherwise says exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED = [
  { pkg: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
  { pkg: 'iproute2', present: () => has('ip') },
  { pkg: 'nftables', present: () => has('nft') },
  // Which files `ferry --help` opens (test/integration/cli-bundle.test.ts).
  { pkg: 'strace', present: () => has('strace') },
  // A colour-emoji font and a CJK font, so screenshots show emoji and Chinese rather than boxes.
  { pkg: 'fonts-noto-color-emoji', present: () => existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf') },
  { pkg: 'fonts-noto-cjk', present: () => existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc') },
  // The IP Messenger interop tests: Debian's iptux ships its protocol engine as libiptux-core with headers and
  // a pkg-config file; the driver links it. Its pkg-config file requires glog (and, privately, gflags), jsoncpp,
  // glib and sigc++, so their -dev packages are needed for `pkg-config --cflags --libs iptux-core` to answer.
  { pkg: 'iptux', group: 'iptux', present: () => existsSync('/usr/include/iptux-core/CoreThread.h') },
  { pkg: 'g++', group: 'iptux', present: () => has('g++') },
  { pkg: 'pkg-config', group: 'iptux', present: () => has('pkg-config') },
  { pkg: 'libgoogle-glog-dev', group: 'iptux', present: () => existsSync('/usr/include/glog/logging.h') },
  { pkg: 'libgflags-dev', group: 'iptux', present: () => existsSync('/usr/include/gflags/gflags.h') },
  { pkg: 'libjsoncpp-dev', group: 'iptux', present: () => existsSync('/usr/include/jsoncpp/json/json.h') },
  { pkg: 'libglib2.0-dev', group: 'iptux', present: () => existsSync('/usr/include/glib-2.0/glib.h') },
  { pkg: 'libsigc++-2.0-dev', group: 'iptux', present: () => existsSync('/usr/include/sigc++-2.0/sigc++/signal.h') },
];

// `node scripts/ensure-test-deps.mjs iptux` checks (and installs) only that group; no argument, everything.
const groups = process.argv.slice(2);
const wanted = groups.length === 0 ? NEEDED : NEEDED.filter((n) => groups.includes(n.group));

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = wanted.filter((n) => !n.present()).map((n) => n.pkg);
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
