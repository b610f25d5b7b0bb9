// Row identity through the app's API: two databases loaded from the same dump and never synced by mr4
// (no lineage), two rows of a keyless table edited in one of them (customers point at one of them). The import stops with a ProbableEditsError the
// window can show (its rows listed); the diff shows the row as a probable edit; a merge of the
// reviewed diff applies the answer per row ('same' / 'new') or for all, also mixed (an answer for all
// of "new" with one row answered "same"), and a row answered "new" whose children follow it does not
// make the preview "out of date"; "copies of each other"
// (sameIds) pairs by id; a comparison key chosen in the app (tableKeys) reaches the engine as
// configuration, and a key the archive cannot satisfy is left out, saying so.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DiffOpened, ImportReport, JobInfo, SavedConnection } from '../../src-common/contract';
import { toUiError } from '../../src-main/services/ui-error';
import { ProbableEditsError } from '../../src-main/engine/import/errors';
import { JobError, serializeError } from '../../src-main/services/job-errors';
import type { TestDb } from '../helpers/db';
import { fingerprint } from '../helpers/compare';
import { freshDb } from '../helpers/engine';
import { draftFor, makeApp, type TestApp, waitJob } from './helpers';

const EMPLOYEES = `
CREATE TABLE employee (id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, title text, email text, phone text, city text);
INSERT INTO employee (first_name, last_name, title, email, phone, city) VALUES
  ('Andrew', 'Adams', 'General Manager', 'andrew@example.com', '+1 780 428 9482', 'Edmonton'),
  ('Nancy', 'Edwards', 'Sales Manager', 'nancy@example.com', '+1 403 262 3443', 'Calgary'),
  ('Jane', 'Peacock', 'Sales Support Agent', 'jane@example.com', '+1 403 262 3443 1', 'Calgary'),
  ('Margaret', 'Park', 'Sales Support Agent', 'margaret@example.com', '+1 403 263 4423', 'Calgary'),
  ('Steve', 'Johnson', 'Sales Support Agent', 'steve@example.com', '1 780 836 9987', 'Calgary'),
  ('Michael', 'Mitchell', 'IT Manager', 'michael@example.com', '+1 403 246 9887', 'Calgary'),
  ('Robert', 'King', 'IT Staff', 'robert@example.com', '+1 403 456 9986', 'Lethbridge'),
  ('Laura', 'Callahan', 'IT Staff', 'laura@example.com', '+1 403 467 3351', 'Lethbridge');
CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, support_rep_id integer REFERENCES employee (id));
INSERT INTO customer (name, support_rep_id) VALUES ('Luís Gonçalves', 3), ('Leonie Köhler', 5), ('François Tremblay', 3);
`;
const counts = (report: ImportReport, table: string) => report.tables.find((t) => t.table === table);

let app: TestApp;
let sourceDb: TestDb;
let targetDb: TestDb;
let source: SavedConnection;
let target: SavedConnection;
let archiveId: string;

async function run(request: Parameters<TestApp['call']>[1] & { kind: string }): Promise<JobInfo> {
  return waitJob(app, (await app.call('jobs.start', request as never)).id);
}

beforeAll(async () => {
  app = await makeApp();
  sourceDb = await freshDb(EMPLOYEES);
  targetDb = await freshDb(EMPLOYEES);
  await sourceDb.client.query(
    `UPDATE employee SET title = 'Senior Sales Support Agent' WHERE id = 3; UPDATE employee SET title = 'Senior IT Staff' WHERE id = 7`,
  );
  source = await app.call('connections.save', draftFor(sourceDb.url, 'Copy A', 'dev'));
  target = await app.call('connections.save', draftFor(targetDb.url, 'Copy B', 'dev'));
  const exported = await run({ kind: 'export', sourceId: source.id });
  expect(exported.state, JSON.stringify(exported.error)).toBe('succeeded');
  const opened = await run({ kind: 'open-archive', file: exported.files![0].handle });
  archiveId = (opened.result as { archiveId: string }).archiveId;
}, 120_000);
afterAll(async () => {
  await app?.shutdown();
  await sourceDb?.drop();
  await targetDb?.drop();
});

test('ProbableEditsError becomes a UiError with a clear title, what to do, and its rows (also after crossing the worker)', () => {
  const rows = [
    {
      table: 'employee',
      key: { id: '3' },
      row: 3,
      reason: "has the id of the target's row id = 3 and 12 of its 13 values; differs in title",
    },
  ];
  for (const error of [new ProbableEditsError(rows), new JobError(serializeError(new ProbableEditsError(rows)))]) {
    const ui = toUiError(error);
    expect(ui).toMatchObject({ code: 'ProbableEditsError', title: 'Rows that only look like edits', rows });
    expect(ui.message).toMatch(/1 row of the archive has the id of a target row/);
    expect(ui.hint).toMatch(/same rows: update them.*new rows: insert them.*Preview changes/);
    expect(ui.details).toContain('employee {"id":"3"}');
  }
});

