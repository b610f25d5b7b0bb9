// An export reads its tables over several connections that share one snapshot (pg_dump -j's way):
// rows committed while it runs are in no table file, whichever connection reads it; the archive's
// table files are the same bytes whatever the number of connections, masked columns included; a
// cancel drops every connection; a server that refuses more connections gets fewer, said in the log;
// a small database is read over one unless more are asked for (export-jobs.unit.test.ts has the rule),
// judged by the tables' sizes on disk, which the catalog reads.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import type { EngineEvent } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { openArchive } from '../../src-main/engine/archive/reader';
import { CancelledError, RunContext } from '../../src-main/engine/run-context';
import { readCatalog } from '../../src-main/engine/catalog';
import { closeReaders, openSnapshotReaders, PARALLEL_EXPORT_FROM_BYTES } from '../../src-main/engine/snapshot-readers';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { otherSessions, spoolLeftovers } from '../helpers/faults';

const db = databasesForFile();
const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCHEMA = `
  CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
  CREATE TABLE post (id serial PRIMARY KEY, person_id integer NOT NULL REFERENCES person(id), title text NOT NULL, body text);
  CREATE TABLE note (id serial PRIMARY KEY, post_id integer REFERENCES post(id), body text);
  CREATE TABLE tag (id serial PRIMARY KEY, label text NOT NULL UNIQUE);
  INSERT INTO person (email, name) SELECT 'p' || g || '@example.org', 'Person ' || g FROM generate_series(1, 3000) g;
  INSERT INTO post (person_id, title, body) SELECT 1 + g % 3000, 'Post ' || g, repeat('text ', g % 40) FROM generate_series(1, 20000) g;
  INSERT INTO note (post_id, body) SELECT 1 + g % 20000, 'note ' || g FROM generate_series(1, 8000) g;
  INSERT INTO tag (label) SELECT 'tag ' || g FROM generate_series(1, 50) g;
  ANALYZE;
`;

const RULES = { tables: { person: { mask: { email: 'email', name: 'name' } } } };

test('every connection reads the snapshot of the export’s own transaction, not what was committed since', async () => {
  const source = await db(SCHEMA);
  const target = dbTarget(source.url);
  const ctx = await RunContext.open(target, undefined, undefined);
  let readers: RunContext[] = [];
  try {
    await ctx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const before = (
      await ctx.query(`SELECT (SELECT count(*) FROM public.person)::int AS people, (SELECT count(*) FROM public.tag)::int AS tags`)
    ).rows[0];
    await source.client.query(`INSERT INTO person (email) VALUES ('late@example.org'); INSERT INTO tag (label) VALUES ('late')`);
    readers = await openSnapshotReaders(ctx, target, 3, async () => undefined, undefined, undefined);
    expect(readers).toHaveLength(3);
    for (const reader of readers) {
      expect(
        (await reader.query(`SELECT (SELECT count(*) FROM public.person)::int AS people, (SELECT count(*) FROM public.tag)::int AS tags`))
          .rows[0],
      ).toEqual(before);
    }
    expect((await source.client.query(`SELECT count(*)::int AS n FROM person`)).rows[0].n).toBe(before.people + 1);
  } finally {
    await closeReaders(readers);
    await ctx.close();
  }
});

test('an archive read over four connections holds the same table files as one read over one, masked columns alike', async () => {
  const source = await db(SCHEMA);
  const seed = 'the same seed, sixteen bytes+';
  const one = await exportDb(source, join(dir, 'one.tar.gz'), { jobs: 1, config: RULES as never, maskSeed: seed });
  const events: EngineEvent[] = [];
  const four = await exportDb(source, join(dir, 'four.tar.gz'), {
    jobs: 4,
    config: RULES as never,
    maskSeed: seed,
    onEvent: (e) => events.push(e),
  });
  const a = (await openArchive(one.file)).index!;
  const b = (await openArchive(four.file)).index!;
  expect(b.entities).toEqual(a.entities);
  expect(Object.keys(b.tables)).toEqual(Object.keys(a.tables));
  for (const name of a.entities) expect({ name, ...b.tables[name] }).toEqual({ name, ...a.tables[name] });
  expect(a.tables.person.masked!.map((m) => m.column)).toEqual(['email', 'name']);
  expect(four.tables).toEqual(one.tables);
  // Tables were in flight at once: a table started before another one was done.
  const started = new Set<string>();
  let overlapped = false;
  for (const e of events) {
    if (e.type !== 'table' || e.phase !== 1) continue;
    if (e.done) started.delete(e.table);
    else {
      started.add(e.table);
      if (started.size > 1) overlapped = true;
    }
  }
  expect(overlapped).toBe(true);
  // The export's sessions are all gone.
  expect(await otherSessions(source)).toBe(0);
});

