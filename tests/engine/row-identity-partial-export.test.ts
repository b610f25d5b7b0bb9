// A partial export of a table whose parents have no natural key (Pagila's payment: its customer,
// rental and staff rows are known by their ids only, and store ↔ staff reference each other): the
// parents travel as reference rows and are found in the target by the lineage its seed recorded.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildPlan } from '../../src-main/engine/plan';
import { readCatalog } from '../../src-main/engine/catalog';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { fixtureSql, targetSql } from '../helpers/row-identity';
import type { TestDb } from '../helpers/db';

const dir = scratchDir();
const db = databasesForFile();

async function payments(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(
    `SELECT concat_ws(' | ', p.amount::text, c.email, (r.rental_date AT TIME ZONE 'UTC')::text, s.username) AS r
     FROM payment p JOIN customer c ON c.customer_id = p.customer_id JOIN rental r ON r.rental_id = p.rental_id JOIN staff s ON s.staff_id = p.staff_id
     WHERE p.amount = 42.42`,
  );
  return res.rows.map((x) => x.r).sort();
}

describe('--tables payment on a schema without natural keys', () => {
  test('plans: its parents are reference tables, the store ↔ staff cycle among them is broken', async () => {
    const source = await db(fixtureSql('pagila-like'));
    const plan = buildPlan(await readCatalog(source.client), { tables: ['payment'] });
    expect(plan.tables.filter((t) => t.role === 'data').map((t) => t.name)).toEqual(['payment']);
    expect(plan.tables.filter((t) => t.role === 'reference').map((t) => t.name)).toEqual(
      expect.arrayContaining(['customer', 'rental', 'staff', 'store']),
    );
  });

  test('new payments of a seeded target attach to the customers, rentals and staff the seed brought', async () => {
    const source = await db(fixtureSql('pagila-like'));
    const target = await db(targetSql('pagila-like'));
    const seed = join(dir, 'seed.tar.gz');
    await exportDb(source, seed);
    await importInto(target, seed, 'merge');
    // The source takes three new payments for existing customers and rentals.
    await source.client.query(
      `INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
       SELECT r.customer_id, r.staff_id, r.rental_id, 42.42, TIMESTAMPTZ '2022-03-03 03:03:03+00' FROM rental r ORDER BY r.rental_id LIMIT 3`,
    );
    const partial = join(dir, 'payments.tar.gz');
    await exportDb(source, partial, { tables: ['payment'] });
    const report = await importInto(target, partial, 'merge');
    expect(report.failures).toEqual([]);
    expect(report.tables).toEqual([expect.objectContaining({ table: 'payment', inserted: 3, updated: 0 })]);
    expect(await payments(target)).toEqual(await payments(source));
    expect(await payments(target)).toHaveLength(3);
  });
});
