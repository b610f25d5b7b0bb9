// The diff (two- and three-way) and the merge that applies it: every case of the classification, the
// decisions, the selection, stale previews, and the same numbers from diff, dry run and merge.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { applyDevEdits, applyProductionEdits, crearisEditScenario, seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import type { DiffKind } from '../../src-common/contract';
import type { Decisions } from '../../src-main/engine/compare/decisions';
import { type DiffOptions, type DiffSession, openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { fingerprint, rowVersions } from '../helpers/compare';
import { counts, crearisSchemaSql, databasesForFile, exportDb, importInto, scratchDir, shopSchemaSql, totals } from '../helpers/engine';
import { seedShop } from '../fixtures/schemas/shop-data';

const dir = scratchDir();
const db = databasesForFile();
let files = 0;
const fileName = (stem: string) => join(dir, `${stem}-${++files}`);
const sessions: DiffSession[] = [];
async function diff(target: TestDb, archive: string, base?: string, options: Partial<DiffOptions> = {}): Promise<DiffSession> {
  const s = await openDiff({ db: dbTarget(target.url), archive, base, ...options });
  sessions.push(s);
  return s;
}
// Hooks run last-registered first: the sessions close before the databases are dropped.
afterAll(async () => {
  for (const s of sessions) await s.close();
});

const SCHEMA = `
  CREATE TABLE author (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, bio text);
  CREATE TABLE post (id serial PRIMARY KEY, slug text NOT NULL UNIQUE, title text, body text, tags jsonb, labels text[],
                     author_id int REFERENCES author(id), views int);
  CREATE TABLE note (id serial PRIMARY KEY, body text);`;
const BASE_DATA = `
  INSERT INTO author (email, name, bio) VALUES ('a1@x', 'Ada', 'bio a1'), ('a2@x', 'Bo', 'bio a2');
  INSERT INTO post (slug, title, body, tags, labels, author_id, views)
  SELECT 'p' || g, 'Title ' || g, 'Body ' || g, '[1, 2]', '{x,y}', 1, g FROM generate_series(1, 14) g WHERE g NOT BETWEEN 8 AND 11;
  INSERT INTO note (body) VALUES ('n1'), ('n2');`;

function kinds(s: DiffSession, table: string): Partial<Record<DiffKind, number>> {
  const c = s.summary.tables.find((t) => t.table === table)!.counts;
  return Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0));
}
async function rowsOf(s: DiffSession, table: string, kind: DiffKind) {
  return (await s.page({ table, kinds: [kind], offset: 0, limit: 100 })).rows;
}
const slugs = (rows: { key: Record<string, unknown> | null }[]) => rows.map((r) => r.key?.slug).sort();
const post = async (d: TestDb, slug: string) =>
  (await d.client.query(`SELECT p.*, a.email AS author FROM post p LEFT JOIN author a ON a.id = p.author_id WHERE slug = $1`, [slug]))
    .rows[0];

