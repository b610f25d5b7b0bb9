// Undo of a merge: the archive inserted rows (a new parent and children pointing at it) and updated
// rows of the target; undoing it puts every table back exactly as it was before, the lineage of ids
// too, marks the run undone in _mr4.runs and drops its log; nothing is left to undo after.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { listRuns, undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, budget numeric(10,2), meta jsonb);
  CREATE TABLE note (id serial PRIMARY KEY, team_id int NOT NULL REFERENCES team(id), body text NOT NULL, at timestamptz NOT NULL DEFAULT now());`;

test('a merge undone: every row and the lineage back as before, the run marked undone', async () => {
  const source = await db(`${SCHEMA}
    INSERT INTO team (code, name, budget, meta) VALUES ('a', 'Alpha', 10, '{"x":1}'), ('b', 'Beta (source)', 20, null), ('n', 'New team', 5, '[1,2]');
    INSERT INTO note (team_id, body, at) VALUES (1, 'one', '2024-01-01T10:00:00Z'), (3, 'for the new team', '2024-02-01T00:00:00.123456Z'), (3, 'another', '2024-02-02T00:00:00Z');`);
  const target = await db(`${SCHEMA}
    INSERT INTO team (code, name, budget, meta) VALUES ('b', 'Beta', 20, null), ('a', 'Alpha (target)', 99.5, '{"x":2}'), ('t', 'Target only', 1, null);
    INSERT INTO note (team_id, body) VALUES (3, 'target note');`);
  const before = await snapshot(target.client);

  const file = join(dir, 'merge.tar.gz');
  await exportDb(source, file);
  const report = await importInto(target, file, 'merge');
  expect(totals(report)).toMatchObject({ inserted: 4, updated: 2 });
  expect(report.undo).toMatchObject({ run: expect.any(String) });
  expect(report.undo!.rows).toBeGreaterThanOrEqual(6);
  expect(await snapshot(target.client)).not.toEqual(before);

  const runs = await listRuns(dbTarget(target.url));
  expect(runs.next?.id).toBe(report.undo!.run);
  expect(runs.next).toMatchObject({ undoable: true, archive: { name: 'merge.tar.gz' }, sourceDatabase: source.name, mode: 'merge' });

  const dry = await undoImport({ db: dbTarget(target.url), dryRun: true });
  expect(dry.dryRun).toBe(true);
  expect(await snapshot(target.client)).not.toEqual(before);

  const undone = await undoImport({ db: dbTarget(target.url) });
  expect(undone.changed).toEqual([]);
  expect(Object.fromEntries(undone.tables.map((t) => [t.table, [t.deleted, t.restored]]))).toEqual({ team: [1, 2], note: [3, 0] });
  expect(undone.lineage.removed).toBeGreaterThan(0);
  const after = await snapshot(target.client);
  // The lineage store was created by the import and is left (empty again).
  expect(after['_mr4.lineage']).toEqual([]);
  delete after['_mr4.lineage'];
  expect(after).toEqual(before);

  const later = await listRuns(dbTarget(target.url));
  expect(later.runs[0]).toMatchObject({ id: report.undo!.run, undoable: false, undoneAt: expect.any(String) });
  expect(later.next).toBeNull();
  expect(
    (await target.client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = '_mr4' AND tablename LIKE 'undo_%'`)).rows[0].n,
  ).toBe(0);
  await expect(undoImport({ db: dbTarget(target.url) })).rejects.toThrow(/is left to undo/);
});
