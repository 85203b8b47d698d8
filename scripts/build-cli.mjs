#!/usr/bin/env node
// `npm run build` (after electron-vite): bundles the CLI (electron/cli/ferry-cli.ts) into
// out/cli, as the desktop main is bundled into out/main, so `ferry` starts without compiling
// TypeScript. Node-targeted ESM with code splitting: every `await import()` in the sources
// stays a separate chunk, loaded only by the commands that need it (`ferry --help` loads
// the entry and its small static chunks: no engine, SQLite, zod schemas or X.509 library).
// Dependencies are bundled in, except node-sqlite3-wasm, whose JS reads its .wasm from its
// own folder (as in out/main). No native modules: ws's optional bufferutil/utf-8-validate
// are left to its own try/require fallback.
//
// It builds into a staging folder and swaps it in, writing stamp.json (bin/cli-bundle.mjs)
// last: a failed or interrupted build leaves no bundle that bin/ferry.mjs would run.
import { build } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLE_DIR, fingerprint, ROOT } from '../bin/cli-bundle.mjs';

const staging = `${BUNDLE_DIR}.staging-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { 'ferry-cli': 'electron/cli/ferry-cli.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: staging,
  outExtension: { '.js': '.mjs' },
  // Chunks beside the entry: the CLI finds package.json and out/renderer two levels up.
  chunkNames: '[name]-[hash]',
  external: ['node-sqlite3-wasm'],
  // A package's ES build before its CommonJS one (as Vite resolves for out/main): an
  // `await import()` of a bundled CommonJS module would only have a default export.
  mainFields: ['module', 'main'],
  // Bundled CommonJS dependencies (iconv-lite, ws, …) call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);",
  },
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const relative = (p) => path.relative(ROOT, path.resolve(ROOT, p)).split(path.sep).join('/');
const sources = Object.keys(result.metafile.inputs)
  .map(relative)
  .filter((p) => !p.split('/').includes('node_modules'));
const inputs = {};
for (const file of [...sources, 'package-lock.json', 'scripts/build-cli.mjs'].sort()) inputs[file] = fingerprint(file);

// Which sources each output file carries: tests map the files a process loaded back to them.
const outputs = {};
for (const [file, out] of Object.entries(result.metafile.outputs))
  outputs[path.basename(file)] = Object.keys(out.inputs).map(relative).sort();
writeFileSync(path.join(staging, 'outputs.json'), `${JSON.stringify(outputs, null, 1)}\n`);

const old = `${BUNDLE_DIR}.old-${process.pid}`;
rmSync(old, { recursive: true, force: true });
try {
  renameSync(BUNDLE_DIR, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(staging, BUNDLE_DIR);
rmSync(old, { recursive: true, force: true });
writeFileSync(path.join(BUNDLE_DIR, 'stamp.json'), `${JSON.stringify({ inputs }, null, 1)}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `out/cli: ${Object.keys(outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB, from ${sources.length} sources`,
);
