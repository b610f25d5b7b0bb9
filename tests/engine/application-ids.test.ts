// Review finding R4: customer (id bigint PRIMARY KEY) without a default, its ids drawn by the
// application from hibernate_sequence. Production and dev each give their next customer id 3: two
// different customers. Matched by id, a pull left production's customer out of dev without a word and
// a merge offered to overwrite it with dev's test row. The plan now asks whether such ids are the
// application's, and the configuration can say so: the table is then matched by the lineage of ids and
// a new row whose id is taken gets the next one from that sequence.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatPlan } from '../../src-main/cli/format-plan';
import { readCatalog } from '../../src-main/engine/catalog';
import type { Mr4Config } from '../../src-main/engine/config';
import { buildPlan } from '../../src-main/engine/plan';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { syncer } from '../helpers/merge-workspace';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
CREATE SEQUENCE hibernate_sequence;
CREATE TABLE customer (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customer, item text NOT NULL);`;

const APPLICATION_IDS: Mr4Config = {
  tables: {
    customer: { surrogate: { column: 'id', sequence: 'hibernate_sequence' } },
    orders: { surrogate: { column: 'id', sequence: 'hibernate_sequence' } },
  },
};

const warningFor = (table: string) =>
  `${table}.id is an integer primary key without a default and the database has sequences no column draws from (public.hibernate_sequence): are ${table}'s ids drawn by the application? Then rows added on both sides since the databases met may share an id while being different rows, and matching by id would take them for one. State it in the configuration, "${table}": {"surrogate": {"column": "id", "sequence": "hibernate_sequence"}}: rows are then matched by the lineage of ids and a new row whose id is taken gets the next one from that sequence. If the ids mean the same row in every database, state "key": ["id"] instead.`;

const sync = syncer(dir);

/** Seeded dev (its hibernate_sequence where production's stood, as a pg_dump clone has it), then a
 *  customer with an order added on each side: both at ids 3 and 4. */
async function bothAdded(name: string, config?: Mr4Config) {
  const prod = await db(SCHEMA);
  const dev = await db(SCHEMA);
  const dataDir = join(dir, name);
  await prod.client.query(
    `INSERT INTO customer VALUES (nextval('hibernate_sequence'), 'acme'); INSERT INTO orders VALUES (nextval('hibernate_sequence'), 1, 'bolts')`,
  );
  expect((await sync(prod, dev, dataDir, 'merge', { config })).report.failures).toEqual([]);
  await dev.client.query(`SELECT setval('hibernate_sequence', 2)`);
  await prod.client.query(
    `INSERT INTO customer VALUES (nextval('hibernate_sequence'), 'PROD-CUSTOMER'); INSERT INTO orders VALUES (nextval('hibernate_sequence'), 3, 'PROD-ORDER')`,
  );
  await dev.client.query(
    `INSERT INTO customer VALUES (nextval('hibernate_sequence'), 'dev-test'); INSERT INTO orders VALUES (nextval('hibernate_sequence'), 3, 'dev-order')`,
  );
  return { prod, dev, dataDir };
}

async function orders(d: TestDb) {
  const res = await d.client.query(
    `SELECT c.id::int AS customer_id, c.name, o.id::int AS order_id, o.item FROM customer c LEFT JOIN orders o ON o.customer_id = c.id ORDER BY c.id, o.id`,
  );
  return res.rows;
}

