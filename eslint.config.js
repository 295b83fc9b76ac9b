// ESLint flat config for Revflow.
//
// - TypeScript files that tsconfig.json includes are linted with type information
//   (typescript-eslint's recommended-type-checked, via the project service).
// - Everything else (bin/*.mjs, config files, stray scripts) is linted without type
//   information, so a file outside tsconfig.json never makes ESLint crash.
// - Formatting belongs to Prettier (.prettierrc.json): no stylistic rules are enabled here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The files tsconfig.json's "include" covers; keep the two lists in step. */
const TYPED_FILES = [
  'engine/**/*.{ts,tsx,mts,cts}',
  'nodes/**/*.{ts,tsx,mts,cts}',
  'api/**/*.{ts,tsx,mts,cts}',
  'canvas/src/**/*.{ts,tsx,mts,cts}',
  'migrations/**/*.{ts,tsx,mts,cts}',
  'tests/**/*.{ts,tsx,mts,cts}',
  'bench/**/*.{ts,tsx,mts,cts}',
  'vitest.config.ts',
];

const TS_FILES = ['**/*.{ts,tsx,mts,cts}'];

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      '.data/**',
      'dist/**',
      'canvas/dist/**',
      'bench/results/**',
      'coverage/**',
      'test-artifacts/**',
    ],
  },

  js.configs.recommended,
  tseslint.configs.recommended,

  // Rules for every file, JavaScript and TypeScript alike.
  {
    languageOptions: {
      sourceType: 'module',
    },
    rules: {
      // DESIGN §6: user code and expressions run only inside isolated-vm, never in the host.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vm',
              message: 'Run user code in isolated-vm (engine/sandbox), never node:vm (DESIGN §6).',
            },
            {
              name: 'node:vm',
              message: 'Run user code in isolated-vm (engine/sandbox), never node:vm (DESIGN §6).',
            },
          ],
        },
      ],

      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },

  // TypeScript: import types with `import type` (matches verbatimModuleSyntax).
  {
    files: TS_FILES,
    rules: {
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },

  // TypeScript inside the project: type-aware rules.
  {
    files: TYPED_FILES,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true, ignoreIIFE: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      // Rejecting with an AbortSignal's `reason` (typed any) is idiomatic; literals are still caught.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // Store and service interfaces return promises; in-memory implementations of them
      // are legitimately `async` without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // TypeScript outside tsconfig.json (e.g. canvas/vite.config.ts): no type information.
  {
    files: TS_FILES,
    ignores: TYPED_FILES,
    extends: [tseslint.configs.disableTypeChecked],
    rules: {
      'no-implied-eval': 'error',
    },
  },

  // Plain JavaScript (bin/*.mjs, this file): never type-checked.
  {
    files: ['**/*.{js,mjs,cjs,jsx}'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: {
      'no-implied-eval': 'error',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // Globals: the canvas runs in the browser, everything else on Node.
  {
    ignores: ['canvas/src/**'],
    languageOptions: {
      globals: { ...globals.node },
    },
  },
  {
    files: ['canvas/src/**/*.{ts,tsx,js,jsx,mts,mjs}'],
    languageOptions: {
      globals: { ...globals.browser },
    },
  },

  // Tests: passing methods to expect() is common and harmless, and HTTP response bodies are
  // JSON that the assertions check, so reading them loosely is the point, not a hazard.
  {
    files: ['tests/**/*.{ts,tsx,mts}', '**/*.test.{ts,tsx,mts}', '**/*.spec.{ts,tsx,mts}'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
