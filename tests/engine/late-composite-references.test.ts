// Cycles broken by a multi-column reference filled late. orgs (owner_org_id, owner_user_id) →
// memberships (org_id, user_id), memberships.org_id → orgs: both columns are written NULL first and
// filled once memberships is written, each rewritten through the table whose ids it holds (orgs'
// own, users'), then checked against memberships as a whole. folders (tenant_id, cover_doc_id) →
// docs (tenant_id, id), docs (tenant_id, folder_id) → folders: tenant_id is NOT NULL, but MATCH SIMPLE
// checks no row with a NULL in the key, so cover_doc_id alone is written NULL first (not under MATCH
// FULL, where the plan refuses the cycle).
import { join } from 'node:path';
import type { ImportReport } from '../../src-common/contract';
import { afterAll, describe, expect, test } from 'vitest';
import { formatPlan } from '../../src-main/cli/format-plan';
import { dbTarget } from '../../src-main/db/connect';
import { type DiffSession, openDiff } from '../../src-main/engine/diff/index';
import { PlanError } from '../../src-main/engine/plan';
import type { DiffKind } from '../../src-main/engine/report-types';
import { undoImport } from '../../src-main/engine/undo';
import { rowVersions } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { planWith } from '../helpers/row-identity';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const sessions: DiffSession[] = [];
// Hooks run last-registered first: the sessions close before the databases are dropped.
afterAll(async () => {
  for (const s of sessions) await s.close();
});

const orgs = (match = '') => `
  CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
  CREATE TABLE orgs (id serial PRIMARY KEY, name text NOT NULL UNIQUE, owner_org_id int, owner_user_id int);
  CREATE TABLE memberships (org_id int NOT NULL REFERENCES orgs, user_id int NOT NULL REFERENCES users, role text NOT NULL,
    PRIMARY KEY (org_id, user_id));
  ALTER TABLE orgs ADD FOREIGN KEY (owner_org_id, owner_user_id) REFERENCES memberships (org_id, user_id) ${match};`;

const ORGS_DATA = `
  INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x');
  INSERT INTO orgs (name) VALUES ('o1'), ('o2'), ('o3');
  INSERT INTO memberships VALUES (1, 1, 'admin'), (1, 2, 'member'), (2, 2, 'admin'), (2, 3, 'member'), (3, 3, 'guest');
  UPDATE orgs SET owner_org_id = id, owner_user_id = id WHERE id < 3;
  UPDATE orgs SET owner_org_id = 3, owner_user_id = 3 WHERE id = 3;`;

const ORGS_ROWS = {
  users: ['a@x', 'b@x', 'c@x'],
  orgs: [
    { name: 'o1', owner_org: 'o1', owner: 'a@x', owner_role: 'admin' },
    { name: 'o2', owner_org: 'o2', owner: 'b@x', owner_role: 'admin' },
    { name: 'o3', owner_org: 'o3', owner: 'c@x', owner_role: 'guest' },
  ],
  memberships: [
    { org: 'o1', user: 'a@x', role: 'admin' },
    { org: 'o1', user: 'b@x', role: 'member' },
    { org: 'o2', user: 'b@x', role: 'admin' },
    { org: 'o2', user: 'c@x', role: 'member' },
    { org: 'o3', user: 'c@x', role: 'guest' },
  ],
};

/** Every row, its ids replaced by what they point at (an owner through the membership it names). */
async function orgRows(d: TestDb) {
  const users = (await d.client.query(`SELECT email FROM users ORDER BY 1`)).rows.map((r) => r.email);
  const o = await d.client.query(
    `SELECT o.name, oo.name AS owner_org, u.email AS owner, m.role AS owner_role FROM orgs o
       LEFT JOIN memberships m ON m.org_id = o.owner_org_id AND m.user_id = o.owner_user_id
       LEFT JOIN orgs oo ON oo.id = o.owner_org_id LEFT JOIN users u ON u.id = o.owner_user_id ORDER BY 1`,
  );
  const m = await d.client.query(
    `SELECT o.name AS org, u.email AS user, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id ORDER BY 1, 2`,
  );
  return { users, orgs: o.rows, memberships: m.rows };
}