describe('three-way: production (target) and dev (source) both edited since dev was seeded (base)', () => {
  let prod: TestDb;
  let dev: TestDb;
  let base: string;
  let devArchive: string;
  beforeAll(async () => {
    prod = await db(SCHEMA + BASE_DATA);
    dev = await db(SCHEMA);
    base = join(dir, 'base.tar.gz');
    await exportDb(prod, base);
    await importInto(dev, base, 'merge');
    // Dev's work.
    await dev.client.query(`
      UPDATE post SET title = 'Dev title 1' WHERE slug = 'p1';
      UPDATE post SET title = 'Same on both' WHERE slug = 'p3';
      UPDATE post SET title = 'Dev title 4' WHERE slug = 'p4';
      UPDATE post SET body = 'Dev edit of 5' WHERE slug = 'p5';
      DELETE FROM post WHERE slug = 'p7';
      INSERT INTO post (slug, title) VALUES ('p8', 'Dev new 8'), ('p10', 'Both same'), ('p11', 'Dev version 11');
      UPDATE post SET author_id = (SELECT id FROM author WHERE email = 'a2@x') WHERE slug = 'p12';
      UPDATE post SET slug = 'p13-renamed' WHERE slug = 'p13';
      UPDATE post SET tags = '[1, 2, 3]' WHERE slug = 'p14';
      UPDATE author SET bio = 'dev bio' WHERE email = 'a1@x';
      INSERT INTO note (body) VALUES ('dev note');`);
    // Production's own work meanwhile (its ids move on: p8's id is taken by another row).
    await prod.client.query(`
      UPDATE post SET body = 'Prod body 2' WHERE slug = 'p2';
      UPDATE post SET title = 'Same on both' WHERE slug = 'p3';
      UPDATE post SET title = 'Prod title 4' WHERE slug = 'p4';
      DELETE FROM post WHERE slug IN ('p5', 'p6');
      INSERT INTO post (slug, title) VALUES ('p9', 'Prod new 9'), ('p10', 'Both same'), ('p11', 'Prod version 11');
      INSERT INTO note (body) VALUES ('prod note');`);
    devArchive = join(dir, 'dev.tar.gz');
    await exportDb(dev, devArchive);
  });

  test('every case is classified, field by field', async () => {
    const s = await diff(prod, devArchive, base);
    expect(s.summary.threeWay).toBe(true);
    // identical: p3 (changed on both sides to the same value) and p10 (added on both sides alike).
    expect(kinds(s, 'post')).toEqual({
      changed: 4,
      kept: 1,
      identical: 2,
      conflict: 3,
      deleted_in_target: 1,
      new: 1,
      deleted_in_source: 1,
      target_only: 1,
    });
    expect(slugs(await rowsOf(s, 'post', 'identical'))).toEqual(['p10', 'p3']);
    expect(slugs(await rowsOf(s, 'post', 'changed'))).toEqual(['p1', 'p12', 'p13-renamed', 'p14']);
    const changed = await rowsOf(s, 'post', 'changed');
    expect(changed.find((r) => r.key?.slug === 'p1')!.fields).toEqual([
      { column: 'title', source: 'Dev title 1', target: 'Title 1', base: 'Title 1', verdict: 'apply' },
    ]);
    // A moved foreign key is shown by what it points at; jsonb is compared as a whole value.
    expect(changed.find((r) => r.key?.slug === 'p12')!.fields).toEqual([
      { column: 'author_id', source: '{"email": "a2@x"}', target: '{"email": "a1@x"}', base: '{"email": "a1@x"}', verdict: 'apply' },
    ]);
    expect(changed.find((r) => r.key?.slug === 'p14')!.fields).toEqual([
      { column: 'tags', source: '[1, 2, 3]', target: '[1, 2]', base: '[1, 2]', verdict: 'apply' },
    ]);
    // Edited only in the target since the base: kept, not a conflict.
    expect((await rowsOf(s, 'post', 'kept'))[0]).toMatchObject({
      key: { slug: 'p2' },
      fields: [{ column: 'body', verdict: 'keep', target: 'Prod body 2' }],
    });
    // Changed on both sides to different values; added on both sides with different values;
    // deleted in the target but edited in the source: conflicts, never silent.
    const conflicts = await rowsOf(s, 'post', 'conflict');
    expect(slugs(conflicts)).toEqual(['p11', 'p4', 'p5']);
    expect(conflicts.find((r) => r.key?.slug === 'p4')!.fields).toEqual([
      { column: 'title', source: 'Dev title 4', target: 'Prod title 4', base: 'Title 4', verdict: 'conflict' },
    ]);
    expect(conflicts.find((r) => r.key?.slug === 'p5')!.fields).toEqual([
      { column: 'body', source: 'Dev edit of 5', target: null, base: 'Body 5', verdict: 'conflict' },
    ]);
    expect(conflicts.filter((r) => r.deletedInTarget).map((r) => r.key?.slug)).toEqual(['p5']);
    expect(slugs(await rowsOf(s, 'post', 'deleted_in_target'))).toEqual(['p6']);
    // A renamed key: dev's row came from production's (the lineage its seed recorded), so it is that
    // row with a new slug, applied like any other field.
    expect(changed.find((r) => r.key?.slug === 'p13-renamed')!.fields).toEqual([
      { column: 'slug', source: 'p13-renamed', target: 'p13', base: 'p13', verdict: 'apply' },
    ]);
    expect(slugs(await rowsOf(s, 'post', 'new'))).toEqual(['p8']);
    expect(slugs(await rowsOf(s, 'post', 'deleted_in_source'))).toEqual(['p7']);
    expect(slugs(await rowsOf(s, 'post', 'target_only'))).toEqual(['p9']);
    // A table matched by content only knows new and identical rows.
    expect(kinds(s, 'note')).toEqual({ identical: 2, new: 1, target_only: 1 });
    // Every conflict is listed in full.
    expect((await s.conflicts()).length).toBe(3);
  });

  test('without the lineage, a renamed key shows as removed + added, with a hint on both', async () => {
    const s = await diff(prod, devArchive, base, { lineage: false });
    const added = await rowsOf(s, 'post', 'new');
    expect(slugs(added)).toEqual(['p13-renamed', 'p8']);
    expect(added.find((r) => r.key?.slug === 'p13-renamed')!.hint).toMatch(/"slug": "p13".*renamed/);
    const gone = await rowsOf(s, 'post', 'deleted_in_source');
    expect(slugs(gone)).toEqual(['p13', 'p7']);
    expect(gone.find((r) => r.key?.slug === 'p13')!.hint).toMatch(/p13-renamed.*renamed/);
  });

  test('the merge stops on open conflicts before writing anything', async () => {
    const before = await fingerprint(prod.client);
    const error = await importInto(prod, devArchive, 'merge', { base }).catch((e) => e);
    expect(error.name).toBe('ConflictsError');
    expect(error.conflicts.map((c: { key: { slug: string }; field: string | null }) => `${c.key.slug}:${c.field}`).sort()).toEqual([
      'p11:title',
      'p4:title',
      'p5:null',
    ]);
    const reasons = Object.fromEntries(error.conflicts.map((c: { key: { slug: string }; reason: string }) => [c.key.slug, c.reason]));
    expect(reasons).toEqual({
      p11: 'added on both sides since the base, with different values',
      p4: 'changed on both sides since the base, to different values',
      p5: 'deleted in the target since the base, but edited in the source',
    });
    expect(await fingerprint(prod.client)).toBe(before);
  });

  test("diff, dry run and merge agree; only the source's own changes are applied, the target's edits are kept", async () => {
    const s = await diff(prod, devArchive, base);
    const d = s.summary.tables.find((t) => t.table === 'post')!.counts;
    const dry = await importInto(prod, devArchive, 'merge', { base, onConflict: 'target', dryRun: true });
    const real = await importInto(prod, devArchive, 'merge', { base, onConflict: 'target' });
    expect(real.tables).toEqual(dry.tables);
    expect(counts(real).post).toMatchObject({
      inserted: d.new,
      updated: d.changed,
      unchanged: d.identical + d.kept + d.conflict - 1,
      skipped: d.deleted_in_target + 1,
    });
    expect((await post(prod, 'p1')).title).toBe('Dev title 1');
    expect((await post(prod, 'p2')).body).toBe('Prod body 2');
    expect((await post(prod, 'p4')).title).toBe('Prod title 4');
    expect(await post(prod, 'p5')).toBeUndefined();
    expect(await post(prod, 'p6')).toBeUndefined();
    expect(await post(prod, 'p7')).toBeDefined();
    expect((await post(prod, 'p8')).title).toBe('Dev new 8');
    expect((await post(prod, 'p11')).title).toBe('Prod version 11');
    expect((await post(prod, 'p12')).author).toBe('a2@x');
    expect((await post(prod, 'p14')).tags).toEqual([1, 2, 3]);
    expect((await prod.client.query(`SELECT bio FROM author WHERE email = 'a1@x'`)).rows[0].bio).toBe('dev bio');
  });
});

