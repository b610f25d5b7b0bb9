// Table inheritance (INHERITS, not partitioning): PostgreSQL reads a parent with its children's rows
// and numbers the whole hierarchy from one sequence, which mr4 does not handle. Every operation that
// would read or write a table of a hierarchy refuses before touching anything, naming the hierarchy
// and the way out; the schema's other tables still move when the hierarchy is left out.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { readCatalog } from '../../src-main/engine/catalog';
import { openDiff } from '../../src-main/engine/diff/index';
import { buildPlan } from '../../src-main/engine/plan';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const OTHERS = `
  CREATE TABLE shop (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL UNIQUE, shop_id int REFERENCES shop(id));`;
const HIERARCHY = `
  CREATE TABLE vehicle (id serial PRIMARY KEY, name text NOT NULL, wheels int);
  CREATE TABLE car (doors int) INHERITS (vehicle); ALTER TABLE car ADD PRIMARY KEY (id);
  CREATE TABLE sports_car (top_speed int) INHERITS (car); ALTER TABLE sports_car ADD PRIMARY KEY (id);
  CREATE TABLE garage (id serial PRIMARY KEY, label text NOT NULL UNIQUE, vehicle_id int REFERENCES vehicle(id));`;
// The same tables without inheritance: an archive of them is what an import into a hierarchy gets.
const FLAT = `
  CREATE TABLE vehicle (id serial PRIMARY KEY, name text NOT NULL, wheels int);
  CREATE TABLE car (id serial PRIMARY KEY, name text NOT NULL, wheels int, doors int);
  CREATE TABLE sports_car (id serial PRIMARY KEY, name text NOT NULL, wheels int, doors int, top_speed int);
  CREATE TABLE garage (id serial PRIMARY KEY, label text NOT NULL UNIQUE, vehicle_id int REFERENCES vehicle(id));`;

const REFUSAL =
  'Tables car, sports_car, vehicle form a table-inheritance hierarchy (INHERITS): PostgreSQL reads a parent with its ' +
  "children's rows and numbers them all from one sequence, which mr4 does not handle: it would overwrite rows and duplicate ids. " +
  'It reads and writes none of them, even empty. Leave them out: --tables note,shop, or "exclude": true for car, garage, ' +
  `sports_car, vehicle (garage points at them) in the --config file's "tables".`;

const SEED_OTHERS = `
  INSERT INTO shop (name) VALUES ('north'), ('south');
  INSERT INTO note (body, shop_id) VALUES ('open late', 2), ('closed', NULL);`;
const SEED_HIERARCHY = `
  INSERT INTO vehicle (name, wheels) VALUES ('bike', 2), ('PROD-TRUCK', 6);
  INSERT INTO car (name, wheels, doors) VALUES ('golf', 4, 5);
  INSERT INTO sports_car (name, wheels, doors, top_speed) VALUES ('fast', 4, 2, 300);
  INSERT INTO garage (label, vehicle_id) VALUES ('home', 1);`;

/** Every row of every table, each table read alone (ONLY), with the table it sits in. */
async function everyRow(d: TestDb): Promise<Record<string, unknown[]>> {
  const tables = ['shop', 'note', 'vehicle', 'car', 'sports_car', 'garage'];
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = (await d.client.query(`SELECT * FROM ONLY ${t} ORDER BY id`)).rows;
  return out;
}

