import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

// expect.poll waits up to 1 s by default: too little on a loaded 2-core machine (a condition
// that is coming, not one that failed). Every project waits up to 10 s.
const expect = { poll: { timeout: 10_000, interval: 50 } };

// Four projects: the engine and shell in Node, the renderer in happy-dom, the real-Electron
// tests, and the end-to-end tests (real browser, real engines) with longer timeouts.
export default defineConfig({
  test: {
    pool: 'forks',
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: 'node',
          expect,
          environment: 'node',
          include: ['electron/**/*.test.ts', 'shared/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/electron/**', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [vue()],
        test: {
          name: 'renderer',
          expect,
          environment: 'happy-dom',
          include: ['renderer/**/*.test.ts'],
          testTimeout: 15_000,
        },
      },
      {
        // Real Electron (Playwright's _electron): skipped with the reason where the binary is
        // missing, failed instead under FERRY_REQUIRE_ELECTRON=1 (the GitHub workflow).
        test: {
          name: 'electron',
          expect,
          environment: 'node',
          include: ['test/electron/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          expect,
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
