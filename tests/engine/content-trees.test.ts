// Rows recognised by content whose parents are rows of the same table (no lineage between the two
// databases yet): rows that point at each other (a doubly linked list) are matched together, and equal
// siblings are paired with the one holding the same children.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { compareDatabases, rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const STEPS = `CREATE TABLE steps (id serial PRIMARY KEY, prev_id int REFERENCES steps, next_id int REFERENCES steps, label text NOT NULL);`;
const list = (first: number, labels: string[]) =>
  `INSERT INTO steps (id, label) VALUES ${labels.map((l, i) => `(${first + i}, '${l}')`).join(', ')};
   UPDATE steps SET next_id = id + 1 WHERE id < ${first + labels.length - 1};
   UPDATE steps SET prev_id = id - 1 WHERE id > ${first};
   SELECT setval('steps_id_seq', ${first + labels.length - 1});`;
const chain = async (d: { client: { query: (q: string) => Promise<{ rows: unknown[] }> } }) =>
  (
    await d.client.query(
      `SELECT s.label, p.label AS prev, n.label AS next FROM steps s LEFT JOIN steps p ON p.id = s.prev_id LEFT JOIN steps n ON n.id = s.next_id
       ORDER BY s.label, p.label NULLS FIRST, n.label NULLS FIRST`,
    )
  ).rows;

test('a doubly linked list already in the target is recognised whole, and nothing is written twice', async () => {
  const src = await db(STEPS + list(1, ['s1', 's2', 's3']));
  const dst = await db(STEPS + list(7, ['s1', 's2', 's3']));
  const file = join(dir, 'list.tar.gz');
  await exportDb(src, file);
  const before = await rowVersions(dst.client, ['steps']);
  for (const run of [1, 2]) {
    const report = await importInto(dst, file, 'merge', { lineage: false });
    expect({ run, ...totals(report) }).toMatchObject({ run, inserted: 0, updated: 0, unchanged: 3 });
  }
  expect(await rowVersions(dst.client, ['steps'])).toEqual(before);
  expect(await compareDatabases(src.client, dst.client)).toEqual([]);
});

test('a list that differs in one link is another list: only rows whose neighbours agree are the same rows', async () => {
  // The target's s2 is the last step; the source's s2 goes on to s3. s2 differs (its next), and so
  // s1, whose next is that s2; s3 is new. Nothing is paired with a row it does not equal.
  const src = await db(STEPS + list(1, ['s1', 's2', 's3']));
  const dst = await db(STEPS + list(7, ['s1', 's2']));
  const file = join(dir, 'list-diff.tar.gz');
  await exportDb(src, file);
  const report = await importInto(dst, file, 'merge', { lineage: false });
  expect(totals(report)).toMatchObject({ inserted: 3, updated: 0, unchanged: 0 });
  expect(await chain(dst)).toEqual([
    { label: 's1', prev: null, next: 's2' },
    { label: 's1', prev: null, next: 's2' },
    { label: 's2', prev: 's1', next: null },
    { label: 's2', prev: 's1', next: 's3' },
    { label: 's3', prev: 's2', next: null },
  ]);
  expect(totals(await importInto(dst, file, 'merge', { lineage: false }))).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
});

const NODES = `CREATE TABLE nodes (id serial PRIMARY KEY, parent_id int REFERENCES nodes, name text NOT NULL);`;
const paths = async (d: { client: { query: (q: string) => Promise<{ rows: unknown[] }> } }) =>
  (
    await d.client.query(
      `WITH RECURSIVE p AS (SELECT id, name::text AS path FROM nodes WHERE parent_id IS NULL
                            UNION ALL SELECT n.id, p.path || '/' || n.name FROM nodes n JOIN p ON n.parent_id = p.id)
       SELECT path, (SELECT count(*) FROM nodes c WHERE c.parent_id = p.id)::int AS children FROM p ORDER BY 1, 2`,
    )
  ).rows;

test('equal sibling folders are paired with the one holding the same children', async () => {
  // Both databases: root with two "New folder", one of them holding x; the ids and the order differ.
  const src = await db(
    NODES +
      `INSERT INTO nodes VALUES (1, NULL, 'root'), (2, 1, 'New folder'), (3, 1, 'New folder'), (4, 2, 'x');
       SELECT setval('nodes_id_seq', 4);`,
  );
  const dst = await db(
    NODES +
      `INSERT INTO nodes VALUES (11, NULL, 'root'), (12, 11, 'New folder'), (13, 11, 'New folder'), (14, 13, 'x');
       SELECT setval('nodes_id_seq', 14);`,
  );
  const file = join(dir, 'folders.tar.gz');
  await exportDb(src, file);
  const before = await rowVersions(dst.client, ['nodes']);
  const report = await importInto(dst, file, 'merge', { lineage: false });
  expect(totals(report)).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 });
  expect(await rowVersions(dst.client, ['nodes'])).toEqual(before);
  expect(await paths(dst)).toEqual([
    { path: 'root', children: 2 },
    { path: 'root/New folder', children: 0 },
    { path: 'root/New folder', children: 1 },
    { path: 'root/New folder/x', children: 0 },
  ]);
});
