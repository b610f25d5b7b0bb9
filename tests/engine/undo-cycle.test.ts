// Undo of an import whose tables refer to each other in a cycle (rows the import inserted with a late
// column, filled once the other table's rows existed): the undo puts the updated rows back and deletes
// the inserted rows of the cycle together, and the target ends exactly as before the import; a self-
// referencing table and a cycle whose rows were all inserted (composite keys) come apart too. Rows added since that refer to inserted rows stop it, named.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { UndoConflictError, undoImport } from '../../src-main/engine/undo';
import { cleanEnv, ensureBuilt, runCli } from '../helpers/cli';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';
import type { TestDb } from '../helpers/db';

const dir = scratchDir();
const db = databasesForFile();
const env = cleanEnv({ MR4_DATA_DIR: join(dir, 'data') });

const USERS = `
  CREATE TABLE users (id serial PRIMARY KEY, login text NOT NULL UNIQUE, default_project_id int);
  CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL, owner_id int NOT NULL REFERENCES users);
  ALTER TABLE users ADD FOREIGN KEY (default_project_id) REFERENCES projects;`;

beforeAll(() => ensureBuilt(), 120_000);

/** Every row of the schema, the sequences' positions, and nothing of _mr4 but the lineage's rows. */
async function state(d: TestDb) {
  const rows = await snapshot(d.client);
  const seqs = await d.client.query(
    `SELECT c.relname, s.last_value::text, s.is_called FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
       LATERAL (SELECT * FROM pg_sequence_last_value(c.oid) l(last_value), (SELECT true) x(is_called)) s
     WHERE c.relkind = 'S' AND n.nspname = 'public' ORDER BY 1`,
  );
  return { rows, sequences: seqs.rows };
}

async function prodAndDev() {
  const prod = await db(`${USERS}
    INSERT INTO users (login) VALUES ('alice'), ('bob');
    INSERT INTO projects (name, owner_id) VALUES ('P1', 1), ('P2', 2);
    UPDATE users SET default_project_id = id;`);
  const dev = await db(USERS);
  return { prod, dev };
}

test('mr4 undo of a merge that inserted and updated rows of a users ⇄ projects cycle: prod exactly as before', async () => {
  const { prod, dev } = await prodAndDev();
  const seed = join(dir, 'prod.tar.gz');
  await exportDb(prod, seed);
  const pulled = await runCli(['import', seed, '--db', dev.url, '--mode', 'merge', '--json'], { env });
  expect(pulled.code, pulled.stderr).toBe(0);
  await dev.client.query(`
    INSERT INTO users (login) VALUES ('dave');
    INSERT INTO projects (name, owner_id) VALUES ('P3-dev', 3);
    UPDATE users SET default_project_id = 3 WHERE login IN ('dave', 'alice');`);
  const file = join(dir, 'dev.tar.gz');
  await exportDb(dev, file);

  const before = await state(prod);
  const pushed = await runCli(['import', file, '--db', prod.url, '--mode', 'merge', '--base', 'auto', '--json'], { env });
  expect(pushed.code, pushed.stderr).toBe(0);
  const report = JSON.parse(pushed.stdout);
  expect(counts(report)).toMatchObject({ users: { inserted: 1, updated: 1 }, projects: { inserted: 1, updated: 0 } });
  expect((await prod.client.query(`SELECT login, default_project_id AS p FROM users ORDER BY id`)).rows).toEqual([
    { login: 'alice', p: 3 },
    { login: 'bob', p: 2 },
    { login: 'dave', p: 3 },
  ]);
  const imported = await state(prod);

  const dry = await runCli(['undo', '--db', prod.url, '--dry-run', '--json'], { env });
  expect(dry.code, dry.stderr).toBe(0);
  const dryReport = JSON.parse(dry.stdout);
  expect(dryReport).toMatchObject({ dryRun: true, changed: [] });
  expect(await state(prod)).toEqual(imported);

  const undo = await runCli(['undo', '--db', prod.url, '--json'], { env });
  expect(undo.code, undo.stderr).toBe(0);
  const undone = JSON.parse(undo.stdout);
  expect(undone.tables).toEqual(dryReport.tables);
  expect(
    Object.fromEntries(undone.tables.map((t: { table: string; deleted: number; restored: number }) => [t.table, [t.deleted, t.restored]])),
  ).toEqual({
    users: [1, 1],
    projects: [1, 0],
  });
  const after = await state(prod);
  // The lineage store was created by this import (prod never received one before) and is left empty.
  expect(after.rows['_mr4.lineage']).toEqual([]);
  delete after.rows['_mr4.lineage'];
  // Every row as before; the sequences stay where the import drew them (never moved back).
  expect(after.rows).toEqual(before.rows);
  expect(after.sequences).toEqual(imported.sequences);
  expect((await prod.client.query(`SELECT id, login, default_project_id AS p FROM users ORDER BY id`)).rows).toEqual([
    { id: 1, login: 'alice', p: 1 },
    { id: 2, login: 'bob', p: 2 },
  ]);
});

