// Row-level security: where a policy filters this user's rows, mr4 would export, match or write part
// of a table as if it were all of it. The plan refuses such a table before anything is read or
// written, naming it and the way out; a role that bypasses the policies (the owner without FORCE)
// moves every row; and mr4's connections run with row_security off, so a policy is never a silent
// filter even where the catalog did not foresee it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { adminUrl, type TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();

const reader = `mr4_rls_r_${randomBytes(4).toString('hex')}`;
const owner = `mr4_rls_o_${randomBytes(4).toString('hex')}`;

// The notes' owner sees only its own notes through the policy; tag has no policy.
const SCHEMA = `
  CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL UNIQUE, author text NOT NULL, tag_id int REFERENCES tag(id));
  ALTER TABLE note ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own_notes ON note USING (author = current_user);
  ALTER TABLE tag OWNER TO ${owner}; ALTER TABLE note OWNER TO ${owner};
  GRANT SELECT, INSERT, UPDATE ON tag, note TO ${reader};
  GRANT USAGE, SELECT, UPDATE ON SEQUENCE tag_id_seq, note_id_seq TO ${reader};`;
const SEED = `
  INSERT INTO tag (name) VALUES ('work'), ('home');
  INSERT INTO note (body, author, tag_id) VALUES ('mine', '${reader}', 1), ('someone else''s', 'alice', 2);`;

const refusal = (wayOut: string) =>
  'Row-level security applies to note for this user: PostgreSQL would let mr4 see and write only the rows its policies allow, ' +
  'and mr4 would export, match or overwrite part of a table as if it were all of it. Connect as a role that bypasses it ' +
  "(a superuser, a role WITH BYPASSRLS, or the tables' owner where FORCE ROW LEVEL SECURITY is not set). " +
  wayOut;
const REFUSAL = refusal(`Leave them out: --tables tag, or "exclude": true for note in the --config file's "tables".`);

beforeAll(() => asAdmin(`CREATE ROLE ${reader} LOGIN PASSWORD 'x'; CREATE ROLE ${owner} LOGIN PASSWORD 'x';`));
// Registered before the databases' hook, so it runs after they are dropped (with what the roles own).
afterAll(() => asAdmin(`DROP ROLE IF EXISTS ${reader}; DROP ROLE IF EXISTS ${owner};`));
const db = databasesForFile();

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function withRls(): Promise<TestDb> {
  const d = await db(SCHEMA + SEED);
  // Dropped before the database, so the roles can go after the file.
  d.drop = ((drop) => async () => {
    await d.client.query(`DROP OWNED BY ${reader}, ${owner}`).catch(() => undefined);
    await drop();
  })(d.drop);
  return d;
}

function as(d: TestDb, role: string): TestDb {
  const url = new URL(d.url);
  url.username = role;
  url.password = 'x';
  return { ...d, url: url.toString() };
}

async function everyRow(d: TestDb): Promise<unknown[][]> {
  const tags = await d.client.query('SELECT * FROM tag ORDER BY id');
  const notes = await d.client.query('SELECT * FROM note ORDER BY body');
  return [tags.rows, notes.rows];
}

describe('a role the policies filter is refused before anything is read or written', () => {
  test('export writes no archive; the way out (--tables) moves the rest', async () => {
    const source = await withRls();
    const out = join(dir, 'refused.tar.gz');
    await expect(exportDb(as(source, reader), out)).rejects.toThrow(REFUSAL);
    expect(existsSync(out)).toBe(false);
    const tagsOnly = join(dir, 'tags.tar.gz');
    await exportDb(as(source, reader), tagsOnly, { tables: ['tag'] });
    const empty = await db('CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL UNIQUE);');
    const report = await importInto(empty, tagsOnly, 'skip');
    expect(report.tables.map((t) => [t.table, t.inserted])).toEqual([['tag', 2]]);
  });

  test('skip, merge and diff into a target the policies filter leave every row as it was', async () => {
    const source = await db(
      SCHEMA.replace(/ALTER TABLE (tag|note) OWNER[^;]*;|GRANT[^;]*;|CREATE POLICY[^;]*;|ALTER TABLE note ENABLE[^;]*;/g, '') + SEED,
    );
    const archive = join(dir, 'plain.tar.gz');
    await exportDb(source, archive);
    const target = await withRls();
    const before = await everyRow(target);
    await expect(importInto(as(target, reader), archive, 'skip')).rejects.toThrow(REFUSAL);
    await expect(importInto(as(target, reader), archive, 'merge')).rejects.toThrow(REFUSAL);
    await expect(openDiff({ db: dbTarget(as(target, reader).url), archive })).rejects.toThrow(REFUSAL);
    expect(await everyRow(target)).toEqual(before);
  });

  test('the owner is filtered too where FORCE ROW LEVEL SECURITY is set', async () => {
    const source = await withRls();
    await source.client.query('ALTER TABLE note FORCE ROW LEVEL SECURITY');
    await expect(exportDb(as(source, owner), join(dir, 'forced.tar.gz'))).rejects.toThrow(REFUSAL);
  });
});

test('the owner, whom the policies do not filter, exports and imports every row', async () => {
  const source = await withRls();
  const archive = join(dir, 'owner.tar.gz');
  await exportDb(as(source, owner), archive);
  const target = await withRls();
  await target.client.query(`DELETE FROM note; DELETE FROM tag; INSERT INTO tag (name) VALUES ('home');`);
  const report = await importInto(as(target, owner), archive, 'merge');
  expect(report.tables.map((t) => [t.table, t.inserted, t.unchanged])).toEqual([
    ['tag', 1, 1],
    ['note', 2, 0],
  ]);
  const [, notes] = await everyRow(target);
  expect((notes as { body: string; author: string; tag_id: number }[]).map((n) => [n.body, n.author, n.tag_id])).toEqual([
    ['mine', reader, 1],
    ["someone else's", 'alice', 3],
  ]);
});

test('a policy the plan did not see is an error, never a filter: mr4’s connections run with row_security off', async () => {
  const d = await withRls();
  const client = await dbTarget(as(d, reader).url).connect();
  try {
    await expect(client.query('SELECT count(*) FROM note')).rejects.toThrow(
      /query would be affected by row-level security policy for table "note"/,
    );
  } finally {
    await client.end();
  }
});