const tenancy = (match = '') => `
  CREATE TABLE tenants (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE folders (id serial PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, name text NOT NULL, cover_doc_id int,
    UNIQUE (tenant_id, name), UNIQUE (tenant_id, id));
  CREATE TABLE docs (id serial PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants, folder_id int NOT NULL, title text NOT NULL,
    UNIQUE (tenant_id, title), UNIQUE (tenant_id, id), FOREIGN KEY (tenant_id, folder_id) REFERENCES folders (tenant_id, id));
  ALTER TABLE folders ADD FOREIGN KEY (tenant_id, cover_doc_id) REFERENCES docs (tenant_id, id) ${match};`;

const TENANCY_DATA = `
  INSERT INTO tenants (name) VALUES ('acme'), ('globex');
  INSERT INTO folders (tenant_id, name) VALUES (1, 'handbook'), (1, 'drafts'), (2, 'handbook');
  INSERT INTO docs (tenant_id, folder_id, title) VALUES (1, 1, 'welcome'), (1, 1, 'policies'), (1, 2, 'idea'), (2, 3, 'hello');
  UPDATE folders SET cover_doc_id = 2 WHERE id = 1;
  UPDATE folders SET cover_doc_id = 4 WHERE id = 3;`;

const TENANCY_ROWS = {
  folders: [
    { tenant: 'acme', name: 'drafts', cover: null },
    { tenant: 'acme', name: 'handbook', cover: 'policies' },
    { tenant: 'globex', name: 'handbook', cover: 'hello' },
  ],
  docs: [
    { tenant: 'acme', title: 'idea', folder: 'drafts' },
    { tenant: 'acme', title: 'policies', folder: 'handbook' },
    { tenant: 'acme', title: 'welcome', folder: 'handbook' },
    { tenant: 'globex', title: 'hello', folder: 'handbook' },
  ],
};

/** Every folder and doc, ids replaced by what they point at, through the tenant-scoped keys. */
async function tenancyRows(d: TestDb) {
  const f = await d.client.query(
    `SELECT t.name AS tenant, f.name, c.title AS cover FROM folders f JOIN tenants t ON t.id = f.tenant_id
       LEFT JOIN docs c ON c.tenant_id = f.tenant_id AND c.id = f.cover_doc_id ORDER BY 1, 2`,
  );
  const dd = await d.client.query(
    `SELECT t.name AS tenant, d.title, f.name AS folder FROM docs d JOIN tenants t ON t.id = d.tenant_id
       JOIN folders f ON f.tenant_id = d.tenant_id AND f.id = d.folder_id ORDER BY 1, 2`,
  );
  return { folders: f.rows, docs: dd.rows };
}

/** The diff's kinds of rows per table (only those it has), as a merge of `archive` into `d` would see them. */
async function diffKinds(d: TestDb, archive: string, base?: string): Promise<Record<string, Partial<Record<DiffKind, number>>>> {
  const s = await openDiff({ db: dbTarget(d.url), archive, base });
  sessions.push(s);
  return Object.fromEntries(s.summary.tables.map((t) => [t.table, Object.fromEntries(Object.entries(t.counts).filter(([, n]) => n > 0))]));
}

/** Imports `file` into `d` once more in merge mode: nothing is written, no row rewritten. */
async function expectNothingRewritten(d: TestDb, file: string, tables: string[]) {
  const before = await rowVersions(d.client, tables);
  const again = await importInto(d, file, 'merge');
  expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
  expect(again.failures).toEqual([]);
  expect(await rowVersions(d.client, tables)).toEqual(before);
}

