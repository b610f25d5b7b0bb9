// How rows are recognised: NULL keys by content, keys that name a parent in the same table level by
// level, keyless tables as multisets, partial exports through their parents' natural keys.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { compareDatabases, rowVersions } from '../helpers/compare';
import { exportDb, databasesForFile, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

async function roundTrip(src: TestDb, dst: TestDb, name: string, mode: 'skip' | 'merge' = 'merge') {
  const file = join(dir, `${name}.tar.gz`);
  await exportDb(src, file);
  return { file, report: await importInto(dst, file, mode) };
}

describe('rows whose key is NULL', () => {
  const schema = `CREATE TABLE img (id serial PRIMARY KEY, xmlid text UNIQUE, name text NOT NULL, url text);`;
  test('are matched by content: identical ones are found, changed ones come in as new', async () => {
    const src = await db(
      schema +
        `INSERT INTO img (xmlid, name, url) VALUES ('a', 'A', 'u1'), (NULL, 'loose', 'u2'), (NULL, 'loose', 'u2'), (NULL, 'other', 'u3');`,
    );
    const dst = await db(
      schema + `INSERT INTO img (xmlid, name, url) VALUES (NULL, 'x', 'x'), (NULL, 'loose', 'u2'), ('a', 'A old', 'u1');`,
    );
    const { report, file } = await roundTrip(src, dst, 'nullkey');
    // 'a' is updated by key; one 'loose' exists already, the second copy and 'other' are new.
    expect(report.tables[0]).toMatchObject({ inserted: 2, updated: 1, unchanged: 1 });
    expect(await compareDatabases(src.client, dst.client, { targetMayHaveMore: true })).toEqual([]);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0 });
  });
});

describe('a key that names a parent in the same table', () => {
  const legacySchema = `CREATE TABLE folder (id serial PRIMARY KEY, parent_id int REFERENCES folder(id), name text NOT NULL, note text,
                                             UNIQUE (parent_id, name));`;
  test('is matched level by level through the parents already matched', async () => {
    // "docs/a" exists in both trees at different ids; the source's tree is deeper.
    const src = await db(
      legacySchema +
        `
      INSERT INTO folder (id, parent_id, name) VALUES (1, NULL, 'root'), (2, 1, 'docs'), (3, 2, 'a'), (4, 3, 'deep'), (5, 1, 'src');
      UPDATE folder SET note = 'changed' WHERE id = 3;`,
    );
    const dst = await db(
      legacySchema +
        `
      INSERT INTO folder (id, parent_id, name) VALUES (7, NULL, 'root'), (8, 7, 'src'), (9, 7, 'docs'), (10, 9, 'a'), (11, 7, 'mine');
      SELECT setval('folder_id_seq', 11);`,
    );
    const { report, file } = await roundTrip(src, dst, 'tree');
    expect(report.failures).toEqual([]);
    // root matches by content (its key is NULL); docs, a and src by key through their parents.
    expect(report.tables[0]).toMatchObject({ inserted: 1, updated: 1, unchanged: 3 });
    const path = (
      await dst.client.query(
        `SELECT f3.name || '/' || f2.name || '/' || f1.name AS p FROM folder f1 JOIN folder f2 ON f2.id = f1.parent_id JOIN folder f3 ON f3.id = f2.parent_id WHERE f1.name = 'deep'`,
      )
    ).rows;
    expect(path).toEqual([{ p: 'docs/a/deep' }]);
    expect(await compareDatabases(src.client, dst.client, { targetMayHaveMore: true })).toEqual([]);
    const before = await rowVersions(dst.client, ['folder']);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(dst.client, ['folder'])).toEqual(before);
  });
});

