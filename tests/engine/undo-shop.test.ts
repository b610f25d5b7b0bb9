// Undo on a schema with everything an import meets: identity ALWAYS and BY DEFAULT, a uuid key, a
// self reference, a two-table cycle filled in late (departments ↔ employees), a composite key holding a
// foreign key, a junction table, an enum, a keyless table with duplicate rows. The shop's own edits
// are merged in from an archive of another shop, then undone: every table is as it was, row for row.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { seedShop } from '../fixtures/schemas/shop-data';
import { databasesForFile, exportDb, importInto, scratchDir, shopSchemaSql, totals } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();

test('a merge of another shop (late columns, cycles, keyless duplicates) undone row for row', async () => {
  const a = await db(shopSchemaSql);
  const b = await db(shopSchemaSql);
  await seedShop(a.client, { variant: 'a' });
  await seedShop(b.client, { variant: 'b' });
  // The source edits rows b has too, and adds rows (a department whose manager is new as well).
  await a.client.query(`UPDATE products SET price = price + 1, attributes = '{"edited": true}'`);
  await a.client.query(`UPDATE customers SET name = name || ' (a)'`);
  await a.client.query(`INSERT INTO departments (code, name) VALUES ('new-dept', 'New department')`);
  await a.client.query(
    `INSERT INTO employees (email, name, department_id) SELECT 'boss@new.example', 'Boss', d.id FROM departments d WHERE d.code = 'new-dept'`,
  );
  await a.client.query(
    `UPDATE departments SET manager_id = (SELECT id FROM employees WHERE email = 'boss@new.example') WHERE code = 'new-dept'`,
  );
  await a.client.query(`INSERT INTO audit_log (actor, action, at, payload) SELECT actor, action, at, payload FROM audit_log LIMIT 3`);
  const before = await snapshot(b.client);
  const file = join(dir, 'shop-a.tar.gz');
  await exportDb(a, file);
  const report = await importInto(b, file, 'merge');
  expect(report.failures).toEqual([]);
  expect(totals(report).inserted).toBeGreaterThan(0);
  expect(totals(report).updated).toBeGreaterThan(0);

  const undone = await undoImport({ db: dbTarget(b.url) });
  expect(undone.changed).toEqual([]);
  const after = await snapshot(b.client);
  expect(after['_mr4.lineage']).toEqual([]);
  delete after['_mr4.lineage'];
  expect(after).toEqual(before);
});
