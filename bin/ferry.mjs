#!/usr/bin/env node
// Runs the Ferry CLI: the bundle `npm run build` wrote into out/cli when it is as new as
// every source it was built from (bin/cli-bundle.mjs says how that is checked), otherwise
// the TypeScript sources through tsx, which compiles them on the fly (~1 s more at every
// start), so `npx ferry` still works straight from a clone without a build step.
// FERRY_CLI=source always runs the sources; FERRY_CLI=bundle runs the bundle or fails
// (benchmarks and tests use both to compare them).
import { pathToFileURL } from 'node:url';
import { BUNDLE_ENTRY, staleReason } from './cli-bundle.mjs';

const want = process.env.FERRY_CLI;
const stale = want === 'source' ? 'FERRY_CLI=source' : staleReason();
if (want === 'bundle' && stale) {
  process.stderr.write(`ferry: FERRY_CLI=bundle, but the bundled CLI can't be used: ${stale}\n`);
  process.exit(1);
}
let main;
if (stale) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../electron/cli/ferry-cli.ts'));
} else {
  ({ main } = await import(pathToFileURL(BUNDLE_ENTRY).href));
}
const code = await main(process.argv.slice(2));
// The command has stopped its node: exit now rather than wait for sockets the
// OS is still closing, once what was printed has been handed to the OS.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
