// Real-world case: two copies of the same database that mr4 never synced (both restored from the same
// Chinook dump, or a pg_dump of production loaded into dev) hold the same rows at the same ids. An
// employee's title is edited in one of them. Chinook has no natural key, so by content that employee
// is new; by id it is the target's employee 3, which it resembles in every other field. Without a
// lineage of ids, the import must not guess: it stops before writing anything, naming the row, until
// the user says "same" (update it), "new" (insert it), or that ids are shared (sameIds).
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { fingerprint, rowCounts } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { fixtureSchema, fixtureSql, importWith, lineageCount, logicalTables, rejection } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

let archives = 0;
async function exported(d: TestDb): Promise<string> {
  const file = join(dir, `probable-${++archives}.tar.gz`);
  await exportDb(d, file);
  return file;
}

/** Two databases loaded from the same fixture: the same rows at the same ids, never synced by mr4. */
async function neverSynced() {
  return { source: await db(fixtureSql('chinook-like')), target: await db(fixtureSql('chinook-like')) };
}

const JANE = 3; // Sales Support Agent, support rep of 20 customers
const ROBERT = 7; // IT Staff: no customers, nobody reports to him

const title = async (d: TestDb, id: number) =>
  (await d.client.query(`SELECT title FROM employee WHERE employee_id = ${id}`)).rows[0]?.title as string;

/** Expects a ProbableEditsError listing exactly one row: the employee with target id `id`. */
async function expectProbableEdit(promise: Promise<unknown>, id: number): Promise<void> {
  const error = await rejection(promise);
  expect(error.name).toBe('ProbableEditsError');
  expect(error.rows?.map((r) => r.table)).toEqual(['employee']);
  const entry = error.rows![0];
  expect(entry.reason).toEqual(expect.any(String));
  // Named by its content (Peacock) or by the id of the target row it resembles.
  expect(JSON.stringify({ key: entry.key, reason: entry.reason })).toMatch(new RegExp(`Peacock|employee_id\\D{1,8}${id}\\b`));
}

