import { defineConfig } from 'vitest/config';

// Test files that need neither PostgreSQL nor the built app (out/) are named *.unit.test.ts: the unit
// tier, `vitest run --project unit`, run without the throwaway server (one that reaches for a database
// fails there). Every other file runs in `postgres` or `isolated`, after the global setup has started
// the server. All give the run a temp folder of its own (TMPDIR), removed when it ends (temp-setup.ts).
const unitTests = ['tests/**/*.unit.test.ts'];
// A file that replaces a module (vi.mock) or a global, or measures its own process's memory, needs a
// process of its own: it is named *.isolated.test.ts (eslint.config.js refuses such calls anywhere
// else). Every other file shares its worker's loaded modules with the files before it: loading the
// engine afresh for each of 147 files took 206 of vitest's 3,000 file-seconds.
const isolatedTests = ['tests/**/*.isolated.test.ts'];
const postgresSetup = ['tests/temp-setup.ts', 'tests/global-setup.ts'];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Undoes what a file leaves behind (its folders, connection, environment) before the next one starts.
    setupFiles: ['tests/per-file.ts'],
    // Four files at a time: a file often waits on PostgreSQL or a child process (the CLI, sshd), and
    // vitest's default (one fewer than the cores) ran one here — 18 min where four take 11.
    maxWorkers: Number(process.env.MR4_TEST_WORKERS) || 4,
    projects: [
      { extends: true, test: { name: 'unit', include: unitTests, globalSetup: ['tests/temp-setup.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/**/*.test.ts'],
          exclude: [...unitTests, ...isolatedTests],
          globalSetup: postgresSetup,
          isolate: false,
        },
      },
      // Named to sort first: vitest starts projects' files in the order of their names, and these are slow.
      { extends: true, test: { name: 'isolated', include: isolatedTests, globalSetup: postgresSetup } },
    ],
  },
});
