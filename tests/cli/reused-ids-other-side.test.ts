// Reused ids named by the other side's lineage, through the command line: production seeds dev, dev's
// new row is merged into production (production's lineage names dev's id 4), then dev is reset and
// re-seeded with as many rows. Merging dev back is refused naming both databases; forgetting dev's
// lineage alone still leaves production's pairs naming dev's old ids, and the merge is refused again
// (exit 1, production unchanged); once production's are forgotten too, dev's seed rows arrive as new
// rows and production's rows are untouched.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { cliWorkFolder } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
const env = cleanEnv({ MR4_DATA_DIR: tempDir('mr4-reused-other-') });
const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL);`;

const cli = (args: string[]) => runCli(args, { env });
const rows = async (db: TestDb) => (await db.client.query(`SELECT id, title FROM items ORDER BY id`)).rows;

let archives = 0;
async function exported(db: TestDb): Promise<string> {
  const out = join(dir, `other-side-${++archives}.tar.gz`);
  const r = await cli(['export', '--db', db.url, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

const merge = async (from: TestDb, into: TestDb) =>
  cli(['import', await exported(from), '--db', into.url, '--mode', 'merge', '--base', 'auto']);

test('dev reset and re-seeded: refused naming dev and production until both forget; then the seed rows arrive as new rows', async () => {
  const prod = await newDb(SCHEMA + `INSERT INTO items (title) VALUES ('p1'), ('p2'), ('p3');`);
  const dev = await newDb(SCHEMA);
  expect((await cli(['import', await exported(prod), '--db', dev.url, '--mode', 'merge'])).code).toBe(0);
  await dev.client.query(`INSERT INTO items (title) VALUES ('dev4')`);
  await prod.client.query(`INSERT INTO items (title) VALUES ('prod4')`);
  expect((await merge(dev, prod)).code).toBe(0);
  const prodRows = [
    { id: 1, title: 'p1' },
    { id: 2, title: 'p2' },
    { id: 3, title: 'p3' },
    { id: 4, title: 'prod4' },
    { id: 5, title: 'dev4' },
  ];
  expect(await rows(prod)).toEqual(prodRows);
  await dev.client.query(`TRUNCATE items RESTART IDENTITY; INSERT INTO items (title) VALUES ('s1'), ('s2'), ('s3'), ('s4');`);

  const refused = await merge(dev, prod);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    new RegExp(
      `items in ${dev.name}: its id sequence was restarted since the import of \\S+ \\(the lineage of ${dev.name} and ${prod.name} names ids up to 4;`,
    ),
  );
  expect(refused.stderr).toContain(
    `  mr4 forget-lineage --db <${dev.name}> --tables items\n  mr4 forget-lineage --db <${prod.name}> --tables items\n` +
      `Then export ${dev.name} again and run this with the new archive.`,
  );
  expect(await rows(prod)).toEqual(prodRows);

  expect((await cli(['forget-lineage', '--db', dev.url, '--tables', 'items'])).code).toBe(0);
  const stillRefused = await merge(dev, prod);
  expect(stillRefused.code).toBe(1);
  expect(stillRefused.stderr).toContain(`(the lineage of ${prod.name} names ids up to 4; its ids from the start may now be other rows)`);
  expect(stillRefused.stderr).toContain(`  mr4 forget-lineage --db <${prod.name}> --tables items\nThen run this again.`);
  expect(await rows(prod)).toEqual(prodRows);

  const forgot = await cli(['forget-lineage', '--db', prod.url, '--tables', 'items']);
  expect(forgot.code, forgot.stderr).toBe(0);
  expect(forgot.stdout).toContain(`Forgot the lineage of ids of items in ${prod.name}`);
  const merged = await merge(dev, prod);
  expect(merged.code, merged.stderr).toBe(0);
  expect(await rows(prod)).toEqual([
    ...prodRows,
    { id: 6, title: 's1' },
    { id: 7, title: 's2' },
    { id: 8, title: 's3' },
    { id: 9, title: 's4' },
  ]);
});
