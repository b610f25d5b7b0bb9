// Rows changed after the import stop its undo, each named (table, key, what happened), and nothing is
// written; told to keep them (keepChanged), the undo reverts everything else and leaves those rows as
// they are now. A row the import inserted that was deleted since is simply gone already.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { UndoConflictError, undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price int);`;

test('changed rows are named and stop the undo; keepChanged undoes the rest around them', async () => {
  const source = await db(
    `${SCHEMA} INSERT INTO item (code, name, price) VALUES ('a', 'A2', 1), ('b', 'B2', 2), ('c', 'C', 3), ('d', 'D', 4), ('e', 'E', 5);`,
  );
  const target = await db(`${SCHEMA} INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2);`);
  const file = join(dir, 'items.tar.gz');
  await exportDb(source, file);
  await importInto(target, file, 'merge');

  // After the import: an updated row edited again, an inserted row edited, an inserted row deleted.
  await target.client.query(`UPDATE item SET price = 20 WHERE code = 'b'`);
  await target.client.query(`UPDATE item SET name = 'C edited' WHERE code = 'c'`);
  await target.client.query(`DELETE FROM item WHERE code = 'd'`);
  const edited = await snapshot(target.client);

  const refused = await undoImport({ db: dbTarget(target.url) }).catch((e) => e);
  expect(refused).toBeInstanceOf(UndoConflictError);
  const ids = Object.fromEntries((await target.client.query(`SELECT code, id FROM item`)).rows.map((r) => [r.code, String(r.id)]));
  const byId = (a: { key: unknown }, b: { key: unknown }) => Number((a.key as { id: number }).id) - Number((b.key as { id: number }).id);
  expect([...(refused as UndoConflictError).rows].sort(byId)).toEqual([
    { table: 'item', key: { id: Number(ids.b) }, row: null, reason: 'updated by the import, then changed again' },
    { table: 'item', key: { id: Number(ids.c) }, row: null, reason: 'inserted by the import, then changed' },
  ]);
  expect((refused as Error).message).toMatch(/2 row\(s\) changed after the import[\s\S]*Nothing was changed/);
  expect(await snapshot(target.client)).toEqual(edited);

  const done = await undoImport({ db: dbTarget(target.url), keepChanged: true });
  expect([...done.changed].sort(byId).map((c) => c.key)).toEqual([{ id: Number(ids.b) }, { id: Number(ids.c) }]);
  expect(done.tables).toEqual([{ table: 'item', deleted: 1, restored: 1, kept: 2 }]);
  expect((await target.client.query(`SELECT code, name, price FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', name: 'A', price: 1 },
    { code: 'b', name: 'B2', price: 20 },
    { code: 'c', name: 'C edited', price: 3 },
  ]);
});

test('a log written before rows were hashed by their text (the md5 of their JSON) is still read: unchanged rows undone, a changed one named', async () => {
  const source = await db(`${SCHEMA} INSERT INTO item (code, name, price) VALUES ('a', 'A2', 1), ('c', 'C', 3), ('e', 'E', 5);`);
  const target = await db(`${SCHEMA} INSERT INTO item (code, name, price) VALUES ('a', 'A', 1);`);
  const file = join(dir, 'old-log.tar.gz');
  await exportDb(source, file);
  await importInto(target, file, 'merge');
  // The log as the earlier version wrote it: the md5 of each row's JSON, no 'r:' mark.
  const run = (await target.client.query(`SELECT id FROM _mr4.runs ORDER BY at DESC LIMIT 1`)).rows[0].id as string;
  const log = `_mr4."undo_${run.replace(/-/g, '')}"`;
  const rewritten = await target.client.query(
    `UPDATE ${log} u SET after_md5 = md5(to_jsonb(g)::text) FROM item g WHERE u.op IN ('i', 'u') AND g.id = (u.key->>'id')::int AND u.after_md5 LIKE 'r:%'`,
  );
  expect(rewritten.rowCount).toBe(3);
  await target.client.query(`UPDATE item SET name = 'E edited' WHERE code = 'e'`);

  const refused = await undoImport({ db: dbTarget(target.url) }).catch((e) => e);
  expect(refused).toBeInstanceOf(UndoConflictError);
  const e = (await target.client.query(`SELECT id FROM item WHERE code = 'e'`)).rows[0].id as number;
  expect((refused as UndoConflictError).rows).toEqual([
    { table: 'item', key: { id: e }, row: null, reason: 'inserted by the import, then changed' },
  ]);

  await undoImport({ db: dbTarget(target.url), keepChanged: true });
  expect((await target.client.query(`SELECT code, name, price FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', name: 'A', price: 1 },
    { code: 'e', name: 'E edited', price: 5 },
  ]);
});