test('an import that meets a probable edit stops, listing it, and writes nothing; an answer for all lets it through', async () => {
  const before = await fingerprint(targetDb.client);
  const stopped = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'merge', dryRun: false });
  expect(stopped.state).toBe('failed');
  expect(stopped.error).toMatchObject({ code: 'ProbableEditsError', title: 'Rows that only look like edits' });
  expect(stopped.error!.rows).toEqual([
    expect.objectContaining({ table: 'employee', key: { id: '3' } }),
    expect.objectContaining({ table: 'employee', key: { id: '7' } }),
  ]);
  expect(await fingerprint(targetDb.client)).toBe(before);

  const same = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'merge', dryRun: true, probableEdits: 'same' });
  expect(same.state, JSON.stringify(same.error)).toBe('succeeded');
  expect(counts(same.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 2 });
  const fresh = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'skip', dryRun: true, probableEdits: 'new' });
  expect(fresh.state, JSON.stringify(fresh.error)).toBe('succeeded');
  expect(counts(fresh.result as ImportReport, 'employee')).toMatchObject({ inserted: 2, updated: 0 });
  const copies = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'merge', dryRun: true, sameIds: true });
  expect(copies.state, JSON.stringify(copies.error)).toBe('succeeded');
  expect(counts(copies.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 2 });
});

test('the diff shows the probable edit with its differing field; the merge of the reviewed diff applies the answer per row', async () => {
  const diff = await run({ kind: 'diff', archiveId, targetId: target.id });
  expect(diff.state, JSON.stringify(diff.error)).toBe('succeeded');
  const { diffId, summary } = diff.result as DiffOpened;
  expect(summary.tables.find((t) => t.table === 'employee')!.counts).toMatchObject({ probable_edit: 2, identical: 6, new: 0 });
  expect(summary.tables.find((t) => t.table === 'customer')!.counts).toMatchObject({ identical: 3 });
  const page = await app.call('diffs.page', { diffId, table: 'employee', kinds: ['probable_edit'], offset: 0, limit: 10 });
  expect(page.rows).toEqual([
    expect.objectContaining({
      kind: 'probable_edit',
      key: { id: '3' },
      fields: [
        expect.objectContaining({ column: 'title', source: 'Senior Sales Support Agent', target: 'Sales Support Agent', verdict: 'apply' }),
      ],
    }),
    expect.objectContaining({ kind: 'probable_edit', key: { id: '7' } }),
  ]);
  // Undecided, the merge stops; decided per row, it does what was decided.
  const open = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { decisions: [], exclude: [] },
  });
  expect(open.error?.code).toBe('ProbableEditsError');
  // Jane is a new employee (her customers follow her: new rows too), Robert the target's Robert.
  const janeNew = [{ table: 'employee', key: { id: '3' }, choice: 'new' as const }];
  const robertSame = [{ table: 'employee', key: { id: '7' }, choice: 'same' as const }];
  const mixed = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { decisions: [...janeNew, ...robertSame], exclude: [] },
  });
  expect(mixed.state, JSON.stringify(mixed.error)).toBe('succeeded');
  expect(counts(mixed.result as ImportReport, 'employee')).toMatchObject({ inserted: 1, updated: 1 });
  expect(counts(mixed.result as ImportReport, 'customer')).toMatchObject({ inserted: 2 });
  // The same with "new" as the answer for all: Robert's own "same" still counts.
  const newForAll = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { probableEdits: 'new', decisions: robertSame, exclude: [] },
  });
  expect(newForAll.state, JSON.stringify(newForAll.error)).toBe('succeeded');
  expect(counts(newForAll.result as ImportReport, 'employee')).toMatchObject({ inserted: 1, updated: 1 });
  const asSame = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { probableEdits: 'same', decisions: [], exclude: [] },
  });
  expect(asSame.state, JSON.stringify(asSame.error)).toBe('succeeded');
  expect(counts(asSame.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 2 });
  expect(counts(asSame.result as ImportReport, 'customer')).toMatchObject({ inserted: 0 });
  // A target row the merge updates still may not have changed since the preview.
  await targetDb.client.query(`UPDATE employee SET phone = '+1 403 456 0000' WHERE id = 7`);
  const stale = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { probableEdits: 'new', decisions: robertSame, exclude: [] },
  });
  expect(stale.error?.code).toBe('StalePreviewError');
  expect(stale.error?.problems).toEqual(['employee {"id":"7"} changed since the diff']);
  await targetDb.client.query(`UPDATE employee SET phone = '+1 403 456 9986' WHERE id = 7`);
  // Left out after an answer: nothing is written for it, either way.
  // Left out, whatever the answer: matched and left alone (answered "new", it would be a new row its
  // customers need, and leaving it out would be refused).
  const exclude = [
    { table: 'employee', key: { id: '3' } },
    { table: 'employee', key: { id: '7' } },
  ];
  const outSame = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { decisions: [{ table: 'employee', key: { id: '3' }, choice: 'same' }, ...robertSame], exclude },
  });
  expect(outSame.state, JSON.stringify(outSame.error)).toBe('succeeded');
  expect(counts(outSame.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 0 });
  // The whole table left out, nothing answered (even "new" for all): its probable edits are left alone.
  const tableOut = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { probableEdits: 'new', decisions: [], exclude: [{ table: 'employee' }] },
  });
  expect(tableOut.state, JSON.stringify(tableOut.error)).toBe('succeeded');
  expect(counts(tableOut.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 0 });
  expect(counts(tableOut.result as ImportReport, 'customer')).toMatchObject({ inserted: 0 });
  const outNew = await run({
    kind: 'import',
    archiveId,
    targetId: target.id,
    mode: 'merge',
    dryRun: true,
    diffId,
    decisions: { decisions: [...janeNew, ...robertSame], exclude },
  });
  expect(outNew.state, JSON.stringify(outNew.error)).toBe('succeeded');
  expect(counts(outNew.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 0 });
  expect(counts(outNew.result as ImportReport, 'customer')).toMatchObject({ inserted: 0 });
  await app.call('diffs.close', { diffId });
});

