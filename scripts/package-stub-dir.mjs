#!/usr/bin/env node
// Proves packaging where Electron can't be downloaded: assembles the unpacked Linux app
// (`electron-builder --dir`) around test/packaging/stub-electron-dist, a stub that is NOT
// Electron. Used by test/packaging; real installers come from `npm run package`.
//   node scripts/package-stub-dir.mjs OUTPUT_DIR
import { build, Platform } from 'electron-builder';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.resolve(process.argv[2] ?? path.join(root, 'release', 'stub-dir'));
const config = load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;

await build({
  projectDir: root,
  targets: Platform.LINUX.createTarget('dir'),
  publish: 'never',
  config: {
    ...config,
    electronDist: path.join(root, 'test/packaging/stub-electron-dist'),
    electronVersion,
    directories: { ...config.directories, output },
  },
});
console.log(`unpacked app in ${output}`);
