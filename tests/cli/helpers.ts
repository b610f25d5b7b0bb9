// What the `mr4` command line tests share: a work folder with the CLI built, a library schema with a
// cycle and a keyless table, an export through the CLI, and a production/dev pair of item databases
// that both changed since dev was copied from production.
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { ensureBuilt, runCli } from '../helpers/cli';
import type { TestDb } from '../helpers/db';
import { exportDb, importInto } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

/** A folder for the test file's archives and files (removed after the file); the CLI is built before its first test. */
export function cliWorkFolder(): string {
  beforeAll(() => ensureBuilt());
  return tempDir('mr4-cli-');
}

export async function count(db: TestDb, table: string): Promise<number> {
  return (await db.client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

export async function counts(db: TestDb, tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await count(db, t);
  return out;
}

export function parseOneJson(stdout: string): Record<string, unknown> {
  const text = stdout.trim();
  expect(text.startsWith('{')).toBe(true);
  // Exactly one JSON value: parsing the whole of stdout succeeds (anything else on stdout would break it).
  return JSON.parse(text) as Record<string, unknown>;
}

export const PORT_URL = (port: number, db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;

/** Two tables in a cycle (authors.favourite_book_id ↔ books.author_id) and one without any key (notes). */
export const LIBRARY = `
CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, favourite_book_id int);
CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text, author_id int NOT NULL REFERENCES authors(id));
ALTER TABLE authors ADD CONSTRAINT authors_favourite_book_fk FOREIGN KEY (favourite_book_id) REFERENCES books(id);
CREATE TABLE notes (body text NOT NULL, author_id int REFERENCES authors(id));
`;
export const LIBRARY_TABLES = ['authors', 'books', 'notes'];

export async function fillSource(db: TestDb): Promise<void> {
  await db.client.query(`
    INSERT INTO authors (email, name) VALUES ('ann@example.org', 'Ann'), ('bob@example.org', 'Bob'), ('cid@example.org', 'Cid');
    INSERT INTO books (isbn, title, author_id) VALUES ('111', 'Ann One', 1), ('222', 'Bob One', 2), ('333', 'Ann Two', 1);
    UPDATE authors SET favourite_book_id = 3 WHERE email = 'ann@example.org';
    UPDATE authors SET favourite_book_id = 2 WHERE email = 'bob@example.org';
    INSERT INTO notes VALUES ('hello', 1), ('world', NULL);
  `);
}

/** Other rows at the source's ids (1, 2, 3), so that ids must be rewritten. */
export async function fillTarget(db: TestDb): Promise<void> {
  await db.client.query(`
    INSERT INTO authors (email, name) VALUES ('zed@example.org', 'Zed'), ('yan@example.org', 'Yan'), ('xi@example.org', 'Xi');
    INSERT INTO books (isbn, title, author_id) VALUES ('999', 'Zed One', 1), ('888', 'Yan One', 2), ('777', 'Xi One', 3);
    INSERT INTO notes VALUES ('other', 3);
  `);
}

/** `mr4 export` of `db` into `work`/`name`.tar.gz. */
export async function exportOf(work: string, db: TestDb, name: string): Promise<string> {
  const out = join(work, `${name}.tar.gz`);
  const r = await runCli(['export', '--db', db.url, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

export const ITEM_SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;

export interface ThreeWayItems {
  prod: TestDb;
  dev: TestDb;
  /** prod's items a, b, c as dev was copied from them. */
  base: string;
  /** dev after its edits. */
  archive: string;
}

/** prod with items a, b, c; dev merged from prod's export (base.tar.gz in `dir`); then each edited by its
 *  own SQL, and dev exported (dev.tar.gz). The databases come from `newDb` (dropped by its owner). */
export async function threeWayItems(
  newDb: (sql: string) => Promise<TestDb>,
  dir: string,
  edits: { dev: string; prod: string },
): Promise<ThreeWayItems> {
  const prod = await newDb(ITEM_SCHEMA + `INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  const dev = await newDb(ITEM_SCHEMA);
  const base = join(dir, 'base.tar.gz');
  await exportDb(prod, base);
  await importInto(dev, base, 'merge');
  await dev.client.query(edits.dev);
  await prod.client.query(edits.prod);
  const archive = join(dir, 'dev.tar.gz');
  await exportDb(dev, archive);
  return { prod, dev, base, archive };
}
