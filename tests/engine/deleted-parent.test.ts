// A parent deleted in the target since the base, while the source added a child to it: the merge keeps
// the deletion (the parent was not edited in the source), so the child has nothing to point at. It
// must be refused before anything is written — with or without triggers, with foreign keys dropped
// and reloaded — named with why, and the diff must say the same; a decision "source" for the parent
// brings it back, and the child attaches to it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = databasesForFile();
const registry = new BaseRegistry(dataDir);

const SCHEMA = `
  CREATE TABLE proj (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE task (id serial PRIMARY KEY, proj_id int NOT NULL REFERENCES proj ON DELETE CASCADE, title text NOT NULL);`;
const DATA = `
  INSERT INTO proj (name) VALUES ('A'), ('B');
  INSERT INTO task (proj_id, title) VALUES (1, 'a1'), (1, 'a2'), (2, 'b1');`;

let n = 0;
async function sync(from: TestDb, to: TestDb, options: Parameters<typeof importInto>[3] = {}): Promise<ImportReport> {
  const archive = join(dir, `sync-${++n}.tar.gz`);
  await exportDb(from, archive);
  const report = await importInto(to, archive, 'merge', { agreement: agreementStore(dataDir), ...options });
  await registry.record(report);
  return report;
}

async function rows(d: TestDb) {
  return {
    proj: (await d.client.query(`SELECT id, name FROM proj ORDER BY id`)).rows,
    task: (await d.client.query(`SELECT t.id, t.proj_id, t.title FROM task t ORDER BY t.id`)).rows,
  };
}

/** Production seeds dev; production deletes project A (and so its tasks); dev edits a1 and adds a3 to A. */
async function scenario(): Promise<{ prod: TestDb; dev: TestDb; archive: string }> {
  const prod = await db(SCHEMA + DATA);
  const dev = await db(SCHEMA);
  await sync(prod, dev);
  await prod.client.query(`DELETE FROM proj WHERE name = 'A'`);
  await dev.client.query(
    `UPDATE task SET title = 'a1 edited in dev' WHERE title = 'a1'; INSERT INTO task (proj_id, title) VALUES (1, 'a3 new in dev');`,
  );
  const archive = join(dir, `dev-${++n}.tar.gz`);
  await exportDb(dev, archive);
  return { prod, dev, archive };
}

const PARENT_GONE = /proj_id refers to proj \{"id": "1"\}, which was deleted in the target since the base/;

describe('a child added in the source to a parent deleted in the target', () => {
  test('the diff reports the child as refused, not as a new row', async () => {
    const { prod, archive } = await scenario();
    const diff = await openDiff({ db: dbTarget(prod.url), archive, base: 'auto', agreement: agreementStore(dataDir) });
    try {
      const task = diff.summary.tables.find((t) => t.table === 'task')!.counts;
      expect(task.new ?? 0).toBe(0);
      expect(task.refused).toBe(1);
      expect(task.conflict).toBe(1);
      const refused = (await diff.page({ table: 'task', kinds: ['refused'], offset: 0, limit: 10 })).rows;
      expect(refused).toHaveLength(1);
      expect(refused[0].reason).toMatch(PARENT_GONE);
    } finally {
      await diff.close();
    }
  });

  for (const variant of [
    { name: 'with triggers', options: {} },
    { name: 'with triggers disabled (superuser)', options: { disableTriggers: true } },
    { name: 'with foreign keys dropped and reloaded', options: { foreignKeyReload: 'always' as const } },
  ]) {
    test(`the merge refuses it before writing anything (${variant.name})`, async () => {
      const { prod, archive } = await scenario();
      const before = await rows(prod);
      const error = await importInto(prod, archive, 'merge', {
        agreement: agreementStore(dataDir),
        base: 'auto',
        onConflict: 'target',
        ...variant.options,
      }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('RefusedRowsError');
      expect((error as Error).message).toMatch(/task \{"id":"\d+"\} \(row \d+\): proj_id refers to proj \{"id": "1"\}, which was deleted/);
      expect(await rows(prod)).toEqual(before);
      const orphans = await prod.client.query(`SELECT count(*)::int AS n FROM task WHERE proj_id NOT IN (SELECT id FROM proj)`);
      expect(orphans.rows[0].n).toBe(0);
    });
  }

  test('with --allow-failures the child is a failed row and the rest goes in', async () => {
    const { prod, archive } = await scenario();
    await prod.client.query(`UPDATE proj SET name = 'B (prod)' WHERE name = 'B'`);
    const report = await importInto(prod, archive, 'merge', {
      agreement: agreementStore(dataDir),
      base: 'auto',
      onConflict: 'target',
      allowFailures: true,
      disableTriggers: true,
    });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ table: 'task' });
    expect(report.failures[0].reason).toMatch(PARENT_GONE);
    const after = await rows(prod);
    expect(after.proj).toEqual([{ id: 2, name: 'B (prod)' }]);
    expect(after.task).toEqual([{ id: 3, proj_id: 2, title: 'b1' }]);
  });

  test('a decision "source" for the deleted parent brings it back, and the child attaches to it', async () => {
    const { prod, archive } = await scenario();
    const report = await importInto(prod, archive, 'merge', {
      agreement: agreementStore(dataDir),
      base: 'auto',
      onConflict: 'target',
      decisions: { format: 'mr4-decisions', version: 1, decisions: [{ table: 'proj', key: { id: '1' }, choice: 'source' }], exclude: [] },
    });
    expect(report.failures).toEqual([]);
    const after = await rows(prod);
    expect(after.proj).toEqual([
      { id: 1, name: 'A' },
      { id: 2, name: 'B' },
    ]);
    // a1 stays deleted (its conflict decided for the target), a2 too (unchanged in dev); a3 is new.
    expect(after.task.map((t) => [t.proj_id, t.title])).toEqual([
      [2, 'b1'],
      [1, 'a3 new in dev'],
    ]);
  });
});