describe('a parent in the same table, outside any key', () => {
  const schema = `CREATE TABLE issues (id serial PRIMARY KEY, subject text NOT NULL, parent_id int REFERENCES issues);`;
  const tree = async (t: TestDb) =>
    (
      await t.client.query(
        `SELECT c.subject, p.subject AS parent, count(*)::int AS n FROM issues c LEFT JOIN issues p ON p.id = c.parent_id
         GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST`,
      )
    ).rows;
  const prod = `INSERT INTO issues VALUES (1, 'Epic A', NULL), (2, 'Epic B', NULL), (3, 'Write tests', 1), (4, 'Write tests', 2),
                  (5, 'Unit', 3), (6, 'Self', 6); SELECT setval('issues_id_seq', 6);`;
  const dev = `INSERT INTO issues VALUES (101, 'Dev epic', NULL), (102, 'Write tests', 101), (103, 'Epic A', NULL), (104, 'Unit', 102);
               SELECT setval('issues_id_seq', 1000);`;
  const expected = [
    { subject: 'Dev epic', parent: null, n: 1 },
    { subject: 'Epic A', parent: null, n: 1 },
    { subject: 'Epic B', parent: null, n: 1 },
    { subject: 'Self', parent: 'Self', n: 1 },
    { subject: 'Unit', parent: 'Write tests', n: 2 },
    { subject: 'Write tests', parent: 'Dev epic', n: 1 },
    { subject: 'Write tests', parent: 'Epic A', n: 1 },
    { subject: 'Write tests', parent: 'Epic B', n: 1 },
  ];

  test.each(['skip', 'merge'] as const)(
    'is part of what a row is: equal content under another parent is another row (%s)',
    async (mode) => {
      const src = await db(schema + prod);
      const dst = await db(schema + dev);
      const { report, file } = await roundTrip(src, dst, `self-${mode}`, mode);
      // Epic A is dev's own root; every "Write tests" and "Unit" sits under a different parent than dev's.
      expect(report.tables[0]).toMatchObject(
        mode === 'skip' ? { inserted: 5, updated: 0, skipped: 1 } : { inserted: 5, updated: 0, unchanged: 1 },
      );
      expect(await tree(dst)).toEqual(expected);
      const devRows = await dst.client.query(
        `SELECT c.id, p.id AS parent FROM issues c LEFT JOIN issues p ON p.id = c.parent_id WHERE c.id > 100 ORDER BY 1`,
      );
      expect(devRows.rows).toEqual([
        { id: 101, parent: null },
        { id: 102, parent: 101 },
        { id: 103, parent: null },
        { id: 104, parent: 102 },
      ]);
      const unit = await dst.client.query(
        `SELECT p.subject FROM issues c JOIN issues p ON p.id = c.parent_id WHERE c.subject = 'Unit' AND c.id < 1000 AND c.id > 100`,
      );
      expect(unit.rows).toEqual([{ subject: 'Write tests' }]);
      const before = await rowVersions(dst.client, ['issues']);
      expect(totals(await importInto(dst, file, mode))).toMatchObject({ inserted: 0, updated: 0 });
      expect(await rowVersions(dst.client, ['issues'])).toEqual(before);
    },
  );
});

describe('a parent in the same table whose rows have a nullable key', () => {
  const schema = `CREATE TABLE cat (id serial PRIMARY KEY, code text UNIQUE, name text NOT NULL, parent_id int REFERENCES cat);`;
  test('a keyless child is matched by content once its parent is matched by key', async () => {
    const src = await db(schema + `INSERT INTO cat VALUES (1, 'root', 'Root', NULL), (2, NULL, 'leaf', 1), (3, NULL, 'leaf', NULL);`);
    const dst = await db(
      schema +
        `INSERT INTO cat VALUES (50, 'root', 'Root', NULL), (51, NULL, 'leaf', 50), (52, NULL, 'leaf', 51); SELECT setval('cat_id_seq', 52);`,
    );
    const { report } = await roundTrip(src, dst, 'nullable-key-tree');
    // leaf under root is 51; the root-level leaf is new (52 is a leaf under a leaf), at its own free id.
    expect(report.tables[0]).toMatchObject({ inserted: 1, updated: 0, unchanged: 2 });
    const rows = await dst.client.query(`SELECT id, parent_id FROM cat WHERE name = 'leaf' ORDER BY id`);
    expect(rows.rows).toEqual([
      { id: 3, parent_id: null },
      { id: 51, parent_id: 50 },
      { id: 52, parent_id: 51 },
    ]);
  });
});

describe('tables without any key', () => {
  const schema = `CREATE TABLE log (id serial PRIMARY KEY, actor text, action text, at timestamptz);`;
  test('are multisets: n equal archived rows match at most n equal target rows, never updated', async () => {
    const src = await db(
      schema +
        `INSERT INTO log (actor, action, at) VALUES ('a', 'x', '2020-01-01'), ('a', 'x', '2020-01-01'), ('a', 'x', '2020-01-01'), ('b', 'y', NULL);`,
    );
    const dst = await db(
      schema + `INSERT INTO log (actor, action, at) VALUES ('a', 'x', '2020-01-01'), ('b', 'y', NULL), ('c', 'z', NULL);`,
    );
    const { report, file } = await roundTrip(src, dst, 'log');
    expect(report.tables[0]).toMatchObject({ inserted: 2, updated: 0, unchanged: 2 });
    expect((await dst.client.query(`SELECT count(*)::int AS n FROM log WHERE actor = 'a'`)).rows[0].n).toBe(3);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  });
});