describe('decisions, selection and stale previews', () => {
  async function scenario() {
    const prod = await db(SCHEMA + BASE_DATA);
    const dev = await db(SCHEMA);
    const base = `${fileName('base')}.tar.gz`;
    await exportDb(prod, base);
    await importInto(dev, base, 'merge');
    await dev.client.query(`
      UPDATE post SET title = 'Dev 4', views = 400 WHERE slug = 'p4';
      UPDATE post SET body = 'Dev edit of 5' WHERE slug = 'p5';
      INSERT INTO author (email, name) VALUES ('a3@x', 'New author');
      INSERT INTO post (slug, title, author_id) VALUES ('p20', 'Needs a3', (SELECT id FROM author WHERE email = 'a3@x')), ('p21', 'Free', NULL);`);
    await prod.client.query(`UPDATE post SET title = 'Prod 4', views = 4000 WHERE slug = 'p4'; DELETE FROM post WHERE slug = 'p5';`);
    const archive = `${fileName('dev')}.tar.gz`;
    await exportDb(dev, archive);
    return { prod, dev, base, archive };
  }

  test('a decisions file chooses per field and per row; a deleted row comes back only if chosen', async () => {
    const { prod, base, archive } = await scenario();
    const decisions: Decisions = {
      format: 'mr4-decisions',
      version: 1,
      decisions: [
        { table: 'post', key: { slug: 'p4' }, field: 'title', choice: 'source' },
        { table: 'post', key: { slug: 'p4' }, field: 'views', choice: 'target' },
        { table: 'post', key: { slug: 'p5' }, choice: 'source' },
      ],
      exclude: [],
    };
    const report = await importInto(prod, archive, 'merge', { base, decisions });
    expect(await post(prod, 'p4')).toMatchObject({ title: 'Dev 4', views: 4000 });
    expect((await post(prod, 'p5')).body).toBe('Dev edit of 5');
    expect(counts(report).post).toMatchObject({ inserted: 3, updated: 1 });
  });

  test('excluded tables, rows and fields stay out; leaving out a parent an included row needs is refused', async () => {
    const { prod, base, archive } = await scenario();
    const before = await fingerprint(prod.client);
    const refuse: Decisions = {
      format: 'mr4-decisions',
      version: 1,
      onConflict: 'target',
      decisions: [],
      exclude: [{ table: 'author', key: { email: 'a3@x' } }],
    };
    const error = await importInto(prod, archive, 'merge', { base, decisions: refuse }).catch((e) => e);
    expect(error.name).toBe('SelectionError');
    expect(error.message).toMatch(/post \{"slug": "p20"\} needs author \{"email": "a3@x"\} \(through author_id\), which is left out/);
    expect(await fingerprint(prod.client)).toBe(before);
    const fine: Decisions = {
      format: 'mr4-decisions',
      version: 1,
      onConflict: 'source',
      decisions: [],
      exclude: [{ table: 'note' }, { table: 'post', key: { slug: 'p21' } }, { table: 'post', key: { slug: 'p4' }, field: 'views' }],
    };
    const report = await importInto(prod, archive, 'merge', { base, decisions: fine });
    expect(await post(prod, 'p21')).toBeUndefined();
    expect((await post(prod, 'p20')).author).toBe('a3@x');
    expect(await post(prod, 'p4')).toMatchObject({ title: 'Dev 4', views: 4000 });
    expect(counts(report).post.skipped).toBeGreaterThanOrEqual(1);
  });

  test('a merge refuses a preview that went stale and names the rows that changed', async () => {
    const { prod, base, archive } = await scenario();
    const s = await diff(prod, archive, base);
    const prints = `${fileName('prints')}.jsonl`;
    await s.writeFingerprints(prints);
    await prod.client.query(`UPDATE post SET body = 'changed meanwhile' WHERE slug = 'p9'`);
    await prod.client.query(`UPDATE post SET body = 'changed meanwhile' WHERE slug = 'p2'`);
    const before = await fingerprint(prod.client);
    const error = await importInto(prod, archive, 'merge', { base, onConflict: 'target', expectFingerprints: prints }).catch((e) => e);
    expect(error.name).toBe('StalePreviewError');
    expect(error.changed).toEqual([{ table: 'post', key: { slug: 'p2' } }]);
    expect(await fingerprint(prod.client)).toBe(before);
  });
});

