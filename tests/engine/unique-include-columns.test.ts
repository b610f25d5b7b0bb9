// A unique index's INCLUDE columns are stored with the key but are not part of it: UNIQUE (code)
// INCLUDE (name) keys the rows by code alone. Read as (code, name), a renamed row looked new and its
// insert died on the database's duplicate key. Review 4 F13.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `CREATE TABLE product (id serial PRIMARY KEY, code text NOT NULL, name text NOT NULL, price int,
  CONSTRAINT product_code UNIQUE (code) INCLUDE (name));`;

test('the key is (code): the diff and the merge update the row whose name the target has differently', async () => {
  const prod = await db(`${SCHEMA} INSERT INTO product (code, name, price) VALUES ('X', 'Widget', 10), ('Y', 'Gadget', 20);`);
  const dev = await db(`${SCHEMA} INSERT INTO product (code, name, price) VALUES ('Y', 'Gadget', 20), ('X', 'Widget old name', 10);`);
  const archive = join(dir, 'prod.tar.gz');
  await exportDb(prod, archive);

  const diff = await openDiff({ db: dbTarget(dev.url), archive });
  try {
    const changed = await diff.page({ table: 'product', kinds: ['changed'], offset: 0, limit: 10 });
    expect(changed.rows.map((r) => [r.key, r.fields.map((f) => [f.column, f.target, f.source])])).toEqual([
      [{ code: 'X' }, [['name', 'Widget old name', 'Widget']]],
    ]);
    expect(diff.summary.tables.map((t) => [t.table, t.counts.new, t.counts.changed, t.counts.identical])).toEqual([['product', 0, 1, 1]]);
  } finally {
    await diff.close();
  }

  const report = await importInto(dev, archive, 'merge');
  expect(report.tables).toEqual([{ table: 'product', inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 }]);
  expect((await dev.client.query('SELECT id, code, name, price FROM product ORDER BY id')).rows).toEqual([
    { id: 1, code: 'Y', name: 'Gadget', price: 20 },
    { id: 2, code: 'X', name: 'Widget', price: 10 },
  ]);
});
