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
  CREATE TABLE city (id serial PRIMARY KEY, name text NOT NULL UNIQUE, _mr4_id text);`;
const SEED = `INSERT INTO "a""b" ("my col", _row, _loc) VALUES ('k1', 100, 'x');
  INSERT INTO tag (name, _tgt) VALUES ('t', 1); INSERT INTO note (body, tag_id) VALUES ('n', 1);
  INSERT INTO city (name, _mr4_id) VALUES ('Oslo', 'o');`;

const REFUSAL =
  'Columns a"b (_row, _loc), city (_mr4_id), tag (_tgt) have names mr4 uses for its own staging columns, so it cannot import or compare ' +
  'these tables: rename the columns in both databases (ALTER TABLE … RENAME COLUMN). ';

test('the plan refuses the tables by name, with the columns, before reading a row', async () => {
  const source = await db(SCHEMA + SEED);
  await expect(exportDb(source, join(dir, 'refused.tar.gz'))).rejects.toThrow(
    REFUSAL + 'Every table asked for is one of them or points at one (note points at them): there is nothing mr4 can move here.',
  );
  await expect(exportDb(source, join(dir, 'note.tar.gz'), { tables: ['note'] })).rejects.toThrow(
    REFUSAL.replace('Columns a"b (_row, _loc), city (_mr4_id), tag (_tgt)', 'Columns tag (_tgt)') +
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

test("columns named like the write's own working columns of other runs (_id, _rid, _gone, _name, _first, _last, _sharing) move: a merge swapping unique values", async () => {
  const schema = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, _id text, _rid int, _gone bool,
    _name text, _first text, _last text, _sharing int);`;
  const source = await db(`${schema} INSERT INTO item (code, _id, _rid, _gone, _name, _first, _last, _sharing) VALUES
    ('a', 'x1', 1, false, 'Ann', 'f1', 'l1', 10), ('b', 'x2', 2, true, 'Bob', 'f2', 'l2', 20);`);
  const target = await db(schema);
  const pull = join(dir, 'items.tar.gz');
  await exportDb(source, pull);
  await importInto(target, pull, 'merge');
  await source.client.query(`UPDATE item SET code = 'tmp' WHERE code = 'a'; UPDATE item SET code = 'a' WHERE code = 'b';
    UPDATE item SET code = 'b' WHERE code = 'tmp'; UPDATE item SET _name = _name || '!'`);
  const swap = join(dir, 'items-swapped.tar.gz');
  await exportDb(source, swap);
  const report = await importInto(target, swap, 'merge');
  expect(report.tables).toEqual([{ table: 'item', inserted: 0, updated: 2, unchanged: 0, skipped: 0, failed: 0 }]);
  const rows = 'SELECT code, _id, _rid, _gone, _name, _first, _last, _sharing FROM item ORDER BY code';
  expect((await target.client.query(rows)).rows).toEqual([
    { code: 'a', _id: 'x2', _rid: 2, _gone: true, _name: 'Bob!', _first: 'f2', _last: 'l2', _sharing: 20 },
    { code: 'b', _id: 'x1', _rid: 1, _gone: false, _name: 'Ann!', _first: 'f1', _last: 'l1', _sharing: 10 },
  ]);
});