describe('two-way diff on another schema', () => {
  test('new, changed (with both values), identical and target-only rows', async () => {
    const a = await db(shopSchemaSql);
    const b = await db(shopSchemaSql);
    await seedShop(a.client, { variant: 'a' });
    await seedShop(b.client, { variant: 'b' });
    const productsBefore = (await a.client.query(`SELECT sku FROM products ORDER BY sku LIMIT 1`)).rows[0].sku as string;
    await a.client.query(`UPDATE products SET price = price + 1, attributes = '{"big": 123456789012345678901234567890}' WHERE sku = $1`, [
      productsBefore,
    ]);
    const archive = join(dir, 'shop-a-diff.tar.gz');
    await exportDb(a, archive);
    const s = await diff(b, archive);
    expect(s.summary.threeWay).toBe(false);
    const products = kinds(s, 'products');
    expect(products.changed).toBe(1);
    expect(products.new ?? 0).toBe(0);
    expect(products.target_only).toBeGreaterThan(0);
    const [row] = await rowsOf(s, 'products', 'changed');
    expect(row.key).toEqual({ sku: productsBefore });
    expect(row.fields.map((f) => f.column).sort()).toEqual(['attributes', 'price']);
    expect(row.fields.find((f) => f.column === 'attributes')!.source).toBe('{"big": 123456789012345678901234567890}');
    // A two-way merge applies exactly what the diff showed.
    const before = await rowVersions(b.client, ['customers', 'orders']);
    const report = await importInto(b, archive, 'merge');
    expect(counts(report).products).toMatchObject({ updated: 1, inserted: products.new ?? 0 });
    expect(await rowVersions(b.client, ['customers', 'orders'])).toEqual(before);
  });
});

