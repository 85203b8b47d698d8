#!/usr/bin/env node
// Runs the Ferry CLI from TypeScript sources (tsx compiles on the fly), so
// `npx ferry` works straight from a clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli/ferry-cli.ts');
const code = await main(process.argv.slice(2));
// The command has stopped its node: exit now rather than wait for sockets the
// OS is still closing, once what was printed has been handed to the OS.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
