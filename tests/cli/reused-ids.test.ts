// The reused-ids repro through the command line: production seeds dev, dev's table is reset and gets
// rows of its own at production's ids; merging dev back is refused (exit 1, production unchanged)
// until `mr4 forget-lineage` forgets dev's lineage of the table (a misspelt table refused, nothing
// forgotten); then dev's rows arrive as new rows.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { cliWorkFolder } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
const env = cleanEnv({ MR4_DATA_DIR: tempDir('mr4-reused-ids-') });
const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL, note text);`;

const cli = (args: string[]) => runCli(args, { env });
const rows = async (db: TestDb) => (await db.client.query(`SELECT id, title, note FROM items ORDER BY id`)).rows;

async function exportTo(db: TestDb, name: string): Promise<string> {
  const out = join(dir, name);
  const r = await cli(['export', '--db', db.url, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

test('a merge over reused ids is refused until the lineage is forgotten; then dev’s rows arrive as new rows', async () => {
  const prod = await newDb(
    SCHEMA + `INSERT INTO items (title, note) VALUES ('Prod invoice 1','paid'),('Prod invoice 2','open'),('Prod invoice 3','open');`,
  );
  const dev = await newDb(SCHEMA);
  expect((await cli(['import', await exportTo(prod, 'rp.tar.gz'), '--db', dev.url, '--mode', 'merge'])).code).toBe(0);
  await dev.client.query(`TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES ('DEV test A','x'),('DEV test B','y');`);
  const before = await rows(prod);

  const refused = await cli(['import', await exportTo(dev, 'rd.tar.gz'), '--db', prod.url, '--mode', 'merge', '--base', 'auto']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`items in ${dev.name}: its ids went back from 3 to 2`);
  expect(refused.stderr).toContain(`mr4 forget-lineage --db <${dev.name}> --tables items`);
  expect(await rows(prod)).toEqual(before);

  // A table name that is neither a table nor in the lineage is refused; nothing is forgotten.
  const typo = await cli(['forget-lineage', '--db', dev.url, '--tables', 'items,itemz']);
  expect(typo.code).toBe(1);
  expect(typo.stderr).toContain(`${dev.name} has no table itemz in schema public, and its lineage of ids names no such table.`);
  const forgot = await cli(['forget-lineage', '--db', dev.url, '--tables', 'items']);
  expect(forgot.code, forgot.stderr).toBe(0);
  expect(forgot.stdout).toContain(`Forgot the lineage of ids of items in ${dev.name}`);
  const merged = await cli(['import', await exportTo(dev, 'rd2.tar.gz'), '--db', prod.url, '--mode', 'merge', '--base', 'auto']);
  expect(merged.code, merged.stderr).toBe(0);
  expect(await rows(prod)).toEqual([...before, { id: 4, title: 'DEV test A', note: 'x' }, { id: 5, title: 'DEV test B', note: 'y' }]);
});
