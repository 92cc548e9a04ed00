// ESLint flat config: `npm run lint`, run by `npm test` before jest (docs/development.md#tests).
//
// typescript-eslint's `recommended` set without type information, on purpose: the type-checked sets build the
// whole program in the compiler a second time, which on a 2-core machine roughly doubles the lint step for rules
// `tsc --noEmit` (also run by `npm test`) mostly covers already. react-hooks' recommended rules apply to the
// dashboard only. eslint-config-prettier comes last: formatting is prettier's job (`npm run format:check`), so every
// stylistic rule that could disagree with it is off.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // What .gitignore keeps out of the repository: dependencies, build output, downloads, local state.
    ignores: ['node_modules/', 'cdk.out/', 'frontend/dist/', '.cache/', 'coverage/', '.customersignal/'],
  },
  {
    // A disable comment that no longer suppresses anything is an error, so inline disables stay true.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // A leading underscore marks a deliberately unused binding: a handler's unused event parameter, or a field
      // dropped from an object by rest destructuring (`const { secret: _s, ...view } = row`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // Logs are structured and go through adapters/logger.ts (docs/development.md#conventions); the scripts and
      // the SDK (whose default onError warns) are exempt below. A test that prints a summary says so inline.
      'no-console': 'error',
    },
  },
  {
    files: ['scripts/**', 'bin/**'],
    // Command-line tools: printing to the terminal is their job.
    rules: { 'no-console': 'off' },
  },
  {
    files: ['frontend/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'frontend/e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    files: ['jest.config.js', 'test/sequencer.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
