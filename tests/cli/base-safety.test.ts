// A merge never compares with a base that would make it undo the target's edits: not with an agreement
// newer than the archive (dev exported, then refreshed, then the older export merged back), and not two
// ways by default between databases that synced before but whose agreement is not kept here.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { cliWorkFolder, ITEM_SCHEMA } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
const env = cleanEnv({ MR4_DATA_DIR: tempDir('mr4-base-safety-') });
let prod: TestDb;
let dev: TestDb;

const items = async (db: TestDb) => (await db.client.query(`SELECT code, name, price::text FROM item ORDER BY code`)).rows;

async function cli(args: string[], environment = env) {
  return runCli(args, { env: environment });
}

async function exportTo(db: TestDb, name: string): Promise<string> {
  const out = join(dir, name);
  const r = await cli(['export', '--db', db.url, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

beforeAll(async () => {
  prod = await newDb(ITEM_SCHEMA + `INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2);`);
  dev = await newDb(ITEM_SCHEMA);
  const pulled = await exportTo(prod, 'pulled.tar.gz');
  expect((await cli(['import', pulled, '--db', dev.url, '--mode', 'merge'])).code).toBe(0);
}, 120_000);

test('an archive exported before the last sync is refused as the base of a merge, and nothing is written', async () => {
  await dev.client.query(`UPDATE item SET price = 20 WHERE code = 'b'`);
  const older = await exportTo(dev, 'dev-older.tar.gz');
  // Production edits; dev is refreshed from it (a newer agreement, holding production's edit).
  await prod.client.query(`UPDATE item SET price = 100 WHERE code = 'a'`);
  const refreshed = await exportTo(prod, 'prod-newer.tar.gz');
  const pull = await cli(['import', refreshed, '--db', dev.url, '--mode', 'merge', '--base', 'auto']);
  expect(pull.code, pull.stderr).toBe(0);
  const before = await items(prod);
  for (const base of ['auto', undefined]) {
    const args = ['import', older, '--db', prod.url, '--mode', 'merge', ...(base ? ['--base', base] : [])];
    const r = await cli(args);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/was exported at .*, before .* last agreed .*Export .* again/s);
  }
  const diffed = await cli(['diff', older, '--db', prod.url, '--base', 'auto']);
  expect(diffed.code).toBe(1);
  expect(diffed.stderr).toMatch(/before .* last agreed/s);
  expect(await items(prod)).toEqual(before);
  // Exported again, dev's archive merges: dev's edit arrives, production's stays.
  const fresh = await exportTo(dev, 'dev-fresh.tar.gz');
  const merged = await cli(['import', fresh, '--db', prod.url, '--mode', 'merge', '--base', 'auto']);
  expect(merged.code, merged.stderr).toBe(0);
  expect(await items(prod)).toEqual([
    { code: 'a', name: 'A', price: '100' },
    { code: 'b', name: 'B', price: '20' },
  ]);
  // The same archive again: the agreement it left is not newer than it, and nothing is rewritten.
  const again = await cli(['import', fresh, '--db', prod.url, '--mode', 'merge', '--base', 'auto', '--json']);
  expect(again.code, again.stderr).toBe(0);
  expect(JSON.parse(again.stdout).tables[0]).toMatchObject({ inserted: 0, updated: 0 });
});

test('without the kept agreement (another data folder), a merge between databases that synced before asks for a base', async () => {
  await prod.client.query(`UPDATE item SET name = 'A prod' WHERE code = 'a'`);
  await dev.client.query(`UPDATE item SET name = 'B dev' WHERE code = 'b'`);
  const back = await exportTo(dev, 'dev-back.tar.gz');
  const elsewhere = cleanEnv({ MR4_DATA_DIR: tempDir('mr4-other-machine-') });
  const before = await items(prod);
  const refused = await cli(['import', back, '--db', prod.url, '--mode', 'merge'], elsewhere);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/have synced before.*not kept in this data folder.*--base FILE.*--base none/s);
  expect(await items(prod)).toEqual(before);
  // A skip import writes nothing the target holds: it needs no base.
  const skip = await cli(['import', back, '--db', prod.url, '--mode', 'skip', '--dry-run'], elsewhere);
  expect(skip.code, skip.stderr).toBe(0);
  // Two ways on purpose: the archive's values win, as asked.
  const twoWays = await cli(['import', back, '--db', prod.url, '--mode', 'merge', '--base', 'none'], elsewhere);
  expect(twoWays.code, twoWays.stderr).toBe(0);
  expect((await items(prod)).map((r) => r.name)).toEqual(['A', 'B dev']);
});

test('a base archive that shares no table with the run is refused as not what the two agreed on', async () => {
  const other = await newDb(
    `CREATE TABLE flight (id serial PRIMARY KEY, flight_no text NOT NULL UNIQUE); INSERT INTO flight (flight_no) VALUES ('PG1');`,
  );
  const unrelated = await exportTo(other, 'unrelated.tar.gz');
  const back = await exportTo(dev, 'dev-unrelated-base.tar.gz');
  const before = await items(prod);
  for (const command of ['import', 'diff']) {
    const args = [command, back, '--db', prod.url, ...(command === 'import' ? ['--mode', 'merge'] : []), '--base', unrelated];
    const r = await cli(args);
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(1);
    expect(r.stderr).toMatch(/holds none of the tables this run compares \(item\): it is not what these two databases agreed on/);
  }
  expect(await items(prod)).toEqual(before);
});
