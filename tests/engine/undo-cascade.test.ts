// Rows added after the import that refer to a row the undo deletes stop the undo whatever their
// foreign key's ON DELETE action: CASCADE would delete them, SET NULL / SET DEFAULT unlink them, NO
// ACTION fail on them. The refusal names them and the way out, the dry run alike, nothing is changed.
// Rows the import inserted itself go with their parent; the old key values the undo puts back stop it
// the same way where ON UPDATE SET NULL would unlink rows added since.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { exportDb, importInto } from '../helpers/engine';
import { snapshot } from '../helpers/undo';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dir, dataDir, db, registry } = mergeWorkspace();

const PROJECTS = `
  CREATE TABLE project (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE task (id serial PRIMARY KEY, project_id int NOT NULL REFERENCES project ON DELETE CASCADE, title text NOT NULL);
  CREATE TABLE label (id serial PRIMARY KEY, project_id int REFERENCES project ON DELETE SET NULL, txt text);`;

const ADVICE =
  'Nothing was changed. Point those rows elsewhere or delete them (they were added or changed after the import), then undo again; ' +
  'or, if they belong with what the import wrote, leave the import in place and correct it with another merge or by hand.';

/** Production with p1; dev's archive adds `devRows` to p1; merged into production. */
async function merged(schema: string, devRows: string): Promise<TestDb> {
  const dev = await db(`${schema} INSERT INTO project (name) VALUES ('p1'); ${devRows}`);
  const prod = await db(`${schema} INSERT INTO project (name) VALUES ('p1');`);
  const file = join(dir, `${dev.name}.tar.gz`);
  await exportDb(dev, file);
  await importInto(prod, file, 'merge');
  return prod;
}

/** A merge as the CLI runs it: the pair's agreement kept, and with `base` the one they last agreed on. */
async function mergeWithAgreement(from: TestDb, to: TestDb, base?: 'auto'): Promise<void> {
  const file = join(dir, `${from.name}-${to.name}-${base ?? 'first'}.tar.gz`);
  await exportDb(from, file);
  await registry.record(await importInto(to, file, 'merge', { base, agreement: agreementStore(dataDir) }));
}

