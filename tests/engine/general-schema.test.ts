// A schema unrelated to Crearis (an online shop), where the target already holds other rows at the
// source's very ids: identity ALWAYS/BY DEFAULT, a uuid key, a self reference, a two-table cycle, a
// composite key containing a foreign key, a junction table, a keyless table with duplicate rows.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { compareDatabases, rowCounts, rowVersions } from '../helpers/compare';
import { allTypesSql, exportDb, databasesForFile, importInto, scratchDir, shopSchemaSql, totals } from '../helpers/engine';
import { seedShop, shopCounts } from '../fixtures/schemas/shop-data';

const dir = scratchDir();
const db = databasesForFile();

const SHOP_TABLES = [
  'customers',
  'categories',
  'products',
  'product_categories',
  'orders',
  'order_lines',
  'departments',
  'employees',
  'audit_log',
  'settings',
  'shipments',
];

describe('shop: a target whose ids are all taken by other rows', () => {
  test('skip then merge: every source row arrives with its references, the target keeps its own rows', async () => {
    const a = await db(shopSchemaSql);
    const b = await db(shopSchemaSql);
    await seedShop(a.client, { variant: 'a' });
    await seedShop(b.client, { variant: 'b' });
    // The same natural keys sit at different ids on the two sides.
    const ids = async (d: TestDb) => new Map((await d.client.query(`SELECT slug, id FROM categories`)).rows.map((r) => [r.slug, r.id]));
    const [ia, ib] = [await ids(a), await ids(b)];
    const moved = [...ia].filter(([slug, id]) => ib.has(slug) && ib.get(slug) !== id);
    expect(moved.length).toBe(ia.size);
    const archive = join(dir, 'shop-a.tar.gz');
    await exportDb(a, archive);
    const before = await rowCounts(b.client, SHOP_TABLES);
    const report = await importInto(b, archive, 'merge');
    expect(report.failures).toEqual([]);
    // b already has every row of a (same natural keys, same content): nothing new, nothing changed,
    // except the duplicated audit rows of a that b holds only once.
    expect(await compareDatabases(a.client, b.client, { targetMayHaveMore: true })).toEqual([]);
    const after = await rowCounts(b.client, SHOP_TABLES);
    for (const t of SHOP_TABLES) expect(after[t]).toBeGreaterThanOrEqual(before[t]);
    const again = await rowVersions(b.client, SHOP_TABLES);
    expect(totals(await importInto(b, archive, 'merge'))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(b.client, SHOP_TABLES)).toEqual(again);
  });

  test('into an empty copy: an exact copy, and a second export gives the same table files', async () => {
    const a = await db(shopSchemaSql);
    const empty = await db(shopSchemaSql);
    await seedShop(a.client, { variant: 'a' });
    const first = join(dir, 'shop-first.tar.gz');
    const second = join(dir, 'shop-second.tar.gz');
    await exportDb(a, first);
    const report = await importInto(empty, first, 'skip');
    expect(report.failures).toEqual([]);
    for (const [table, n] of Object.entries(shopCounts.a)) expect(report.tables.find((t) => t.table === table)?.inserted).toBe(n);
    expect(await compareDatabases(a.client, empty.client)).toEqual([]);
    await exportDb(empty, second);
    const files = execFileSync('tar', ['tzf', first])
      .toString()
      .trim()
      .split('\n')
      .filter((f) => f !== 'index.json');
    expect(files.length).toBe(SHOP_TABLES.length);
    for (const f of files) {
      expect(execFileSync('tar', ['xzOf', second, f]).toString(), f).toBe(execFileSync('tar', ['xzOf', first, f]).toString());
    }
  });

  test('rows added on both sides since the last sync: both survive, ids never collide', async () => {
    const a = await db(shopSchemaSql);
    const b = await db(shopSchemaSql);
    await seedShop(a.client, { variant: 'a' });
    const base = join(dir, 'shop-base.tar.gz');
    await exportDb(a, base);
    await importInto(b, base, 'merge');
    // Both sides insert rows after the sync; their sequences hand out the same ids.
    await a.client.query(`INSERT INTO customers (email, name) VALUES ('new.on.a@example.org', 'A side')`);
    await b.client.query(`INSERT INTO customers (email, name) VALUES ('new.on.b@example.org', 'B side')`);
    await a.client.query(
      `INSERT INTO categories (slug, name, parent_id) VALUES ('a-new', 'A new', (SELECT id FROM categories WHERE parent_id IS NULL ORDER BY id LIMIT 1))`,
    );
    await b.client.query(`INSERT INTO categories (slug, name) VALUES ('b-new', 'B new')`);
    const archive = join(dir, 'shop-a-later.tar.gz');
    await exportDb(a, archive);
    const report = await importInto(b, archive, 'merge');
    expect(report.tables.find((t) => t.table === 'customers')).toMatchObject({ inserted: 1, updated: 0 });
    expect(report.tables.find((t) => t.table === 'categories')).toMatchObject({ inserted: 1 });
    expect(
      (await b.client.query(`SELECT count(*)::int AS n FROM customers WHERE email IN ('new.on.a@example.org', 'new.on.b@example.org')`))
        .rows[0].n,
    ).toBe(2);
    expect(await compareDatabases(a.client, b.client, { targetMayHaveMore: true })).toEqual([]);
    // The target's identity and sequences were moved past every id, so its next inserts work.
    await b.client.query(`INSERT INTO customers (email) VALUES ('after@example.org')`);
    await b.client.query(`INSERT INTO categories (slug, name) VALUES ('after', 'After')`);
  });
});

describe('values round-trip exactly', () => {
  test('every listed type survives export → import → export byte for byte', async () => {
    const src = await db(allTypesSql);
    const dst = await db(allTypesSql.replace(/INSERT INTO[\s\S]*$/m, ''));
    const first = join(dir, 'zoo-1.tar.gz');
    const second = join(dir, 'zoo-2.tar.gz');
    await exportDb(src, first);
    const report = await importInto(dst, first, 'skip');
    expect(report.failures).toEqual([]);
    const rows = (await src.client.query('SELECT count(*)::int AS n FROM value_zoo')).rows[0].n;
    expect(report.tables[0].inserted).toBe(rows);
    await exportDb(dst, second);
    expect(execFileSync('tar', ['xzOf', second, 'value_zoo.json']).toString()).toBe(
      execFileSync('tar', ['xzOf', first, 'value_zoo.json']).toString(),
    );
    // Compared in the database itself, value by value, as text.
    const text = async (d: TestDb) =>
      (await d.client.query(`SELECT md5(string_agg(z::text, '|' ORDER BY id)) AS h FROM value_zoo z`)).rows[0].h;
    expect(await text(dst)).toBe(await text(src));
    // A second merge finds every row identical.
    expect(totals(await importInto(dst, first, 'merge'))).toMatchObject({ inserted: 0, updated: 0, unchanged: rows });
  });
});
