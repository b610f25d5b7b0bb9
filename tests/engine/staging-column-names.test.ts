// A table column named like one of mr4's own staging columns (_row, _hit, _tgt, _loc, …) was specified
// twice in the staging tables: every import of the table died with `column "_row" specified more than
// once`, naming no table. The plan refuses it before anything is read, naming the table, the column
// and the way out. Review 4 F10.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `CREATE TABLE "a""b" (id serial PRIMARY KEY, "my col" text NOT NULL UNIQUE, _row int, _loc text);
  CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL UNIQUE, _tgt int, _row_count int);
  CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL UNIQUE, tag_id int REFERENCES tag);
  CREATE TABLE city (id serial PRIMARY KEY, name text NOT NULL UNIQUE, _id text);`;
const SEED = `INSERT INTO "a""b" ("my col", _row, _loc) VALUES ('k1', 100, 'x');
  INSERT INTO tag (name, _tgt) VALUES ('t', 1); INSERT INTO note (body, tag_id) VALUES ('n', 1);
  INSERT INTO city (name, _id) VALUES ('Oslo', 'o');`;

const REFUSAL =
  'Columns a"b (_row, _loc), city (_id), tag (_tgt) have names mr4 uses for its own staging columns, so it cannot import or compare ' +
  'these tables: rename the columns in both databases (ALTER TABLE … RENAME COLUMN). ';

test('the plan refuses the tables by name, with the columns, before reading a row', async () => {
  const source = await db(SCHEMA + SEED);
  await expect(exportDb(source, join(dir, 'refused.tar.gz'))).rejects.toThrow(
    REFUSAL + 'Every table asked for is one of them or points at one (note points at them): there is nothing mr4 can move here.',
  );
  await expect(exportDb(source, join(dir, 'note.tar.gz'), { tables: ['note'] })).rejects.toThrow(
    REFUSAL.replace('Columns a"b (_row, _loc), city (_id), tag (_tgt)', 'Columns tag (_tgt)') +
      'Every table asked for is one of them or points at one (note points at them): there is nothing mr4 can move here.',
  );
});

test('the way out names the tables that move without them, and those move', async () => {
  const source = await db(
    SCHEMA + SEED + `CREATE TABLE plain (id serial PRIMARY KEY, label text NOT NULL UNIQUE); INSERT INTO plain (label) VALUES ('p');`,
  );
  await expect(exportDb(source, join(dir, 'all.tar.gz'))).rejects.toThrow(
    REFUSAL +
      `Leave them out: --tables plain, or "exclude": true for a"b, city, note, tag (note points at them) in the --config file's "tables".`,
  );
  const archive = join(dir, 'plain.tar.gz');
  await exportDb(source, archive, { tables: ['plain'] });
  const target = await db(SCHEMA + `CREATE TABLE plain (id serial PRIMARY KEY, label text NOT NULL UNIQUE);`);
  const report = await importInto(target, archive, 'merge');
  expect(report.tables).toEqual([{ table: 'plain', inserted: 1, updated: 0, unchanged: 0, skipped: 0, failed: 0 }]);
  expect((await target.client.query('SELECT id, label FROM plain')).rows).toEqual([{ id: 1, label: 'p' }]);
});