async function refusal(target: TestDb, options: { dryRun?: boolean; keepChanged?: boolean } = {}): Promise<string> {
  const error = (await undoImport({ db: dbTarget(target.url), ...options }).catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(Error);
  return error.message;
}

test('production rows added after the merge under a CASCADE and a SET NULL key: the undo and its dry run stop, name them, change nothing', async () => {
  const prod = await merged(PROJECTS, `INSERT INTO project (name) VALUES ('dev-project');`);
  await prod.client.query(`
    INSERT INTO task (project_id, title) SELECT id, 'PROD WORK ' || g FROM project, generate_series(1, 3) g WHERE name = 'dev-project';
    INSERT INTO label (project_id, txt) SELECT id, 'PROD LABEL' FROM project WHERE name = 'dev-project';`);
  const now = await snapshot(prod.client);
  const expected =
    `Undoing the import would change rows it did not write: deleting the rows of project the import inserted sets label.project_id to NULL in the rows that refer to them (label_project_id_fkey, ON DELETE SET NULL).\n` +
    `1 row(s) of label refer through label_project_id_fkey to rows of project the import inserted:\n  label {"id":1}\n` +
    `Undoing the import would delete rows it did not insert: deleting the rows of project the import inserted deletes rows of task too (task_project_id_fkey, ON DELETE CASCADE).\n` +
    `3 row(s) of task refer through task_project_id_fkey to rows of project the import inserted:\n  task {"id":1}\n  task {"id":2}\n  task {"id":3}\n` +
    ADVICE;
  expect(await refusal(prod)).toBe(expected);
  expect(await snapshot(prod.client)).toEqual(now);
  expect(await refusal(prod, { dryRun: true })).toBe(expected);
  // Nothing was changed since the import, so there is nothing to keep: the same refusal.
  expect(await refusal(prod, { keepChanged: true })).toBe(expected);
  expect(await snapshot(prod.client)).toEqual(now);
});

test('children the same import inserted go with their parent; production rows elsewhere stay', async () => {
  const prod = await merged(
    PROJECTS,
    `INSERT INTO project (name) VALUES ('dev-project');
     INSERT INTO task (project_id, title) SELECT id, 'dev task' FROM project WHERE name = 'dev-project';
     INSERT INTO label (project_id, txt) SELECT id, 'dev label' FROM project WHERE name = 'dev-project';`,
  );
  await prod.client.query(`INSERT INTO task (project_id, title) SELECT id, 'PROD WORK' FROM project WHERE name = 'p1'`);
  const report = await undoImport({ db: dbTarget(prod.url) });
  expect(report.tables).toEqual([
    { table: 'project', deleted: 1, restored: 0, kept: 0 },
    { table: 'label', deleted: 1, restored: 0, kept: 0 },
    { table: 'task', deleted: 1, restored: 0, kept: 0 },
  ]);
  expect((await prod.client.query(`SELECT id, name FROM project ORDER BY id`)).rows).toEqual([{ id: 1, name: 'p1' }]);
  expect((await prod.client.query(`SELECT id, project_id, title FROM task ORDER BY id`)).rows).toEqual([
    { id: 2, project_id: 1, title: 'PROD WORK' },
  ]);
  expect((await prod.client.query(`SELECT * FROM label`)).rows).toEqual([]);
});

test('a child without any key: as many rows of each content as the import inserted go with their parent, one more added since is named', async () => {
  const schema = `
    CREATE TABLE project (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
    CREATE TABLE tag (project_id int REFERENCES project ON DELETE CASCADE, txt text);`;
  const prod = await merged(
    schema,
    `INSERT INTO project (name) VALUES ('dev-project');
     INSERT INTO tag SELECT id, 'x' FROM project, generate_series(1, 2) WHERE name = 'dev-project';`,
  );
  await prod.client.query(`INSERT INTO tag SELECT id, 'x' FROM project WHERE name = 'dev-project'`);
  const now = await snapshot(prod.client);
  expect(await refusal(prod)).toBe(
    `Undoing the import would delete rows it did not insert: deleting the rows of project the import inserted deletes rows of tag too (tag_project_id_fkey, ON DELETE CASCADE).\n` +
      `1 row(s) of tag refer through tag_project_id_fkey to rows of project the import inserted:\n  tag {"txt":"x","project_id":2}\n` +
      ADVICE,
  );
  expect(await snapshot(prod.client)).toEqual(now);
  await prod.client.query(`DELETE FROM tag WHERE ctid = (SELECT max(ctid) FROM tag)`);
  await undoImport({ db: dbTarget(prod.url) });
  expect((await prod.client.query(`SELECT id, name FROM project`)).rows).toEqual([{ id: 1, name: 'p1' }]);
  expect((await prod.client.query(`SELECT * FROM tag`)).rows).toEqual([]);
});

test('an inserted child changed since and kept (keepChanged) still refers to the parent the undo deletes: named', async () => {
  const prod = await merged(
    PROJECTS,
    `INSERT INTO project (name) VALUES ('dev-project');
     INSERT INTO task (project_id, title) SELECT id, 'dev task' FROM project WHERE name = 'dev-project';`,
  );
  await prod.client.query(`UPDATE task SET title = 'edited in production'`);
  const now = await snapshot(prod.client);
  expect(await refusal(prod, { keepChanged: true })).toBe(
    `Undoing the import would delete rows it did not insert: deleting the rows of project the import inserted deletes rows of task too (task_project_id_fkey, ON DELETE CASCADE).\n` +
      `1 row(s) of task refer through task_project_id_fkey to rows of project the import inserted:\n  task {"id":1}\n` +
      ADVICE,
  );
  expect(await snapshot(prod.client)).toEqual(now);
});

test('a NO ACTION key: stops as before, naming the rows', async () => {
  const schema = `
    CREATE TABLE project (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
    CREATE TABLE task (id serial PRIMARY KEY, project_id int NOT NULL REFERENCES project, title text NOT NULL);`;
  const prod = await merged(schema, `INSERT INTO project (name) VALUES ('dev-project');`);
  await prod.client.query(
    `INSERT INTO task (project_id, title) SELECT id, 'PROD WORK ' || g FROM project, generate_series(1, 3) g WHERE name = 'dev-project'`,
  );
  const now = await snapshot(prod.client);
  const expected =
    `Undoing the import would break a constraint: task_project_id_fkey (deleting the rows of project the import inserted leaves rows of task referring to nothing).\n` +
    `3 row(s) of task refer through task_project_id_fkey to rows of project the import inserted:\n  task {"id":1}\n  task {"id":2}\n  task {"id":3}\n` +
    ADVICE;
  expect(await refusal(prod)).toBe(expected);
  expect(await refusal(prod, { dryRun: true })).toBe(expected);
  expect(await snapshot(prod.client)).toEqual(now);
});

test('a partitioned child with a two-column key ON DELETE SET DEFAULT: its rows are named by their primary key', async () => {
  const schema = `
    CREATE TABLE project (id serial PRIMARY KEY, name text NOT NULL UNIQUE, UNIQUE (id, name));
    CREATE TABLE entry (id int NOT NULL, year int NOT NULL, project_id int, project_name text, PRIMARY KEY (id, year),
      CONSTRAINT entry_project FOREIGN KEY (project_id, project_name) REFERENCES project (id, name) ON DELETE SET DEFAULT) PARTITION BY RANGE (year);
    CREATE TABLE entry_2025 PARTITION OF entry FOR VALUES FROM (2025) TO (2026);
    CREATE TABLE entry_2026 PARTITION OF entry FOR VALUES FROM (2026) TO (2027);`;
  const prod = await merged(schema, `INSERT INTO project (name) VALUES ('dev-project');`);
  await prod.client.query(
    `INSERT INTO entry SELECT 7, y, id, name FROM project, (VALUES (2025), (2026)) v(y) WHERE name = 'dev-project';
     INSERT INTO entry SELECT 8, 2026, id, name FROM project WHERE name = 'p1';`,
  );
  const now = await snapshot(prod.client);
  expect(await refusal(prod)).toBe(
    `Undoing the import would change rows it did not write: deleting the rows of project the import inserted sets entry.project_id, project_name to the default in the rows that refer to them (entry_project, ON DELETE SET DEFAULT).\n` +
      `2 row(s) of entry refer through entry_project to rows of project the import inserted:\n  entry {"id":7,"year":2025}\n  entry {"id":7,"year":2026}\n` +
      ADVICE,
  );
  expect(await snapshot(prod.client)).toEqual(now);
});

test('a key value the undo puts back, referred to ON UPDATE SET NULL by a row added since: named, nothing changed', async () => {
  const schema = `
    CREATE TABLE seat (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
    CREATE TABLE ticket (id serial PRIMARY KEY, seat_code text REFERENCES seat (code) ON UPDATE SET NULL);`;
  const prod = await db(`${schema} INSERT INTO seat (code) VALUES ('1A');`);
  const dev = await db(schema);
  await mergeWithAgreement(prod, dev);
  await dev.client.query(`UPDATE seat SET code = '1B'`);
  await mergeWithAgreement(dev, prod, 'auto');
  expect((await prod.client.query(`SELECT * FROM seat`)).rows).toEqual([{ id: 1, code: '1B' }]);
  await prod.client.query(`INSERT INTO ticket (seat_code) VALUES ('1B')`);
  const now = await snapshot(prod.client);
  expect(await refusal(prod)).toBe(
    `Undoing the import would change rows it did not write: putting back seat.code as they were before the import sets ticket.seat_code to NULL in the rows that refer to them (ticket_seat_code_fkey, ON UPDATE SET NULL).\n` +
      `1 row(s) of ticket refer through ticket_seat_code_fkey to rows of seat whose key the undo puts back:\n  ticket {"id":1}\n` +
      ADVICE,
  );
  expect(await snapshot(prod.client)).toEqual(now);
});
