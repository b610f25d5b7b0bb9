// A table whose every row is an insert leaves its unique keys to PostgreSQL's own check as each
// statement ends, and pays no check of its own when no value is taken. Where one is, the table's
// writes are taken back and the rows refused by name, exactly as a table checked first: the reason,
// the rows of the same table that point at a refused one, --allow-failures writing the rest. A
// DEFERRABLE key, which PostgreSQL checks only at commit, is checked first as before.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const PEOPLE = `CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, handle text UNIQUE,
  mentor_id int REFERENCES person(id));`;
const SOURCE_PEOPLE = `INSERT INTO person (email, handle, mentor_id) VALUES
  ('ann@x.org', 'ann', NULL), ('bob@x.org', 'bo', 1), ('cid@x.org', 'cid', 2), ('dee@x.org', NULL, 1);`;

async function people(d: TestDb): Promise<unknown[]> {
  const res = await d.client.query(
    `SELECT p.email, p.handle, m.email AS mentor FROM person p LEFT JOIN person m ON m.id = p.mentor_id ORDER BY p.email`,
  );
  return res.rows;
}

async function archiveOf(schema: string, seed: string, name: string): Promise<string> {
  const source = await db(schema + seed);
  const file = join(dir, name);
  await exportDb(source, file);
  return file;
}

describe('a unique value the target holds, found by the write', () => {
  for (const mode of ['skip', 'merge'] as const) {
    test(`${mode}: the row and the rows under it in the same table are refused by name; nothing is written`, async () => {
      const archive = await archiveOf(PEOPLE, SOURCE_PEOPLE, `people-${mode}.tar.gz`);
      const target = await db(`${PEOPLE} INSERT INTO person (email, handle) VALUES ('zed@x.org', 'bo');`);
      const before = await people(target);
      const error = await importInto(target, archive, mode).catch((e: unknown) => e);
      expect((error as Error).name).toBe('RefusedRowsError');
      expect((error as { rows: unknown[] }).rows).toEqual([
        {
          table: 'person',
          key: { email: 'bob@x.org' },
          row: 2,
          reason:
            'a different target row already has this handle (unique person_handle_key): {"email": "zed@x.org"}, which this merge does not change. ' +
            'Leave this row out, or change one of the two rows',
        },
        {
          table: 'person',
          key: { email: 'cid@x.org' },
          row: 3,
          column: 'mentor_id',
          reason: 'mentor_id refers to a person row that was refused',
        },
      ]);
      expect(await people(target)).toEqual(before);
    });
  }

  test('--allow-failures writes the other rows, once each, with their references', async () => {
    const archive = await archiveOf(PEOPLE, SOURCE_PEOPLE, 'people-allow.tar.gz');
    const target = await db(`${PEOPLE} INSERT INTO person (email, handle) VALUES ('zed@x.org', 'bo');`);
    const report = await importInto(target, archive, 'skip', { allowFailures: true });
    expect(report.tables).toEqual([{ table: 'person', inserted: 2, updated: 0, unchanged: 0, skipped: 0, failed: 2 }]);
    expect(await people(target)).toEqual([
      { email: 'ann@x.org', handle: 'ann', mentor: null },
      { email: 'dee@x.org', handle: null, mentor: 'ann@x.org' },
      { email: 'zed@x.org', handle: 'bo', mentor: null },
    ]);
  });

  test('a table written in several statements: the ones before the taken value are taken back too', async () => {
    // 45,000 rows are written in ranges; the value is taken in the last one.
    const schema = `CREATE TABLE reading (id serial PRIMARY KEY, serial_no text NOT NULL UNIQUE, label text UNIQUE, value int);`;
    const archive = await archiveOf(
      schema,
      `INSERT INTO reading (serial_no, label, value) SELECT 'S' || g, 'L' || g, g FROM generate_series(1, 45000) g;`,
      'readings.tar.gz',
    );
    const target = await db(`${schema} INSERT INTO reading (id, serial_no, label, value) VALUES (100000, 'X', 'L44000', -1);`);
    const report = await importInto(target, archive, 'skip', { allowFailures: true });
    expect(report.tables).toEqual([{ table: 'reading', inserted: 44999, updated: 0, unchanged: 0, skipped: 0, failed: 1 }]);
    expect(report.failures.map((f) => [f.key, f.reason])).toEqual([
      [
        { serial_no: 'S44000' },
        'a different target row already has this label (unique reading_label_key): {"serial_no": "X"}, which this merge does not change. Leave this row out, or change one of the two rows',
      ],
    ]);
    const stored = await target.client.query(
      `SELECT count(*)::int AS n, count(DISTINCT label)::int AS labels, sum(value)::bigint AS total FROM reading`,
    );
    expect(stored.rows).toEqual([{ n: 45000, labels: 45000, total: String((45000 * 45001) / 2 - 44000 - 1) }]);
  });

  test('two archived rows with one value the target keeps unique: both named, each with the other', async () => {
    // The source does not hold label unique; the target does.
    const archive = await archiveOf(
      `CREATE TABLE badge (id serial PRIMARY KEY, code text NOT NULL UNIQUE, label text);`,
      `INSERT INTO badge (code, label) VALUES ('a', 'gold'), ('b', 'gold'), ('c', 'silver');`,
      'badges.tar.gz',
    );
    const target = await db(`CREATE TABLE badge (id serial PRIMARY KEY, code text NOT NULL UNIQUE, label text UNIQUE);`);
    const report = await importInto(target, archive, 'skip', { allowFailures: true });
    expect(report.tables).toEqual([{ table: 'badge', inserted: 1, updated: 0, unchanged: 0, skipped: 0, failed: 2 }]);
    expect(report.failures.map((f) => [f.key, f.reason])).toEqual([
      [
        { code: 'a' },
        'another archived row would get the same label (unique badge_label_key): {"code": "b"}. Leave this row out, or change one of the two rows',
      ],
      [
        { code: 'b' },
        'another archived row would get the same label (unique badge_label_key): {"code": "a"}. Leave this row out, or change one of the two rows',
      ],
    ]);
    expect((await target.client.query('SELECT code, label FROM badge ORDER BY code')).rows).toEqual([{ code: 'c', label: 'silver' }]);
  });
});

test('a DEFERRABLE unique key is checked before writing: the row is named, not a failed commit', async () => {
  const schema = `CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL UNIQUE, code text,
    CONSTRAINT tag_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED);`;
  const archive = await archiveOf(schema, `INSERT INTO tag (name, code) VALUES ('red', 'r'), ('blue', 'b');`, 'tags.tar.gz');
  const target = await db(`${schema} INSERT INTO tag (name, code) VALUES ('ruby', 'r');`);
  const error = await importInto(target, archive, 'skip').catch((e: unknown) => e);
  expect((error as Error).name).toBe('RefusedRowsError');
  expect((error as { rows: unknown[] }).rows).toEqual([
    {
      table: 'tag',
      key: { name: 'red' },
      row: 1,
      reason:
        'a different target row already has this code (unique tag_code): {"name": "ruby"}, which this merge does not change. ' +
        'Leave this row out, or change one of the two rows',
    },
  ]);
  expect((await target.client.query('SELECT name, code FROM tag ORDER BY id')).rows).toEqual([{ name: 'ruby', code: 'r' }]);
});
