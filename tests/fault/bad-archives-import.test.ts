// The corpus of bad archives (tests/helpers/bad-archives.ts: cut, corrupted, lying entries, values
// PostgreSQL cannot store, bombs): every one is refused by an import, and by a diff, with what is wrong,
// within seconds and before anything is written; the target is unchanged and takes the good archive
// afterwards.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { ArchiveError } from '../../src-main/engine/archive/format';
import { runDiff } from '../../src-main/services/diff-job';
import { type BadArchive, buildBadArchives } from '../helpers/bad-archives';
import { fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `
  CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
  CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text NOT NULL, author_id int REFERENCES authors(id));`;
const DATA = `
  INSERT INTO authors (email, name) SELECT 'a' || g || '@x.org', 'Author ' || g FROM generate_series(1, 200) g;
  INSERT INTO books (isbn, title, author_id) SELECT 'isbn' || g, 'Title ' || g || repeat(' words', 20), 1 + g % 200 FROM generate_series(1, 3000) g;`;

let good: string;
let bad: BadArchive[];
let target: TestDb;
beforeAll(async () => {
  const source = await db(SCHEMA + DATA);
  good = join(dir, 'good.tar.gz');
  await exportDb(source, good);
  bad = buildBadArchives(good, dir, 'books.json');
  target = await db(SCHEMA + `INSERT INTO authors (email, name) VALUES ('mine@x.org', 'Mine');`);
}, 120_000);

test('the corpus holds at least 30 bad archives', () => {
  expect(bad.length).toBeGreaterThanOrEqual(30);
});

test('each is refused by an import, saying what is wrong, before anything is written', async () => {
  const before = await fingerprint(target.client);
  const seen: string[] = [];
  for (const b of bad) {
    const started = Date.now();
    const error = await importInto(target, b.file, 'merge').then(
      () => null,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    const message = error instanceof Error ? error.message : 'accepted';
    if (
      !(error instanceof ArchiveError) ||
      !b.expect.test(message) ||
      !/Nothing was written to the target/.test(message) ||
      took > 15_000
    ) {
      seen.push(`${b.name}: ${(error as Error)?.name} ${message.split('\n')[0]} (${took} ms)`);
    }
  }
  expect(seen).toEqual([]);
  expect(await fingerprint(target.client)).toBe(before);
  // No session of the runs is left behind.
  const open = await target.client.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  expect(open.rows[0].n).toBe(0);
}, 300_000);

test('each is refused by a diff too', async () => {
  const seen: string[] = [];
  for (const b of bad) {
    const error = await runDiff(dbTarget(target.url), { archive: b.file }, undefined, new AbortController().signal, () => undefined).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof ArchiveError) || !b.expect.test(error.message))
      seen.push(`${b.name}: ${(error as Error)?.message?.split('\n')[0] ?? 'accepted'}`);
  }
  expect(seen).toEqual([]);
}, 300_000);

test('the target then takes the good archive', async () => {
  const report = await importInto(target, good, 'merge');
  expect(report.tables.find((t) => t.table === 'books')?.inserted).toBe(3000);
});
