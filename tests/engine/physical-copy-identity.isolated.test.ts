// Real-world case: dev is a physical copy of production (pg_basebackup, a restored cloud snapshot, a
// volume clone, a Neon-style branch). A physical copy keeps the server's system identifier and the
// database's oid, so it has production's identity, and mr4 took the two for one database: no lineage
// recorded, rows paired by id — dev's new customer 3 overwrote production's different new customer 3.
// The harness cannot make a physical copy, so the seam is what a copy changes: the copy's catalog
// reports the original's identity, and its server was started at another time. Equal identities are
// trusted only for an archive from the same running server; otherwise the run is refused, naming both
// databases, until the user says the ids are the same rows (sameIds) or gives the copy its own identity.
import { join } from 'node:path';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { openArchive } from '../../src-main/engine/archive/reader';
import { readServerStartedAt } from '../../src-main/engine/server-started';
import { craftArchive, readEntries } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { rejection } from '../helpers/row-identity';

/** Databases playing physical copies: the identity their catalog reports, and when their server started. */
const copies = vi.hoisted(() => ({ identity: new Map<string, string>(), startedAt: new Map<string, string>() }));

vi.mock('../../src-main/engine/catalog', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src-main/engine/catalog')>();
  return {
    ...actual,
    readCatalog: async (...args: Parameters<typeof actual.readCatalog>) => {
      const catalog = await actual.readCatalog(...args);
      const identity = copies.identity.get(catalog.database);
      return identity ? { ...catalog, identity } : catalog;
    },
  };
});

vi.mock('../../src-main/engine/server-started', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src-main/engine/server-started')>();
  return {
    readServerStartedAt: async (client: Parameters<typeof actual.readServerStartedAt>[0]) => {
      const { db } = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0];
      return copies.startedAt.get(db) ?? actual.readServerStartedAt(client);
    },
  };
});

const SHOP = `
CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE invoice (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, total numeric NOT NULL);
INSERT INTO customer (name, email) VALUES ('Ann', 'ann@x'), ('Bob', 'bob@x');
INSERT INTO invoice (customer_id, total) VALUES (1, 10), (2, 20);`;

const COPY_STARTED_AT = '2026-01-02T03:04:05.678901Z';

const dir = scratchDir();
const db = databasesForFile();
let archives = 0;
async function exported(d: TestDb): Promise<string> {
  const file = join(dir, `copy-${++archives}.tar.gz`);
  await exportDb(d, file);
  return file;
}

/** Every customer with its invoices' totals, by id. */
async function customers(d: TestDb): Promise<string[][]> {
  const res = await d.client.query(
    `SELECT c.id::text, c.name, c.email, i.total::text FROM customer c LEFT JOIN invoice i ON i.customer_id = c.id ORDER BY c.id, i.id`,
  );
  return res.rows.map((r) => [r.id, r.name, r.email, r.total]);
}

