// A unique key on a stored generated column is enforced by the database like any other, though mr4
// never writes the column: the check before writing computes it from the values the row is written
// with, so the diff and the import name the row the key refuses, instead of the diff saying "new"
// and the import dying on the database's duplicate key. Review 4 F8.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `CREATE TABLE person (id serial PRIMARY KEY, first text NOT NULL, last text NOT NULL,
  full_lc text GENERATED ALWAYS AS (lower(first || ' ' || last)) STORED UNIQUE, phone text);`;
const REASON =
  'a different target row already has this full_lc (unique person_full_lc_key): {"id": "1"}, which this merge does not change. ' +
  'Leave this row out, or change one of the two rows';

async function people(d: TestDb): Promise<unknown[]> {
  return (await d.client.query('SELECT first, last, full_lc, phone FROM person ORDER BY id')).rows;
}

async function setUp(name: string) {
  const source = await db(`${SCHEMA} INSERT INTO person (first, last, phone) VALUES ('Ann', 'Lee', '1'), ('Bob', 'Ray', '3');`);
  const target = await db(`${SCHEMA} INSERT INTO person (first, last, phone) VALUES ('ANN', 'LEE', '2');`);
  const archive = join(dir, `${name}.tar.gz`);
  await exportDb(source, archive);
  return { target, archive };
}

test('the diff refuses the row whose generated value the target holds, naming the row it collides with', async () => {
  const { target, archive } = await setUp('diff');
  const diff = await openDiff({ db: dbTarget(target.url), archive });
  try {
    const rows = async (kind: 'new' | 'refused') =>
      (await diff.page({ table: 'person', kinds: [kind], offset: 0, limit: 10 })).rows.map((r) => [r.row, r.reason ?? null]);
    expect(await rows('refused')).toEqual([[1, REASON]]);
    expect(await rows('new')).toEqual([[2, null]]);
  } finally {
    await diff.close();
  }
});

for (const mode of ['skip', 'merge'] as const) {
  test(`${mode}: the import refuses that row by name before writing; --allow-failures writes the other`, async () => {
    const { target, archive } = await setUp(mode);
    const error = await importInto(target, archive, mode).catch((e: unknown) => e);
    expect((error as Error).name).toBe('RefusedRowsError');
    expect((error as { rows: unknown[] }).rows).toEqual([{ table: 'person', key: { id: '1' }, row: 1, reason: REASON }]);
    expect(await people(target)).toEqual([{ first: 'ANN', last: 'LEE', full_lc: 'ann lee', phone: '2' }]);

    const report = await importInto(target, archive, mode, { allowFailures: true });
    expect(report.tables).toEqual([{ table: 'person', inserted: 1, updated: 0, unchanged: 0, skipped: 0, failed: 1 }]);
    expect(await people(target)).toEqual([
      { first: 'ANN', last: 'LEE', full_lc: 'ann lee', phone: '2' },
      { first: 'Bob', last: 'Ray', full_lc: 'bob ray', phone: '3' },
    ]);
  });
}

test("merge: an update whose generated value a target row it leaves alone holds is refused by name; the target's rows stay", async () => {
  const source = await db(`${SCHEMA} INSERT INTO person (first, last, phone) VALUES ('Ann', 'Lee', '1'), ('Bob', 'Ray', '3');`);
  const target = await db(SCHEMA);
  const pull = join(dir, 'pull.tar.gz');
  await exportDb(source, pull);
  await importInto(target, pull, 'merge');
  await target.client.query(`INSERT INTO person (first, last, phone) VALUES ('Cid', 'Day', '4')`);
  await source.client.query(`UPDATE person SET first = 'CID', last = 'DAY' WHERE first = 'Bob'`);
  const archive = join(dir, 'edit.tar.gz');
  await exportDb(source, archive);

  const error = await importInto(target, archive, 'merge').catch((e: unknown) => e);
  expect((error as Error).name).toBe('RefusedRowsError');
  expect((error as { rows: unknown[] }).rows).toEqual([
    {
      table: 'person',
      key: { id: '2' },
      row: 2,
      reason:
        'a different target row already has this full_lc (unique person_full_lc_key): {"id": "3"}, which this merge does not change. ' +
        'Leave this row out, decide its first, last "target" to keep the target\'s value, or change one of the two rows',
    },
  ]);
  expect(await people(target)).toEqual([
    { first: 'Ann', last: 'Lee', full_lc: 'ann lee', phone: '1' },
    { first: 'Bob', last: 'Ray', full_lc: 'bob ray', phone: '3' },
    { first: 'Cid', last: 'Day', full_lc: 'cid day', phone: '4' },
  ]);
});
