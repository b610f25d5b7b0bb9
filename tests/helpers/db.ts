// One fresh database per test, on the server the global setup provides (a throwaway cluster, or the
// server named by TEST_DATABASE_URL). Schemas that many tests need are built once into a template.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDb {
  url: string;
  name: string;
  /** A connected client for the test's own queries; closed by drop(). */
  client: pg.Client;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let shared: Promise<pg.Client> | undefined;

/** One connection to the server per test file for creating and dropping its databases: opening one
 *  costs about as much as the CREATE DATABASE itself. Reopened if the server ended it. */
function sharedAdmin(): Promise<pg.Client> {
  shared ??= connectShared();
  return shared;
}

async function connectShared(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminUrl() });
  const reopenNextTime = () => void (shared = undefined);
  client.on('error', reopenNextTime);
  client.on('end', reopenNextTime);
  await client.connect();
  return client;
}

/** Ends the file's admin connection (tests/per-file.ts, after the file's own drops). */
export async function closeSharedAdmin(): Promise<void> {
  const open = shared;
  shared = undefined;
  await (await open)?.end();
}

/** A big template (the fault suite's 100,000 rows and more) is copied file by file: for 200,000 rows
 *  0.25 s, where the WAL-logged copy PostgreSQL 15 and later make by default takes 0.4 to 1.3 s. A small
 *  one is WAL-logged, sparing the server the two checkpoints a file copy forces. Older servers only copy files. */
async function copyStrategy(admin: pg.Client, template: string): Promise<string> {
  if (template === 'template0') return '';
  const r = await admin.query<{ fileCopy: boolean }>(
    `SELECT current_setting('server_version_num')::int >= 150000 AND pg_database_size($1) > 16 * 1024 * 1024 AS "fileCopy"`,
    [template],
  );
  return r.rows[0].fileCopy ? ' STRATEGY FILE_COPY' : '';
}

const templates = new Map<string, Promise<string>>();

/** A template database holding `sql`, created at most once per server (across test workers; each
 *  template under a lock of its own, so a big one being built holds up no other). */
async function templateFor(sql: string): Promise<string> {
  const name = `mr4tpl_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
  let pending = templates.get(name);
  if (!pending) {
    pending = withAdmin(async (admin) => {
      await admin.query('SELECT pg_advisory_lock(4242, hashtext($1))', [name]);
      try {
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) {
          const building = `${name}_building_${randomBytes(4).toString('hex')}`;
          await admin.query(`CREATE DATABASE "${building}" TEMPLATE template0`);
          const c = new pg.Client({ connectionString: withDatabase(adminUrl(), building) });
          await c.connect();
          try {
            await c.query(sql);
          } finally {
            await c.end();
          }
          await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
        }
      } finally {
        await admin.query('SELECT pg_advisory_unlock(4242, hashtext($1))', [name]);
      }
      return name;
    });
    templates.set(name, pending);
  }
  return pending;
}

/** A new empty database, or a copy of a template built from `schemaSql`. */
export async function createTestDb(schemaSql?: string): Promise<TestDb> {
  const name = `mr4t_${randomBytes(6).toString('hex')}`;
  const template = schemaSql === undefined ? 'template0' : await templateFor(schemaSql);
  const admin = await sharedAdmin();
  // CREATE DATABASE … TEMPLATE needs the template free of sessions; concurrent copies serialise here.
  await admin.query('SELECT pg_advisory_lock(4243)');
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"${await copyStrategy(admin, template)}`);
  } finally {
    await admin.query('SELECT pg_advisory_unlock(4243)');
  }
  const url = withDatabase(adminUrl(), name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    name,
    client,
    async drop() {
      await client.end().catch(() => undefined);
      await (await sharedAdmin()).query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
