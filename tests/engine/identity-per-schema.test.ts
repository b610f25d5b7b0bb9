// The data mr4 moves is one schema of a database, so a data set's identity is (database, schema): the
// lineage names rows of schema t1 apart from rows of t2 of the same database, and the agreement kept
// for schema app is not the base of schema other. Schema public keeps the identity mr4 gave the whole
// database before, so its lineage and agreements recorded by earlier versions are still used.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { type ArchiveIndex, parseIndex } from '../../src-main/engine/archive/format';
import { openArchive } from '../../src-main/engine/archive/reader';
import { readIdentity } from '../../src-main/engine/catalog';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

let n = 0;
/** `from`'s schema exported and merged into `to`'s schema (the CLI's `--schema`), the pair's agreement
 *  kept in `dataDir`. */
async function sync(
  from: { db: TestDb; schema: string },
  to: { db: TestDb; schema: string },
  dataDir: string,
  base: 'kept' | 'auto' | string,
): Promise<ImportReport> {
  const file = join(dir, `s-${++n}.tar.gz`);
  await exportDb(from.db, file, { schema: from.schema });
  const report = await importInto(to.db, file, 'merge', { schema: to.schema, base, agreement: agreementStore(dataDir) });
  await new BaseRegistry(dataDir).record(report);
  return report;
}

const rows = async (d: TestDb, sql: string) => (await d.client.query(sql)).rows;

const TWO_SCHEMAS = `CREATE SCHEMA app; CREATE SCHEMA other;
  CREATE TABLE app.item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price int);
  CREATE TABLE other.item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price int);`;

describe('two schemas of the same two databases, synced one after the other (--base auto)', () => {
  test("each schema keeps its own agreement: production's edit of app stands after other was synced", async () => {
    const prod = await db(
      `${TWO_SCHEMAS} INSERT INTO app.item (code, price) VALUES ('A', 1); INSERT INTO other.item (code, price) VALUES ('A', 5);`,
    );
    const dev = await db(TWO_SCHEMAS);
    const dataDir = join(dir, 'data-two-schemas');
    const [prodApp, prodOther, devApp, devOther] = [
      { db: prod, schema: 'app' },
      { db: prod, schema: 'other' },
      { db: dev, schema: 'app' },
      { db: dev, schema: 'other' },
    ];

    expect(counts(await sync(prodApp, devApp, dataDir, 'kept')).item).toMatchObject({ inserted: 1, updated: 0, unchanged: 0 });
    // Before: refused, app's agreement taken for other's ("deleted in the target since the base").
    expect(counts(await sync(prodOther, devOther, dataDir, 'kept')).item).toMatchObject({ inserted: 1, updated: 0, unchanged: 0 });
    await prod.client.query(`UPDATE app.item SET price = 5 WHERE code = 'A'`);

    const back = await sync(devApp, prodApp, dataDir, 'auto');
    expect(counts(back).item).toEqual({ inserted: 0, updated: 0, unchanged: 1, skipped: 0, failed: 0 });
    expect(await rows(prod, `SELECT code, price FROM app.item ORDER BY code`)).toEqual([{ code: 'A', price: 5 }]);
    expect(await rows(prod, `SELECT code, price FROM other.item ORDER BY code`)).toEqual([{ code: 'A', price: 5 }]);
    expect(await rows(dev, `SELECT code, price FROM app.item ORDER BY code`)).toEqual([{ code: 'A', price: 1 }]);
    expect(await rows(dev, `SELECT code, price FROM other.item ORDER BY code`)).toEqual([{ code: 'A', price: 5 }]);
  });

  test('a base archive of another schema is refused, naming both schemas and the way out', async () => {
    const prod = await db(
      `${TWO_SCHEMAS} INSERT INTO app.item (code, price) VALUES ('A', 1); INSERT INTO other.item (code, price) VALUES ('A', 5);`,
    );
    const dev = await db(TWO_SCHEMAS);
    const otherArchive = join(dir, 'other-as-base.tar.gz');
    await exportDb(prod, otherArchive, { schema: 'other' });
    const error = await sync({ db: prod, schema: 'app' }, { db: dev, schema: 'app' }, join(dir, 'data-base-file'), otherArchive).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(
      `The base archive ${otherArchive} holds schema "other" of ${prod.name}, but this run compares schema "app" of ${prod.name} with ` +
        `schema "app" of ${dev.name}: it is not what these two agreed on. Choose an archive of schema "app" as the base, or compare two ways (mr4: --base none).\nNothing was written to the target.`,
    );
    expect(await rows(dev, `SELECT code, price FROM app.item`)).toEqual([]);
  });
});

