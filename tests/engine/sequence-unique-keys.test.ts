// Review finding R3: invoice (id serial PRIMARY KEY, number serial NOT NULL UNIQUE). Each database
// draws its own invoice numbers, so an invoice added in production and one added in dev since they met
// both get number 2: two different invoices. Taking UNIQUE (number) for the natural key made them one
// row — a pull left production's invoice out of dev without a word, a merge offered to overwrite it.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatPlan } from '../../src-main/cli/format-plan';
import { readCatalog } from '../../src-main/engine/catalog';
import { buildPlan } from '../../src-main/engine/plan';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { syncer } from '../helpers/merge-workspace';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
CREATE TABLE invoice (id serial PRIMARY KEY, number serial NOT NULL UNIQUE, customer text NOT NULL, total int);
CREATE TABLE line (id serial PRIMARY KEY, invoice_id int NOT NULL REFERENCES invoice, line_no int NOT NULL, item text,
                   UNIQUE (invoice_id, line_no));`;

const sync = syncer(dir);

/** Every invoice with its lines, by number then line. */
async function invoices(d: TestDb) {
  const res = await d.client.query(
    `SELECT i.id, i.number, i.customer, i.total, l.line_no, l.item
     FROM invoice i LEFT JOIN line l ON l.invoice_id = i.id ORDER BY i.number, l.line_no`,
  );
  return res.rows;
}

describe('a unique column drawn from a sequence (an invoice number) is an id, not a natural key', () => {
  test('the plan never matches by it, and says so', async () => {
    const prod = await db(SCHEMA);
    const plan = buildPlan(await readCatalog(prod.client));
    const invoice = plan.tables.find((t) => t.name === 'invoice')!;
    expect(invoice.key).toEqual({ kind: 'content', columns: [], source: 'content', nullable: false });
    expect(invoice.matchColumns).toEqual(['customer', 'total']);
    expect(invoice.numbered).toEqual([{ column: 'number', sequence: 'public.invoice_number_seq', unique: 'invoice_number_key' }]);
    const text = formatPlan({ plan, server: { version: '16', database: 'x', systemIdentifier: null } });
    expect(text.split('\n').filter((l) => /^ {6}(key|id column|numbered):/.test(l))).toEqual([
      '      key: content: a row the lineage of ids pairs is updated, others are matched by whole content',
      "      id column: id (new ids in the target where the source's are taken)",
      "      numbered: number (from public.invoice_number_seq; drawn afresh in the target where the source's is taken)",
      '      key: (invoice_id, line_no) from constraint line_invoice_id_line_no_key',
      "      id column: id (new ids in the target where the source's are taken)",
    ]);
    expect(plan.warnings).toEqual([
      "invoice.number is unique (invoice_number_key) but drawn from sequence public.invoice_number_seq: an id each database numbers itself, not a natural key, so rows added on both sides with the same number are different rows. Rows are matched without it (the lineage of ids, then their content); a new row keeps its number where the target has no row with it, else draws the next one from the target's sequence; a merge never overwrites it.",
    ]);
  });

  test('seed, both add invoice 2 with lines, pull, merge back: both invoices in both databases, each with its own lines', async () => {
    const prod = await db(SCHEMA);
    const dev = await db(SCHEMA);
    const dataDir = join(dir, 'data');
    await prod.client.query(
      `INSERT INTO invoice (customer, total) VALUES ('acme', 10); INSERT INTO line (invoice_id, line_no, item) VALUES (1, 1, 'bolt')`,
    );
    expect((await sync(prod, dev, dataDir, 'merge')).report.failures).toEqual([]);

    await prod.client.query(
      `INSERT INTO invoice (customer, total) VALUES ('PROD-CUSTOMER', 999); INSERT INTO line (invoice_id, line_no, item) VALUES (2, 1, 'PROD-ITEM')`,
    );
    await dev.client.query(
      `INSERT INTO invoice (customer, total) VALUES ('dev-test', 1); INSERT INTO line (invoice_id, line_no, item) VALUES (2, 1, 'dev-item'), (2, 2, 'dev-item2')`,
    );

    // Pull: production's invoice 2 comes into dev beside dev's, at the next id and number dev draws.
    const { report: pull } = await sync(prod, dev, dataDir, 'skip');
    expect(pull.failures).toEqual([]);
    expect(counts(pull)).toEqual({
      invoice: { inserted: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0 },
      line: { inserted: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0 },
    });
    expect(await invoices(dev)).toEqual([
      { id: 1, number: 1, customer: 'acme', total: 10, line_no: 1, item: 'bolt' },
      { id: 2, number: 2, customer: 'dev-test', total: 1, line_no: 1, item: 'dev-item' },
      { id: 2, number: 2, customer: 'dev-test', total: 1, line_no: 2, item: 'dev-item2' },
      { id: 3, number: 3, customer: 'PROD-CUSTOMER', total: 999, line_no: 1, item: 'PROD-ITEM' },
    ]);

    // Merge back: dev's invoice comes in as production's number 3; production's stays number 2.
    const { report: back, file } = await sync(dev, prod, dataDir, 'merge', { base: 'auto' });
    expect(back.failures).toEqual([]);
    expect(counts(back)).toEqual({
      invoice: { inserted: 1, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      line: { inserted: 2, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
    });
    expect(await invoices(prod)).toEqual([
      { id: 1, number: 1, customer: 'acme', total: 10, line_no: 1, item: 'bolt' },
      { id: 2, number: 2, customer: 'PROD-CUSTOMER', total: 999, line_no: 1, item: 'PROD-ITEM' },
      { id: 3, number: 3, customer: 'dev-test', total: 1, line_no: 1, item: 'dev-item' },
      { id: 3, number: 3, customer: 'dev-test', total: 1, line_no: 2, item: 'dev-item2' },
    ]);
    // Production's next invoice draws past the numbers the merge took.
    expect((await prod.client.query(`SELECT nextval('invoice_number_seq')::int AS n`)).rows).toEqual([{ n: 4 }]);

    // The same merge again rewrites nothing.
    const versions = await rowVersions(prod.client, ['invoice', 'line']);
    const again = await importInto(prod, file, 'merge', { base: 'auto', agreement: agreementStore(dataDir) });
    expect(counts(again)).toEqual({
      invoice: { inserted: 0, updated: 0, unchanged: 3, skipped: 0, failed: 0 },
      line: { inserted: 0, updated: 0, unchanged: 4, skipped: 0, failed: 0 },
    });
    expect(await rowVersions(prod.client, ['invoice', 'line'])).toEqual(versions);
  });
});

describe('a unique column drawn from a sequence that other rows reference (review M3: a country’s serial id beside its code)', () => {
  const COUNTRIES = `
    CREATE TABLE country (code text PRIMARY KEY, id serial NOT NULL UNIQUE, name text);
    CREATE TABLE city (id serial PRIMARY KEY, name text NOT NULL UNIQUE, country_id int REFERENCES country (id));`;
  const CITIES = `SELECT ci.name, co.code FROM city ci LEFT JOIN country co ON co.id = ci.country_id ORDER BY ci.name`;

  test('is not renumbered: the plan says its values and the references to it are copied as they are', async () => {
    const d = await db(COUNTRIES);
    const plan = buildPlan(await readCatalog(d.client));
    expect(plan.tables.find((t) => t.name === 'country')!.numbered).toEqual([]);
    expect(plan.warnings.filter((w) => w.startsWith('country.id'))).toEqual([
      "country.id is unique and drawn from sequence public.country_id_seq, and city.country_id refers to it: mr4 does not renumber it, so its values are copied as they are, and so are the references to it. Where the two databases numbered the same country rows differently, a merge that would change those numbers is refused if rows refer to them (where none does yet, they take the source's numbers). To have the references followed, point them at the primary key (code).",
    ]);
  });

  test('two databases that numbered their countries differently: the merge is refused, production unchanged; no city lands in another country', async () => {
    const prod = await db(`${COUNTRIES} INSERT INTO country (code, name) VALUES ('DE', 'Germany'), ('FR', 'France');
      INSERT INTO city (name, country_id) VALUES ('Munich', 1);`);
    const dev = await db(`${COUNTRIES} INSERT INTO country (code, name) VALUES ('FR', 'France'), ('DE', 'Germany');
      INSERT INTO city (name, country_id) VALUES ('Lyon', 1);`);
    const before = await rowVersions(prod.client, ['country', 'city']);
    const file = join(dir, 'countries.tar.gz');
    await exportDb(dev, file);
    await expect(importInto(prod, file, 'merge')).rejects.toThrow(/give up their id \(unique country_id_key, not deferrable\)/);
    expect(await rowVersions(prod.client, ['country', 'city'])).toEqual(before);
    expect((await prod.client.query(CITIES)).rows).toEqual([{ name: 'Munich', code: 'DE' }]);
  });
});
