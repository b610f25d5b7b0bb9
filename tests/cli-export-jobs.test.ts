// `mr4 export --jobs N`: the connections reading tables at once (one snapshot), checked as given.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openArchive } from '../src-main/engine/archive/reader';
import { ensureBuilt, runCli } from './helpers/cli';
import { databasesForFile, scratchDir } from './helpers/engine';

const db = databasesForFile();
const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt());

const SCHEMA = `
  CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
  CREATE TABLE post (id serial PRIMARY KEY, person_id integer NOT NULL REFERENCES person(id), title text NOT NULL);
  INSERT INTO person (email) SELECT 'p' || g || '@example.org' FROM generate_series(1, 500) g;
  INSERT INTO post (person_id, title) SELECT 1 + g % 500, 'Post ' || g FROM generate_series(1, 2000) g;
`;

test('--jobs 3 exports every row; a count out of 1–16 is refused before anything runs', async () => {
  const source = await db(SCHEMA);
  const out = join(dir, 'three.tar.gz');
  const r = await runCli(['export', '--db', source.url, '--out', out, '--jobs', '3', '--json']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).tables.map((t: { table: string; rows: number }) => [t.table, t.rows])).toEqual([
    ['person', 500],
    ['post', 2000],
  ]);
  expect((await openArchive(out)).index!.tables.post.rows).toBe(2000);
  for (const bad of ['0', '17', 'two']) {
    const refused = await runCli(['export', '--db', source.url, '--out', join(dir, `bad-${bad}.tar.gz`), '--jobs', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('give a number from 1 to 16');
  }
});
