import { defineConfig } from 'vitest/config';

// Test files that need neither PostgreSQL nor the built app (out/) are named *.unit.test.ts: the unit
// tier, `vitest run --project unit`, run without the throwaway server (one that reaches for a database
// fails there). Every other file runs in the postgres project, after the global setup has started it.
// Both give the run a temp folder of its own (TMPDIR), removed when it ends (temp-setup.ts).
const unitTests = ['tests/**/*.unit.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Four files at a time: a file often waits on PostgreSQL or a child process (the CLI, sshd), and
    // vitest's default (one fewer than the cores) ran one here — 18 min where four take 11.
    maxWorkers: Number(process.env.MR4_TEST_WORKERS) || 4,
    projects: [
      { extends: true, test: { name: 'unit', include: unitTests, globalSetup: ['tests/temp-setup.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/**/*.test.ts'],
          exclude: unitTests,
          globalSetup: ['tests/temp-setup.ts', 'tests/global-setup.ts'],
        },
      },
    ],
  },
});
