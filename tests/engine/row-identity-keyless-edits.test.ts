// Real-world case: Chinook and Pagila have no natural key besides their serial ids (employees,
// customers, invoices, payments…). A team seeds its dev database from production with mr4, then edits
// one employee's title or one customer's e-mail on one side and merges. By content alone that row
// looks new: a second employee would appear, and every customer, invoice, rental and payment under it
// would be copied again. The lineage the seeding import left in the target (_mr4.lineage: which source
// row became which target row) says it is the same row: it is updated in place, nothing is inserted,
// no child is re-pointed. The lineage travels in the target's own exports, so the other direction
// (edit in dev, merge back into production) works the same way.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { compareDatabases, rowCounts, rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { type Fixture, fixtureSql, lineageCount, logicalTables, physicalTables, targetSql } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const ids = async (d: TestDb, sql: string): Promise<string[]> => (await d.client.query<{ id: string }>(sql)).rows.map((r) => String(r.id));
const idOf = async (d: TestDb, sql: string): Promise<string> => {
  const found = await ids(d, sql);
  expect(found).toHaveLength(1);
  return found[0];
};

/** A source loaded from the fixture, and a target that held other rows at the same ids (sequences at
 *  5000) seeded from it by a merge. Returns the target's own row counts from before the seeding. The
 *  seeding import leaves the lineage of ids in the target (checked at the end of each test). */
async function seededPair(name: Fixture) {
  const source = await db(fixtureSql(name));
  const target = await db(targetSql(name));
  const tables = await logicalTables(target.client);
  const own = await rowCounts(target.client, tables);
  const file = join(dir, `${name}-seed.tar.gz`);
  await exportDb(source, file);
  const seeded = await importInto(target, file, 'merge');
  expect(seeded.failures).toEqual([]);
  expect(totals(seeded).updated).toBe(0);
  return { source, target, tables, own };
}

