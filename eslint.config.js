import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronImports = {
  paths: [{ name: 'electron', message: 'Only electron/main and electron/preload may import Electron.' }],
  patterns: [
    {
      group: ['**/electron/main/**', '**/electron/preload/**', '**/renderer/**', '../main/*', '../preload/*'],
      message: 'The engine and shared/ never import the Electron shell or the renderer.',
    },
  ],
};

/** The rule above plus one more forbidden pattern (a later config replaces a rule, it does not merge). */
const electronImportsAnd = (pattern) => ({
  'no-restricted-imports': ['error', { ...electronImports, patterns: [...electronImports.patterns, pattern] }],
});

export default tseslint.config(
  {
    ignores: [
      'out/',
      'dist/',
      'release/',
      'node_modules/',
      'docs/',
      'coverage/',
      '.bench-cache/',
      '.ci/node/',
      // Scripts that made a data-dir fixture: they run only at the commit that made it.
      'test/fixtures/datadir-*/',
      'reports/',
      '.stryker-tmp/',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  { files: ['renderer/**'], languageOptions: { globals: { ...globals.browser } } },
  // Process boundaries (also checked by scripts/check-boundaries.mjs in the tests).
  {
    files: ['electron/core/**', 'electron/cli/**', 'electron/browser-mode/**', 'shared/**'],
    rules: { 'no-restricted-imports': ['error', electronImports] },
  },
  {
    files: ['electron/core/**'],
    rules: electronImportsAnd({
      group: ['**/electron/cli/**', '**/electron/browser-mode/**', '**/cli/*', '**/browser-mode/*'],
      message: 'The engine never imports its hosts (the CLI, browser mode, the Electron shell).',
    }),
  },
  {
    files: ['shared/**'],
    rules: electronImportsAnd({
      group: ['../*', '!./*'],
      message: 'shared/ imports nothing of ours outside shared/.',
    }),
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks only to window.ferry (shared/host-api.ts).' }],
          patterns: [
            {
              group: ['**/electron/**'],
              message: 'The renderer never imports electron/*; use the contract in shared/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);
