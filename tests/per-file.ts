// Run before every vitest file (vitest.config.ts's setupFiles). Files share a worker's process and its
// loaded modules (isolate: false), so what a file leaves behind is undone here when it ends, and the
// next file starts where every file used to: its temporary folders removed (helpers/temp.ts), the
// helpers' per-file values forgotten, its admin connection closed (helpers/db.ts), and process.env as
// the worker started with it (MR4_DATA_DIR, HOME).
import { afterAll } from 'vitest';
import { closeSharedAdmin } from './helpers/db';
import { endOfTestFile } from './helpers/temp';

const started = { ...process.env };

// Registered before the file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(async () => {
  await closeSharedAdmin();
  endOfTestFile();
  for (const name of Object.keys(process.env)) if (!(name in started)) delete process.env[name];
  Object.assign(process.env, started);
});
