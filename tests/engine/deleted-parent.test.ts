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

/** A three-way merge against what the two last agreed on, conflicts left to the target. */
const againstKeptBase = () => ({ agreement: agreementStore(dataDir), base: 'auto', onConflict: 'target' }) as const;

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
        ...againstKeptBase(),
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
      ...againstKeptBase(),
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

  test('an existing row moved in the source to the deleted parent: refused by a merge, left alone by a skip', async () => {
    const prod = await db(SCHEMA + DATA);
    const dev = await db(SCHEMA);
    await sync(prod, dev);
    await prod.client.query(`DELETE FROM proj WHERE name = 'A'`);
    await dev.client.query(`UPDATE task SET proj_id = 1 WHERE title = 'b1'`);
    const archive = join(dir, `dev-${++n}.tar.gz`);
    await exportDb(dev, archive);
    const before = await rows(prod);
    const options = { agreement: agreementStore(dataDir), base: 'auto', disableTriggers: true } as const;
    const error = await importInto(prod, archive, 'merge', options).catch((e: Error) => e);
    expect((error as Error).name).toBe('RefusedRowsError');
    expect((error as Error).message).toMatch(/task \{"id":"3"\} \(row \d+\): proj_id refers to proj \{"id": "1"\}, which was deleted/);
    expect(await rows(prod)).toEqual(before);
    const skipped = await importInto(prod, archive, 'skip', options);
    expect(skipped.failures).toEqual([]);
    expect(await rows(prod)).toEqual(before);
  });

  test('a decision "source" for the deleted parent brings it back, and the child attaches to it', async () => {
    const { prod, archive } = await scenario();
    const report = await importInto(prod, archive, 'merge', {
      ...againstKeptBase(),
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

// The same through a reference to the same table, a composite natural key, a grandchild (its parent
// refused in turn) and a late reference that closes a cycle (left unresolved, never pointed at nothing).
const SCHEMA2 = `
  CREATE TABLE org (org text, code text, name text NOT NULL, PRIMARY KEY (org, code));
  CREATE TABLE proj (id serial PRIMARY KEY, name text NOT NULL, lead_task_id int);
  CREATE TABLE task (id serial PRIMARY KEY, proj_id int NOT NULL REFERENCES proj ON DELETE CASCADE,
                     parent_id int REFERENCES task ON DELETE CASCADE, title text NOT NULL);
  ALTER TABLE proj ADD FOREIGN KEY (lead_task_id) REFERENCES task ON DELETE SET NULL;
  CREATE TABLE note (id serial PRIMARY KEY, task_id int NOT NULL REFERENCES task ON DELETE CASCADE, body text NOT NULL);
  CREATE TABLE member (id serial PRIMARY KEY, org text NOT NULL, code text NOT NULL, who text NOT NULL,
                       FOREIGN KEY (org, code) REFERENCES org ON DELETE CASCADE);`;
const DATA2 = `
  INSERT INTO org VALUES ('x', '1', 'X1'), ('x', '2', 'X2');
  INSERT INTO proj (name) VALUES ('A'), ('B');
  INSERT INTO task (proj_id, parent_id, title) VALUES (1, NULL, 't1'), (2, NULL, 't2'), (2, 2, 't3');
  INSERT INTO note (task_id, body) VALUES (2, 'on t2');
  INSERT INTO member (org, code, who) VALUES ('x', '2', 'm2');`;

async function scenario2(): Promise<{ prod: TestDb; archive: string }> {
  const prod = await db(SCHEMA2 + DATA2);
  const dev = await db(SCHEMA2);
  await sync(prod, dev);
  await prod.client.query(`DELETE FROM proj WHERE name = 'A'; DELETE FROM task WHERE title = 't3'; DELETE FROM org WHERE code = '1';`);
  await dev.client.query(`
    INSERT INTO task (proj_id, parent_id, title) VALUES (2, 3, 't4 under t3');
    INSERT INTO task (proj_id, title) VALUES (1, 't5 in A');
    INSERT INTO note (task_id, body) VALUES ((SELECT id FROM task WHERE title = 't5 in A'), 'on t5');
    INSERT INTO member (org, code, who) VALUES ('x', '1', 'm1'), ('x', '2', 'm2 again');
    UPDATE proj SET lead_task_id = 1 WHERE name = 'B';`);
  const archive = join(dir, `dev-${++n}.tar.gz`);
  await exportDb(dev, archive);
  return { prod, archive };
}

async function rows2(d: TestDb) {
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  return {
    org: await q(`SELECT org, code FROM org ORDER BY 1, 2`),
    proj: await q(`SELECT id, name, lead_task_id FROM proj ORDER BY id`),
    task: await q(`SELECT id, proj_id, parent_id, title FROM task ORDER BY id`),
    note: await q(`SELECT task_id, body FROM note ORDER BY id`),
    member: await q(`SELECT org, code, who FROM member ORDER BY id`),
  };
}

async function orphans(d: TestDb): Promise<number> {
  const res = await d.client.query(`SELECT
    (SELECT count(*) FROM task c WHERE NOT EXISTS (SELECT 1 FROM proj p WHERE p.id = c.proj_id))
  + (SELECT count(*) FROM task c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM task p WHERE p.id = c.parent_id))
  + (SELECT count(*) FROM note c WHERE NOT EXISTS (SELECT 1 FROM task p WHERE p.id = c.task_id))
  + (SELECT count(*) FROM member c WHERE NOT EXISTS (SELECT 1 FROM org p WHERE (p.org, p.code) = (c.org, c.code)))
  + (SELECT count(*) FROM proj c WHERE c.lead_task_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM task p WHERE p.id = c.lead_task_id)) AS n`);
  return Number(res.rows[0].n);
}

describe('parents deleted in the target, through any kind of reference', () => {
  test('the diff refuses every row that would point at nothing', async () => {
    const { prod, archive } = await scenario2();
    const diff = await openDiff({ db: dbTarget(prod.url), archive, base: 'auto', agreement: agreementStore(dataDir) });
    try {
      const reasons = async (table: string) =>
        (await diff.page({ table, kinds: ['refused'], offset: 0, limit: 10 })).rows.map((r) => r.reason).sort();
      expect(await reasons('task')).toEqual([
        expect.stringMatching(/^parent_id refers to task \{"id": "3"\}, which was deleted in the target since the base/),
        expect.stringMatching(/^proj_id refers to proj \{"id": "1"\}, which was deleted in the target since the base/),
      ]);
      expect(await reasons('note')).toEqual([expect.stringMatching(/^task_id refers to task \{"id": "5"\}, which is refused/)]);
      expect(await reasons('member')).toEqual([
        expect.stringMatching(/^org, code refers to org \{"org": "x", "code": "1"\}, which was deleted in the target since the base/),
      ]);
      const counts = (table: string) => diff.summary.tables.find((t) => t.table === table)!.counts;
      expect(counts('member').new).toBe(1);
    } finally {
      await diff.close();
    }
  });

  for (const options of [{}, { disableTriggers: true }, { foreignKeyReload: 'always' as const }]) {
    test(`the merge refuses them all before writing (${JSON.stringify(options)})`, async () => {
      const { prod, archive } = await scenario2();
      const before = await rows2(prod);
      const error = await importInto(prod, archive, 'merge', {
        ...againstKeptBase(),
        ...options,
      }).catch((e: Error) => e);
      expect((error as Error).name).toBe('RefusedRowsError');
      expect((error as Error).message).toContain('4 row(s)');
      expect(await rows2(prod)).toEqual(before);
    });
  }

  test('with --allow-failures and triggers disabled the rest goes in, and nothing points at nothing', async () => {
    const { prod, archive } = await scenario2();
    const report = await importInto(prod, archive, 'merge', {
      ...againstKeptBase(),
      allowFailures: true,
      disableTriggers: true,
    });
    expect(report.failures.map((f) => `${f.table} ${f.column ?? ''} ${f.reason}`).sort()).toEqual([
      expect.stringMatching(/^member {2}org, code refers to org \{"org": "x", "code": "1"\}, which was deleted/),
      expect.stringMatching(/^note task_id task_id refers to task \{"id": "5"\}, which is refused/),
      expect.stringMatching(
        /^proj lead_task_id lead_task_id refers to a task row that was deleted in the target since the base; left unchanged/,
      ),
      expect.stringMatching(/^task {2}parent_id refers to task \{"id": "3"\}, which was deleted/),
      expect.stringMatching(/^task {2}proj_id refers to proj \{"id": "1"\}, which was deleted/),
    ]);
    expect(await orphans(prod)).toBe(0);
    const after = await rows2(prod);
    expect(after.proj).toEqual([{ id: 2, name: 'B', lead_task_id: null }]);
    expect(after.task.map((t) => t.title)).toEqual(['t2']);
    expect(after.member.map((m) => m.who)).toEqual(['m2', 'm2 again']);
  });
});
