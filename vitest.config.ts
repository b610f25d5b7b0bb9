import { defineConfig } from 'vitest/config';

// Test files that need neither PostgreSQL nor the built app (out/): the unit tier,
// `vitest run --project unit`. Every other file runs in the postgres project, after the global setup
// has started a throwaway server.
const unitTests = [
  'tests/doors/browser-security.test.ts',
  'tests/engine/archive-crypto.test.ts',
  'tests/engine/copy-text-refusals.test.ts',
  'tests/fault/file-modes-spool.test.ts',
  'tests/fault/fuzz-copy-text.test.ts',
  'tests/fault/fuzz-row-decoder.test.ts',
  'tests/fault/fuzz-table-file.test.ts',
  'tests/known-hosts.test.ts',
  'tests/services/command-line.test.ts',
  'tests/services/connection-secrets.test.ts',
  'tests/services/dispatch.test.ts',
  'tests/services/errors.test.ts',
  'tests/shared-definitions.test.ts',
  'tests/text-diff.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most of a test's time is spent waiting on PostgreSQL or on a child process (the CLI, sshd), so
    // four files at a time keep two cores busy; vitest's default is one fewer than the cores.
    maxWorkers: Number(process.env.MR4_TEST_WORKERS) || 4,
    projects: [
      { extends: true, test: { name: 'unit', include: unitTests } },
      {
        extends: true,
        test: { name: 'postgres', include: ['tests/**/*.test.ts'], exclude: unitTests, globalSetup: ['tests/global-setup.ts'] },
      },
    ],
  },
});