test('a row added since that refers to a row of the cycle the import inserted: the undo stops, names it, changes nothing', async () => {
  const { prod, dev } = await prodAndDev();
  await dev.client.query(`
    INSERT INTO users (login) VALUES ('dave');
    INSERT INTO projects (name, owner_id) VALUES ('P3-dev', 1);
    UPDATE users SET default_project_id = 1 WHERE login = 'dave';`);
  const file = join(dir, 'dev-only.tar.gz');
  await exportDb(dev, file);
  // prod gets dev's rows: dave (id 3) and P3-dev (id 3, owned by dave)…
  await importInto(prod, file, 'merge');
  // …and bob is pointed at P3-dev after the import: bob is not in the log, P3-dev cannot go.
  await prod.client.query(`UPDATE users SET default_project_id = (SELECT id FROM projects WHERE name = 'P3-dev') WHERE login = 'bob'`);
  const now = await state(prod);
  const refused = (await undoImport({ db: dbTarget(prod.url) }).catch((e) => e)) as Error;
  expect(refused).toBeInstanceOf(Error);
  expect(refused.message).toMatch(/users_default_project_id_fkey/);
  expect(refused.message).toMatch(/(users, projects|projects, users) refer to each other in a cycle/);
  expect(refused.message).toContain(
    `1 row(s) of users refer through users_default_project_id_fkey to rows of projects the import inserted:\n  users {"id":2}\n`,
  );
  expect(refused.message).toMatch(/Nothing was changed. Point those rows elsewhere or delete them .*, then undo again/);
  expect(await state(prod)).toEqual(now);
  const dry = (await undoImport({ db: dbTarget(prod.url), dryRun: true }).catch((e) => e)) as Error;
  expect(dry.message).toBe(refused.message);
});

test('a row of the cycle changed since: named, nothing written; kept, it still refers to a row the undo deletes: named too', async () => {
  const { prod, dev } = await prodAndDev();
  await dev.client.query(`
    INSERT INTO users (login) VALUES ('dave');
    INSERT INTO projects (name, owner_id) VALUES ('P3-dev', 1);`);
  const file = join(dir, 'dev-changed.tar.gz');
  await exportDb(dev, file);
  const before = await state(prod);
  await importInto(prod, file, 'merge');
  // dave (inserted without a default project) now points at P3-dev (inserted, his own project).
  await prod.client.query(`UPDATE users SET default_project_id = 3 WHERE login = 'dave'`);
  const now = await state(prod);
  const refused = (await undoImport({ db: dbTarget(prod.url) }).catch((e) => e)) as Error;
  expect(refused).toBeInstanceOf(UndoConflictError);
  expect((refused as UndoConflictError).rows).toEqual([
    { table: 'users', key: { id: 3 }, row: null, reason: 'inserted by the import, then changed' },
  ]);
  expect(await state(prod)).toEqual(now);
  // Kept, dave stays with the project he points at (not the import's to take away): the undo names him.
  const kept = (await undoImport({ db: dbTarget(prod.url), keepChanged: true }).catch((e) => e)) as Error;
  expect(kept.message).toContain(
    `refer through users_default_project_id_fkey to rows of projects the import inserted:\n  users {"id":3}\n`,
  );
  expect(await state(prod)).toEqual(now);
  // Put back as the import left it, the whole import is undone.
  await prod.client.query(`UPDATE users SET default_project_id = NULL WHERE login = 'dave'`);
  await undoImport({ db: dbTarget(prod.url) });
  const after = await state(prod);
  delete after.rows['_mr4.lineage'];
  expect(after.rows).toEqual(before.rows);
});

