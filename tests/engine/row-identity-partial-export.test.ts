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

describe('--tables of a table whose parents reference each other (Odoo: res_company ↔ res_partner), from a whole archive', () => {
  const schema = `
    CREATE TABLE company (id serial PRIMARY KEY, name text NOT NULL UNIQUE, partner_id int);
    CREATE TABLE partner (id serial PRIMARY KEY, name text NOT NULL, company_id int REFERENCES company);
    ALTER TABLE company ADD FOREIGN KEY (partner_id) REFERENCES partner;
    CREATE TABLE sale_order (id serial PRIMARY KEY, name text NOT NULL UNIQUE, partner_id int NOT NULL REFERENCES partner,
      company_id int NOT NULL REFERENCES company);`;
  const data = `
    INSERT INTO company (name) VALUES ('My Company');
    INSERT INTO partner (name, company_id) VALUES ('My Company', 1), ('Azure Interior', 1);
    UPDATE company SET partner_id = 1;
    INSERT INTO sale_order (name, partner_id, company_id) VALUES ('S00001', 2, 1);`;

  test("a company is matched by its name before the partners, its partner_id (not its key) left as it is: new orders attach to the seed's rows", async () => {
    const source = await db(schema + data);
    // Production's ids are far ahead: every seeded row lands at another id.
    const target = await db(schema + `SELECT setval('company_id_seq', 50), setval('partner_id_seq', 50), setval('sale_order_id_seq', 50);`);
    const seed = join(dir, 'odoo-seed.tar.gz');
    await exportDb(source, seed);
    await importInto(target, seed, 'merge');
    await source.client.query(`INSERT INTO sale_order (name, partner_id, company_id) VALUES ('S00002', 2, 1)`);
    // The whole database exported, its orders alone imported: the companies' rows carry partner_id.
    const orders = join(dir, 'odoo-orders.tar.gz');
    await exportDb(source, orders);
    const plan = buildPlan(await readCatalog(source.client), { tables: ['sale_order'] });
    // The company's key names no partner: it is matched first, though its partner_id points at a later table.
    expect(plan.tables.map((t) => `${t.name}:${t.role}`)).toEqual(['company:reference', 'partner:reference', 'sale_order:data']);
    const report = await importInto(target, orders, 'merge', { tables: ['sale_order'] });
    expect(report.tables).toEqual([expect.objectContaining({ table: 'sale_order', inserted: 1, unchanged: 1, failed: 0 })]);
    const { rows } = await target.client.query(
      `SELECT o.name, p.name AS partner, c.name AS company FROM sale_order o JOIN partner p ON p.id = o.partner_id JOIN company c ON c.id = o.company_id ORDER BY o.name`,
    );
    expect(rows).toEqual([
      { name: 'S00001', partner: 'Azure Interior', company: 'My Company' },
      { name: 'S00002', partner: 'Azure Interior', company: 'My Company' },
    ]);
  });
});
