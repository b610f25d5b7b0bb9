// `mr4 export` and `mr4 import`: skip then merge into a target with other rows at the same ids, dry runs,
// a truncated archive, refused rows and a refusing trigger.
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli';
import { createTestDb } from '../helpers/db';
import { cliWorkFolder, count, counts, exportOf, fillSource, fillTarget, LIBRARY, LIBRARY_TABLES, parseOneJson } from './helpers';

const work = cliWorkFolder();

const REPORT_KEYS = [
  'mode',
  'dryRun',
  'tables',
  'durationMs',
  'archive',
  'target',
  'failures',
  'warnings',
  'ignoredColumns',
  'triggersDisabled',
  'foreignKeys',
  'lineage',
  'agreement',
  'base',
  'undo',
];
const COUNT_KEYS = ['table', 'inserted', 'updated', 'unchanged', 'skipped', 'failed'];

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
      const again = parseOneJson(merge.stdout) as {
        mode: string;
        tables: { table: string; inserted: number; updated: number; unchanged: number; skipped: number; failed: number }[];
      };
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
      const archive = await exportOf(work, src, 'dry');
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
      expect(await tgt.client.query(`SELECT name FROM authors WHERE email = 'cid@example.org'`).then((r) => r.rows[0].name)).toBe(
        'Cid (old)',
      );

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
      const archive = await exportOf(work, src, 'whole');
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
    const tgt = await createTestDb(
      `CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL CHECK (name <> 'bad'));`,
    );
    try {
      await src.client.query(`INSERT INTO people (email, name) SELECT 'p' || g || '@example.org', 'bad' FROM generate_series(1, 60) g`);
      await src.client.query(`INSERT INTO people (email, name) VALUES ('ok@example.org', 'fine')`);
      const archive = await exportOf(work, src, 'people');

      const r = await runCli(['import', archive, '--mode', 'skip', '--db', tgt.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("60 row(s) would break the target's constraints");
      const listed = r.stderr
        .split('\n')
        .filter((l) => /^ {2}people \{"email":"p\d+@example\.org"\} \(row \d+\): violates check constraint people_name_check$/.test(l));
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
      await src.client.query(
        `INSERT INTO people (email, name) VALUES ('a@example.org', 'Ann'), ('m@example.org', 'Mallory'), ('z@example.org', 'Zoe')`,
      );
      const archive = await exportOf(work, src, 'people-trigger');

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
