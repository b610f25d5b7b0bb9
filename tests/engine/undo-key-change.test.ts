// A merge that changes a key column of existing rows: a composite primary key (id, spent_on) whose
// date is edited, and the same table partitioned by that date, where the edited row moves partition.
// The row found by its id is written, counted updated as the diff said, logged with its old values,
// and the undo finds it by its new key and puts back the old one; a repeated merge rewrites nothing.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { undoImport } from '../../src-main/engine/undo';
import { agreementStore } from '../../src-main/services/bases';
import { rowVersions } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { counts, exportDb, importInto } from '../helpers/engine';
import { snapshot } from '../helpers/undo';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dir, dataDir, db, registry } = mergeWorkspace();

const PLAIN = `CREATE TABLE te (id serial, spent_on date NOT NULL, hours numeric NOT NULL, PRIMARY KEY (id, spent_on));`;
const PARTITIONED = `
  CREATE TABLE te (id serial, spent_on date NOT NULL, hours numeric NOT NULL, PRIMARY KEY (id, spent_on)) PARTITION BY RANGE (spent_on);
  CREATE TABLE te_2024 PARTITION OF te FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE te_2025 PARTITION OF te FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;
const ROWS = `INSERT INTO te (spent_on, hours) SELECT date '2024-06-01' + i, i FROM generate_series(1, 5) i;`;

let n = 0;
/** A merge as the CLI runs it: the pair's agreement kept; with the base they last agreed on, once there is one. */
async function merge(from: TestDb, to: TestDb, base?: 'auto'): Promise<ImportReport> {
  const archive = join(dir, `merge-${++n}.tar.gz`);
  await exportDb(from, archive);
  const report = await importInto(to, archive, 'merge', { base, agreement: agreementStore(dataDir) });
  await registry.record(report);
  return report;
}

async function changedInDiff(from: TestDb, to: TestDb): Promise<number> {
  const archive = join(dir, `diff-${++n}.tar.gz`);
  await exportDb(from, archive);
  const diff = await openDiff({ db: dbTarget(to.url), archive, base: 'auto', agreement: agreementStore(dataDir) });
  try {
    return diff.summary.tables.find((t) => t.table === 'te')!.counts.changed;
  } finally {
    await diff.close();
  }
}

async function rows(d: TestDb) {
  return (await d.client.query(`SELECT tableoid::regclass::text AS part, id, spent_on::text, hours::text FROM te ORDER BY id`)).rows;
}

async function loggedCounts(d: TestDb, run: string) {
  return (await d.client.query(`SELECT counts FROM _mr4.runs WHERE id = $1`, [run])).rows[0].counts.find(
    (c: { table: string }) => c.table === 'te',
  );
}

describe.each([
  ['a composite primary key', PLAIN, { old: 'te', moved: 'te' }],
  ['a table partitioned by the key column', PARTITIONED, { old: 'te_2024', moved: 'te_2025' }],
])('a merge that changes a key column of %s', (_, schema, parts) => {
  test('is counted updated, logged, undone exactly, and not rewritten by a repeated merge', async () => {
    const prod = await db(schema + ROWS);
    const dev = await db(schema);
    expect(counts(await merge(prod, dev)).te).toMatchObject({ inserted: 5, updated: 0 });
    await dev.client.query(`UPDATE te SET spent_on = '2025-01-15' WHERE id = 1; UPDATE te SET hours = 99 WHERE id = 2`);
    const before = await snapshot(prod.client);

    expect(await changedInDiff(dev, prod)).toBe(2);
    const report = await merge(dev, prod, 'auto');
    const te = { inserted: 0, updated: 2, unchanged: 3, skipped: 0, failed: 0 };
    expect(counts(report).te).toEqual(te);
    expect(await loggedCounts(prod, report.undo!.run)).toEqual({ table: 'te', ...te });
    expect(await rows(prod)).toEqual([
      { part: parts.moved, id: 1, spent_on: '2025-01-15', hours: '1' },
      { part: parts.old, id: 2, spent_on: '2024-06-03', hours: '99' },
      { part: parts.old, id: 3, spent_on: '2024-06-04', hours: '3' },
      { part: parts.old, id: 4, spent_on: '2024-06-05', hours: '4' },
      { part: parts.old, id: 5, spent_on: '2024-06-06', hours: '5' },
    ]);
    const log = await prod.client.query(
      `SELECT op, key, before FROM _mr4.${`undo_${report.undo!.run.replace(/-/g, '')}`} WHERE table_name = 'te' ORDER BY key->>'id'`,
    );
    expect(log.rows).toEqual([
      { op: 'u', key: { id: 1, spent_on: '2025-01-15' }, before: { id: 1, spent_on: '2024-06-02', hours: 1 } },
      { op: 'u', key: { id: 2, spent_on: '2024-06-03' }, before: { id: 2, spent_on: '2024-06-03', hours: 2 } },
    ]);

    // Merged again: both sides agree, nothing is written.
    const written = await rowVersions(prod.client, ['te']);
    expect(counts(await merge(dev, prod, 'auto')).te).toEqual({ ...te, updated: 0, unchanged: 5 });
    expect(await rowVersions(prod.client, ['te'])).toEqual(written);

    // The repeated merge wrote nothing but is the newest run: undone first, then the one that changed te.
    expect((await undoImport({ db: dbTarget(prod.url) })).tables).toEqual([]);
    const undone = await undoImport({ db: dbTarget(prod.url) });
    expect(undone.changed).toEqual([]);
    expect(undone.tables).toEqual([{ table: 'te', deleted: 0, restored: 2, kept: 0 }]);
    expect(await snapshot(prod.client)).toEqual({ ...before, '_mr4.lineage': [] });
    expect((await rows(prod))[0]).toEqual({ part: parts.old, id: 1, spent_on: '2024-06-02', hours: '1' });
  });
});