test('a self-referencing table: inserted parents and children, an existing row re-pointed at a new one', async () => {
  const SCHEMA = `CREATE TABLE node (id serial PRIMARY KEY, code text NOT NULL UNIQUE, parent_id int REFERENCES node);`;
  const source = await db(`${SCHEMA}
    INSERT INTO node (code) VALUES ('root'), ('x'), ('a'), ('b'), ('c');
    UPDATE node SET parent_id = 1 WHERE code = 'a';
    UPDATE node SET parent_id = 3 WHERE code = 'b';
    UPDATE node SET parent_id = 4 WHERE code = 'c';
    UPDATE node SET parent_id = 5 WHERE code = 'x';`);
  const target = await db(`${SCHEMA} INSERT INTO node (code) VALUES ('x'), ('root'); UPDATE node SET parent_id = 2 WHERE code = 'x';`);
  const before = await state(target);
  const file = join(dir, 'tree.tar.gz');
  await exportDb(source, file);
  const report = await importInto(target, file, 'merge');
  expect(counts(report).node).toMatchObject({ inserted: 3, updated: 1 });
  const imported = await state(target);
  const dry = await undoImport({ db: dbTarget(target.url), dryRun: true });
  expect(await state(target)).toEqual(imported);
  const undone = await undoImport({ db: dbTarget(target.url) });
  expect(undone.tables).toEqual(dry.tables);
  expect(undone.tables).toEqual([{ table: 'node', deleted: 3, restored: 1, kept: 0 }]);
  const after = await state(target);
  delete after.rows['_mr4.lineage'];
  expect(after.rows).toEqual(before.rows);
  expect(after.sequences).toEqual(imported.sequences);
});

test('a cycle whose rows were all inserted, a child of it with a composite key; rows outside the import untouched', async () => {
  const SCHEMA = `
    CREATE TABLE dept (id serial PRIMARY KEY, code text NOT NULL UNIQUE, head_id int);
    CREATE TABLE emp (id serial PRIMARY KEY, login text NOT NULL UNIQUE, dept_id int NOT NULL REFERENCES dept);
    ALTER TABLE dept ADD FOREIGN KEY (head_id) REFERENCES emp;
    CREATE TABLE assignment (dept_id int REFERENCES dept, emp_id int REFERENCES emp, role text, PRIMARY KEY (dept_id, emp_id));
    CREATE TABLE other (id int PRIMARY KEY, v text);`;
  const source = await db(`${SCHEMA}
    INSERT INTO dept (code) VALUES ('eng'), ('ops');
    INSERT INTO emp (login, dept_id) VALUES ('ann', 1), ('ben', 2), ('cy', 1);
    UPDATE dept SET head_id = id;
    INSERT INTO assignment VALUES (1, 1, 'lead'), (1, 2, 'guest'), (2, 2, 'lead');`);
  const target = await db(`${SCHEMA} INSERT INTO other VALUES (1, 'untouched');
    INSERT INTO dept (id, code) VALUES (10, 'hr'); INSERT INTO emp (id, login, dept_id) VALUES (10, 'hal', 10);
    UPDATE dept SET head_id = 10; INSERT INTO assignment VALUES (10, 10, 'lead');`);
  const before = await state(target);
  const file = join(dir, 'org.tar.gz');
  await exportDb(source, file);
  const report = await importInto(target, file, 'merge');
  expect(counts(report)).toMatchObject({ dept: { inserted: 2 }, emp: { inserted: 3 }, assignment: { inserted: 3 } });
  const imported = await state(target);
  const dry = await undoImport({ db: dbTarget(target.url), dryRun: true });
  expect(await state(target)).toEqual(imported);
  const undone = await undoImport({ db: dbTarget(target.url) });
  expect(undone.tables).toEqual(dry.tables);
  expect(Object.fromEntries(undone.tables.map((t) => [t.table, t.deleted]))).toEqual({ dept: 2, emp: 3, assignment: 3 });
  const after = await state(target);
  delete after.rows['_mr4.lineage'];
  expect(after.rows).toEqual(before.rows);
  expect(after.sequences).toEqual(imported.sequences);
});