test('a comparison key chosen in the app reaches the engine for diffs and imports into that connection only', async () => {
  expect(await app.call('tableKeys.get', { connectionId: target.id })).toEqual({});
  expect(await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: ['email'] })).toEqual({ employee: ['email'] });
  expect(await app.call('tableKeys.get', { connectionId: target.id })).toEqual({ employee: ['email'] });
  expect(await app.call('tableKeys.get', { connectionId: source.id })).toEqual({});
  // A duplicate column, an empty key, an unknown connection: refused.
  expect((await app.fail('tableKeys.set', { connectionId: target.id, table: 'employee', key: ['email', 'email'] })).status).toBe(400);
  expect((await app.fail('tableKeys.set', { connectionId: target.id, table: 'employee', key: [] })).status).toBe(400);
  expect((await app.fail('tableKeys.set', { connectionId: 'nobody', table: 'employee', key: ['email'] })).status).toBe(404);

  const diff = await run({ kind: 'diff', archiveId, targetId: target.id });
  expect(diff.state, JSON.stringify(diff.error)).toBe('succeeded');
  const { diffId, summary } = diff.result as DiffOpened;
  expect(summary.tables.find((t) => t.table === 'employee')!.counts).toMatchObject({ changed: 2, probable_edit: 0, identical: 6 });
  expect((await app.call('diffs.page', { diffId, table: 'employee', kinds: ['changed'], offset: 0, limit: 10 })).rows[0]!.key).toEqual({
    email: 'jane@example.com',
  });
  expect(diff.log.map((l) => l.message)).toContain('Rows of employee are compared by email (the comparison key chosen in the app).');
  await app.call('diffs.close', { diffId });
  const merged = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'merge', dryRun: true });
  expect(merged.state, JSON.stringify(merged.error)).toBe('succeeded');
  expect(counts(merged.result as ImportReport, 'employee')).toMatchObject({ inserted: 0, updated: 2 });

  // A key naming a column the archive lacks is not used (the run says so), instead of failing the plan.
  await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: ['badge_no'] });
  const without = await run({ kind: 'import', archiveId, targetId: target.id, mode: 'merge', dryRun: true });
  expect(without.error?.code).toBe('ProbableEditsError');
  expect(without.log.map((l) => l.message).join('\n')).toMatch(
    /comparison key chosen for employee \(badge_no\) is not used: the archive has no column badge_no/,
  );

  // "content": the edited row is new by content (the plan's own default for a keyless table, but said).
  await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: 'content' });
  expect(await app.call('tableKeys.get', { connectionId: target.id })).toEqual({ employee: 'content' });
  expect(await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: null })).toEqual({});
  // Deleting the connection forgets its keys.
  await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: ['email'] });
  const spare = await app.call('connections.duplicate', { id: target.id });
  await app.call('tableKeys.set', { connectionId: spare.id, table: 'employee', key: ['email'] });
  await app.call('connections.delete', { id: spare.id });
  expect((await app.fail('tableKeys.get', { connectionId: spare.id })).status).toBe(404);
  await app.call('tableKeys.set', { connectionId: target.id, table: 'employee', key: null });
});

test('a diff of copies of each other (sameIds) pairs by id: the edit is a plain change', async () => {
  const diff = await run({ kind: 'diff', archiveId, targetId: target.id, sameIds: true });
  expect(diff.state, JSON.stringify(diff.error)).toBe('succeeded');
  const { diffId, summary } = diff.result as DiffOpened;
  expect(summary.tables.find((t) => t.table === 'employee')!.counts).toMatchObject({ changed: 2, probable_edit: 0 });
  await app.call('diffs.close', { diffId });
});
