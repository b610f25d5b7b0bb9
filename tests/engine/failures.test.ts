// Everything that must stop a run leaves the target exactly as it was: bad archives, archives that do
// not fit, rows that would break constraints, a trigger failing in the last table, a cancel, a lock.
import { readFileSync, truncateSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { importArchive } from '../../src-main/engine/import/index';
import type { TestDb } from '../helpers/db';
import { fingerprint } from '../helpers/compare';
import { alterTableFile, craftArchive, readEntries } from '../helpers/craft-archive';
import { exportDb, databasesForFile, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
  CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, nickname text UNIQUE);
  CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text NOT NULL, pages int,
                      author_id int REFERENCES authors(id));
  CREATE TABLE reviews (id serial PRIMARY KEY, book_id int NOT NULL REFERENCES books(id), reviewer text NOT NULL,
                        stars int, UNIQUE (book_id, reviewer));`;
const DATA = `
  INSERT INTO authors (email, name, nickname) VALUES ('ada@x.org', 'Ada', 'ada'), ('bo@x.org', 'Bo', 'bo'), ('cy@x.org', 'Cy', NULL);
  INSERT INTO books (isbn, title, pages, author_id) VALUES ('111', 'One', 100, 1), ('222', 'Two', 0, 2), ('333', 'Three', 300, 3);
  INSERT INTO reviews (book_id, reviewer, stars) VALUES (1, 'r1', 5), (2, 'r1', 3), (3, 'r2', 4);`;

let source: TestDb;
let archive: string;
beforeAll(async () => {
  source = await db(SCHEMA + DATA);
  archive = join(dir, 'books.tar.gz');
  await exportDb(source, archive);
});

async function target(extra = ''): Promise<TestDb> {
  const t = await db(SCHEMA + `INSERT INTO authors (email, name, nickname) VALUES ('zed@x.org', 'Zed', 'zed');` + extra);
  return t;
}

async function expectUnchanged(t: TestDb, run: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = await fingerprint(t.client);
  await expect(run()).rejects.toThrow(message);
  expect(await fingerprint(t.client)).toBe(before);
}

describe('malformed archives are refused before anything is written', () => {
  const run = (t: TestDb, file: string) => () => importInto(t, file, 'merge');

  test('a truncated gzip', async () => {
    const t = await target();
    const cut = join(dir, 'truncated.tar.gz');
    copyFileSync(archive, cut);
    truncateSync(cut, Math.floor(readFileSync(cut).length / 2));
    await expectUnchanged(t, run(t, cut), /truncated|corrupt/i);
  });

  test('not a gzip file at all', async () => {
    const t = await target();
    const junk = join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'this is not an archive');
    await expectUnchanged(t, run(t, junk), /not a gzip file/);
  });

  test('a table file that is not valid JSON (checksum made to match)', async () => {
    const t = await target();
    const bad = join(dir, 'badjson.tar.gz');
    alterTableFile(archive, bad, 'books.json', (s) => s.replace('"One"', '"One'), true);
    await expectUnchanged(t, run(t, bad), /books: .*\(row 1\)/);
  });

  test('a table file whose content does not match its checksum', async () => {
    const t = await target();
    const bad = join(dir, 'altered.tar.gz');
    alterTableFile(archive, bad, 'books.json', (s) => s.replace('"One"', '"Uno"'), false);
    await expectUnchanged(t, run(t, bad), /does not match its checksum/);
  });

  test('entries named with "..", absolute paths, links and unlisted files', async () => {
    const t = await target();
    const entries = readEntries(archive);
    const variants: [string, Parameters<typeof craftArchive>[1], RegExp][] = [
      ['dotdot', [...entries, { path: '../evil.json', body: '{}' }], /unsafe name/],
      ['absolute', [...entries, { path: '/tmp/evil.json', body: '{}' }], /unsafe name/],
      ['symlink', [...entries, { path: 'link.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /only plain files/],
      ['hardlink', [...entries, { path: 'hard.json', type: 'Link', linkpath: 'books.json' }], /only plain files/],
      ['unlisted', [...entries, { path: 'extra.json', body: '{}' }], /does not list/],
      ['duplicate', [...entries, entries[1]], /twice/],
      ['missing', entries.filter((e) => e.path !== 'books.json'), /lacks books\.json/],
      ['no index', entries.filter((e) => e.path !== 'index.json'), /no index\.json/],
      ['index not first', [...entries.slice(1), entries[0]], /must be the first/],
    ];
    for (const [name, list, message] of variants) {
      const file = join(dir, `crafted-${name.replace(/ /g, '-')}.tar.gz`);
      craftArchive(file, list);
      await expectUnchanged(t, run(t, file), message);
    }
  });

  test('an archive that decompresses beyond the limit', async () => {
    const t = await target();
    const before = await fingerprint(t.client);
    await expect(
      importArchive({
        db: dbTarget(t.url),
        archive,
        mode: 'merge',
        limits: { maxEntries: 100, maxEntryBytes: 1 << 30, maxTotalBytes: 2000, maxIndexBytes: 1 << 20 },
      }),
    ).rejects.toThrow(/more than 2000 bytes/);
    expect(await fingerprint(t.client)).toBe(before);
  });
});

describe('an archive that does not fit the target is refused with every problem listed', () => {
  test('unknown table, missing and extra columns, NOT NULL without values, type change', async () => {
    const t = await db(`
      CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(10), nickname text UNIQUE, born date NOT NULL);
      CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text NOT NULL, author_id int REFERENCES authors(id));`);
    const before = await fingerprint(t.client);
    const error = await importInto(t, archive, 'merge').catch((e) => e);
    expect(error.name).toBe('ImportCheckError');
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/table "reviews" is in the archive but not in/),
        expect.stringMatching(/authors\.name is text in the archive but character varying\(10\) in the target/),
        expect.stringMatching(/authors\.born is NOT NULL without a default/),
        expect.stringMatching(/books\.pages is in the archive but does not exist in the target/),
      ]),
    );
    expect(await fingerprint(t.client)).toBe(before);
  });
});

describe('rows that would break constraints are found before writing', () => {
  const stricter = `ALTER TABLE books ADD CONSTRAINT pages_positive CHECK (pages > 0);`;

  test('the run stops and names each row by its natural key; --allow-failures imports the rest', async () => {
    // The target forbids 0 pages and already has another author with nickname 'bo'.
    const t = await target(stricter + `INSERT INTO authors (email, nickname) VALUES ('other@x.org', 'bo');`);
    const before = await fingerprint(t.client);
    const error = await importInto(t, archive, 'merge').catch((e) => e);
    expect(error.name).toBe('RefusedRowsError');
    expect(error.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          table: 'authors',
          key: { email: 'bo@x.org' },
          reason: expect.stringMatching(/already has this nickname/),
        }),
        expect.objectContaining({
          table: 'books',
          key: { isbn: '222' },
          reason: expect.stringMatching(/author_id refers to a authors row that is refused/),
        }),
        expect.objectContaining({
          table: 'reviews',
          key: { book_id: { isbn: '222' }, reviewer: 'r1' },
          reason: expect.stringMatching(/book_id refers to a books row/),
        }),
      ]),
    );
    expect(await fingerprint(t.client)).toBe(before);

    const report = await importInto(t, archive, 'merge', { allowFailures: true });
    expect(report.tables.find((x) => x.table === 'authors')).toMatchObject({ inserted: 2, failed: 1 });
    expect(report.tables.find((x) => x.table === 'books')).toMatchObject({ inserted: 2, failed: 1 });
    expect(report.tables.find((x) => x.table === 'reviews')).toMatchObject({ inserted: 2, failed: 1 });
    expect(report.failures.map((f) => f.table).sort()).toEqual(['authors', 'books', 'reviews']);
  });

  test('a value that does not fit the target type is named with its column', async () => {
    const t = await db(
      SCHEMA.replace('nickname text UNIQUE', "nickname text UNIQUE CHECK (nickname <> 'x')").replace('pages int', 'pages smallint') +
        `ALTER TABLE books ALTER COLUMN pages TYPE int;`,
    );
    const bad = join(dir, 'bigpages.tar.gz');
    alterTableFile(archive, bad, 'books.json', (s) => s.replace('"300"', '"3000000000000"'), true);
    const error = await importInto(t, bad, 'merge').catch((e) => e);
    expect(error.name).toBe('RefusedRowsError');
    expect(error.rows).toEqual([
      expect.objectContaining({ table: 'books', row: 3, column: 'pages', reason: expect.stringMatching(/out of range/) }),
      // The review of that book cannot be written either, and says why.
      expect.objectContaining({
        table: 'reviews',
        key: { book_id: '3', reviewer: 'r2' },
        reason: expect.stringMatching(/books row that is not imported/),
      }),
    ]);
    expect((await t.client.query('SELECT count(*)::int AS n FROM books')).rows[0].n).toBe(0);
  });

  test('a reference closing a cycle whose row was refused is left NULL and reported, with --allow-failures', async () => {
    const cycle = `
      CREATE TABLE dept (id serial PRIMARY KEY, code text NOT NULL UNIQUE, head_id int);
      CREATE TABLE emp (id serial PRIMARY KEY, email text NOT NULL UNIQUE, age int, dept_id int NOT NULL REFERENCES dept(id));
      ALTER TABLE dept ADD FOREIGN KEY (head_id) REFERENCES emp(id) ON DELETE SET NULL;`;
    const src = await db(
      cycle +
        `
      INSERT INTO dept (code) VALUES ('ops'), ('dev');
      INSERT INTO emp (email, age, dept_id) VALUES ('ann@x.org', 40, 1), ('ben@x.org', 17, 2);
      UPDATE dept SET head_id = 1 WHERE code = 'ops';
      UPDATE dept SET head_id = 2 WHERE code = 'dev';`,
    );
    const file = join(dir, 'cycle.tar.gz');
    await exportDb(src, file);
    // The target refuses minors: ben cannot be written, so dev's head cannot be resolved.
    const t = await db(cycle + `ALTER TABLE emp ADD CONSTRAINT adult CHECK (age >= 18);`);
    const before = await fingerprint(t.client);
    const error = await importInto(t, file, 'skip').catch((e) => e);
    expect(error.name).toBe('RefusedRowsError');
    expect(await fingerprint(t.client)).toBe(before);

    const report = await importInto(t, file, 'skip', { allowFailures: true });
    expect(report.failures).toEqual([
      expect.objectContaining({
        table: 'emp',
        key: { email: 'ben@x.org' },
        reason: expect.stringMatching(/violates check constraint adult/),
      }),
      expect.objectContaining({
        table: 'dept',
        column: 'head_id',
        reason: 'head_id refers to a emp row that was not imported; left unchanged',
      }),
    ]);
    const rows = await t.client.query(`SELECT d.code, e.email AS head FROM dept d LEFT JOIN emp e ON e.id = d.head_id ORDER BY d.code`);
    expect(rows.rows).toEqual([
      { code: 'dev', head: null },
      { code: 'ops', head: 'ann@x.org' },
    ]);
  });

  test('a trigger failing in the last table rolls everything back and names the row', async () => {
    const t = await target(`
      CREATE FUNCTION no_r2() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.reviewer = 'r2' THEN RAISE EXCEPTION 'reviewer r2 is banned'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER no_r2 BEFORE INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION no_r2();`);
    const before = await fingerprint(t.client);
    const error = await importInto(t, archive, 'merge').catch((e) => e);
    expect(error.name).toBe('WriteError');
    expect(error.message).toMatch(/reviews failed at row 3 .*"reviewer":"r2".*reviewer r2 is banned/);
    expect(await fingerprint(t.client)).toBe(before);
    // With the target's triggers disabled for the run it goes through, and they are enabled afterwards.
    const report = await importInto(t, archive, 'merge', { disableTriggers: true });
    expect(report.triggersDisabled).toBe(true);
    expect(report.tables.find((x) => x.table === 'reviews')).toMatchObject({ inserted: 3 });
    expect((await t.client.query(`SELECT tgenabled FROM pg_trigger WHERE tgname = 'no_r2'`)).rows[0].tgenabled).toBe('O');
  });

  test('--disable-triggers also lifts foreign-key checks for a superuser, and restores every trigger as it was', async () => {
    const t = await target(`
      CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER was_off BEFORE INSERT ON books FOR EACH ROW EXECUTE FUNCTION noop();
      ALTER TABLE books DISABLE TRIGGER was_off;`);
    const states = async () =>
      (
        await t.client.query(
          `SELECT tgrelid::regclass::text AS rel, tgname, tgenabled FROM pg_trigger WHERE tgrelid IN ('books'::regclass, 'reviews'::regclass) ORDER BY 1, 2`,
        )
      ).rows;
    const before = await states();
    const logs: string[] = [];
    const report = await importArchive({
      db: dbTarget(t.url),
      archive,
      mode: 'merge',
      disableTriggers: true,
      onEvent: (e) => e.type === 'log' && logs.push(e.message),
    });
    expect(totals(report).inserted).toBe(9);
    expect(logs.join('\n')).toMatch(/foreign-key checks included/);
    expect(await states()).toEqual(before);
    expect(before.find((r) => r.tgname === 'was_off')!.tgenabled).toBe('D');
  });
});

describe('dry run, cancel and locks', () => {
  test('a dry run reports the counts of the real run and changes nothing, not even sequences', async () => {
    const t = await target();
    const before = await fingerprint(t.client);
    const seq = async () => (await t.client.query(`SELECT last_value FROM authors_id_seq`)).rows[0].last_value;
    const seqBefore = await seq();
    const dry = await importInto(t, archive, 'merge', { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await fingerprint(t.client)).toBe(before);
    expect(await seq()).toBe(seqBefore);
    const real = await importInto(t, archive, 'merge');
    expect(real.tables).toEqual(dry.tables);
    expect(totals(real).inserted).toBe(9);
  });

  test('cancelling a long import rolls it back', async () => {
    const big = await db(`CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);
      INSERT INTO items (code, body) SELECT 'c' || g, repeat('x', 200) FROM generate_series(1, 200000) g;`);
    const file = join(dir, 'items.tar.gz');
    await exportDb(big, file);
    const t = await db(
      `CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text); INSERT INTO items (code) VALUES ('mine');`,
    );
    const before = await fingerprint(t.client);
    const controller = new AbortController();
    const phases: number[] = [];
    const run = importArchive({
      db: dbTarget(t.url),
      archive: file,
      mode: 'merge',
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'phase') phases.push(e.index);
        if (e.type === 'phase' && e.index === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled and rolled back/);
    expect(phases).toContain(2);
    expect(await fingerprint(t.client)).toBe(before);
  });

  test('a lock held by another writer ends the run, naming who holds it', async () => {
    const t = await target();
    const other = new pg.Client({ connectionString: t.url, application_name: 'busy-writer' });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO authors (email) VALUES ('pending@x.org')`);
      const error = await importInto(t, archive, 'merge', { lockTimeoutMs: 300 }).catch((e) => e);
      expect(error.name).toBe('LockTimeoutError');
      expect(error.message).toMatch(
        /pid \d+ \(postgres, busy-writer.*idle in transaction.*\) holds RowExclusiveLock on (public\.)?authors/,
      );
      await other.query('ROLLBACK');
      expect((await t.client.query('SELECT count(*)::int AS n FROM books')).rows[0].n).toBe(0);
    } finally {
      await other.end();
    }
  });

  test('while an import runs, other writers to its tables wait for it', async () => {
    // A slow statement trigger keeps the import inside its transaction for a moment.
    const t = await target(`CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
      CREATE TRIGGER slow AFTER INSERT ON reviews FOR EACH STATEMENT EXECUTE FUNCTION slow();`);
    const running = importInto(t, archive, 'merge');
    const writer = new pg.Client({ connectionString: t.url });
    await writer.connect();
    try {
      // Until the import holds its lock on authors (later on a busy machine; its undo log's table is
      // locked the same way before the written tables are), at most 60 s.
      let held = false;
      for (const until = Date.now() + 60_000; !held && Date.now() < until;) {
        const locks = await writer.query(
          `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'mr4' AND l.mode = 'ShareRowExclusiveLock' AND l.granted AND l.relation = 'authors'::regclass`,
        );
        held = (locks.rowCount ?? 0) > 0;
        if (!held) await new Promise((r) => setTimeout(r, 20));
      }
      expect(held, 'the import took its lock on the written tables').toBe(true);
      await writer.query(`SET lock_timeout = '200ms'`);
      await expect(writer.query(`INSERT INTO authors (email) VALUES ('during@x.org')`)).rejects.toThrow(/lock timeout/);
      expect(totals(await running).inserted).toBe(9);
      await writer.query(`INSERT INTO authors (email) VALUES ('after@x.org')`);
    } finally {
      await writer.end();
    }
  });
});
