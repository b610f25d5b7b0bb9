// The concepts defined once and used by several sides: the job-event reducer (main and window), the
// text of a listed row (CLI, engine, app), the import settings (every door) and the base the user chose
// (CLI and app).
import { expect, test } from 'vitest';
import type { JobInfo } from '../src-common/contract';
import { decisionsFileSchema } from '../src-common/decisions';
import { importSettingsOf, comparisonSettingsOf } from '../src-common/import-settings';
import { reduceJobEvent, withLogLine } from '../src-common/job-events';
import { rowProblemText } from '../src-common/row-problem';
import { baseFile, chosenBase } from '../src-main/services/bases';

const job = (): JobInfo => ({
  id: 'j1',
  kind: 'import',
  title: 'Import',
  state: 'running',
  startedAt: '2026-01-01T00:00:00Z',
  phase: 0,
  phases: ['Check archive', 'Stage rows'],
  tables: [],
  log: [],
});

test('the reducer moves a job on without changing the one it was given', () => {
  const before = job();
  const phased = reduceJobEvent(before, { type: 'phase', index: 1, name: 'Stage rows' }, 't1', 10);
  expect(phased.phase).toBe(1);
  expect(before.phase).toBe(0);
  const named = reduceJobEvent(before, { type: 'phase', index: 2, name: 'Match' }, 't1', 10);
  expect(named.phases).toEqual(['Check archive', 'Stage rows', 'Match']);
  expect(before.phases).toHaveLength(2);

  const started = reduceJobEvent(phased, { type: 'table', table: 'people', phase: 1, rowsDone: 5, rowsTotal: 10 }, 't2', 10);
  const finished = reduceJobEvent(
    started,
    { type: 'table', table: 'people', phase: 1, rowsDone: 10, rowsTotal: null, done: true },
    't3',
    10,
  );
  expect(started.tables).toEqual([{ table: 'people', phase: 1, rowsDone: 5, rowsTotal: 10, done: false }]);
  expect(finished.tables).toEqual([{ table: 'people', phase: 1, rowsDone: 10, rowsTotal: 10, done: true }]);

  expect(reduceJobEvent(before, { type: 'progress', done: 3, total: 9 }, 't4', 10).progress).toEqual({ done: 3, total: 9 });
  let logged = before;
  for (let i = 0; i < 5; i++) logged = reduceJobEvent(logged, { type: 'log', level: 'info', message: `line ${i}` }, `t${i}`, 3);
  expect(logged.log.map((l) => l.message)).toEqual(['line 2', 'line 3', 'line 4']);
  expect(withLogLine(logged, { at: 't9', level: 'error', message: 'failed' }, 3).log.map((l) => l.message)).toEqual([
    'line 3',
    'line 4',
    'failed',
  ]);
});

test('a listed row is one line: table, natural key, position, column, reason', () => {
  expect(
    rowProblemText({ table: 'people', key: { email: 'a@example.org' }, row: 3, column: 'name', reason: 'violates check constraint' }),
  ).toBe('people {"email":"a@example.org"} (row 3) column name: violates check constraint');
  expect(rowProblemText({ table: 'people', key: null, row: null, reason: 'a deferred constraint failed' })).toBe(
    'people: a deferred constraint failed',
  );
});

test("the import settings are read from a door's options by their names, and checked", () => {
  expect(
    importSettingsOf({ mode: 'merge', dryRun: true, json: true, schema: 'public', sameIds: undefined, foreignKeyReload: 'never' }),
  ).toEqual({ mode: 'merge', dryRun: true, foreignKeyReload: 'never' });
  expect(() => importSettingsOf({ mode: 'replace' })).toThrow();
});

test("a diff's comparison settings are the import settings' own, read the same way", () => {
  expect(
    comparisonSettingsOf({
      mode: 'merge',
      sameIds: true,
      probableEdits: 'new',
      lineage: false,
      ignoreMissingColumns: true,
      rows: 20,
      dryRun: true,
      base: 'kept',
    }),
  ).toEqual({ sameIds: true, probableEdits: 'new', lineage: false, ignoreMissingColumns: true });
  expect(comparisonSettingsOf({ lineage: true, sameIds: undefined })).toEqual({ lineage: true });
  expect(() => comparisonSettingsOf({ probableEdits: 'maybe' })).toThrow();
});

test('a decisions file takes its lists as optional', () => {
  expect(decisionsFileSchema.parse({ format: 'mr4-decisions', version: 1, onConflict: 'target' })).toEqual({
    format: 'mr4-decisions',
    version: 1,
    onConflict: 'target',
    decisions: [],
    exclude: [],
  });
  expect(
    decisionsFileSchema.safeParse({ format: 'mr4-decisions', version: 1, decisions: [{ table: 'item', key: {}, choice: 'maybe' }] })
      .success,
  ).toBe(false);
});

test('the base the user chose: none, auto, a file, or nothing (the CLI: kept; the app: two ways)', () => {
  const path = (name: string) => `/work/${name}`;
  expect(chosenBase(undefined, 'kept', path)).toBe('kept');
  expect(chosenBase(undefined, undefined, path)).toBeUndefined();
  expect(chosenBase('none', 'kept', path)).toBeUndefined();
  expect(chosenBase('auto', 'kept', path)).toBe('auto');
  expect(chosenBase('seed.tar.gz', 'kept', path)).toBe('/work/seed.tar.gz');
  expect([undefined, 'none', 'auto', 'seed.tar.gz'].map(baseFile)).toEqual([undefined, undefined, undefined, 'seed.tar.gz']);
});
