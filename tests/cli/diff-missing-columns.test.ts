// `mr4 diff --ignore-missing-columns`: production added a column since dev was copied from it; the
// merge can leave it out, and so can its preview, which says which columns it left out.
import { beforeAll, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile } from '../helpers/engine';
import { cliWorkFolder, threeWayItems } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
let prod: TestDb;
let base: string;
let archive: string;
const env = cleanEnv();

beforeAll(async () => {
  ({ prod, base, archive } = await threeWayItems(newDb, dir, {
    dev: `UPDATE item SET name = 'A dev' WHERE code = 'a'; INSERT INTO item (code, name) VALUES ('d', 'D');`,
    prod: `ALTER TABLE item ADD COLUMN priority int NOT NULL DEFAULT 5; UPDATE item SET priority = 9 WHERE code = 'c';`,
  }));
}, 120_000);

test('without the flag the diff stops and names the column; with it, it compares the rest and says what it left out', async () => {
  const refused = await runCli(['diff', archive, '--db', prod.url, '--base', base], { env });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('column item.priority of the target is not in the archive');

  const r = await runCli(['diff', archive, '--db', prod.url, '--base', base, '--ignore-missing-columns', '--json', '--rows', '0'], { env });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.summary.tables).toEqual([
    { table: 'item', counts: expect.objectContaining({ new: 1, changed: 1, kept: 0, conflict: 0, identical: 2 }) },
  ]);
  expect(out.summary.warnings).toContain('Columns on one side only, left out of the comparison (--ignore-missing-columns): item.priority');

  // The merge it previews writes what it said, and keeps production's column as it was.
  const merged = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--ignore-missing-columns'], {
    env,
  });
  expect(merged.code, merged.stderr).toBe(0);
  expect((await prod.client.query(`SELECT code, name, price::text, priority FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', name: 'A dev', price: '1', priority: 5 },
    { code: 'b', name: 'B', price: '2', priority: 5 },
    { code: 'c', name: 'C', price: '3', priority: 9 },
    { code: 'd', name: 'D', price: null, priority: 5 },
  ]);
});
