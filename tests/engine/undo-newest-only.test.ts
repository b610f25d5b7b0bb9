// Only the newest import can be undone; undoing it makes the one before the newest (its log is kept),
// so imports are undone one after another, back to the first. A run that kept no log (--no-undo) is
// recorded all the same: an older run is never undone past it. Logs beyond the newest three are pruned.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { KEEP_LOGS } from '../../src-main/engine/import/undo-log';
import { listRuns, undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);`;

test('undo goes back one import at a time; never past one without a log; old logs are pruned', async () => {
  const source = await db(SCHEMA);
  const target = await db(`${SCHEMA} INSERT INTO item (code, name) VALUES ('t', 'target');`);
  const states = [await snapshot(target.client)];
  const runs: string[] = [];
  for (const [i, name] of ['one', 'two', 'three'].entries()) {
    await source.client.query(`INSERT INTO item (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING`, [`c${i}`, name]);
    await source.client.query(`UPDATE item SET name = name || '+' WHERE code = 'c0'`);
    const file = join(dir, `run-${i}.tar.gz`);
    await exportDb(source, file);
    runs.push((await importInto(target, file, 'merge')).undo!.run);
    states.push(await snapshot(target.client));
  }
  await expect(undoImport({ db: dbTarget(target.url), run: runs[0] })).rejects.toThrow(/Only the newest import can be undone/);
  await undoImport({ db: dbTarget(target.url), run: runs[2] });
  expect(withoutLineage(await snapshot(target.client))).toEqual(withoutLineage(states[2]!));
  await undoImport({ db: dbTarget(target.url) });
  expect(withoutLineage(await snapshot(target.client))).toEqual(withoutLineage(states[1]!));
  await undoImport({ db: dbTarget(target.url) });
  expect(withoutLineage(await snapshot(target.client))).toEqual(withoutLineage(states[0]!));
  expect((await listRuns(dbTarget(target.url))).runs.every((r) => r.undoneAt)).toBe(true);

  // A run without a log blocks the undo of the one before it.
  const file = join(dir, 'again.tar.gz');
  await exportDb(source, file);
  await importInto(target, file, 'merge');
  await source.client.query(`INSERT INTO item (code, name) VALUES ('z', 'zed')`);
  await exportDb(source, file);
  const plain = await importInto(target, file, 'merge', { undo: false });
  expect(plain.undo).toBeNull();
  await expect(undoImport({ db: dbTarget(target.url) })).rejects.toThrow(/kept no undo log/);

  // Only the newest KEEP_LOGS logs stay.
  for (let i = 0; i < KEEP_LOGS + 1; i++) {
    await source.client.query(`UPDATE item SET name = name || '.' WHERE code = 'z'`);
    await exportDb(source, file);
    await importInto(target, file, 'merge');
  }
  const logs = (await target.client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = '_mr4' AND tablename LIKE 'undo_%'`))
    .rows[0].n;
  expect(logs).toBe(KEEP_LOGS);
  expect((await listRuns(dbTarget(target.url), 'public', 50)).runs.filter((r) => r.undoable)).toHaveLength(KEEP_LOGS);
});

function withoutLineage(s: Record<string, string[]>): Record<string, string[]> {
  const { ['_mr4.lineage']: _l, ...rest } = s;
  return rest;
}
