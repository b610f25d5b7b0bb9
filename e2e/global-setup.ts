// Starts what every UI test runs against: a throwaway PostgreSQL server (or the one TEST_DATABASE_URL
// names, as for vitest), its address passed to the tests through the environment. Each Playwright
// worker starts its own app in browser mode over it (fixtures.ts); the returned function stops the
// server it started.
import { startThrowawayServer } from '../tests/helpers/pg-server';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const named = process.env.TEST_DATABASE_URL;
  if (named) {
    process.env.MR4_E2E_PG_URL = named;
    return async () => undefined;
  }
  const pg = await startThrowawayServer();
  process.env.MR4_E2E_PG_URL = pg.url;
  return async () => pg.stop();
}
