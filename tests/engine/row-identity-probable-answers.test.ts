// Probable edits answered row by row: a row answered "same" is updated even where every other is
// taken for a new row, and a row the user leaves out of the merge needs no answer.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { fixtureSql } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

async function editedPair(): Promise<{ target: TestDb; file: string }> {
  const source = await db(fixtureSql('chinook-like'));
  const target = await db(fixtureSql('chinook-like'));
  await source.client.query(`UPDATE employee SET title = 'Lead ' || title WHERE employee_id IN (3, 4)`);
  const file = join(dir, `answers-${Math.random().toString(36).slice(2)}.tar.gz`);
  await exportDb(source, file);
  return { target, file };
}

const employees = async (d: TestDb) =>
  (await d.client.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE title LIKE 'Lead %')::int AS lead FROM employee`)).rows[0];

test('"same" for one row with "new" for the rest: that one is updated, the other inserted', async () => {
  const { target, file } = await editedPair();
  const before = await employees(target);
  const report = await importInto(target, file, 'merge', {
    probableEdits: 'new',
    decisions: {
      format: 'mr4-decisions',
      version: 1,
      decisions: [{ table: 'employee', key: { employee_id: '3' }, choice: 'same' }],
      exclude: [],
    },
  });
  expect(report.tables.find((t) => t.table === 'employee')).toMatchObject({ inserted: 1, updated: 1 });
  expect(await employees(target)).toEqual({ n: before.n + 1, lead: 2 });
  expect((await target.client.query(`SELECT title FROM employee WHERE employee_id = 3`)).rows[0].title).toMatch(/^Lead /);
});

test('a probable edit left out of the merge is not asked about; the other, answered, is updated', async () => {
  const { target, file } = await editedPair();
  const before = await employees(target);
  const report = await importInto(target, file, 'merge', {
    decisions: {
      format: 'mr4-decisions',
      version: 1,
      decisions: [{ table: 'employee', key: { employee_id: '3' }, choice: 'same' }],
      exclude: [{ table: 'employee', key: { employee_id: '4' } }],
    },
  });
  expect(report.tables.find((t) => t.table === 'employee')).toMatchObject({ inserted: 0, updated: 1 });
  expect(await employees(target)).toEqual({ n: before.n, lead: 1 });
});