/** Merges `from` into `to` again and expects that no row of `to` is rewritten. */
async function mergeAgainRewritesNothing(to: TestDb, file: string): Promise<void> {
  const tables = await physicalTables(to.client);
  const versions = await rowVersions(to.client, tables);
  expect(totals(await importInto(to, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
  expect(await rowVersions(to.client, tables)).toEqual(versions);
}

/** Per table: what a merge of the target's export back into the source must do — insert exactly the
 *  target's own rows (never a copy of a source row) and update exactly the one edited row. */
function expectedBack(own: Record<string, number>, edited: string) {
  return Object.fromEntries(
    Object.entries(own).map(([t, n]) => [t, expect.objectContaining({ inserted: n, updated: t === edited ? 1 : 0, failed: 0 })]),
  );
}

describe('keyless rows edited after an mr4 seed (chinook-like)', () => {
  test("an employee's title edited on either side updates that employee in place; nothing is copied, no child re-pointed", async () => {
    const { source, target, tables, own } = await seededPair('chinook-like');
    const sourceCounts = await rowCounts(source.client, tables);

    // Edit in the source: Jane Peacock (source id 3; another employee holds id 3 in the target).
    const jane = await idOf(target, `SELECT employee_id AS id FROM employee WHERE first_name = 'Jane' AND last_name = 'Peacock'`);
    const janesCustomers = () => ids(target, `SELECT customer_id AS id FROM customer WHERE support_rep_id = ${jane} ORDER BY 1`);
    const janesReports = () => ids(target, `SELECT employee_id AS id FROM employee WHERE reports_to = ${jane} ORDER BY 1`);
    const before = { customers: await janesCustomers(), reports: await janesReports() };
    expect(before.customers).toHaveLength(20);
    await source.client.query(`UPDATE employee SET title = 'Senior Sales Support Agent' WHERE employee_id = 3`);
    const forward = join(dir, 'chinook-edited-source.tar.gz');
    await exportDb(source, forward);
    const report = await importInto(target, forward, 'merge');
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect(counts(report).employee).toMatchObject({ inserted: 0, updated: 1 });
    expect((await target.client.query(`SELECT title FROM employee WHERE employee_id = ${jane}`)).rows).toEqual([
      { title: 'Senior Sales Support Agent' },
    ]);
    expect({ customers: await janesCustomers(), reports: await janesReports() }).toEqual(before);
    expect(await rowCounts(target.client, tables)).toEqual(Object.fromEntries(tables.map((t) => [t, own[t] + sourceCounts[t]])));
    expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
    await mergeAgainRewritesNothing(target, forward);

    // Edit in the target: Margaret Park, merged back into the source, where she is employee 4.
    await target.client.query(`UPDATE employee SET title = 'Sales Team Lead' WHERE first_name = 'Margaret' AND last_name = 'Park'`);
    const margaretsCustomers = () => ids(source, `SELECT customer_id AS id FROM customer WHERE support_rep_id = 4 ORDER BY 1`);
    const hers = await margaretsCustomers();
    const back = join(dir, 'chinook-edited-target.tar.gz');
    await exportDb(target, back);
    const reportBack = await importInto(source, back, 'merge');
    expect(reportBack.failures).toEqual([]);
    expect(counts(reportBack)).toEqual(expectedBack(own, 'employee'));
    expect((await source.client.query(`SELECT title FROM employee WHERE employee_id = 4`)).rows).toEqual([{ title: 'Sales Team Lead' }]);
    expect(await margaretsCustomers()).toEqual(hers);
    expect(await compareDatabases(target.client, source.client, { targetMayHaveMore: true })).toEqual([]);
    await mergeAgainRewritesNothing(source, back);
    // Both databases hold the lineage of ids their imports recorded.
    expect((await lineageCount(target.client)) ?? 0).toBeGreaterThan(0);
    expect((await lineageCount(source.client)) ?? 0).toBeGreaterThan(0);
  });
});

describe('keyless rows edited after an mr4 seed (pagila-like)', () => {
  // compareDatabases follows references five levels deep and compares raw ids beyond; rental (→
  // inventory → store → staff → address → city → country) and payment go deeper, so those two are
  // compared here by what they point at instead. payment_id is drawn from a sequence inside payment's
  // composite key: it is no part of what a payment is.
  const rentalsByMeaning = async (d: TestDb) =>
    (
      await d.client.query<{ r: string }>(`
        SELECT concat_ws(' | ', (r.rental_date AT TIME ZONE 'UTC')::text, (r.return_date AT TIME ZONE 'UTC')::text, f.title, sa.address,
                         c.email, s.username, r.last_update::text) AS r
        FROM rental r JOIN inventory i ON i.inventory_id = r.inventory_id JOIN film f ON f.film_id = i.film_id
        JOIN store st ON st.store_id = i.store_id JOIN address sa ON sa.address_id = st.address_id
        JOIN customer c ON c.customer_id = r.customer_id JOIN staff s ON s.staff_id = r.staff_id`)
    ).rows.map((x) => x.r);
  const paymentsByMeaning = async (d: TestDb) =>
    (
      await d.client.query<{ r: string }>(`
        SELECT concat_ws(' | ', (p.payment_date AT TIME ZONE 'UTC')::text, p.amount::text, c.email, (r.rental_date AT TIME ZONE 'UTC')::text, s.username) AS r
        FROM payment p JOIN customer c ON c.customer_id = p.customer_id JOIN rental r ON r.rental_id = p.rental_id
        JOIN staff s ON s.staff_id = p.staff_id`)
    ).rows.map((x) => x.r);
  /** What `from` has that `to` lacks: nothing, when `to` holds everything of `from` (and maybe more). */
  async function missing(from: TestDb, to: TestDb, tables: string[]) {
    const missingRows = async (rows: (d: TestDb) => Promise<string[]>) => {
      const left = new Map<string, number>();
      for (const r of await rows(to)) left.set(r, (left.get(r) ?? 0) + 1);
      return (await rows(from)).filter((r) => {
        const n = left.get(r) ?? 0;
        left.set(r, n - 1);
        return n <= 0;
      });
    };
    return {
      tables: await compareDatabases(from.client, to.client, {
        targetMayHaveMore: true,
        tables: tables.filter((t) => t !== 'rental' && t !== 'payment'),
      }),
      rental: await missingRows(rentalsByMeaning),
      payment: await missingRows(paymentsByMeaning),
    };
  }
  const nothingMissing = { tables: [], rental: [], payment: [] };

  test("a customer's e-mail edited on either side updates that customer in place; no rental or payment is copied or re-pointed", async () => {
    const { source, target, tables, own } = await seededPair('pagila-like');
    const sourceCounts = await rowCounts(source.client, tables);

    // Edit in the source: customer 3 (another customer holds id 3 in the target).
    const linda = await idOf(target, `SELECT customer_id AS id FROM customer WHERE email = 'LINDA.SMITH@sakilacustomer.org'`);
    const lindasRentals = () => ids(target, `SELECT rental_id AS id FROM rental WHERE customer_id = ${linda} ORDER BY 1`);
    const lindasPayments = () =>
      ids(target, `SELECT payment_date::text || '#' || payment_id AS id FROM payment WHERE customer_id = ${linda} ORDER BY 1`);
    const before = { rentals: await lindasRentals(), payments: await lindasPayments() };
    expect(before.rentals.length).toBeGreaterThan(0);
    expect(before.payments.length).toBeGreaterThan(0);
    await source.client.query(`UPDATE customer SET email = 'linda.smith@example.net' WHERE customer_id = 3`);
    const forward = join(dir, 'pagila-edited-source.tar.gz');
    await exportDb(source, forward);
    const report = await importInto(target, forward, 'merge');
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect(counts(report).customer).toMatchObject({ inserted: 0, updated: 1 });
    expect((await target.client.query(`SELECT email FROM customer WHERE customer_id = ${linda}`)).rows).toEqual([
      { email: 'linda.smith@example.net' },
    ]);
    expect({ rentals: await lindasRentals(), payments: await lindasPayments() }).toEqual(before);
    expect(await rowCounts(target.client, tables)).toEqual(Object.fromEntries(tables.map((t) => [t, own[t] + sourceCounts[t]])));
    expect(await missing(source, target, tables)).toEqual(nothingMissing);
    await mergeAgainRewritesNothing(target, forward);

    // Edit in the target: the customer who is 4 in the source, merged back into the source.
    await target.client.query(`UPDATE customer SET email = 'barbara.smith@example.net' WHERE email = 'BARBARA.SMITH@sakilacustomer.org'`);
    const barbarasRentals = () => ids(source, `SELECT rental_id AS id FROM rental WHERE customer_id = 4 ORDER BY 1`);
    const hers = await barbarasRentals();
    const back = join(dir, 'pagila-edited-target.tar.gz');
    await exportDb(target, back);
    const reportBack = await importInto(source, back, 'merge');
    expect(reportBack.failures).toEqual([]);
    expect(counts(reportBack)).toEqual(expectedBack(own, 'customer'));
    expect((await source.client.query(`SELECT email FROM customer WHERE customer_id = 4`)).rows).toEqual([
      { email: 'barbara.smith@example.net' },
    ]);
    expect(await barbarasRentals()).toEqual(hers);
    expect(await missing(target, source, tables)).toEqual(nothingMissing);
    await mergeAgainRewritesNothing(source, back);
    expect((await lineageCount(target.client)) ?? 0).toBeGreaterThan(0);
    expect((await lineageCount(source.client)) ?? 0).toBeGreaterThan(0);
  });
});
