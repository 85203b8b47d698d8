#!/usr/bin/env node
// Runs the Ferry CLI from TypeScript sources (tsx compiles on the fly), so
// `npx ferry` works straight from a clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/core/cli/ferry-cli.ts');
process.exitCode = await main(process.argv.slice(2));
