// `npm run lint`: the one-way layers (doors → app → services → engine → db, and src-common under
// them all, importing nothing of Node, Electron, pg or Vue) as import rules, plus a few correctness
// rules. Each layer's rule lists what it may not import; where two layers' files overlap (the engine's
// folders, report-types.ts), the later, stricter rule is the one that applies.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const nodeBuiltins = {
  regex: `^(node:|(${builtinModules.join('|')})(/|$))`,
  message: "Node is the main process's: this layer runs in the window too.",
};
const electron = { regex: '^electron(/|$)', message: 'Only the Electron door (src-main/electron) and the preload load electron.' };
const pgPackages = { regex: '^pg(pass|-[a-z-]+)?(/|$)', message: 'PostgreSQL is reached through src-main/db and the engine.' };
/** A folder by its name in a relative import (no layer has a subfolder named as one it may not import). */
const folders = (names, message) => ({ regex: `(^|/)(${names.join('|')})/`, message });

const engine = [
  electron,
  folders(['services', 'app', 'cli', 'server', 'electron'], 'The engine imports only db, src-common and itself.'),
  {
    regex: '(^|/)src-common/contract$',
    message: "The contract re-exports the engine's report types (engine/report-types.ts); the engine does not import it.",
  },
];

const layers = [
  {
    name: 'src-common: the contract every side shares',
    files: ['src-common/**/*.ts'],
    patterns: [
      nodeBuiltins,
      electron,
      pgPackages,
      { regex: '^(vue|pinia|primevue)(/|$)', message: "The contract is the window's and main's: no Vue." },
      { regex: '(^|/)src-(renderer|preload)/', message: 'The contract imports none of its users.' },
      {
        regex: '(^|/)src-main/(?!engine/report-types$)',
        message: "The contract imports none of its users; of main, only the engine's report types (which import nothing).",
      },
    ],
  },
  {
    name: 'src-main/db: connections, below the engine',
    files: ['src-main/db/**/*.ts'],
    patterns: [
      electron,
      folders(['engine', 'services', 'app', 'cli', 'server', 'electron'], 'db is the bottom layer: it imports none above it.'),
    ],
  },
  { name: 'src-main/engine: runs over a database and archives', files: ['src-main/engine/**/*.ts'], patterns: engine },
  {
    name: 'src-main/engine/archive: reads and writes archives, under every run',
    files: ['src-main/engine/archive/**/*.ts'],
    patterns: [...engine, folders(['staged', 'compare', 'import', 'diff'], 'archive/ only reads and writes archives: it imports no run.')],
  },
  {
    name: 'src-main/engine/staged: the core import and diff share',
    files: ['src-main/engine/staged/**/*.ts'],
    patterns: [...engine, folders(['compare', 'import', 'diff'], 'staged/ is under compare/, import/ and diff/.')],
  },
  {
    name: 'src-main/engine/compare: classifying staged rows',
    files: ['src-main/engine/compare/**/*.ts'],
    patterns: [...engine, folders(['import', 'diff'], 'compare/ is under import/ and diff/.')],
  },
  {
    name: 'src-main/engine/import and diff: the two runs over a staged archive',
    files: ['src-main/engine/import/**/*.ts', 'src-main/engine/diff/**/*.ts'],
    patterns: [...engine, folders(['import', 'diff'], 'import/ and diff/ share what is below them, not each other.')],
  },
  {
    name: 'src-main/engine/report-types: what the contract re-exports, so it imports nothing',
    files: ['src-main/engine/report-types.ts'],
    patterns: [{ regex: '.', message: "The engine's report types reach the window through the contract: they import nothing." }],
  },
  {
    name: 'src-main/services: what the app and the CLI call',
    files: ['src-main/services/**/*.ts'],
    patterns: [
      electron,
      folders(['app', 'cli', 'server', 'electron'], 'A service imports only other services, the engine, db and src-common.'),
    ],
  },
  {
    name: 'src-main/app: the handler table over the services',
    files: ['src-main/app/**/*.ts'],
    patterns: [electron, folders(['cli', 'server', 'electron'], 'The app is built by the doors; it imports none of them.')],
  },
  {
    name: 'the CLI and browser mode: doors that never load Electron',
    files: ['src-main/cli/**/*.ts', 'src-main/server/**/*.ts'],
    patterns: [electron, folders(['electron'], 'Browser mode and the CLI run without Electron.')],
  },
  {
    name: 'src-renderer: the window',
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    patterns: [
      nodeBuiltins,
      electron,
      pgPackages,
      { regex: '(^|/)src-(main|preload)/', message: 'The window reaches main only through the contract and the bridge.' },
    ],
  },
  {
    name: 'src-preload: the bridge between the window and IPC',
    files: ['src-preload/**/*.ts'],
    patterns: [{ regex: '^(?!electron$|\\./|\\.\\./src-common/)', message: 'The preload imports only electron and src-common.' }],
  },
].map(({ name, files, patterns }) => ({
  name: `layers/${name}`,
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
}));

export default defineConfig(
  { ignores: ['out/**', 'test-results/**', 'playwright-report/**', '.tmp/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      // TypeScript checks every name; ESLint's copy knows neither DOM nor Node globals.
      'no-undef': 'off',
      // Input checks reject control characters on purpose.
      'no-control-regex': 'off',
      // A value set before a try, then set in it, says what the fallback is.
      'no-useless-assignment': 'off',
      // A leading underscore marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Playwright reads a fixture's parameters from its source: one that uses none takes `{}`.
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
      'vue/multi-word-component-names': 'off',
    },
  },
  // An expected output's indentation reads as the program prints it.
  { files: ['tests/**', 'e2e/**'], rules: { 'no-regex-spaces': 'off' } },
  // vitest files share their worker's process and loaded modules (vitest.config.ts): one that replaced a
  // module or a global would change every file after it.
  {
    files: ['tests/**/*.ts'],
    ignores: ['tests/**/*.isolated.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.object.name='vi'][callee.property.name=/^(mock|doMock|unmock|doUnmock|stubGlobal|stubEnv|resetModules)$/]",
          message: "Test files share their worker's modules: a file that mocks a module or stubs a global is named *.isolated.test.ts.",
        },
      ],
    },
  },
  // A declaration file describes a module's names; it does not use them.
  { files: ['**/*.d.ts'], rules: { '@typescript-eslint/no-unused-vars': 'off' } },
  ...layers,
);