describe('the plan', () => {
  test('fills both columns of orgs → memberships late, each rewritten through its own table, and says so', async () => {
    for (const match of ['', 'MATCH FULL']) {
      const d = await db(orgs(match));
      const plan = await planWith(d.client);
      expect(plan.cycles).toEqual([{ tables: ['memberships', 'orgs'], lateColumns: ['orgs.owner_org_id, owner_user_id'] }]);
      const refs = plan.tables.find((t) => t.name === 'orgs')!.references;
      expect(refs.map((r) => [r.columns.join(','), r.parent, r.late, r.self])).toEqual([
        ['owner_org_id,owner_user_id', 'memberships', true, false],
        ['owner_org_id', 'orgs', true, true],
        ['owner_user_id', 'users', true, false],
      ]);
      const text = formatPlan({ plan, server: { version: '16', database: 'x', systemIdentifier: null } });
      expect(text.split('\n').filter((l) => /reference: owner_org_id, owner_user_id/.test(l))).toEqual([
        '      reference: owner_org_id, owner_user_id → memberships(org_id, user_id) (owner_org_id rewritten through orgs (its own rows), owner_user_id rewritten through users, filled late)',
      ]);
    }
  });

  test('breaks folders (tenant_id, cover_doc_id) → docs with cover_doc_id alone under MATCH SIMPLE; refuses it under MATCH FULL', async () => {
    const simple = await planWith((await db(tenancy())).client);
    expect(simple.cycles).toEqual([{ tables: ['docs', 'folders'], lateColumns: ['folders.cover_doc_id'] }]);
    const folders = simple.tables.find((t) => t.name === 'folders')!;
    expect(folders.references.filter((r) => r.late).map((r) => [r.columns.join(','), r.parent])).toEqual([
      ['tenant_id,cover_doc_id', 'docs'],
      ['cover_doc_id', 'docs'],
    ]);
    expect(simple.tables.map((t) => [t.name, t.level])).toEqual([
      ['tenants', 0],
      ['folders', 1],
      ['docs', 2],
    ]);
    const text = formatPlan({ plan: simple, server: { version: '16', database: 'x', systemIdentifier: null } });
    expect(text.split('\n').filter((l) => /reference: tenant_id, cover_doc_id/.test(l))).toEqual([
      '      reference: tenant_id, cover_doc_id → docs(tenant_id, id) (cover_doc_id rewritten through docs, tenant_id copied as is, filled late: cover_doc_id (NULL until then))',
    ]);

    const full = await db(tenancy('MATCH FULL'));
    const error = await planWith(full.client).catch((e) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect(error.message).toBe(
      'Tables docs, folders reference each other in a cycle that no nullable foreign-key column can break (every candidate is NOT NULL, part of a natural key, or in a MATCH FULL key with NOT NULL columns). Make one of those columns nullable, or exclude a table.',
    );
  });
});

describe('orgs ⇄ memberships through a multi-column reference filled late', () => {
  test('imports into an empty database in skip and in merge mode, MATCH SIMPLE and MATCH FULL; a second merge rewrites nothing', async () => {
    for (const match of ['', 'MATCH FULL']) {
      const src = await db(orgs(match) + ORGS_DATA);
      const file = join(dir, `orgs-${match ? 'full' : 'simple'}.tar.gz`);
      await exportDb(src, file);
      for (const mode of ['skip', 'merge'] as const) {
        const dst = await db(orgs(match));
        const report = await importInto(dst, file, mode);
        expect(report.failures).toEqual([]);
        expect(report.warnings).toEqual([]);
        expect(counts(report)).toMatchObject({
          users: { inserted: 3 },
          orgs: { inserted: 3, updated: 0, failed: 0 },
          memberships: { inserted: 5, failed: 0 },
        });
        expect(await orgRows(dst)).toEqual(ORGS_ROWS);
        await expectNothingRewritten(dst, file, ['users', 'orgs', 'memberships']);
      }
    }
  });

  test('lands on its own rows in a target whose ids differ; the diff agrees with the merge; a second merge rewrites nothing', async () => {
    const src = await db(orgs() + ORGS_DATA);
    // The target holds its own rows at the source's ids, its sequences far ahead.
    const dst = await db(
      orgs() +
        `INSERT INTO users VALUES (1, 'dev1@x'), (2, 'dev2@x'), (3, 'dev3@x');
         INSERT INTO orgs (id, name) VALUES (1, 'dev-a'), (2, 'dev-b'), (3, 'dev-c');
         INSERT INTO memberships VALUES (1, 1, 'admin'), (2, 2, 'admin'), (3, 3, 'admin'), (1, 2, 'member');
         UPDATE orgs SET owner_org_id = id, owner_user_id = id;
         SELECT setval('users_id_seq', 500), setval('orgs_id_seq', 700);`,
    );
    const devRows = {
      users: ['dev1@x', 'dev2@x', 'dev3@x'],
      orgs: [
        { name: 'dev-a', owner_org: 'dev-a', owner: 'dev1@x', owner_role: 'admin' },
        { name: 'dev-b', owner_org: 'dev-b', owner: 'dev2@x', owner_role: 'admin' },
        { name: 'dev-c', owner_org: 'dev-c', owner: 'dev3@x', owner_role: 'admin' },
      ],
      memberships: [
        { org: 'dev-a', user: 'dev1@x', role: 'admin' },
        { org: 'dev-a', user: 'dev2@x', role: 'member' },
        { org: 'dev-b', user: 'dev2@x', role: 'admin' },
        { org: 'dev-c', user: 'dev3@x', role: 'admin' },
      ],
    };
    const file = join(dir, 'orgs-ids-differ.tar.gz');
    await exportDb(src, file);
    expect(await diffKinds(dst, file)).toEqual({
      users: { new: 3, target_only: 3 },
      orgs: { new: 3, target_only: 3 },
      memberships: { new: 5, target_only: 4 },
    });
    const report = await importInto(dst, file, 'skip');
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({ users: { inserted: 3 }, orgs: { inserted: 3 }, memberships: { inserted: 5 } });
    const merged = (a: typeof devRows, b: typeof ORGS_ROWS) => ({
      users: [...a.users, ...b.users].sort(),
      orgs: [...a.orgs, ...b.orgs].sort((x, y) => x.name.localeCompare(y.name)),
      memberships: [...a.memberships, ...b.memberships].sort((x, y) => `${x.org} ${x.user}`.localeCompare(`${y.org} ${y.user}`)),
    });
    expect(await orgRows(dst)).toEqual(merged(devRows, ORGS_ROWS));
    // New ids past the target's sequences, not the source's.
    const ids = await dst.client.query(`SELECT name, id, owner_org_id, owner_user_id FROM orgs WHERE name LIKE 'o%' ORDER BY 1`);
    expect(ids.rows).toEqual([
      { name: 'o1', id: 701, owner_org_id: 701, owner_user_id: 501 },
      { name: 'o2', id: 702, owner_org_id: 702, owner_user_id: 502 },
      { name: 'o3', id: 703, owner_org_id: 703, owner_user_id: 503 },
    ]);
    expect(await diffKinds(dst, file)).toEqual({
      users: { identical: 3, target_only: 3 },
      orgs: { identical: 3, target_only: 3 },
      memberships: { identical: 5, target_only: 4 },
    });
    await expectNothingRewritten(dst, file, ['users', 'orgs', 'memberships']);
  });

  test("dev's new org and changed owner merge back: the diff agrees, undo puts production back exactly", async () => {
    const prod = await db(orgs() + ORGS_DATA + `SELECT setval('orgs_id_seq', 40), setval('users_id_seq', 40);`);
    const dev = await db(orgs());
    const seed = join(dir, 'orgs-seed.tar.gz');
    await exportDb(prod, seed);
    await importInto(dev, seed, 'merge');
    // Production moves on meanwhile: rows at the ids dev will draw.
    await prod.client.query(
      `INSERT INTO users VALUES (4, 'prod4@x'); INSERT INTO orgs (id, name) VALUES (4, 'prod-o4');
       INSERT INTO memberships VALUES (4, 4, 'admin'); UPDATE orgs SET owner_org_id = 4, owner_user_id = 4 WHERE id = 4;`,
    );
    await dev.client.query(
      `INSERT INTO users (email) VALUES ('d@x'); INSERT INTO orgs (name) VALUES ('o4');
       INSERT INTO memberships SELECT o.id, u.id, 'admin' FROM orgs o, users u WHERE o.name = 'o4' AND u.email = 'd@x';
       UPDATE orgs o SET owner_org_id = o.id, owner_user_id = u.id FROM users u WHERE o.name = 'o4' AND u.email = 'd@x';
       UPDATE orgs SET owner_user_id = 2 WHERE name = 'o1';`,
    );
    const devFile = join(dir, 'orgs-dev.tar.gz');
    await exportDb(dev, devFile);

    expect(await diffKinds(prod, devFile, seed)).toEqual({
      users: { identical: 3, new: 1, target_only: 1 },
      orgs: { identical: 2, changed: 1, new: 1, target_only: 1 },
      memberships: { identical: 5, new: 1, target_only: 1 },
    });
    const before = await snapshot(prod.client);
    const report = await importInto(prod, devFile, 'merge', { base: seed });
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({
      users: { inserted: 1, updated: 0 },
      orgs: { inserted: 1, updated: 1, unchanged: 2 },
      memberships: { inserted: 1, updated: 0 },
    });
    expect(await orgRows(prod)).toEqual({
      users: ['a@x', 'b@x', 'c@x', 'd@x', 'prod4@x'],
      orgs: [
        { name: 'o1', owner_org: 'o1', owner: 'b@x', owner_role: 'member' },
        { name: 'o2', owner_org: 'o2', owner: 'b@x', owner_role: 'admin' },
        { name: 'o3', owner_org: 'o3', owner: 'c@x', owner_role: 'guest' },
        { name: 'o4', owner_org: 'o4', owner: 'd@x', owner_role: 'admin' },
        { name: 'prod-o4', owner_org: 'prod-o4', owner: 'prod4@x', owner_role: 'admin' },
      ],
      memberships: [
        ...ORGS_ROWS.memberships,
        { org: 'o4', user: 'd@x', role: 'admin' },
        { org: 'prod-o4', user: 'prod4@x', role: 'admin' },
      ],
    });
    const merged = await orgRows(prod);

    const undone = await undoImport({ db: dbTarget(prod.url) });
    expect(undone.changed).toEqual([]);
    expect(Object.fromEntries(undone.tables.map((t) => [t.table, [t.deleted, t.restored]]))).toEqual({
      users: [1, 0],
      orgs: [1, 1],
      memberships: [1, 0],
    });
    // Every row as before; the lineage store the import created is left, empty.
    expect(await snapshot(prod.client)).toEqual({ '_mr4.lineage': [], ...before });
    // Merged again, it lands as before; once more, it rewrites nothing.
    await importInto(prod, devFile, 'merge', { base: seed });
    expect(await orgRows(prod)).toEqual(merged);
    await expectNothingRewritten(prod, devFile, ['users', 'orgs', 'memberships']);
  });

  test('a late value naming a membership the target refused is named, and nothing is written to it (foreign-key triggers off too)', async () => {
    const src = await db(orgs() + ORGS_DATA);
    const file = join(dir, 'orgs-refused.tar.gz');
    await exportDb(src, file);
    for (const disableTriggers of [false, true]) {
      // The target does not take guests: o3's owner membership is refused, and with it o3's owner.
      const dst = await db(orgs() + `ALTER TABLE memberships ADD CHECK (role <> 'guest');`);
      await expectOwnerLeftUnset(dst, await importInto(dst, file, 'merge', { allowFailures: true, disableTriggers }));
    }
  });
});

/** o3's owner names the membership the target refused: named, and left NULL. */
async function expectOwnerLeftUnset(dst: TestDb, report: ImportReport) {
  expect(counts(report)).toMatchObject({ orgs: { inserted: 3, failed: 0 }, memberships: { inserted: 4, failed: 1 } });
  expect(report.failures).toEqual([
    expect.objectContaining({ table: 'memberships', reason: 'violates check constraint memberships_role_check' }),
    {
      table: 'orgs',
      key: { name: 'o3' },
      row: 3,
      column: 'owner_org_id, owner_user_id',
      reason: 'owner_org_id, owner_user_id refers to a memberships row that does not exist in the target; left unchanged',
    },
  ]);
  expect((await orgRows(dst)).orgs).toEqual([
    { name: 'o1', owner_org: 'o1', owner: 'a@x', owner_role: 'admin' },
    { name: 'o2', owner_org: 'o2', owner: 'b@x', owner_role: 'admin' },
    { name: 'o3', owner_org: null, owner: null, owner_role: null },
  ]);
}

describe('folders ⇄ docs through a tenant-scoped key filled late (MATCH SIMPLE)', () => {
  test('exports and imports into an empty database and into one whose ids differ; a second merge rewrites nothing', async () => {
    const src = await db(tenancy() + TENANCY_DATA);
    const file = join(dir, 'tenancy.tar.gz');
    await exportDb(src, file);
    for (const mode of ['skip', 'merge'] as const) {
      const dst = await db(tenancy());
      const report = await importInto(dst, file, mode);
      expect(report.failures).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(counts(report)).toMatchObject({ tenants: { inserted: 2 }, folders: { inserted: 3 }, docs: { inserted: 4 } });
      expect(await tenancyRows(dst)).toEqual(TENANCY_ROWS);
      await expectNothingRewritten(dst, file, ['tenants', 'folders', 'docs']);
    }

    const dst = await db(
      tenancy() +
        `INSERT INTO tenants VALUES (1, 'dev'), (2, 'acme');
         INSERT INTO folders (id, tenant_id, name) VALUES (1, 1, 'scratch'), (2, 2, 'inbox');
         INSERT INTO docs (id, tenant_id, folder_id, title) VALUES (1, 1, 1, 'notes'), (2, 2, 2, 'policies-dev'), (4, 2, 2, 'hello');
         UPDATE folders SET cover_doc_id = 1 WHERE id = 1;
         SELECT setval('tenants_id_seq', 50), setval('folders_id_seq', 60), setval('docs_id_seq', 70);`,
    );
    expect(await diffKinds(dst, file)).toEqual({
      tenants: { identical: 1, new: 1, target_only: 1 },
      folders: { new: 3, target_only: 2 },
      docs: { new: 4, target_only: 3 },
    });
    const report = await importInto(dst, file, 'merge');
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({ tenants: { inserted: 1 }, folders: { inserted: 3 }, docs: { inserted: 4 } });
    expect(await tenancyRows(dst)).toEqual({
      folders: [
        ...TENANCY_ROWS.folders.slice(0, 2),
        { tenant: 'acme', name: 'inbox', cover: null },
        { tenant: 'dev', name: 'scratch', cover: 'notes' },
        TENANCY_ROWS.folders[2],
      ],
      docs: [
        { tenant: 'acme', title: 'hello', folder: 'inbox' },
        ...TENANCY_ROWS.docs.slice(0, 2),
        { tenant: 'acme', title: 'policies-dev', folder: 'inbox' },
        TENANCY_ROWS.docs[2],
        { tenant: 'dev', title: 'notes', folder: 'scratch' },
        TENANCY_ROWS.docs[3],
      ],
    });
    expect(await diffKinds(dst, file)).toEqual({
      tenants: { identical: 2, target_only: 1 },
      folders: { identical: 3, target_only: 2 },
      docs: { identical: 4, target_only: 3 },
    });
    await expectNothingRewritten(dst, file, ['tenants', 'folders', 'docs']);
  });

  test("dev's new cover merges back, the diff agrees, and undo puts production back exactly", async () => {
    const prod = await db(tenancy() + TENANCY_DATA + `SELECT setval('docs_id_seq', 30), setval('folders_id_seq', 30);`);
    const dev = await db(tenancy());
    const seed = join(dir, 'tenancy-seed.tar.gz');
    await exportDb(prod, seed);
    await importInto(dev, seed, 'merge');
    await prod.client.query(
      `INSERT INTO folders (id, tenant_id, name) VALUES (4, 1, 'prod-only'); INSERT INTO docs (id, tenant_id, folder_id, title) VALUES (5, 1, 4, 'prod doc');`,
    );
    await dev.client.query(
      `INSERT INTO folders (tenant_id, name) VALUES (1, 'reports');
       INSERT INTO docs (tenant_id, folder_id, title) SELECT 1, id, 'q1' FROM folders WHERE name = 'reports';
       UPDATE folders f SET cover_doc_id = d.id FROM docs d WHERE f.name = 'reports' AND d.title = 'q1';
       UPDATE folders f SET cover_doc_id = d.id FROM docs d WHERE f.name = 'drafts' AND d.title = 'idea';`,
    );
    const devFile = join(dir, 'tenancy-dev.tar.gz');
    await exportDb(dev, devFile);
    expect(await diffKinds(prod, devFile, seed)).toEqual({
      tenants: { identical: 2 },
      folders: { identical: 2, changed: 1, new: 1, target_only: 1 },
      docs: { identical: 4, new: 1, target_only: 1 },
    });
    const before = await snapshot(prod.client);
    const report = await importInto(prod, devFile, 'merge', { base: seed });
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({ folders: { inserted: 1, updated: 1, unchanged: 2 }, docs: { inserted: 1, updated: 0 } });
    expect(await tenancyRows(prod)).toEqual({
      folders: [
        { tenant: 'acme', name: 'drafts', cover: 'idea' },
        TENANCY_ROWS.folders[1],
        { tenant: 'acme', name: 'prod-only', cover: null },
        { tenant: 'acme', name: 'reports', cover: 'q1' },
        TENANCY_ROWS.folders[2],
      ],
      docs: [
        TENANCY_ROWS.docs[0],
        TENANCY_ROWS.docs[1],
        { tenant: 'acme', title: 'prod doc', folder: 'prod-only' },
        { tenant: 'acme', title: 'q1', folder: 'reports' },
        TENANCY_ROWS.docs[2],
        TENANCY_ROWS.docs[3],
      ],
    });
    const merged = await tenancyRows(prod);

    const undone = await undoImport({ db: dbTarget(prod.url) });
    expect(undone.changed).toEqual([]);
    expect(Object.fromEntries(undone.tables.map((t) => [t.table, [t.deleted, t.restored]]))).toEqual({ folders: [1, 1], docs: [1, 0] });
    // Every row as before; the lineage store the import created is left, empty.
    expect(await snapshot(prod.client)).toEqual({ '_mr4.lineage': [], ...before });
    await importInto(prod, devFile, 'merge', { base: seed });
    expect(await tenancyRows(prod)).toEqual(merged);
    await expectNothingRewritten(prod, devFile, ['tenants', 'folders', 'docs']);
  });
});