const databaseOf = async (d: TestDb) => (await d.client.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;

/** Production, and dev made as a physical copy of it: the same rows, production's identity, a server of its own. */
async function productionAndCopy(): Promise<{ prod: TestDb; dev: TestDb; prodName: string; devName: string }> {
  const prod = await db(SHOP);
  const dev = await db(SHOP);
  const prodName = await databaseOf(prod);
  const devName = await databaseOf(dev);
  const prodIdentity = (await openArchive(await exported(prod), {})).index!.metadata.identity!;
  copies.identity.set(devName, prodIdentity);
  copies.startedAt.set(devName, COPY_STARTED_AT);
  return { prod, dev, prodName, devName };
}

/** Writes `archive` to `out` as an mr4 before this check wrote it: no start time of its server. */
function withoutServerStart(archive: string, out: string): void {
  const entries = readEntries(archive);
  const index = entries.find((e) => e.path === 'index.json')!;
  const json = JSON.parse(index.body.toString('utf8'));
  delete json.metadata.server.startedAt;
  index.body = Buffer.from(JSON.stringify(json));
  craftArchive(out, entries);
}

/** The refusal of a run between copies, checked word for word where it names things. */
function expectCopiesRefused(error: Error, source: string, target: string): void {
  expect(error.name).toBe('CopiedDatabaseError');
  expect(error.message).toContain(`${source} (the archive's database, exported `);
  expect(error.message).toContain(`) and ${target} have the same identity (system identifier `);
  expect(error.message).toContain('they look like copies of one database');
  expect(error.message).toContain('Nothing was written.');
  expect(error.message).toContain('--same-ids');
  expect(error.message).toContain('CREATE DATABASE <new name> TEMPLATE <the copy>');
}

let serverStartedAt = '';
beforeAll(async () => {
  const probe = await db('');
  serverStartedAt = await readServerStartedAt(probe.client);
});

describe('a dev database made from a physical copy of production', () => {
  test('pulling production into the copy is refused until the user says the ids are the same rows', async () => {
    const { prod, dev, prodName, devName } = await productionAndCopy();
    const pulled = await exported(prod);
    expectCopiesRefused(await rejection(importInto(dev, pulled, 'merge')), prodName, devName);
    expect(await customers(dev)).toEqual([
      ['1', 'Ann', 'ann@x', '10'],
      ['2', 'Bob', 'bob@x', '20'],
    ]);

    const report = await importInto(dev, pulled, 'merge', { sameIds: true });
    expect(counts(report)).toEqual({
      customer: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      invoice: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
    });
  });

  test("merging the copy back never overwrites production's own new row at the same id; its own identity merges it beside", async () => {
    const { prod, dev, prodName, devName } = await productionAndCopy();
    await prod.client.query(
      `INSERT INTO customer (name, email) VALUES ('PROD Carol', 'carol@prod'); INSERT INTO invoice (customer_id, total) VALUES (3, 333)`,
    );
    await dev.client.query(
      `INSERT INTO customer (name, email) VALUES ('DEV Test User', 'test@dev'); INSERT INTO invoice (customer_id, total) VALUES (3, 1)`,
    );
    const merged = await exported(dev);
    const production = [
      ['1', 'Ann', 'ann@x', '10'],
      ['2', 'Bob', 'bob@x', '20'],
      ['3', 'PROD Carol', 'carol@prod', '333'],
    ];

    expectCopiesRefused(await rejection(importInto(prod, merged, 'merge')), devName, prodName);
    expectCopiesRefused(await rejection(openDiff({ db: dbTarget(prod.url), archive: merged })), devName, prodName);
    expect(await customers(prod)).toEqual(production);

    // The way out for copies that diverged: the copy gets an identity of its own (a database made
    // from it with CREATE DATABASE … TEMPLATE), and is exported again.
    copies.identity.delete(devName);
    await importInto(prod, await exported(dev), 'merge');
    expect(await customers(prod)).toEqual([...production, ['4', 'DEV Test User', 'test@dev', '1']]);
  });

  test('an archive imported back into its own database, on the server it was exported from, pairs rows by id', async () => {
    const prod = await db(SHOP);
    const file = await exported(prod);
    expect((await openArchive(file, {})).index!.metadata.server.startedAt).toBe(serverStartedAt);
    await prod.client.query(`UPDATE customer SET name = 'Ann (edited)' WHERE id = 1; DELETE FROM invoice WHERE id = 2`);

    const report = await importInto(prod, file, 'merge');
    expect(counts(report)).toEqual({
      customer: { inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 },
      invoice: { inserted: 1, updated: 0, unchanged: 1, skipped: 0, failed: 0 },
    });
    expect(await customers(prod)).toEqual([
      ['1', 'Ann', 'ann@x', '10'],
      ['2', 'Bob', 'bob@x', '20'],
    ]);
  });

  test('an archive that does not say which server it came from, into a database of its identity, is asked about', async () => {
    const prod = await db(SHOP);
    const prodName = await databaseOf(prod);
    const older = join(dir, 'without-server-start.tar.gz');
    withoutServerStart(await exported(prod), older);
    await prod.client.query(`UPDATE customer SET name = 'Ann (edited)' WHERE id = 1`);

    expectCopiesRefused(await rejection(importInto(prod, older, 'merge')), prodName, prodName);
    expect(await customers(prod)).toEqual([
      ['1', 'Ann (edited)', 'ann@x', '10'],
      ['2', 'Bob', 'bob@x', '20'],
    ]);
    const report = await importInto(prod, older, 'merge', { sameIds: true });
    expect(counts(report).customer).toEqual({ inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 });
    expect(await customers(prod)).toEqual([
      ['1', 'Ann', 'ann@x', '10'],
      ['2', 'Bob', 'bob@x', '20'],
    ]);
  });
});
