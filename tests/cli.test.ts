// The `mr4` command line, run as a child process exactly as a user runs it (node bin/mr4.js …) against
// real PostgreSQL databases from the test harness.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IMPORT_PHASES } from '../src-main/engine/report-types';
import { LiveProgress } from '../src-main/cli/progress';
import { cleanEnv, ensureBuilt, ROOT, runCli, spawnCli } from './helpers/cli';
import { adminUrl, createTestDb, type TestDb } from './helpers/db';
import { freePort, startThrowawayServer, type ThrowawayServer } from './helpers/pg-server';

let work: string;

beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'mr4-cli-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function count(db: TestDb, table: string): Promise<number> {
  return (await db.client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

async function counts(db: TestDb, tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await count(db, t);
  return out;
}

function parseOneJson(stdout: string): Record<string, unknown> {
  const text = stdout.trim();
  expect(text.startsWith('{')).toBe(true);
  // Exactly one JSON value: parsing the whole of stdout succeeds (anything else on stdout would break it).
  return JSON.parse(text) as Record<string, unknown>;
}

const PORT_URL = (port: number, db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`;

/** A TCP listener that records whether anything connected to it (a database that must not be used). */
async function tripwire(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const port = await freePort();
  let n = 0;
  const server: Server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: PORT_URL(port, 'tripwire'), connections: () => n, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Two tables in a cycle (authors.favourite_book_id ↔ books.author_id) and one without any key (notes). */
const LIBRARY = `
CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, favourite_book_id int);
CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text, author_id int NOT NULL REFERENCES authors(id));
ALTER TABLE authors ADD CONSTRAINT authors_favourite_book_fk FOREIGN KEY (favourite_book_id) REFERENCES books(id);
CREATE TABLE notes (body text NOT NULL, author_id int REFERENCES authors(id));
`;
const LIBRARY_TABLES = ['authors', 'books', 'notes'];

async function fillSource(db: TestDb): Promise<void> {
  await db.client.query(`
    INSERT INTO authors (email, name) VALUES ('ann@example.org', 'Ann'), ('bob@example.org', 'Bob'), ('cid@example.org', 'Cid');
    INSERT INTO books (isbn, title, author_id) VALUES ('111', 'Ann One', 1), ('222', 'Bob One', 2), ('333', 'Ann Two', 1);
    UPDATE authors SET favourite_book_id = 3 WHERE email = 'ann@example.org';
    UPDATE authors SET favourite_book_id = 2 WHERE email = 'bob@example.org';
    INSERT INTO notes VALUES ('hello', 1), ('world', NULL);
  `);
}

/** Other rows at the source's ids (1, 2, 3), so that ids must be rewritten. */
async function fillTarget(db: TestDb): Promise<void> {
  await db.client.query(`
    INSERT INTO authors (email, name) VALUES ('zed@example.org', 'Zed'), ('yan@example.org', 'Yan'), ('xi@example.org', 'Xi');
    INSERT INTO books (isbn, title, author_id) VALUES ('999', 'Zed One', 1), ('888', 'Yan One', 2), ('777', 'Xi One', 3);
    INSERT INTO notes VALUES ('other', 3);
  `);
}

async function exportOf(db: TestDb, name: string): Promise<string> {
  const out = join(work, `${name}.tar.gz`);
  const r = await runCli(['export', '--db', db.url, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Sessions on the test database besides the test's own, after giving closing ones a moment to go. */
async function otherSessions(db: TestDb): Promise<number> {
  let n = 0;
  for (let i = 0; i < 20; i++) {
    n = (await db.client.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows[0].n;
    if (n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return n;
}

const REPORT_KEYS = ['mode', 'dryRun', 'tables', 'durationMs', 'archive', 'target', 'failures', 'warnings', 'ignoredColumns', 'triggersDisabled', 'foreignKeys', 'lineage', 'agreement', 'base', 'undo'];
const COUNT_KEYS = ['table', 'inserted', 'updated', 'unchanged', 'skipped', 'failed'];

describe('usage', () => {
  test('--help lists the commands and exits 0; --version prints 0.1.0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['plan', 'export', 'import']) expect(help.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    const importHelp = await runCli(['import', '--help']);
    expect(importHelp.code).toBe(0);
    for (const o of ['--mode', '--dry-run', '--allow-failures', '--ignore-missing-columns', '--disable-triggers', '--lock-timeout', '--tables', '--db', '--schema', '--config', '--json']) {
      expect(importHelp.stdout).toContain(o);
    }
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe('0.1.0');
  });

  test('bad usage exits 2 and never connects to the database', async () => {
    const wire = await tripwire();
    const archive = join(work, 'usage.tar.gz');
    writeFileSync(archive, 'not used');
    try {
      const cases: [string[], RegExp][] = [
        [['bogus', '--db', wire.url], /unknown command 'bogus'/],
        [['import', archive, '--db', wire.url], /required option '--mode <mode>' not specified/],
        [['import', archive, '--mode', 'bogus', '--db', wire.url], /Allowed choices are skip, merge/],
        [['import', archive, '--mode', 'skip', '--db', wire.url, '--lock-timeout', 'soon'], /not a number of seconds/],
        [['import', '--mode', 'skip', '--db', wire.url], /missing required argument 'file'/],
        [['plan', '--db', wire.url, '--tables', 'a,,b'], /empty table name/],
        [['plan', '--db', wire.url, '--tables', 'a,a'], /named twice/],
        [['export', '--db', wire.url, '--out', join(work, 'x.tar.gz'), '--tables', ''], /comma-separated list of table names/],
        [['export', '--db', wire.url], /required option '--out <file>'/],
        [['plan', '--db', wire.url, '--frobnicate'], /unknown option '--frobnicate'/],
        [['plan', 'extra', '--db', wire.url], /too many arguments/],
        [[], /Usage: mr4/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args, { env: cleanEnv({ DATABASE_URL: wire.url }) });
        expect(r.code, `mr4 ${args.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr, `mr4 ${args.join(' ')}`).toMatch(message);
        expect(r.stdout).toBe('');
      }
      expect(wire.connections()).toBe(0);
    } finally {
      await wire.close();
    }
  });

  test('a malformed connection (--db, DATABASE_URL or PGSSLMODE) is bad usage: exit 2, nothing touched', async () => {
    const wire = await tripwire();
    const archive = join(work, 'malformed.tar.gz');
    writeFileSync(archive, 'not used');
    try {
      const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
        [['plan', '--db', 'notaurl'], cleanEnv({ DATABASE_URL: wire.url }), /--db: The connection string is not a valid URL/],
        [['plan', '--db', 'mysql://root@127.0.0.1/app'], cleanEnv(), /--db: Unsupported connection URL scheme "mysql:"/],
        [['plan', '--db', 'postgres://postgres@127.0.0.1:99999/app'], cleanEnv(), /not a valid URL/],
        [['plan', '--db', `${wire.url}?sslmode=bogus`], cleanEnv(), /sslmode must be one of/],
        [['plan', '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter "colour"/],
        [['export', '--db', `${wire.url}?colour=red`, '--out', join(work, 'never.tar.gz')], cleanEnv(), /Unknown connection parameter/],
        [['import', archive, '--mode', 'skip', '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter/],
        [['diff', archive, '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter/],
        [['plan'], cleanEnv({ DATABASE_URL: `${wire.url}?sslmode=bogus` }), /DATABASE_URL: sslmode must be one of/],
        [['plan', '--db', wire.url], cleanEnv({ PGSSLMODE: 'sometimes' }), /PGSSLMODE must be one of/],
        [['plan', '--db', `mr4-settings:{"host":"127.0.0.1","port":1,"database":"d","user":"u","sslMode":"disable"}`], cleanEnv(), /not a postgres:\/\/ URL/],
      ];
      for (const [args, env, message] of cases) {
        const r = await runCli(args, { env });
        expect(r.code, `mr4 ${args.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr, `mr4 ${args.join(' ')}`).toMatch(message);
        expect(r.stderr).toContain('--db postgres://user@host:5432/dbname');
        expect(r.stdout).toBe('');
        const json = await runCli([...args, '--json'], { env });
        expect(json.code).toBe(2);
        expect(parseOneJson(json.stdout)).toMatchObject({ error: { code: 'MR4_USAGE', exitCode: 2 } });
      }
      expect(existsSync(join(work, 'never.tar.gz'))).toBe(false);
      expect(wire.connections()).toBe(0);
    } finally {
      await wire.close();
    }
  });

  test('--json prints exactly one JSON object on stdout, an error object when the command fails', async () => {
    const closed = await freePort();
    const archive = join(work, 'json-missing.tar.gz');
    const notGzip = join(work, 'json-not-gzip.tar.gz');
    writeFileSync(notGzip, 'this is not an archive');
    const cases: [string[], number, Record<string, unknown>][] = [
      [['import', archive, '--db', PORT_URL(closed)], 2, { code: 'MR4_USAGE', name: 'UsageError', message: "required option '--mode <mode>' not specified" }],
      [['import', archive, '--mode', 'bogus', '--db', PORT_URL(closed)], 2, { code: 'MR4_USAGE' }],
      [['plan', '--frobnicate', '--db', PORT_URL(closed)], 2, { code: 'MR4_USAGE', message: "unknown option '--frobnicate'" }],
      [['plan', '--db', 'notaurl'], 2, { code: 'MR4_USAGE' }],
      [['import', archive, '--mode', 'skip', '--db', PORT_URL(closed)], 1, { message: expect.stringContaining('cannot open archive') }],
      [['plan', '--db', PORT_URL(closed)], 1, { code: 'ECONNREFUSED', name: 'ConnectionError', message: expect.stringMatching(/connection refused/) }],
      [['plan', '--db', PORT_URL(Number(new URL(adminUrl()).port), 'no_such_database')], 1, { code: '3D000', name: 'ConnectionError' }],
      [['import', notGzip, '--mode', 'skip', '--db', PORT_URL(closed)], 1, { message: expect.any(String) }],
    ];
    for (const [args, code, error] of cases) {
      const r = await runCli([...args, '--json']);
      expect(r.code, `mr4 ${args.join(' ')} --json\n${r.stderr}`).toBe(code);
      const out = parseOneJson(r.stdout);
      expect(Object.keys(out)).toEqual(['error']);
      expect(out.error, `mr4 ${args.join(' ')} --json`).toMatchObject({ ...error, exitCode: code });
      expect(typeof (out.error as { message: unknown }).message).toBe('string');
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      // stderr still tells it in words.
      expect(r.stderr).toMatch(/error/i);
    }
    // Without --json a failure prints nothing on stdout.
    expect((await runCli(['plan', '--db', PORT_URL(closed)])).stdout).toBe('');
  });

  test('bin/mr4.js is executable and says how to build when out/main/cli.js is missing', () => {
    expect(statSync(join(ROOT, 'bin', 'mr4.js')).mode & 0o111).not.toBe(0);
    // The same script in a checkout without out/.
    const fake = mkdtempSync(join(tmpdir(), 'mr4-nobuild-'));
    try {
      spawnSync('mkdir', ['-p', join(fake, 'bin')]);
      writeFileSync(join(fake, 'bin', 'mr4.js'), readFileSync(join(ROOT, 'bin', 'mr4.js')));
      writeFileSync(join(fake, 'package.json'), '{"type":"module"}');
      const r = spawnSync(process.execPath, [join(fake, 'bin', 'mr4.js'), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('mr4 is not built yet: run `npm run build`');
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  test('the built engine worker loads (out/main/engine-worker.js parses)', () => {
    // Every database command runs in this worker; if it does not parse, nothing else can work.
    const r = spawnSync(process.execPath, ['--check', join(ROOT, 'out', 'main', 'engine-worker.js')], { encoding: 'utf8' });
    const known = /Identifier 'require' has already been declared/.test(r.stderr)
      ? '\nKnown cause: src-main/db/connect.ts declares `const require = createRequire(import.meta.url)`, which collides with the ' +
        '`const require` shim electron-vite adds to every ESM chunk that calls require(); rename it (or import pgpass).'
      : '';
    expect(r.status, `out/main/engine-worker.js does not load:\n${r.stderr}${known}`).toBe(0);
  });
});

describe('plan', () => {
  test('names the late-seeded column of the cycle and the content-matched table; --json gives the PlanResult', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const text = await runCli(['plan', '--db', db.url]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('Profile: none');
      expect(text.stdout).toMatch(/Level 0\n\s+authors/);
      expect(text.stdout).toMatch(/key: \(email\) from constraint authors_email_key/);
      expect(text.stdout).toMatch(/favourite_book_id → books\(id\) \(rewritten, filled late\)/);
      expect(text.stdout).toMatch(/Cycles broken:\n\s+authors ↔ books: filled late: authors\.favourite_book_id/);
      expect(text.stdout).toMatch(/notes[^\n]*\n\s+key: content: matched by whole content, never updated/);

      const json = await runCli(['plan', '--db', db.url, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const result = parseOneJson(json.stdout) as { plan: { tables: { name: string; level: number }[]; cycles: { lateColumns: string[] }[] }; server: { database: string } };
      expect(result.plan.tables.map((t) => t.name)).toEqual(['authors', 'books', 'notes']);
      expect(result.plan.cycles[0].lateColumns).toEqual(['authors.favourite_book_id']);
      expect(result.server.database).toBe(db.name);

      const only = await runCli(['plan', '--db', db.url, '--tables', 'books', '--json']);
      expect(only.code, only.stderr).toBe(0);
      const onlyPlan = parseOneJson(only.stdout) as { plan: { tables: { name: string; role: string }[]; excluded: { table: string }[] } };
      expect(onlyPlan.plan.tables.map((t) => [t.name, t.role])).toEqual([
        ['authors', 'reference'],
        ['books', 'data'],
      ]);

      const unknown = await runCli(['plan', '--db', db.url, '--tables', 'nosuch']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/Table "nosuch" is not in schema "public"/);
    } finally {
      await db.drop();
    }
  });

  test('--config is read relative to the working directory', async () => {
    const db = await createTestDb(LIBRARY);
    const dir = mkdtempSync(join(work, 'config-'));
    try {
      writeFileSync(join(dir, 'mr4.json'), JSON.stringify({ tables: { notes: { exclude: true, note: 'scratch' } } }));
      const r = await runCli(['plan', '--db', db.url, '--config', 'mr4.json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Configuration: ${join(dir, 'mr4.json')}`);
      expect(r.stdout).toMatch(/Excluded tables:\n\s+notes: configuration: scratch/);

      writeFileSync(join(dir, 'bad.json'), '{"tables": {"notes": {"colour": "red"}}}');
      const bad = await runCli(['plan', '--db', db.url, '--config', 'bad.json'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/Configuration .*bad\.json is not valid/);
    } finally {
      await db.drop();
    }
  });
});

describe('export and import', () => {
  test('skip import into a target holding other rows at the same ids, then merge changes nothing', async () => {
    const src = await createTestDb(LIBRARY);
    const tgt = await createTestDb(LIBRARY);
    try {
      await fillSource(src);
      await fillTarget(tgt);
      const archive = join(work, 'library.tar.gz');
      const exp = await runCli(['export', '--db', src.url, '--out', archive, '--description', 'test run']);
      expect(exp.code, exp.stderr).toBe(0);
      expect(exp.stdout).toContain(`Exported ${src.name} to ${archive}`);
      expect(exp.stdout).toMatch(/authors\s+3\b/);
      expect(exp.stdout).toMatch(/8 rows in 3 tables/);
      expect(exp.stderr).toContain('Phase 2/3: Copy tables');
      expect(exp.stderr).not.toContain('\x1b');
      expect(statSync(archive).size).toBeGreaterThan(0);

      const skip = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url, '--json']);
      expect(skip.code, skip.stderr).toBe(0);
      const report = parseOneJson(skip.stdout);
      expect(skip.stdout.trim().split('\n')).toHaveLength(1);
      expect(skip.stdout.startsWith('{"mode":"skip","dryRun":false,"tables":[{"table":"authors","inserted":3,')).toBe(true);
      expect(Object.keys(report)).toEqual(REPORT_KEYS);
      const tables = report.tables as Record<string, unknown>[];
      for (const t of tables) expect(Object.keys(t)).toEqual(COUNT_KEYS);
      expect(tables).toEqual([
        { table: 'authors', inserted: 3, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
        { table: 'books', inserted: 3, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
        { table: 'notes', inserted: 2, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
      ]);
      expect(report.failures).toEqual([]);
      expect((report.target as { database: string }).database).toBe(tgt.name);
      // The references point at the right rows through the rewritten ids; the target's own rows stay.
      const joined = await tgt.client.query(`
        SELECT b.isbn, a.email, f.isbn AS favourite FROM books b JOIN authors a ON a.id = b.author_id LEFT JOIN books f ON f.id = a.favourite_book_id ORDER BY b.isbn`);
      expect(joined.rows).toEqual([
        { isbn: '111', email: 'ann@example.org', favourite: '333' },
        { isbn: '222', email: 'bob@example.org', favourite: '222' },
        { isbn: '333', email: 'ann@example.org', favourite: '333' },
        { isbn: '777', email: 'xi@example.org', favourite: null },
        { isbn: '888', email: 'yan@example.org', favourite: null },
        { isbn: '999', email: 'zed@example.org', favourite: null },
      ]);
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual({ authors: 6, books: 6, notes: 3 });

      const merge = await runCli(['import', archive, '--mode', 'merge', '--db', tgt.url, '--json']);
      expect(merge.code, merge.stderr).toBe(0);
      const again = parseOneJson(merge.stdout) as { mode: string; tables: { table: string; inserted: number; updated: number; unchanged: number; skipped: number; failed: number }[] };
      expect(again.mode).toBe('merge');
      for (const t of again.tables) {
        expect(t.inserted, t.table).toBe(0);
        expect(t.updated, t.table).toBe(0);
        expect(t.failed, t.table).toBe(0);
      }
      expect(again.tables.map((t) => t.unchanged + t.skipped)).toEqual([3, 3, 2]);
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual({ authors: 6, books: 6, notes: 3 });

      // The same in words: a table of counts, and the plain progress lines on stderr.
      const words = await runCli(['import', archive, '--mode', 'merge', '--db', tgt.url]);
      expect(words.code, words.stderr).toBe(0);
      expect(words.stdout).toMatch(/table\s+inserted\s+updated\s+unchanged\s+skipped\s+failed/);
      expect(words.stdout).toMatch(/authors\s+0\s+0\s+3\s+0\s+0/);
      expect(words.stdout).toMatch(/Done in /);
      expect(words.stderr).toContain('Phase 3/5: Match and write');
      expect(words.stderr).not.toContain('\x1b');
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('--dry-run reports what the real run then does, and writes nothing', async () => {
    const src = await createTestDb(LIBRARY);
    const tgt = await createTestDb(LIBRARY);
    try {
      await fillSource(src);
      await fillTarget(tgt);
      // One source row that differs from the target's, so merge has an update to make.
      await tgt.client.query(`INSERT INTO authors (email, name) VALUES ('cid@example.org', 'Cid (old)')`);
      const archive = await exportOf(src, 'dry');
      const before = await counts(tgt, LIBRARY_TABLES);

      const words = await runCli(['import', archive, '--mode', 'merge', '--db', tgt.url, '--dry-run']);
      expect(words.code, words.stderr).toBe(0);
      expect(words.stdout).toContain('DRY RUN — nothing was written');
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual(before);

      const dry = await runCli(['import', archive, '--mode', 'merge', '--db', tgt.url, '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      const dryReport = parseOneJson(dry.stdout) as { dryRun: boolean; tables: unknown[] };
      expect(dryReport.dryRun).toBe(true);
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual(before);
      expect(await tgt.client.query(`SELECT name FROM authors WHERE email = 'cid@example.org'`).then((r) => r.rows[0].name)).toBe('Cid (old)');

      const real = await runCli(['import', archive, '--mode', 'merge', '--db', tgt.url, '--json']);
      expect(real.code, real.stderr).toBe(0);
      const realReport = parseOneJson(real.stdout) as { dryRun: boolean; tables: unknown[] };
      expect(realReport.dryRun).toBe(false);
      expect(realReport.tables).toEqual(dryReport.tables);
      expect(realReport.tables[0]).toEqual({ table: 'authors', inserted: 2, updated: 1, unchanged: 0, skipped: 0, failed: 0 });
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual({ authors: before.authors + 2, books: before.books + 3, notes: before.notes + 2 });
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('a truncated archive fails with exit 1, says so, and leaves the target unchanged', async () => {
    const src = await createTestDb(LIBRARY);
    const tgt = await createTestDb(LIBRARY);
    try {
      await fillSource(src);
      await fillTarget(tgt);
      const archive = await exportOf(src, 'whole');
      const broken = join(work, 'broken.tar.gz');
      writeFileSync(broken, readFileSync(archive));
      truncateSync(broken, Math.floor(statSync(archive).size / 2));
      const before = await counts(tgt, LIBRARY_TABLES);

      const r = await runCli(['import', broken, '--mode', 'skip', '--db', tgt.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/truncated/);
      expect(r.stdout).toBe('');
      const j = await runCli(['import', broken, '--mode', 'skip', '--db', tgt.url, '--json']);
      expect(j.code).toBe(1);
      expect(j.stderr).toMatch(/truncated/);
      // --json: the failure as the one object on stdout.
      expect(parseOneJson(j.stdout)).toMatchObject({ error: { message: expect.stringMatching(/truncated/), exitCode: 1 } });
      expect(await counts(tgt, LIBRARY_TABLES)).toEqual(before);

      const missing = await runCli(['import', join(work, 'no-such.tar.gz'), '--mode', 'skip', '--db', tgt.url]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/cannot open archive .*no-such\.tar\.gz: no such file/);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('refused rows are listed by natural key, at most 50, and nothing is written', async () => {
    const people = 'CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);';
    const src = await createTestDb(people);
    const tgt = await createTestDb(`CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL CHECK (name <> 'bad'));`);
    try {
      await src.client.query(`INSERT INTO people (email, name) SELECT 'p' || g || '@example.org', 'bad' FROM generate_series(1, 60) g`);
      await src.client.query(`INSERT INTO people (email, name) VALUES ('ok@example.org', 'fine')`);
      const archive = await exportOf(src, 'people');

      const r = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("60 row(s) would break the target's constraints");
      const listed = r.stderr.split('\n').filter((l) => /^ {2}people \{"email":"p\d+@example\.org"\} \(row \d+\): violates check constraint people_name_check$/.test(l));
      expect(listed).toHaveLength(50);
      expect(r.stderr).toMatch(/… and 10 more \(/);
      expect(r.stderr).toContain('--allow-failures');
      expect(await count(tgt, 'people')).toBe(0);

      const allowed = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url, '--allow-failures', '--json']);
      expect(allowed.code, allowed.stderr).toBe(0);
      const report = parseOneJson(allowed.stdout) as { tables: { inserted: number; failed: number }[]; failures: unknown[] };
      expect(report.tables[0]).toMatchObject({ inserted: 1, failed: 60 });
      expect(report.failures).toHaveLength(60);
      expect(await count(tgt, 'people')).toBe(1);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('a row a target trigger refuses is named with what to do next; --allow-failures imports the rest', async () => {
    const people = 'CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);';
    const src = await createTestDb(people);
    const tgt = await createTestDb(
      people +
        `CREATE FUNCTION no_mallory() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF NEW.name = 'Mallory' THEN RAISE EXCEPTION 'Mallory is not welcome'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER no_mallory BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION no_mallory();`,
    );
    try {
      await src.client.query(`INSERT INTO people (email, name) VALUES ('a@example.org', 'Ann'), ('m@example.org', 'Mallory'), ('z@example.org', 'Zoe')`);
      const archive = await exportOf(src, 'people-trigger');

      const r = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Inserting into people failed at row 2 {"email":"m@example.org"}: Mallory is not welcome');
      expect(r.stderr).toContain('Nothing was written: the import was rolled back.');
      expect(r.stderr).toContain('--allow-failures');
      expect(await count(tgt, 'people')).toBe(0);

      const allowed = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url, '--allow-failures', '--json']);
      expect(allowed.code, allowed.stderr).toBe(0);
      const report = parseOneJson(allowed.stdout) as { tables: { inserted: number; failed: number }[] };
      expect(report.tables[0]).toMatchObject({ inserted: 2, failed: 1 });
      expect((await tgt.client.query(`SELECT name FROM people ORDER BY name`)).rows).toEqual([{ name: 'Ann' }, { name: 'Zoe' }]);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });
});

describe('connections', () => {
  const port = () => Number(new URL(adminUrl()).port);

  test('DATABASE_URL is used without --db, and --db wins over it', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const r = await runCli(['plan', '--json'], { env: cleanEnv({ DATABASE_URL: db.url }) });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { server: { database: string } }).server.database).toBe(db.name);

      const both = await runCli(['plan', '--json', '--db', db.url], { env: cleanEnv({ DATABASE_URL: PORT_URL(port(), 'not_this_one') }) });
      expect(both.code, both.stderr).toBe(0);
      expect((parseOneJson(both.stdout) as { server: { database: string } }).server.database).toBe(db.name);
    } finally {
      await db.drop();
    }
  });

  test('PGHOST, PGPORT, PGUSER and PGDATABASE are used when neither --db nor DATABASE_URL is given', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const env = cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(port()), PGUSER: 'postgres', PGDATABASE: db.name });
      const r = await runCli(['plan', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { server: { database: string } }).server.database).toBe(db.name);
    } finally {
      await db.drop();
    }
  });

  test('with no database named at all, the error says how to name one', async () => {
    const home = mkdtempSync(join(work, 'home-'));
    // Nothing named; only the port is pointed at a closed one, so the libpq default host surely fails.
    const r = await runCli(['plan'], { env: cleanEnv({ HOME: home, PGPORT: String(await freePort()), PGCONNECT_TIMEOUT: '5' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach .*localhost/);
    expect(r.stderr).toContain('No database was named');
    expect(r.stderr).toContain('--db postgres://user@host:5432/dbname');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  test('a password in a URL is never printed, even on failure', async () => {
    const secret = 's3cretPW';
    const url = `postgres://postgres:${secret}@127.0.0.1:${port()}/nope`;
    const archive = join(work, 'pw.tar.gz');
    writeFileSync(archive, 'x');
    const runs: [string[], NodeJS.ProcessEnv | undefined, number][] = [
      [['plan', '--db', url], undefined, 1],
      [['plan', '--db', url, '--json'], undefined, 1],
      [['export', '--db', url, '--out', join(work, 'pw-out.tar.gz')], undefined, 1],
      [['import', archive, '--mode', 'skip', '--db', url, '--json'], undefined, 1],
      [['plan'], cleanEnv({ DATABASE_URL: url }), 1],
      [['plan', '--db', `${url}?sslmode=bogus`], undefined, 2],
      [['plan', '--db', `${url}?colour=red`], undefined, 2],
      [[url], undefined, 2],
      [['plan', url], undefined, 2],
    ];
    for (const [args, env, code] of runs) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const notFound = await runCli(['plan', '--db', url]);
    expect(notFound.stderr).toMatch(/Database not found on postgres@127\.0\.0\.1:\d+\/nope/);
  });

  test('hiding a password leaves a database or user name that contains its text as it is', async () => {
    const secret = 'mydb';
    const url = `postgres://postgres:${secret}@127.0.0.1:${port()}/mydb_missing`;
    for (const args of [['plan', '--db', url], ['plan', '--db', url, '--json']]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/Database not found on postgres@127\.0\.0\.1:\d+\/mydb_missing/);
      expect(r.stdout + r.stderr).not.toContain(`:${secret}@`);
      expect(r.stdout + r.stderr).not.toContain('***');
    }
    const json = await runCli(['plan', '--db', url, '--json']);
    expect((parseOneJson(json.stdout).error as { message: string }).message).toContain('/mydb_missing');
    // The URL's password field itself is still removed wherever the URL is echoed.
    const echoed = await runCli([url]);
    expect(echoed.code).toBe(2);
    expect(echoed.stderr).toContain(`postgres://postgres@127.0.0.1:${port()}/mydb_missing`);
    expect(echoed.stderr).not.toContain(`:${secret}@`);
  });

  describe('a server with password authentication and SSL only', () => {
    let server: ThrowawayServer;
    const password = 'pgpass-Secret-42';

    beforeAll(async () => {
      server = await startThrowawayServer({ password, ssl: true, sslOnly: true });
      const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', password, database: 'postgres', ssl: { rejectUnauthorized: false } });
      await c.connect();
      try {
        await c.query('CREATE TABLE things (id serial PRIMARY KEY, code text NOT NULL UNIQUE)');
      } finally {
        await c.end();
      }
    });

    afterAll(() => server?.stop());

    test('~/.pgpass supplies the password', async () => {
      const home = mkdtempSync(join(work, 'pgpass-'));
      const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
      const without = await runCli(['plan', '--db', url], { env: cleanEnv({ HOME: home }) });
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/password/i);
      expect(without.stderr).toContain('~/.pgpass');

      writeFileSync(join(home, '.pgpass'), `127.0.0.1:${server.port}:*:postgres:${password}\n`);
      chmodSync(join(home, '.pgpass'), 0o600);
      const r = await runCli(['plan', '--db', url, '--json'], { env: cleanEnv({ HOME: home }) });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { plan: { tables: { name: string }[] } }).plan.tables.map((t) => t.name)).toEqual(['things']);
      expect(r.stdout + r.stderr).not.toContain(password);
    });

    test('sslmode=require connects to a self-signed server; verify-full is refused and suggests require', async () => {
      const base = `postgres://postgres:${password}@127.0.0.1:${server.port}/postgres`;
      const home = mkdtempSync(join(work, 'ssl-'));
      const env = cleanEnv({ HOME: home });
      const require = await runCli(['plan', '--db', `${base}?sslmode=require`, '--json'], { env });
      expect(require.code, require.stderr).toBe(0);
      expect((parseOneJson(require.stdout) as { server: { database: string } }).server.database).toBe('postgres');

      // The server takes SSL only: a plain connection is refused, so the one above was encrypted.
      const plain = await runCli(['plan', '--db', `${base}?sslmode=disable`], { env });
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/no encryption|SSL off|pg_hba/);

      const verify = await runCli(['plan', '--db', `${base}?sslmode=verify-full`], { env });
      expect(verify.code).toBe(1);
      expect(verify.stderr).toMatch(/certificate/);
      expect(verify.stderr).toContain('sslmode=require');
      for (const r of [require, plain, verify]) expect(r.stdout + r.stderr).not.toContain(password);
    });
  });
});

describe('interrupts and the terminal', () => {
  const BIG = 'CREATE TABLE big (id serial PRIMARY KEY, code text NOT NULL UNIQUE, payload text);';
  const BIG_FILLED = `${BIG}\nINSERT INTO big (code, payload) SELECT 'c' || g, repeat('x', 40) || g FROM generate_series(1, 300000) g;`;

  test('Ctrl-C during a long import cancels it (exit 130) and leaves the target unchanged', async () => {
    const src = await createTestDb(BIG_FILLED);
    const tgt = await createTestDb(BIG);
    try {
      await tgt.client.query(`INSERT INTO big (code, payload) SELECT 'other' || g, 'other' FROM generate_series(1, 10) g`);
      const archive = await exportOf(src, 'big');

      const run = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      await run.waitForStderr(/Phase 3\/5: Match and write/);
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toContain('Cancelling… (rolling back)');
      expect(r.stderr).toMatch(/cancelled and rolled back/);
      expect(r.stdout).toBe('');
      expect(await count(tgt, 'big')).toBe(10);
      // The run's session is gone: nothing is left holding locks or an open transaction.
      expect(await otherSessions(tgt)).toBe(0);

      // A second Ctrl-C does not wait: the process exits at once and the server rolls back.
      const hurry = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      await hurry.waitForStderr(/Phase 3\/5: Match and write/);
      hurry.child.kill('SIGINT');
      await hurry.waitForStderr(/Cancelling/);
      hurry.child.kill('SIGINT');
      const h = await hurry.done;
      expect(h.code).toBe(130);
      expect(h.stderr).toContain('Stopped without waiting');
      expect(await count(tgt, 'big')).toBe(10);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('with --json, Ctrl-C (once: cancelled and rolled back; twice: stopped at once) still prints one error object', async () => {
    const src = await createTestDb(BIG_FILLED);
    const tgt = await createTestDb(BIG);
    try {
      const archive = await exportOf(src, 'big-json');
      const running = async (): Promise<ReturnType<typeof spawnCli>> => {
        const run = spawnCli(['import', archive, '--mode', 'skip', '--db', tgt.url, '--json']);
        // No progress display with --json: wait until the import locks the table it writes (phase 3).
        for (let i = 0; i < 1200; i++) {
          const n = (await tgt.client.query(`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'big' AND l.pid <> pg_backend_pid()`)).rows[0].n;
          if (n > 0) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        return run;
      };
      const once = await running();
      once.child.kill('SIGINT');
      const r = await once.done;
      expect(r.code, r.stderr).toBe(130);
      expect(parseOneJson(r.stdout)).toMatchObject({ error: { exitCode: 130, interrupted: true, message: expect.any(String) } });
      expect(r.stdout.trim().split('\n')).toHaveLength(1);

      const twice = await running();
      twice.child.kill('SIGINT');
      await twice.waitForStderr(/Cancelling/);
      twice.child.kill('SIGINT');
      const t = await twice.done;
      expect(t.code).toBe(130);
      expect(parseOneJson(t.stdout)).toMatchObject({ error: { code: 'MR4_INTERRUPTED', exitCode: 130, interrupted: true } });
      expect(await count(tgt, 'big')).toBe(0);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });

  test('the live status line fits the terminal: the bar shrinks, then goes, before anything is cut', () => {
    const written: string[] = [];
    const live = new LiveProgress({ write: (t: string) => written.push(t), columns: 200 }, IMPORT_PHASES, (t) => t);
    try {
      live.event({ type: 'phase', index: 1, name: 'Stage rows' });
      live.event({ type: 'table', table: 'big', phase: 1, rowsDone: 150_000, rowsTotal: 300_000 });
      const later = Date.now() + 2000;
      const wide = live.render(199, later);
      expect(wide).toMatch(/^Phase 2\/5: Stage rows \| big 150,000\/300,000 rows \[#{10}-{10}\] 50% \| [\d,]+ rows\/s \| 0:02$/);
      expect(live.render(70, later)).toMatch(/^Phase 2\/5: Stage rows \| big 150,000\/300,000 50% \| [\d,]+ rows\/s \| 0:02$/);
      for (const width of [199, 90, 79, 60, 40, 20]) expect(live.render(width, later).length).toBeLessThanOrEqual(width);
      expect(written[0]).toBe('\r\x1b[2KPhase 2/5: Stage rows | 0:00');
    } finally {
      live.stop();
    }
    expect(written[written.length - 1]).toBe('\r\x1b[2K');
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!hasScript) console.warn('cli: the terminal progress test is skipped: script(1) (Debian bsdutils) is not installed, so no terminal can be made for mr4');

  test.skipIf(!hasScript)('on a terminal, progress is one line redrawn in place and cleared before the report', async () => {
    const src = await createTestDb(LIBRARY);
    const tgt = await createTestDb(LIBRARY);
    try {
      await fillSource(src);
      const archive = await exportOf(src, 'tty');
      const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const command = [process.execPath, join(ROOT, 'bin', 'mr4.js'), 'import', archive, '--mode', 'skip', '--db', tgt.url].map(quote).join(' ');
      // `script` runs the command on a pseudo-terminal, so stderr is a TTY as in an interactive shell.
      const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: cleanEnv(), cwd: ROOT });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout).toContain('\r\x1b[2KPhase 1/5: Check archive');
      // The last redraw is cleared right before the report starts.
      expect(r.stdout).toMatch(/\r\x1b\[2KImported /);
      expect(r.stdout).not.toMatch(/\n {2}authors: \d+ rows \(/);
      expect(await count(tgt, 'authors')).toBe(3);
    } finally {
      await src.drop();
      await tgt.drop();
    }
  });
});
