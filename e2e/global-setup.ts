// Starts what every UI test runs against: a throwaway PostgreSQL server, its address passed to the
// tests through the environment. Each Playwright worker starts its own app in browser mode over it
// (fixtures.ts); the returned function stops the server.
import { startThrowawayServer } from '../tests/helpers/pg-server';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const pg = await startThrowawayServer();
  process.env.MR4_E2E_PG_URL = pg.url;
  return async () => pg.stop();
}
