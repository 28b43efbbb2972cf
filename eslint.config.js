// ESLint: typescript-eslint's type-checked recommended rules over every TypeScript folder.
// Rules switched off or narrowed below carry their reason; nothing else is ignored.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'out/', 'dist/', 'test-results/', 'playwright-report/', '.native/', 'runs/', 'test/golden/', '**/*.generated.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Root config files and scripts/*.ts belong to no folder's tsconfig; they get the default project.
        projectService: { allowDefaultProject: ['*.config.ts', 'scripts/*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_`-prefixed parameters and variables are deliberately unused (positional callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Implementations of Promise-returning contracts (the API, adapters, services) are `async` without
      // awaiting on purpose: a synchronous throw then becomes a rejected promise, as callers expect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests, benchmarks, scripts and build configs read JSON (fixtures, tool output, saved files) and
    // assert on it or write it straight back: `any` from JSON.parse is checked by the assertion itself.
    files: ['test/**/*.ts', 'scripts/**/*.ts', '*.config.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // `expect(obj.method)` and spies pass methods around without calling them.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Playwright's fixture API takes its dependencies by destructuring: `async ({}, use) => …`.
    files: ['test/e2e/**/*.ts', 'test/e2e-electron/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
);
