// When a database's server was started: an export records it, so that an import can tell the server
// it runs on from another one holding a physical copy of the same database (staged/copies.ts).
import type pg from 'pg';

const SERVER_STARTED_SQL = `SELECT to_char(pg_postmaster_start_time() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`;

/** When the server a client is connected to was started (UTC, to the microsecond). */
export async function readServerStartedAt(client: pg.ClientBase): Promise<string> {
  return (await client.query<{ started: string }>(SERVER_STARTED_SQL)).rows[0].started;
}
