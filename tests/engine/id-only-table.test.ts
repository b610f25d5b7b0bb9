// A table whose only column is its serial id has no column to compare: the import's look for rows
// that might be edits of a target row built an empty ARRAY[], which PostgreSQL cannot type, and every
// import of such a table failed with "cannot determine type of empty array".
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

test('a table holding only its serial id is imported, its rows with their ids', async () => {
  const SCHEMA = `CREATE TABLE tick (id serial PRIMARY KEY);`;
  const source = await db(`${SCHEMA} INSERT INTO tick DEFAULT VALUES; INSERT INTO tick DEFAULT VALUES;`);
  const file = join(dir, 'ticks.tar.gz');
  await exportDb(source, file);
  const target = await db(SCHEMA);
  const report = await importInto(target, file, 'merge');
  expect(counts(report)).toEqual({ tick: { inserted: 2, updated: 0, unchanged: 0, skipped: 0, failed: 0 } });
  expect((await target.client.query(`SELECT id FROM tick ORDER BY id`)).rows).toEqual([{ id: 1 }, { id: 2 }]);
});
