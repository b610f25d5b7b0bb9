// Reused ids: production seeds dev, then dev's table is reset (TRUNCATE … RESTART IDENTITY) and gets
// rows of its own at the ids production's rows had. The lineage of ids still says dev's ids 1–3 are
// production's invoices 1–3. Pairing by it would overwrite production's invoices with dev's test rows
// (merging dev back), overwrite dev's rows (pulling production), or hide either side's rows as "kept"
// or "deleted". Every such run — diff, merge, skip, with or without a base, either direction — stops
// before writing anything, naming the table and the way out; after it (forget that table's lineage),
// dev's rows arrive as new rows and production's invoices are untouched. Normal work is never refused.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { forgetLineage } from '../../src-main/engine/forget-lineage';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { rejection } from '../helpers/row-identity';

const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = databasesForFile();

const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL, note text);`;
const INVOICES = `INSERT INTO items (title, note) VALUES ('Prod invoice 1', 'paid'), ('Prod invoice 2', 'open'), ('Prod invoice 3', 'open');`;
const RESET_DEV = `TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES ('DEV test A', 'x'), ('DEV test B', 'y');`;

let archives = 0;
const archive = () => join(dir, `reused-${++archives}.tar.gz`);

interface Pair {
  prod: TestDb;
  dev: TestDb;
  dataDir: string;
}

/** One import as the CLI runs it: the pair's agreement found and kept in the data folder. */
async function importKept(
  to: TestDb,
  file: string,
  dataDir: string,
  options: Parameters<typeof importInto>[3] = {},
): Promise<ImportReport> {
  const report = await importInto(to, file, 'merge', { agreement: agreementStore(dataDir), ...options });
  await new BaseRegistry(dataDir).record(report);
  return report;
}

async function exported(d: TestDb): Promise<string> {
  const file = archive();
  await exportDb(d, file);
  return file;
}

/** Production seeds dev (its lineage and agreement recorded); then dev's items are reset. */
async function seededThenReset(): Promise<Pair & { prodArchive: string }> {
  const prod = await db(SCHEMA + INVOICES);
  const dev = await db(SCHEMA);
  const dataDir = join(dir, `data-${archives}`);
  const prodArchive = await exported(prod);
  await importKept(dev, prodArchive, dataDir);
  await dev.client.query(RESET_DEV);
  return { prod, dev, dataDir, prodArchive };
}

async function allRows(d: TestDb): Promise<{ id: number; title: string; note: string | null }[]> {
  return (await d.client.query(`SELECT id, title, note FROM items ORDER BY id`)).rows;
}

const PROD_ROWS = [
  { id: 1, title: 'Prod invoice 1', note: 'paid' },
  { id: 2, title: 'Prod invoice 2', note: 'open' },
  { id: 3, title: 'Prod invoice 3', note: 'open' },
];
const DEV_ROWS = [
  { id: 1, title: 'DEV test A', note: 'x' },
  { id: 2, title: 'DEV test B', note: 'y' },
];

/** Expects the run to stop with ReusedIdsError naming items in dev and the way out. */
async function expectRefused(run: Promise<unknown>, dev: TestDb, archiveIsDev: boolean): Promise<void> {
  const error = await rejection(run);
  expect(error.name).toBe('ReusedIdsError');
  expect(error.message).toContain(`items in ${dev.name}: its ids went back from 3 to 2`);
  expect(error.message).toContain('Nothing was written.');
  expect(error.message).toContain(`mr4 forget-lineage --db <${dev.name}> --tables items`);
  if (archiveIsDev) expect(error.message).toContain(`export ${dev.name} again`);
  else expect(error.message).toMatch(/since the import of \d{4}-\d\d-\d\dT/);
}

async function diffOf(to: TestDb, file: string, dataDir: string, base?: string) {
  return openDiff({ db: dbTarget(to.url), archive: file, agreement: agreementStore(dataDir), ...(base ? { base } : {}) });
}

describe('dev merged back into production after its ids were reused', () => {
  test('the diff, a merge and a skip stop, with the base and without; production is unchanged', async () => {
    const { prod, dev, dataDir } = await seededThenReset();
    const devArchive = await exported(dev);
    await expectRefused(diffOf(prod, devArchive, dataDir, 'auto'), dev, true);
    await expectRefused(importKept(prod, devArchive, dataDir, { base: 'auto' }), dev, true);
    await expectRefused(importKept(prod, devArchive, dataDir, { mode: 'skip', base: 'auto' }), dev, true);
    await expectRefused(importInto(prod, devArchive, 'merge'), dev, true);
    await expectRefused(importInto(prod, devArchive, 'skip'), dev, true);
    expect(await allRows(prod)).toEqual(PROD_ROWS);
  });

  test("after dev's lineage of items is forgotten, dev's rows arrive as new rows and production's invoices stand", async () => {
    const { prod, dev, dataDir } = await seededThenReset();
    const forgotten = await forgetLineage({ db: dbTarget(dev.url), tables: ['items'] });
    expect(forgotten).toEqual({ database: dev.name, schema: 'public', tables: [{ table: 'items', pairs: 3 }] });
    const devArchive = await exported(dev);

    const diff = await diffOf(prod, devArchive, dataDir, 'auto');
    try {
      expect(diff.summary.tables[0].counts).toMatchObject({ new: 2, changed: 0, conflict: 0, probable_edit: 0, deleted_in_source: 3 });
    } finally {
      await diff.close();
    }
    const report = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(report).items).toMatchObject({ inserted: 2, updated: 0, failed: 0 });
    expect(await allRows(prod)).toEqual([
      ...PROD_ROWS,
      { id: 4, title: 'DEV test A', note: 'x' },
      { id: 5, title: 'DEV test B', note: 'y' },
    ]);
    // Merging the same archive again changes nothing.
    const again = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(again).items).toMatchObject({ inserted: 0, updated: 0 });
  });
});

describe('production pulled into dev after its ids were reused', () => {
  test('the diff, a merge and a skip stop, with the base and without; dev is unchanged', async () => {
    const { dev, dataDir, prodArchive } = await seededThenReset();
    await expectRefused(diffOf(dev, prodArchive, dataDir, 'auto'), dev, false);
    await expectRefused(importKept(dev, prodArchive, dataDir, { base: 'auto' }), dev, false);
    await expectRefused(importInto(dev, prodArchive, 'merge'), dev, false);
    await expectRefused(importInto(dev, prodArchive, 'skip'), dev, false);
    expect(await allRows(dev)).toEqual(DEV_ROWS);
  });

  test("after dev's lineage of items is forgotten, dev's own rows stand", async () => {
    const { prod, dev, dataDir } = await seededThenReset();
    await forgetLineage({ db: dbTarget(dev.url), tables: ['items'] });
    const prodArchive = await exported(prod);
    // Against the agreement, production's invoices were deleted in dev (it truncated them): they stay
    // deleted unless brought back; dev's rows are dev's own.
    const withBase = await importKept(dev, prodArchive, dataDir, { base: 'auto' });
    expect(counts(withBase).items).toMatchObject({ inserted: 0, updated: 0 });
    expect(await allRows(dev)).toEqual(DEV_ROWS);
    // Two ways, production's invoices are new rows of dev.
    const twoWays = await importInto(dev, prodArchive, 'merge');
    expect(counts(twoWays).items).toMatchObject({ inserted: 3, updated: 0 });
    const after = await allRows(dev);
    expect(after.slice(0, 2)).toEqual(DEV_ROWS);
    expect(after.slice(2).map(({ title, note }) => ({ title, note }))).toEqual(
      expect.arrayContaining(PROD_ROWS.map(({ title, note }) => ({ title, note }))),
    );
    expect(after).toHaveLength(5);
  });
});

describe("production's lineage names dev's reused ids", () => {
  test("the refusal names production as the database to forget in; after that, dev's new row arrives", async () => {
    const { prod, dev, dataDir } = await seededThenReset();
    await forgetLineage({ db: dbTarget(dev.url), tables: ['items'] });
    await importKept(prod, await exported(dev), dataDir, { base: 'auto' });
    // Production now knows dev's 1 and 2 as its 4 and 5; dev is reset again, to one row.
    await dev.client.query(`TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES ('DEV test C', 'z');`);
    const devArchive = await exported(dev);
    const prodBefore = await allRows(prod);
    const error = await rejection(importKept(prod, devArchive, dataDir, { base: 'auto' }));
    expect(error.name).toBe('ReusedIdsError');
    expect(error.message).toContain(`items in ${dev.name}: its ids went back from 2 to 1`);
    expect(error.message).toContain(`the lineage of ${prod.name} names ids up to 2`);
    expect(error.message).toContain(`mr4 forget-lineage --db <${prod.name}> --tables items`);
    expect(error.message).not.toContain(`--db <${dev.name}>`);
    expect(await allRows(prod)).toEqual(prodBefore);

    await forgetLineage({ db: dbTarget(prod.url), tables: ['items'] });
    const report = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(report).items).toMatchObject({ inserted: 1, updated: 0 });
    expect(await allRows(prod)).toEqual([...prodBefore, { id: 6, title: 'DEV test C', note: 'z' }]);
  });
});

describe('normal work is never refused', () => {
  test('seed, edits and new rows on both sides, merge back, merge again, pull again', async () => {
    const prod = await db(SCHEMA + INVOICES);
    const dev = await db(SCHEMA);
    const dataDir = join(dir, 'data-normal');
    await importKept(dev, await exported(prod), dataDir);
    await prod.client.query(
      `UPDATE items SET note = 'paid' WHERE id = 2; INSERT INTO items (title, note) VALUES ('Prod invoice 4', 'open');`,
    );
    await dev.client.query(
      `UPDATE items SET title = 'Prod invoice 3 (dev)' WHERE id = 3; DELETE FROM items WHERE id = 1;
       INSERT INTO items (title, note) VALUES ('DEV new', 'n');`,
    );
    const devArchive = await exported(dev);
    const back = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(back).items).toMatchObject({ inserted: 1, updated: 1, failed: 0 });
    const again = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(again).items).toMatchObject({ inserted: 0, updated: 0 });
    const pulled = await importKept(dev, await exported(prod), dataDir, { base: 'auto' });
    expect(counts(pulled).items).toMatchObject({ failed: 0 });
    expect((await allRows(prod)).map((r) => r.title)).toEqual([
      'Prod invoice 1',
      'Prod invoice 2',
      'Prod invoice 3 (dev)',
      'Prod invoice 4',
      'DEV new',
    ]);
    const devTitles = (await allRows(dev)).map((r) => r.title).sort();
    expect(devTitles).toEqual(['DEV new', 'Prod invoice 2', 'Prod invoice 3 (dev)', 'Prod invoice 4']);
  });
});

describe('a dev table emptied and pulled again', () => {
  test('is not refused: no row a stale pair could overwrite or hide, and dev equals production again', async () => {
    const prod = await db(SCHEMA + INVOICES);
    const dev = await db(SCHEMA);
    const dataDir = join(dir, 'data-emptied');
    await importKept(dev, await exported(prod), dataDir);
    await dev.client.query(`TRUNCATE items RESTART IDENTITY`);
    const file = await exported(prod);
    const skip = await importInto(dev, file, 'skip');
    expect(counts(skip).items).toMatchObject({ inserted: 3, failed: 0 });
    expect(await allRows(dev)).toEqual(PROD_ROWS);
    const again = await importKept(dev, file, dataDir);
    expect(counts(again).items).toMatchObject({ inserted: 0, updated: 0 });
  });
});

// The reseed: dev reset and a seed script inserting as many rows as production's or more. The ids
// never go back below what the lineage names (4 ≥ 3); the restart of dev's sequence is what is seen.
const RESEED_DEV = `TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES
  ('Seed 1', 's'), ('Seed 2', 's'), ('Seed 3', 's'), ('Seed 4', 's');`;
const SEED_ROWS = [1, 2, 3, 4].map((id) => ({ id, title: `Seed ${id}`, note: 's' }));
// Merged as new rows into production: Seed 4 keeps its id (free there), the others get new ones.
const PROD_WITH_SEEDS = [
  ...PROD_ROWS,
  { id: 4, title: 'Seed 4', note: 's' },
  { id: 5, title: 'Seed 1', note: 's' },
  { id: 6, title: 'Seed 2', note: 's' },
  { id: 7, title: 'Seed 3', note: 's' },
];

async function seededThenReseeded(): Promise<Pair & { prodArchive: string }> {
  const prod = await db(SCHEMA + INVOICES);
  const dev = await db(SCHEMA);
  const dataDir = join(dir, `data-reseed-${archives}`);
  const prodArchive = await exported(prod);
  await importKept(dev, prodArchive, dataDir);
  await dev.client.query(RESEED_DEV);
  return { prod, dev, dataDir, prodArchive };
}

async function expectRestarted(run: Promise<unknown>, dev: TestDb, archiveIsDev: boolean): Promise<void> {
  const error = await rejection(run);
  expect(error.name).toBe('ReusedIdsError');
  expect(error.message).toMatch(
    new RegExp(
      `items in ${dev.name}: its id sequence was restarted since the import of \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z \\(the lineage of ${dev.name} names ids up to 3;`,
    ),
  );
  expect(error.message).toContain('Nothing was written.');
  expect(error.message).toContain(`mr4 forget-lineage --db <${dev.name}> --tables items`);
  if (archiveIsDev) expect(error.message).toContain(`export ${dev.name} again`);
}

describe('dev reset and reseeded with as many rows or more (its ids never went back below the lineage)', () => {
  test('merging dev back is refused, with the base and without; production is unchanged', async () => {
    const { prod, dev, dataDir } = await seededThenReseeded();
    const devArchive = await exported(dev);
    await expectRestarted(diffOf(prod, devArchive, dataDir, 'auto'), dev, true);
    await expectRestarted(importKept(prod, devArchive, dataDir, { base: 'auto' }), dev, true);
    await expectRestarted(importInto(prod, devArchive, 'merge'), dev, true);
    await expectRestarted(importInto(prod, devArchive, 'skip'), dev, true);
    expect(await allRows(prod)).toEqual(PROD_ROWS);
  });

  test('pulling production into dev is refused; dev is unchanged', async () => {
    const { dev, dataDir, prodArchive } = await seededThenReseeded();
    await expectRestarted(diffOf(dev, prodArchive, dataDir, 'auto'), dev, false);
    await expectRestarted(importKept(dev, prodArchive, dataDir, { base: 'auto' }), dev, false);
    await expectRestarted(importInto(dev, prodArchive, 'merge'), dev, false);
    expect(await allRows(dev)).toEqual(SEED_ROWS);
  });

  test("after forget-lineage, dev's seed rows arrive as new rows and production's invoices stand; dev is marked afresh", async () => {
    const { prod, dev, dataDir } = await seededThenReseeded();
    const forgotten = await forgetLineage({ db: dbTarget(dev.url), tables: ['items'] });
    expect(forgotten).toEqual({ database: dev.name, schema: 'public', tables: [{ table: 'items', pairs: 3 }] });
    expect((await dev.client.query(`SELECT count(*)::int AS n FROM _mr4.sequence_marks WHERE table_name = 'items'`)).rows).toEqual([
      { n: 0 },
    ]);
    const devArchive = await exported(dev);
    const report = await importKept(prod, devArchive, dataDir, { base: 'auto' });
    expect(counts(report).items).toMatchObject({ inserted: 4, updated: 0, failed: 0 });
    expect(await allRows(prod)).toEqual(PROD_WITH_SEEDS);
    // Pulled back, production's rows and dev's are paired anew, and nothing is refused.
    const pulled = await importKept(dev, await exported(prod), dataDir, { base: 'auto' });
    expect(counts(pulled).items).toMatchObject({ updated: 0, failed: 0 });
    expect((await dev.client.query(`SELECT count(*)::int AS n FROM _mr4.sequence_marks WHERE table_name = 'items'`)).rows).toEqual([
      { n: 1 },
    ]);
    const again = await importKept(prod, await exported(dev), dataDir, { base: 'auto' });
    expect(counts(again).items).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
  });

  test('--no-lineage runs are unaffected: nothing refused, nothing paired, nothing marked', async () => {
    const { prod, dev } = await seededThenReseeded();
    const report = await importInto(prod, await exported(dev), 'merge', { lineage: false });
    expect(counts(report).items).toMatchObject({ inserted: 4, updated: 0, failed: 0 });
    expect(await allRows(prod)).toEqual(PROD_WITH_SEEDS);

    const fresh = await db(SCHEMA);
    await importInto(fresh, await exported(prod), 'merge', { lineage: false });
    expect((await fresh.client.query(`SELECT to_regclass('_mr4.sequence_marks') AS marks`)).rows).toEqual([{ marks: null }]);
  });
});

describe('a table rewritten or emptied without a restart of its ids', () => {
  test('VACUUM FULL (a new relfilenode for the table, not its sequence) is not refused', async () => {
    const prod = await db(SCHEMA + INVOICES);
    const dev = await db(SCHEMA);
    const dataDir = join(dir, 'data-vacuum');
    await importKept(dev, await exported(prod), dataDir);
    await dev.client.query(`VACUUM FULL items`);
    await dev.client.query(`UPDATE items SET note = 'paid' WHERE id = 3; INSERT INTO items (title, note) VALUES ('DEV new', 'n');`);
    await prod.client.query(`VACUUM FULL items`);
    const back = await importKept(prod, await exported(dev), dataDir, { base: 'auto' });
    expect(counts(back).items).toMatchObject({ inserted: 1, updated: 1, failed: 0 });
    expect(await allRows(prod)).toEqual([
      ...PROD_ROWS.slice(0, 2),
      { id: 3, title: 'Prod invoice 3', note: 'paid' },
      { id: 4, title: 'DEV new', note: 'n' },
    ]);
    const pulled = await importKept(dev, await exported(prod), dataDir, { base: 'auto' });
    expect(counts(pulled).items).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
  });

  test('TRUNCATE without RESTART IDENTITY, then new rows (ids continue) is not refused', async () => {
    const prod = await db(SCHEMA + INVOICES);
    const dev = await db(SCHEMA);
    const dataDir = join(dir, 'data-truncate');
    await importKept(dev, await exported(prod), dataDir);
    await dev.client.query(`TRUNCATE items; INSERT INTO items (title, note) VALUES ('DEV after truncate', 't');`);
    expect(await allRows(dev)).toEqual([{ id: 4, title: 'DEV after truncate', note: 't' }]);
    const back = await importKept(prod, await exported(dev), dataDir, { base: 'auto' });
    expect(counts(back).items).toMatchObject({ inserted: 1, updated: 0, failed: 0 });
    expect(await allRows(prod)).toEqual([...PROD_ROWS, { id: 4, title: 'DEV after truncate', note: 't' }]);
    const pulled = await importInto(dev, await exported(prod), 'merge');
    expect(counts(pulled).items).toMatchObject({ inserted: 3, updated: 0, failed: 0 });
    expect(await allRows(dev)).toEqual([...PROD_ROWS, { id: 4, title: 'DEV after truncate', note: 't' }]);
  });
});