/** What the refusal says to do: the --tables list, and the tables to exclude in the configuration. */
async function wayOutOf(refused: Promise<unknown>): Promise<{ tables: string[]; exclude: string[] }> {
  const message = await refused.then(
    () => '',
    (e: Error) => e.message,
  );
  const [, tables, exclude] = /--tables (\S+), or "exclude": true for ([^(]+?) \(/.exec(message) ?? [];
  return { tables: tables?.split(',') ?? [], exclude: exclude?.split(', ') ?? [] };
}

async function flatArchive(name: string): Promise<string> {
  const source = await db(OTHERS + FLAT);
  await source.client.query(`${SEED_OTHERS}
    INSERT INTO vehicle (name, wheels) VALUES ('bike', 2), ('dev-golf', 4);
    INSERT INTO car (id, name, wheels, doors) VALUES (2, 'dev-golf', 4, 5);
    INSERT INTO garage (label, vehicle_id) VALUES ('dev garage', 2);`);
  const archive = join(dir, name);
  await exportDb(source, archive);
  return archive;
}

describe('the catalog and the plan', () => {
  test('the catalog names each table’s whole hierarchy; partitioned tables and other tables have none', async () => {
    const d = await db(`${OTHERS}${HIERARCHY}
      CREATE TABLE event (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
      CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');`);
    const catalog = await readCatalog(d.client);
    expect(Object.fromEntries(catalog.tables.map((t) => [t.name, t.inheritance]))).toEqual({
      car: ['car', 'sports_car', 'vehicle'],
      event: [],
      garage: [],
      note: [],
      shop: [],
      sports_car: ['car', 'sports_car', 'vehicle'],
      vehicle: ['car', 'sports_car', 'vehicle'],
    });
  });

  test('a hierarchy with no rows at all is refused, naming it and the tables that move without it', async () => {
    const d = await db(OTHERS + HIERARCHY);
    const catalog = await readCatalog(d.client);
    expect(() => buildPlan(catalog)).toThrow(REFUSAL);
    // The way out it names plans.
    expect(buildPlan(catalog, { tables: ['note', 'shop'] }).tables.map((t) => t.name)).toEqual(['shop', 'note']);
    expect(() => buildPlan(catalog, { tables: ['garage'] })).toThrow(
      'Every table asked for is one of them or points at one (garage points at them): there is nothing mr4 can move here.',
    );
  });
});

describe('export, import and diff refuse before touching anything', () => {
  test('export writes no archive', async () => {
    const d = await db(OTHERS + HIERARCHY);
    await d.client.query(SEED_OTHERS + SEED_HIERARCHY);
    const out = join(dir, 'refused.tar.gz');
    await expect(exportDb(d, out)).rejects.toThrow(REFUSAL);
    expect(existsSync(out)).toBe(false);
  });

  test('skip, merge (two ways and with the kept base) and diff into a hierarchy leave every row as it was', async () => {
    const archive = await flatArchive('flat.tar.gz');
    const target = await db(OTHERS + HIERARCHY);
    await target.client.query(SEED_OTHERS + SEED_HIERARCHY);
    const before = await everyRow(target);
    await expect(importInto(target, archive, 'skip')).rejects.toThrow(REFUSAL);
    await expect(importInto(target, archive, 'merge')).rejects.toThrow(REFUSAL);
    await expect(importInto(target, archive, 'merge', { base: 'kept' })).rejects.toThrow(REFUSAL);
    await expect(openDiff({ db: dbTarget(target.url), archive })).rejects.toThrow(REFUSAL);
    expect(await everyRow(target)).toEqual(before);
    expect(before.vehicle).toEqual([
      { id: 1, name: 'bike', wheels: 2 },
      { id: 2, name: 'PROD-TRUCK', wheels: 6 },
    ]);
  });
});

describe('the way out: the hierarchy left out', () => {
  test('--tables as the refusal says: exported, merged and diffed row for row; the hierarchy untouched', async () => {
    const source = await db(OTHERS + HIERARCHY);
    await source.client.query(SEED_OTHERS + SEED_HIERARCHY);
    const { tables } = await wayOutOf(exportDb(source, join(dir, 'all.tar.gz')));
    expect(tables).toEqual(['note', 'shop']);
    const target = await db(OTHERS + HIERARCHY);
    await target.client.query(`INSERT INTO shop (name) VALUES ('south'), ('west');
      INSERT INTO vehicle (name, wheels) VALUES ('target-bike', 2);`);
    const archive = join(dir, 'others.tar.gz');
    await exportDb(source, archive, { tables });
    const hierarchyBefore = await everyRow(target);

    const diff = await openDiff({ db: dbTarget(target.url), archive });
    try {
      expect(diff.summary.tables.map((t) => [t.table, t.counts.new, t.counts.identical])).toEqual([
        ['shop', 1, 1],
        ['note', 2, 0],
      ]);
    } finally {
      await diff.close();
    }
    const report = await importInto(target, archive, 'merge');
    expect(counts(report)).toMatchObject({ shop: { inserted: 1, unchanged: 1 }, note: { inserted: 2 } });

    const after = await everyRow(target);
    expect(after.shop).toEqual([
      { id: 1, name: 'south' },
      { id: 2, name: 'west' },
      { id: 3, name: 'north' },
    ]);
    expect(after.note).toEqual([
      { id: 1, body: 'open late', shop_id: 1 },
      { id: 2, body: 'closed', shop_id: null },
    ]);
    for (const t of ['vehicle', 'car', 'sports_car', 'garage']) expect(after[t]).toEqual(hierarchyBefore[t]);
  });

  test('"exclude": true as the refusal says: the export leaves the hierarchy and what points at it out', async () => {
    const source = await db(OTHERS + HIERARCHY);
    await source.client.query(SEED_OTHERS + SEED_HIERARCHY);
    const { exclude } = await wayOutOf(exportDb(source, join(dir, 'all-2.tar.gz')));
    expect(exclude).toEqual(['car', 'garage', 'sports_car', 'vehicle']);
    const config = { tables: Object.fromEntries(exclude.map((t) => [t, { exclude: true }])) };
    const archive = join(dir, 'excluded.tar.gz');
    await exportDb(source, archive, { config });
    const empty = await db(OTHERS);
    const report = await importInto(empty, archive, 'skip');
    expect(report.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['shop', 2],
      ['note', 2],
    ]);
    expect(await empty.client.query('SELECT * FROM note ORDER BY id').then((r) => r.rows)).toEqual([
      { id: 1, body: 'open late', shop_id: 2 },
      { id: 2, body: 'closed', shop_id: null },
    ]);
  });
});