describe('probable edits between databases never synced by mr4 (chinook-like)', () => {
  test('stop the import before anything is written, naming the row', async () => {
    const { source, target } = await neverSynced();
    await source.client.query(`UPDATE employee SET title = 'Senior Sales Support Agent' WHERE employee_id = ${JANE}`);
    const file = await exported(source);
    const before = await fingerprint(target.client);
    await expectProbableEdit(importInto(target, file, 'merge'), JANE);
    expect(await fingerprint(target.client)).toBe(before);
    expect(await lineageCount(target.client)).toBeNull();
  });

  test('a heavily edited row whose names stay is asked about too, never inserted as a second person', async () => {
    const { source, target } = await neverSynced();
    await source.client.query(
      `UPDATE employee SET title = 'Sales Lead', email = 'new3@example.com', phone = '+1 999', fax = '+1 998', city = 'Edmonton',
              address = '1 New Street', postal_code = 'T5J 0N3' WHERE employee_id = ${JANE}`,
    );
    const file = await exported(source);
    const before = await fingerprint(target.client);
    await expectProbableEdit(importInto(target, file, 'merge'), JANE);
    expect(await fingerprint(target.client)).toBe(before);
    const report = await importWith(target, file, 'merge', { probableEdits: 'same' });
    expect(counts(report).employee).toMatchObject({ inserted: 0, updated: 1 });
    const jane = await target.client.query(`SELECT count(*)::int AS n FROM employee WHERE last_name = 'Peacock'`);
    expect(jane.rows[0].n).toBe(1);
    expect(await title(target, JANE)).toBe('Sales Lead');
  });

  test('says how many values agree; a yes/no value held by one row tells nothing', async () => {
    const tasks = `CREATE TABLE task (id serial PRIMARY KEY, project text NOT NULL, title text NOT NULL, priority int NOT NULL, done boolean NOT NULL);`;
    const prod = Array.from({ length: 8 }, (_, i) => `('p${i + 1}', 'prod task ${i + 1}', ${i + 1}, ${i === 6})`).join(', ');
    // Dev's scratch task 7 shares only its project (held by one row) and done = true (held by one row too).
    const scratch = Array.from(
      { length: 8 },
      (_, i) => `('${i === 6 ? 'p7' : `q${i + 1}`}', 'scratch ${i + 1}', ${i + 11}, ${i === 6})`,
    ).join(', ');
    const target = await db(`${tasks} INSERT INTO task (project, title, priority, done) VALUES ${prod};`);
    const source = await db(`${tasks} INSERT INTO task (project, title, priority, done) VALUES ${scratch};`);
    const report = await importInto(target, await exported(source), 'merge');
    expect(counts(report).task).toMatchObject({ inserted: 8, updated: 0 });
    // A copy of production whose task 3 was retitled: project and priority tell, done does not count.
    const copy = await db(
      `${tasks} INSERT INTO task (project, title, priority, done) VALUES ${prod}; UPDATE task SET title = 'renamed' WHERE id = 3;`,
    );
    const error = await rejection(importInto(target, await exported(copy), 'merge'));
    expect(error.rows?.map((r) => r.reason)).toEqual(["has the id of the target's row id = 3 and 3 of its 4 values; differs in title"]);
  });

  test("probableEdits 'same': the employee is updated in place, nothing inserted", async () => {
    const { source, target } = await neverSynced();
    await source.client.query(`UPDATE employee SET title = 'Senior Sales Support Agent' WHERE employee_id = ${JANE}`);
    const report = await importWith(target, await exported(source), 'merge', { probableEdits: 'same' });
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect(counts(report).employee).toMatchObject({ inserted: 0, updated: 1 });
    expect(await title(target, JANE)).toBe('Senior Sales Support Agent');
    expect((await target.client.query(`SELECT count(*)::int AS n FROM customer WHERE support_rep_id = ${JANE}`)).rows[0].n).toBe(20);
  });

  test("probableEdits 'new': the employee is inserted as another employee; the target's is left as it was", async () => {
    const { source, target } = await neverSynced();
    await source.client.query(`UPDATE employee SET title = 'Senior IT Staff' WHERE employee_id = ${ROBERT}`);
    const report = await importWith(target, await exported(source), 'merge', { probableEdits: 'new' });
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ inserted: 1, updated: 0, failed: 0 });
    expect(counts(report).employee).toMatchObject({ inserted: 1, updated: 0 });
    const kings = await target.client.query(`SELECT employee_id, title FROM employee WHERE last_name = 'King' ORDER BY employee_id`);
    expect(kings.rows.map((r) => r.title)).toEqual(['IT Staff', 'Senior IT Staff']);
    expect(kings.rows[0].employee_id).toBe(ROBERT);
  });

  test('sameIds: rows are paired by their ids, so the employee is updated in place, nothing inserted', async () => {
    const { source, target } = await neverSynced();
    await source.client.query(`UPDATE employee SET title = 'Senior Sales Support Agent' WHERE employee_id = ${JANE}`);
    const report = await importWith(target, await exported(source), 'merge', { sameIds: true });
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect(await title(target, JANE)).toBe('Senior Sales Support Agent');
    expect((await target.client.query(`SELECT count(*)::int AS n FROM employee`)).rows[0].n).toBe(8);
  });

  test('lineage: false on a pair seeded by mr4 is the same as never synced, and leaves the lineage alone', async () => {
    const source = await db(fixtureSql('chinook-like'));
    const target = await db(fixtureSchema('chinook-like'));
    const seeded = await importInto(target, await exported(source), 'merge');
    expect(seeded.failures).toEqual([]);
    const tables = await logicalTables(target.client);
    expect(await rowCounts(target.client, tables)).toEqual(await rowCounts(source.client, tables));
    const recorded = await lineageCount(target.client);
    expect(recorded ?? 0).toBeGreaterThan(0);

    await source.client.query(`UPDATE employee SET title = 'Senior Sales Support Agent' WHERE employee_id = ${JANE}`);
    const edited = await exported(source);
    const before = await fingerprint(target.client);
    await expectProbableEdit(importWith(target, edited, 'merge', { lineage: false }), JANE);
    expect(await fingerprint(target.client)).toBe(before);

    // Told "same" with lineage off: updated in place, and nothing recorded in the lineage.
    const same = await importWith(target, edited, 'merge', { lineage: false, probableEdits: 'same' });
    expect(totals(same)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect(await title(target, JANE)).toBe('Senior Sales Support Agent');
    expect(await lineageCount(target.client)).toBe(recorded);

    // With the lineage (the default), the next edit needs no decision at all.
    await source.client.query(`UPDATE employee SET phone = '+1 (403) 262-0000' WHERE employee_id = ${JANE}`);
    const withLineage = await importInto(target, await exported(source), 'merge');
    expect(totals(withLineage)).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect((await target.client.query(`SELECT phone FROM employee WHERE employee_id = ${JANE}`)).rows).toEqual([
      { phone: '+1 (403) 262-0000' },
    ]);
  });
});