const TENANTS = `CREATE SCHEMA t1; CREATE SCHEMA t2;
  CREATE TABLE t1.customer (id serial PRIMARY KEY, name text NOT NULL, email text);
  CREATE TABLE t1.invoice (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES t1.customer, total numeric NOT NULL);
  CREATE TABLE t2.customer (id serial PRIMARY KEY, name text NOT NULL, email text);
  CREATE TABLE t2.invoice (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES t2.customer, total numeric NOT NULL);
  INSERT INTO t1.customer (name, email) VALUES ('T1 Ann', 'ann@t1'), ('T1 Bob', 'bob@t1');
  INSERT INTO t1.invoice (customer_id, total) VALUES (1, 10), (2, 20);
  INSERT INTO t2.customer (name, email) VALUES ('T2 Zed', 'zed@t2'), ('T2 Yan', 'yan@t2');
  INSERT INTO t2.invoice (customer_id, total) VALUES (1, 900), (2, 800);`;

const invoices = (d: TestDb, schema: string) =>
  rows(
    d,
    `SELECT c.name, c.email, i.total::text FROM ${schema}.invoice i JOIN ${schema}.customer c ON c.id = i.customer_id ORDER BY i.total`,
  );

describe("schema-per-tenant: tenant t1's archive imported into tenant t2 of the same database", () => {
  test("t1's rows arrive as new rows, t2's stay; the lineage pairs them the next time", async () => {
    const sch = await db(TENANTS);
    const dataDir = join(dir, 'data-tenants');
    const [t1, t2] = [
      { db: sch, schema: 't1' },
      { db: sch, schema: 't2' },
    ];
    const first = await sync(t1, t2, dataDir, 'kept');
    expect(counts(first)).toEqual({
      customer: { inserted: 2, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
      invoice: { inserted: 2, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
    });
    const t2After = [
      { name: 'T1 Ann', email: 'ann@t1', total: '10' },
      { name: 'T1 Bob', email: 'bob@t1', total: '20' },
      { name: 'T2 Yan', email: 'yan@t2', total: '800' },
      { name: 'T2 Zed', email: 'zed@t2', total: '900' },
    ];
    expect(await invoices(sch, 't2')).toEqual(t2After);
    expect(await rows(sch, `SELECT id, name FROM t2.customer WHERE id <= 2 ORDER BY id`)).toEqual([
      { id: 1, name: 'T2 Zed' },
      { id: 2, name: 'T2 Yan' },
    ]);
    expect(await invoices(sch, 't1')).toEqual([
      { name: 'T1 Ann', email: 'ann@t1', total: '10' },
      { name: 'T1 Bob', email: 'bob@t1', total: '20' },
    ]);

    const again = await sync(t1, t2, dataDir, 'auto');
    expect(counts(again)).toEqual({
      customer: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      invoice: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
    });
    expect(await invoices(sch, 't2')).toEqual(t2After);
  });
});

describe('identities recorded by earlier versions', () => {
  test("schema public keeps the database's identity as earlier versions derived it; every other schema has its own", async () => {
    const d = await db(`CREATE SCHEMA t1;`);
    const [{ sysid, dboid }] = await rows(
      d,
      `SELECT system_identifier::text AS sysid, (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS dboid FROM pg_control_system()`,
    );
    const h = createHash('md5').update(`mr4-database:${sysid}:${dboid}`).digest('hex');
    const databaseWide = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    const [pub, t1] = [(await readIdentity(d.client, 'public')).identity, (await readIdentity(d.client, 't1')).identity];
    expect(pub).toBe(databaseWide);
    expect(t1).not.toBe(databaseWide);
  });

  test("an archive before 2.3 of a schema other than public does not pass for the database: its identity is kept as the database's only", async () => {
    const d = await db(
      `CREATE SCHEMA t1; CREATE TABLE t1.note (id serial PRIMARY KEY, body text); CREATE TABLE note (id serial PRIMARY KEY, body text);`,
    );
    const pub = (await readIdentity(d.client, 'public')).identity;
    const t1 = (await readIdentity(d.client, 't1')).identity;
    const exported = async (schema: string): Promise<ArchiveIndex> => {
      const file = join(dir, `index-${schema}.tar.gz`);
      await exportDb(d, file, { schema });
      return (await openArchive(file)).index!;
    };
    /** The index as a 2.2 export wrote it: the whole database's identity, whatever the schema. */
    const asBefore = ({ metadata: { databaseIdentity: _none, ...metadata }, ...rest }: ArchiveIndex) =>
      parseIndex({ ...rest, formatVersion: '2.2', metadata: { ...metadata, identity: pub } });

    const [ofT1, ofPublic] = [await exported('t1'), await exported('public')];
    expect([ofT1.formatVersion, ofT1.metadata.identity, ofT1.metadata.databaseIdentity]).toEqual(['2.3', t1, pub]);
    expect([ofPublic.metadata.identity, ofPublic.metadata.databaseIdentity]).toEqual([pub, pub]);
    expect([asBefore(ofT1).metadata.identity, asBefore(ofT1).metadata.databaseIdentity]).toEqual([undefined, pub]);
    expect([asBefore(ofPublic).metadata.identity, asBefore(ofPublic).metadata.databaseIdentity]).toEqual([pub, undefined]);
  });

  test('schema app synced by an earlier version (lineage naming the whole databases) and no agreement kept: a merge is refused, not made two ways', async () => {
    const prod = await db(`${TWO_SCHEMAS} INSERT INTO app.item (code, price) VALUES ('A', 1);`);
    const dev = await db(TWO_SCHEMAS);
    const seeded = await sync({ db: prod, schema: 'app' }, { db: dev, schema: 'app' }, join(dir, 'data-upgrade-before'), 'kept');
    // As an earlier version recorded it: production's rows named by the whole database's identity.
    const prodDatabase = (await readIdentity(prod.client, 'public')).identity;
    await dev.client.query(`UPDATE _mr4.lineage SET origin = $1 WHERE origin = $2`, [prodDatabase, seeded.archive.identity]);
    await prod.client.query(`UPDATE app.item SET price = 5 WHERE code = 'A'`);

    const error = await sync({ db: dev, schema: 'app' }, { db: prod, schema: 'app' }, join(dir, 'data-upgrade-after'), 'kept').catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe('NoAgreementKeptError');
    expect(await rows(prod, `SELECT code, price FROM app.item`)).toEqual([{ code: 'A', price: 5 }]);
  });

  test("an agreement kept before identities named a schema (app's, under the database's identity) is not the base of schema public", async () => {
    const both = `${TWO_SCHEMAS} CREATE TABLE public.item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price int);`;
    const prod = await db(
      `${both} INSERT INTO app.item (code, price) VALUES ('A', 1); INSERT INTO public.item (code, price) VALUES ('A', 1);`,
    );
    const dev = await db(both);
    const dataDir = join(dir, 'data-legacy');
    const app = await sync({ db: prod, schema: 'app' }, { db: dev, schema: 'app' }, dataDir, 'kept');
    // As an earlier version kept it: under the two databases' identities (public's now).
    const [prodPublic, devPublic] = [
      (await readIdentity(prod.client, 'public')).identity,
      (await readIdentity(dev.client, 'public')).identity,
    ];
    const registry = join(dataDir, 'bases.json');
    const renamed = readFileSync(registry, 'utf8').replaceAll(app.archive.identity!, prodPublic).replaceAll(app.target.identity, devPublic);
    writeFileSync(registry, renamed);

    const error = await sync({ db: prod, schema: 'public' }, { db: dev, schema: 'public' }, dataDir, 'auto').catch((e: unknown) => e);
    expect((error as Error).name).toBe('BaseNotFoundError');
    const seeded = await sync({ db: prod, schema: 'public' }, { db: dev, schema: 'public' }, dataDir, 'kept');
    expect(counts(seeded).item).toEqual({ inserted: 1, updated: 0, unchanged: 0, skipped: 0, failed: 0 });
    expect(await rows(dev, `SELECT code, price FROM public.item`)).toEqual([{ code: 'A', price: 1 }]);
  });
});

test("production's public pulled into dev's schema work, both edited, merged back three ways, then again with nothing to write", async () => {
  const table = (schema: string) => `CREATE TABLE ${schema}.item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price int);`;
  const prod = await db(`${table('public')} INSERT INTO item (code, price) VALUES ('A', 1), ('B', 2);`);
  const dev = await db(`CREATE SCHEMA work; ${table('work')}`);
  const dataDir = join(dir, 'data-renamed-schema');
  const [prodPublic, devWork] = [
    { db: prod, schema: 'public' },
    { db: dev, schema: 'work' },
  ];
  expect(counts(await sync(prodPublic, devWork, dataDir, 'kept')).item).toMatchObject({ inserted: 2 });
  await prod.client.query(`UPDATE item SET price = 10 WHERE code = 'A'`);
  await dev.client.query(`UPDATE work.item SET price = 20 WHERE code = 'B'; INSERT INTO work.item (code, price) VALUES ('C', 3);`);

  const back = await sync(devWork, prodPublic, dataDir, 'auto');
  expect(counts(back).item).toEqual({ inserted: 1, updated: 1, unchanged: 1, skipped: 0, failed: 0 });
  expect(await rows(prod, `SELECT code, price FROM item ORDER BY code`)).toEqual([
    { code: 'A', price: 10 },
    { code: 'B', price: 20 },
    { code: 'C', price: 3 },
  ]);
  const versions = await rows(prod, `SELECT code, xmin::text FROM item ORDER BY code`);
  const again = await sync(devWork, prodPublic, dataDir, 'auto');
  expect(counts(again).item).toEqual({ inserted: 0, updated: 0, unchanged: 3, skipped: 0, failed: 0 });
  expect(await rows(prod, `SELECT code, xmin::text FROM item ORDER BY code`)).toEqual(versions);
});