describe('integer primary keys without a default: ids the application draws', () => {
  test('the plan asks whether they are, and a configured surrogate is planned like a serial id', async () => {
    const prod = await db(SCHEMA);
    const catalog = await readCatalog(prod.client);
    expect(catalog.freeSequences).toEqual(['public.hibernate_sequence']);
    expect(buildPlan(catalog).warnings).toEqual([warningFor('customer'), warningFor('orders')]);

    const stated = buildPlan(catalog, { config: APPLICATION_IDS });
    expect(stated.warnings).toEqual([]);
    expect(stated.tables.map((t) => [t.name, t.surrogate, t.surrogateSequence, t.key.kind])).toEqual([
      ['customer', 'id', 'public.hibernate_sequence', 'content'],
      ['orders', 'id', 'public.hibernate_sequence', 'content'],
    ]);
    const text = formatPlan({ plan: stated, server: { version: '16', database: 'x', systemIdentifier: null } });
    expect(text.split('\n').filter((l) => /^ {6}id column:/.test(l))).toEqual([
      "      id column: id (drawn by the application from public.hibernate_sequence, as configured; new ids in the target where the source's are taken; public.hibernate_sequence also numbers orders.id, so an id held there is taken too)",
      "      id column: id (drawn by the application from public.hibernate_sequence, as configured; new ids in the target where the source's are taken; public.hibernate_sequence also numbers customer.id, so an id held there is taken too)",
    ]);
    expect(() =>
      buildPlan(catalog, { config: { tables: { customer: { surrogate: { column: 'id', sequence: 'customer_seq' } } } } }),
    ).toThrow(
      'The configuration says table "customer" draws its ids from sequence "customer_seq", which is not a sequence of schema "public" that no column owns (those are: public.hibernate_sequence). Name one of them.',
    );
  });

  test("a primary key that points at the parent's (a one-to-one extension) holds the parent's ids: not asked about", async () => {
    const d = await db(`${SCHEMA} CREATE TABLE customer_profile (customer_id bigint PRIMARY KEY REFERENCES customer, bio text);`);
    const catalog = await readCatalog(d.client);
    expect(buildPlan(catalog).warnings).toEqual([warningFor('customer'), warningFor('orders')]);
    const stated = buildPlan(catalog, { config: APPLICATION_IDS });
    expect(stated.warnings).toEqual([]);
    expect(stated.tables.find((t) => t.name === 'customer_profile')?.inheritedId).toEqual({ column: 'customer_id', parent: 'customer' });
  });

  test('without the configuration, the merge back refuses and says the two rows may be different rows with the same id', async () => {
    const { prod, dev, dataDir } = await bothAdded('unstated');
    await sync(prod, dev, dataDir, 'skip');
    const file = join(dir, 'unstated-back.tar.gz');
    await exportDb(dev, file);
    await expect(importInto(prod, file, 'merge', { base: 'auto', agreement: agreementStore(dataDir) })).rejects.toThrow(
      `customer {"id":"3"} name: added on both sides since the base, with different values; id is an integer id, so these may be different rows that each side gave the same id (are customer's ids drawn by the application? then state "customer": {"surrogate": {"column": "id", "sequence": "…"}} in the configuration, and they are matched by the lineage of ids instead)`,
    );
  });

  test('stated in the configuration: pull and merge back keep both customers, each with its order, and a second merge rewrites nothing', async () => {
    const { prod, dev, dataDir } = await bothAdded('stated', APPLICATION_IDS);

    const { report: pull } = await sync(prod, dev, dataDir, 'skip', { config: APPLICATION_IDS });
    expect(pull.failures).toEqual([]);
    expect(counts(pull)).toEqual({
      customer: { inserted: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0 },
      orders: { inserted: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0 },
    });
    expect(await orders(dev)).toEqual([
      { customer_id: 1, name: 'acme', order_id: 2, item: 'bolts' },
      { customer_id: 3, name: 'dev-test', order_id: 4, item: 'dev-order' },
      { customer_id: 5, name: 'PROD-CUSTOMER', order_id: 6, item: 'PROD-ORDER' },
    ]);

    const { report: back, file } = await sync(dev, prod, dataDir, 'merge', { base: 'auto', config: APPLICATION_IDS });
    expect(back.failures).toEqual([]);
    expect(counts(back)).toEqual({
      customer: { inserted: 1, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      orders: { inserted: 1, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
    });
    expect(await orders(prod)).toEqual([
      { customer_id: 1, name: 'acme', order_id: 2, item: 'bolts' },
      { customer_id: 3, name: 'PROD-CUSTOMER', order_id: 4, item: 'PROD-ORDER' },
      { customer_id: 5, name: 'dev-test', order_id: 6, item: 'dev-order' },
    ]);
    // The application's next id is past every id the merge took.
    expect((await prod.client.query(`SELECT nextval('hibernate_sequence')::int AS n`)).rows).toEqual([{ n: 7 }]);

    const versions = await rowVersions(prod.client, ['customer', 'orders']);
    const again = await importInto(prod, file, 'merge', { base: 'auto', config: APPLICATION_IDS, agreement: agreementStore(dataDir) });
    expect(counts(again)).toEqual({
      customer: { inserted: 0, updated: 0, unchanged: 3, skipped: 0, failed: 0 },
      orders: { inserted: 0, updated: 0, unchanged: 3, skipped: 0, failed: 0 },
    });
    expect(await rowVersions(prod.client, ['customer', 'orders'])).toEqual(versions);
  });
});