describe('the Crearis day-2 workflow, three ways', () => {
  test('every production edit is kept, every dev edit applied, the real conflict stops the merge until decided', async () => {
    const prod = await db(crearisSchemaSql);
    const dev = await db(crearisSchemaSql);
    await seedCrearisDemo(prod.client);
    const base = join(dir, 'crearis-base.tar.gz');
    await exportDb(prod, base);
    await importInto(dev, base, 'merge');
    await applyDevEdits(dev.client);
    await applyProductionEdits(prod.client);
    const archive = join(dir, 'crearis-dev.tar.gz');
    await exportDb(dev, archive);
    const sc = crearisEditScenario;
    const s = await diff(prod, archive, base);
    const conflicts = await s.conflicts();
    // Both sides edited the teaser, and both stamped updated_at: two conflicting fields of one row.
    expect(conflicts.map((c) => [c.table, c.key, c.fields.filter((f) => f.verdict === 'conflict').map((f) => f.column)])).toEqual([
      ['events', { xmlid: sc.conflict.xmlid }, [sc.conflict.column, 'updated_at']],
    ]);
    await expect(importInto(prod, archive, 'merge', { base })).rejects.toThrow(/1 row\(s\) with conflicts \(2 field\(s\)\)/);
    const teaser = async (xmlid: string) => (await prod.client.query(`SELECT teaser FROM events WHERE xmlid = $1`, [xmlid])).rows[0].teaser;
    const prodConflictValue = await teaser(sc.conflict.xmlid);
    const prodOwnEdit = await teaser(sc.production.editedEvents[0].xmlid);
    const phone = async () =>
      (await prod.client.query(`SELECT phone FROM locations WHERE xmlid = $1`, [sc.production.editedLocation.xmlid])).rows[0].phone;
    const prodPhone = await phone();
    const report = await importInto(prod, archive, 'merge', { base, onConflict: 'target' });
    expect(report.failures).toEqual([]);
    expect(await teaser(sc.conflict.xmlid)).toBe(prodConflictValue);
    expect(await teaser(sc.production.editedEvents[0].xmlid)).toBe(prodOwnEdit);
    expect(await phone()).toBe(prodPhone);
    const devProject = (
      await dev.client.query(`SELECT teaser, description FROM projects WHERE domaincode = $1`, [sc.dev.editedProject.domaincode])
    ).rows[0];
    expect(
      (await prod.client.query(`SELECT teaser, description FROM projects WHERE domaincode = $1`, [sc.dev.editedProject.domaincode]))
        .rows[0],
    ).toEqual(devProject);
    for (const xmlid of sc.dev.addedEvents)
      expect((await prod.client.query('SELECT 1 FROM events WHERE xmlid = $1', [xmlid])).rowCount).toBe(1);
    expect((await prod.client.query('SELECT 1 FROM users WHERE sysmail = $1', [sc.production.addedUser])).rowCount).toBe(1);
    // Once merged, the same merge has nothing left to do.
    expect(totals(await importInto(prod, archive, 'merge', { base, onConflict: 'target' }))).toMatchObject({ inserted: 0, updated: 0 });
  });
});
