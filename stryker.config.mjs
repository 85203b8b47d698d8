// Mutation testing of the engine (docs/TESTING.md).
//   npm run mutation                              the engine and its Node hosts, with their tests
//   npm run mutation -- --mutate <file or glob>   a chosen set, judged by the tests beside it
//   FERRY_MUTATION_TESTS=<glob,glob> npm run mutation -- --mutate <f>   judged by chosen tests
import { existsSync } from 'node:fs';

/**
 * `--mutate x.ts` alone runs only the test file beside it (`x.test.ts`): a module's own
 * tests must kill its mutants, and a run takes minutes instead of the hours that the
 * socket-level tests (which reach nearly every module) would cost. A module without a
 * test beside it is judged by every engine test.
 */
function besideTests(argv) {
  const i = argv.findIndex((a) => a === '-m' || a === '--mutate' || a.startsWith('--mutate='));
  if (i < 0) return undefined;
  const value = argv[i].startsWith('--mutate=') ? argv[i].slice('--mutate='.length) : argv[i + 1];
  const tests = (value ?? '')
    .split(',')
    .map((p) => p.replace(/:[0-9:-]+$/, '').replace(/(?<!\.test)\.ts$/, '.test.ts'))
    .filter((p) => p.includes('*') || existsSync(p));
  return tests.length > 0 ? tests : undefined;
}

// The choice of tests goes to vitest.stryker.config.ts (FERRY_MUTATION_TESTS), not to
// Stryker's own `--testFiles`: with that option Stryker 9.6 activates module-level
// ("static") mutants only after the module has loaded, so they falsely survive
// (stryker-js issue #6144). Don't use --testFiles.
if (!process.env.FERRY_MUTATION_TESTS) {
  const testFiles = besideTests(process.argv.slice(2));
  if (testFiles) process.env.FERRY_MUTATION_TESTS = testFiles.join(',');
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  mutate: ['electron/{core,cli,browser-mode}/**/*.ts', '!electron/**/*.test.ts'],
  coverageAnalysis: 'perTest',
  // Two cores, shared: never more than two test-runner processes.
  concurrency: 2,
  // Sockets and disk make test times vary on a loaded machine; give mutants slack before
  // calling them timeouts.
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Build output, packaging fixtures and docs are not needed in the sandbox copy.
  ignorePatterns: ['out', 'dist', 'release', 'docs', 'coverage', '.bench-cache', 'test/packaging', 'test/e2e'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 80, break: null },
};
