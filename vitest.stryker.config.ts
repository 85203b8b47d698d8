import { defineConfig } from 'vitest/config';

// What Stryker runs for each mutant: the engine's own tests and the in-process transfer
// integration tests. Left out: the renderer and the browser (e2e) tests, tests that need
// root or network namespaces, tests that drive a CLI child process (a mutant is only
// active inside Stryker's own worker, so those could not kill it), and the 4 GiB
// sparse-file resume test (55 s a run; part-file.test.ts covers that logic fast).
// stryker.config.mjs narrows a per-module run to the tests beside the module.
const only = process.env.FERRY_MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    name: 'stryker',
    environment: 'node',
    passWithNoTests: true,
    include: only ?? ['electron/{core,cli,browser-mode}/**/*.test.ts', 'test/integration/transfer-*.test.ts'],
    exclude: [
      'node_modules/**',
      'test/e2e/**',
      'test/integration/transfer-disk-full.test.ts',
      'test/integration/transfer-resume.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