describe('partial exports', () => {
  const schema = `
    CREATE TABLE project (id serial PRIMARY KEY, code text NOT NULL UNIQUE, title text);
    CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, secret text);
    CREATE TABLE event (id serial PRIMARY KEY, xmlid text NOT NULL UNIQUE, project_id int NOT NULL REFERENCES project(id),
                        owner_id int REFERENCES person(id), title text);`;
  test('carry the natural keys of every parent their rows point at, and import into a target that has those parents', async () => {
    const src = await db(
      schema +
        `
      INSERT INTO project (code, title) VALUES ('p1', 'One'), ('p2', 'Two'), ('p3', 'Unused');
      INSERT INTO person (email, secret) VALUES ('a@x', 'hash-a'), ('b@x', 'hash-b');
      INSERT INTO event (xmlid, project_id, owner_id, title) VALUES ('e1', 1, 2, 'E1'), ('e2', 2, NULL, 'E2');`,
    );
    const dst = await db(
      schema +
        `
      INSERT INTO person (email) VALUES ('z@x'), ('b@x'), ('a@x');
      INSERT INTO project (code) VALUES ('p9'), ('p2'), ('p1');`,
    );
    const file = join(dir, 'partial.tar.gz');
    const exported = await exportDb(src, file, { tables: ['event'] });
    expect(exported.tables.map((t) => [t.table, t.role, t.rows])).toEqual(
      expect.arrayContaining([
        ['event', 'data', 2],
        ['project', 'reference', 2],
        ['person', 'reference', 1],
      ]),
    );
    const report = await importInto(dst, file, 'merge');
    expect(report.tables.map((t) => t.table)).toEqual(['event']);
    expect(report.tables[0]).toMatchObject({ inserted: 2 });
    const rows = (
      await dst.client.query(
        `SELECT e.xmlid, p.code, o.email FROM event e JOIN project p ON p.id = e.project_id LEFT JOIN person o ON o.id = e.owner_id ORDER BY 1`,
      )
    ).rows;
    expect(rows).toEqual([
      { xmlid: 'e1', code: 'p1', email: 'b@x' },
      { xmlid: 'e2', code: 'p2', email: null },
    ]);
    // Reference tables carry only what identifies a row: no titles, no secrets, and nothing is written to them.
    expect((await dst.client.query(`SELECT title FROM project WHERE code = 'p1'`)).rows[0].title).toBeNull();
  });

  test('a parent missing from the target is named, and nothing is written', async () => {
    const src = await db(schema + `INSERT INTO project (code) VALUES ('p1'); INSERT INTO event (xmlid, project_id) VALUES ('e1', 1);`);
    const dst = await db(schema);
    const file = join(dir, 'partial-missing.tar.gz');
    await exportDb(src, file, { tables: ['event'] });
    const error = await importInto(dst, file, 'merge').catch((e) => e);
    expect(error.rows).toEqual([
      expect.objectContaining({
        table: 'event',
        key: { xmlid: 'e1' },
        reason: expect.stringMatching(/project row that does not exist in the target/),
      }),
    ]);
    expect((await dst.client.query('SELECT count(*)::int AS n FROM event')).rows[0].n).toBe(0);
  });
});

describe('partitioned tables', () => {
  const schema = `
    CREATE TABLE reading (id bigserial, code text NOT NULL, day date NOT NULL, value numeric, PRIMARY KEY (id, day), UNIQUE (code, day))
      PARTITION BY RANGE (day);
    CREATE TABLE reading_2024 PARTITION OF reading FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE reading_2025 PARTITION OF reading FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;
  test('import through the parent, merge again without rewrites, and diff rows of different partitions apart', async () => {
    const src = await db(
      schema + `INSERT INTO reading (code, day, value) SELECT 'r' || g, DATE '2024-06-01' + g * 2, g FROM generate_series(1, 200) g;`,
    );
    const dst = await db(
      schema + `INSERT INTO reading (code, day, value) VALUES ('only-2024', '2024-02-02', 1), ('only-2025', '2025-02-02', 2);`,
    );
    const { report, file } = await roundTrip(src, dst, 'partitioned');
    expect(report.tables).toEqual([expect.objectContaining({ table: 'reading', inserted: 200 })]);
    const before = await rowVersions(dst.client, ['reading']);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0, unchanged: 200 });
    expect(await rowVersions(dst.client, ['reading'])).toEqual(before);
    // The first rows of both partitions share a ctid; the diff still tells them apart.
    const session = await openDiff({ db: dbTarget(dst.url), archive: file });
    try {
      expect(session.summary.tables[0].counts).toMatchObject({ identical: 200, target_only: 2 });
      const only = await session.page({ table: 'reading', kinds: ['target_only'], offset: 0, limit: 10 });
      expect(only.rows.map((r) => r.key?.code).sort()).toEqual(['only-2024', 'only-2025']);
    } finally {
      await session.close();
    }
  });
});