test('a cancel while several connections read drops them all and leaves no file', async () => {
  const source = await db(
    SCHEMA +
      `INSERT INTO post (person_id, title, body) SELECT 1, 'Big ' || g, repeat('x', 2000) FROM generate_series(1, 60000) g; ANALYZE post;`,
  );
  const out = join(dir, 'cancelled.tar.gz');
  const abort = new AbortController();
  const run = exportDb(source, out, {
    jobs: 3,
    signal: abort.signal,
    onEvent: (e) => {
      if (e.type === 'table' && e.phase === 1 && !e.done && (e.rowsDone ?? 0) > 0) abort.abort();
    },
  });
  await expect(run).rejects.toBeInstanceOf(CancelledError);
  expect(spoolLeftovers(dir)).toEqual([]);
  expect(await otherSessions(source)).toBe(0);
});

/** An export as a role allowed `limit` connections: its report and what it logged. */
async function exportAsLimitedRole(
  source: TestDb,
  limit: number,
  jobs?: number,
): Promise<{ tables: Record<string, number>; logs: string[] }> {
  const role = `mr4_limited_${limit}_${Date.now() % 100000}`;
  await source.client.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT ${limit}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  try {
    const url = new URL(source.url);
    url.username = role;
    url.password = '';
    const logs: string[] = [];
    const report = await exportDb(source, join(dir, `limited-${limit}.tar.gz`), {
      db: dbTarget(url.toString()),
      ...(jobs ? { jobs } : {}),
      onEvent: (e) => void (e.type === 'log' && logs.push(e.message)),
    });
    return { tables: Object.fromEntries(report.tables.map((t) => [t.table, t.rows])), logs };
  } finally {
    await otherSessions(source);
    const admin = new pg.Client({ connectionString: source.url });
    await admin.connect();
    await admin.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
    await admin.end();
  }
}

test('a server that refuses more connections gets an export over fewer, said in the log', async () => {
  const { tables, logs } = await exportAsLimitedRole(await db(SCHEMA), 2, 4);
  expect(tables).toEqual({ person: 3000, post: 20000, note: 8000, tag: 50 });
  expect(logs.find((m) => m.startsWith('Reading over'))).toMatch(
    /^Reading over \d connection\(s\) instead of 4: the server refused more \(.*too many connections/,
  );
});

test('the catalog knows each table’s size on disk (a partitioned one: its partitions’), and a small database is read over one connection by default', async () => {
  const source = await db(
    `${SCHEMA} CREATE TABLE event (id int, at date NOT NULL, body text) PARTITION BY RANGE (at);
     CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
     CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
     INSERT INTO event SELECT g, date '2025-06-01' + g % 400, repeat('x', g % 3000) FROM generate_series(1, 2000) g;`,
  );
  const sizes = (
    await source.client.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, (pg_relation_size(oid) + pg_relation_size(reltoastrelid))::text AS bytes FROM pg_class WHERE relname IN ('person', 'post', 'note', 'tag', 'event_2025', 'event_2026')`,
    )
  ).rows;
  const size = (name: string) => Number(sizes.find((r) => r.name === name)!.bytes);
  const catalog = await readCatalog(source.client);
  const bytes = Object.fromEntries(catalog.tables.map((t) => [t.name, t.bytes]));
  expect(bytes).toEqual({
    person: size('person'),
    post: size('post'),
    note: size('note'),
    tag: size('tag'),
    event: size('event_2025') + size('event_2026'),
  });
  expect(size('event_2025')).toBeGreaterThan(0);
  expect(size('event_2026')).toBeGreaterThan(0);
  expect(Object.values(bytes).reduce((a, b) => a + b, 0)).toBeLessThan(PARALLEL_EXPORT_FROM_BYTES);

  // A role allowed one connection: an export that opened a second would say it got fewer.
  const { tables, logs } = await exportAsLimitedRole(source, 1);
  expect(tables).toEqual({ person: 3000, post: 20000, note: 8000, tag: 50, event: 2000 });
  expect(logs.filter((m) => m.startsWith('Reading over'))).toEqual([]);
});
