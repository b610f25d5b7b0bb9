// What the command line checks before it reads or writes anything: the archive's destination (a folder
// that exists, a name that is not a folder's), an archive path that is a folder, and --tables narrowing
// which of the archive's tables must exist in the target.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli';
import type { TestDb } from '../helpers/db';
import { createTestDb } from '../helpers/db';
import { cliWorkFolder } from './helpers';

const work = cliWorkFolder();
const SCHEMA = `CREATE TABLE tag (id serial PRIMARY KEY, code text NOT NULL UNIQUE); CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL UNIQUE);`;
let src: TestDb;
let archive: string;

beforeAll(async () => {
  src = await createTestDb(SCHEMA + `INSERT INTO tag (code) VALUES ('a'), ('b'); INSERT INTO note (body) VALUES ('n');`);
  archive = join(work, 'both.tar.gz');
  const r = await runCli(['export', '--db', src.url, '--out', archive]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await src?.drop();
});

test('an export into a folder that does not exist, or onto a folder, is refused before anything is read', async () => {
  const missing = await runCli(['export', '--db', src.url, '--out', join(work, 'no-such-folder', 'x.tar.gz')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/Cannot write the archive .*x\.tar\.gz: the folder .*no-such-folder does not exist\. Create it/);
  expect(missing.stderr).not.toMatch(/ENOENT|Phase 2/);
  const folder = join(work, 'a-folder');
  mkdirSync(folder);
  const onto = await runCli(['export', '--db', src.url, '--out', folder]);
  expect(onto.code).toBe(1);
  expect(onto.stderr).toMatch(/Cannot write the archive .*a-folder: that is a folder\. Name a file, e\.g\. .*a-folder\/export\.tar\.gz/);
  expect(onto.stderr).not.toMatch(/EISDIR|Phase 2/);
  expect(readdirSync(folder)).toEqual([]);
  expect(existsSync(join(work, 'no-such-folder'))).toBe(false);
});

test('an archive path that is a folder says so', async () => {
  const r = await runCli(['import', work, '--db', src.url, '--mode', 'skip']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/cannot open archive .*: that is a folder\./);
});

test('--tables narrows which archive tables the target must have; one it lacks and was not asked for does not block', async () => {
  const target = await createTestDb(`CREATE TABLE tag (id serial PRIMARY KEY, code text NOT NULL UNIQUE);`);
  try {
    const all = await runCli(['import', archive, '--db', target.url, '--mode', 'skip']);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/table "note" is in the archive but not in database/);
    const tags = await runCli(['import', archive, '--db', target.url, '--mode', 'skip', '--tables', 'tag', '--json']);
    expect(tags.code, tags.stderr).toBe(0);
    expect(JSON.parse(tags.stdout).tables).toEqual([expect.objectContaining({ table: 'tag', inserted: 2 })]);
    expect((await target.client.query(`SELECT code FROM tag ORDER BY code`)).rows).toEqual([{ code: 'a' }, { code: 'b' }]);
  } finally {
    await target.drop();
  }
});
