// A killed `mr4 import` (SIGKILL: no chance to clean up) leaves the target exactly as it was: the
// whole run is one transaction, which PostgreSQL rolls back when the connection drops.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { fingerprint } from './helpers/compare';
import { cleanEnv, ensureBuilt, spawnCli } from './helpers/cli';
import { databasesForFile, exportDb, scratchDir } from './helpers/engine';
import type { TestDb } from './helpers/db';

const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);
                CREATE TABLE tag (id serial PRIMARY KEY, item_id int NOT NULL REFERENCES item(id), label text, UNIQUE (item_id, label));`;
let archive: string;
let target: TestDb;

beforeAll(async () => {
  ensureBuilt();
  const source = await db(
    SCHEMA +
      `
    INSERT INTO item (code, body) SELECT 'c' || g, repeat('x', 100) FROM generate_series(1, 300000) g;
    INSERT INTO tag (item_id, label) SELECT id, 'l' FROM item;`,
  );
  archive = join(scratchDir(), 'big.tar.gz');
  await exportDb(source, archive);
  target = await db(SCHEMA + `INSERT INTO item (code) VALUES ('mine'); INSERT INTO tag (item_id, label) SELECT id, 'mine' FROM item;`);
}, 180_000);

test('SIGKILL while writing: nothing of the run is left in the target, and no session stays open', async () => {
  const before = await fingerprint(target.client);
  const run = spawnCli(['import', archive, '--db', target.url, '--mode', 'merge'], { env: cleanEnv() });
  // Kill it once it is writing (it holds its locks and has inserted rows inside its transaction).
  await run.waitForStderr(/Match and write/, 120_000);
  run.child.kill('SIGKILL');
  const result = await run.done;
  expect(result.signal).toBe('SIGKILL');
  // The server notices the dropped connection and rolls back; wait until the session is gone.
  for (let i = 0; i < 100; i++) {
    const open = await target.client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mr4'`,
    );
    if (open.rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(
    (
      await target.client.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mr4'`,
      )
    ).rows[0].n,
  ).toBe(0);
  expect(await fingerprint(target.client)).toBe(before);
  // And the target takes the same import afterwards.
  await target.client.query(`INSERT INTO item (code) VALUES ('after')`);
});
