// The archive browser's cache: a 1,000,000-row table opened once and read by offset (first page, a
// middle page, the last row) with bounded memory; filters that match and cap; checksums; legacy 1.0
// archives; caches removed on close and after 7 days. Also: cancelling a long import mid-way.
import { utimesSync } from 'node:fs';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveInfo, JobInfo } from '../../src-common/contract';
import { seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import { fingerprint } from '../helpers/compare';
import { alterTableFile } from '../helpers/craft-archive';
import { createTestDb, type TestDb } from '../helpers/db';
import { crearisSchemaSql, freshDb, scratchDir } from '../helpers/engine';
import { writeLegacyArchive } from '../fixtures/legacy/make-legacy-archive';
import { draftFor, makeApp, newDataDir, type TestApp, waitFor, waitJob } from './helpers';

const ROWS = 1_000_000;
let db: TestDb;
let app: TestApp;
let dataDir: string;
let exportHandle: string;

beforeAll(async () => {
  db = await createTestDb();
  await db.client.query(`
    CREATE TABLE big (id bigint PRIMARY KEY, code text NOT NULL UNIQUE, name text, n int, note text);
    INSERT INTO big
    SELECT i, 'code-' || i, 'Row number ' || i, i % 1000,
           CASE WHEN i IN (500000, 999999) THEN 'has the Rare-Token "quoted"' WHEN i % 50 = 0 THEN 'common needle' ELSE NULL END
    FROM generate_series(1, ${ROWS}) AS i;`);
  dataDir = newDataDir();
  app = await makeApp();
  const source = await app.call('connections.save', draftFor(db.url, 'Big', 'dev'));
  const exported = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: source.id })).id, 300_000);
  expect(exported.state, JSON.stringify(exported.error)).toBe('succeeded');
  exportHandle = exported.files![0].handle;
}, 600_000);
afterAll(async () => {
  await app?.shutdown();
  await db?.drop();
});

async function open(handle: string): Promise<{ job: JobInfo; info: ArchiveInfo }> {
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: handle })).id, 300_000);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  return { job, info: job.result as ArchiveInfo };
}

/** Where an archive exported by the app (named by its file handle) lies in the data folder. */
async function exportedPath(handle: string): Promise<string> {
  const file = (await app.call('files.list', {})).find((f) => f.handle === handle);
  expect(file, `no listed file has the handle ${handle}`).toBeDefined();
  return join(dataDir, 'archives', file!.name);
}

describe('archive cache', () => {
  it('opens a 1,000,000-row archive once and reads first, middle and last rows by offset in bounded memory', async () => {
    global.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const { job, info } = await open(exportHandle);
      expect(info.checksums).toBe('verified');
      expect(info.legacy).toBe(false);
      expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(info.metadata.database).toBe(db.name);
      const big = info.tables.find((t) => t.name === 'big')!;
      expect(big).toMatchObject({ rows: ROWS, role: 'data', key: { kind: 'key' } });
      expect(big.columns.map((c) => c.name)).toEqual(['id', 'code', 'name', 'n', 'note']);
      expect(job.progress).toBeDefined();
      expect(job.progress!.done).toBe(job.progress!.total);
      expect(job.tables.find((t) => t.table === 'big')).toMatchObject({ rowsDone: ROWS, rowsTotal: ROWS, done: true });
      expect(app.events.some((e) => e.type === 'job.event' && e.jobId === job.id && e.event.type === 'progress')).toBe(true);
      const id = info.archiveId;

      const first = await app.call('archives.rows', { archiveId: id, table: 'big', offset: 0, limit: 100 });
      expect(first.total).toBe(ROWS);
      expect(first.capped).toBe(false);
      expect(first.columns).toEqual(['id', 'code', 'name', 'n', 'note']);
      expect(first.rows).toHaveLength(100);
      expect(first.rows[0]).toEqual({ index: 0, values: ['1', 'code-1', 'Row number 1', '1', null] });
      expect(first.rows[49].values[4]).toBe('common needle');

      const middle = await app.call('archives.rows', { archiveId: id, table: 'big', offset: 499_999, limit: 3 });
      expect(middle.rows.map((r) => r.values[0])).toEqual(['500000', '500001', '500002']);
      expect(middle.rows[0].values[4]).toBe('has the Rare-Token "quoted"');

      const t0 = performance.now();
      const last = await app.call('archives.rows', { archiveId: id, table: 'big', offset: ROWS - 1, limit: 500 });
      const ms = performance.now() - t0;
      expect(last.rows).toEqual([{ index: ROWS - 1, values: ['1000000', 'code-1000000', 'Row number 1000000', '0', 'common needle'] }]);
      expect(ms).toBeLessThan(200);
      expect((await app.call('archives.rows', { archiveId: id, table: 'big', offset: ROWS + 5, limit: 10 })).rows).toEqual([]);

      // Filters: case-insensitive over values, capped, remembered for paging.
      const rare = await app.call('archives.rows', { archiveId: id, table: 'big', offset: 0, limit: 50, filter: 'RARE-token "QUOTED' });
      expect(rare.total).toBe(2);
      expect(rare.capped).toBe(false);
      expect(rare.rows.map((r) => r.index)).toEqual([499_999, 999_998]);
      const common = await app.call('archives.rows', { archiveId: id, table: 'big', offset: 0, limit: 10, filter: 'Common Needle' });
      expect(common.capped).toBe(true);
      expect(common.total).toBe(10_000);
      expect(common.rows[0].values[0]).toBe('50');
      const t1 = performance.now();
      const lastMatches = await app.call('archives.rows', {
        archiveId: id,
        table: 'big',
        offset: 9_995,
        limit: 10,
        filter: 'Common Needle',
      });
      expect(performance.now() - t1).toBeLessThan(200);
      // Every 50th row matches, except row 500000, which holds the rare token instead.
      expect(lastMatches.rows.map((r) => r.values[0])).toEqual(['499800', '499850', '499900', '499950', '500050']);
      // "null" is no value: SQL NULL never matches.
      expect((await app.call('archives.rows', { archiveId: id, table: 'big', offset: 0, limit: 10, filter: 'null' })).total).toBe(0);
      expect((await app.fail('archives.rows', { archiveId: id, table: 'nope', offset: 0, limit: 10 })).status).toBe(404);
    } finally {
      clearInterval(sampler);
    }
    expect(peak / 1024 / 1024).toBeLessThan(300);
  }, 300_000);

  it("reuses an unchanged file's cache, closes it, and drops caches unused for 7 days at start", async () => {
    const a = await open(exportHandle);
    const b = await open(exportHandle);
    expect(b.info.archiveId).toBe(a.info.archiveId);
    expect(b.job.log.some((l) => /from the cache/.test(l.message))).toBe(true);
    await app.call('archives.close', { archiveId: a.info.archiveId });
    expect(existsSync(join(dataDir, 'cache', a.info.archiveId))).toBe(false);
    expect((await app.fail('archives.info', { archiveId: a.info.archiveId })).status).toBe(404);

    const c = await open(exportHandle);
    const old = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(join(dataDir, 'cache', c.info.archiveId, 'meta.json'), old, old);
    const again = await makeApp({ dataDir });
    try {
      expect(readdirSync(join(dataDir, 'cache'))).not.toContain(c.info.archiveId);
      expect((await again.fail('archives.info', { archiveId: c.info.archiveId })).status).toBe(404);
    } finally {
      await again.shutdown();
    }
  }, 300_000);

  it('cancels opening an archive and leaves no cache behind', async () => {
    const ref = await app.files.registerPath(await exportedPath(exportHandle), 'read');
    // Another grant of the same file still builds anew only if no cache exists: close any first.
    for (const f of readdirSync(join(dataDir, 'cache'))) await app.dispatch('archives.close', { archiveId: f });
    const before = readdirSync(join(dataDir, 'cache'));
    const job = await app.call('jobs.start', { kind: 'open-archive', file: ref.handle });
    await waitFor(
      async () => (await app.call('jobs.get', { jobId: job.id })).tables.some((t) => t.rowsDone > 0),
      60_000,
      'caching progress',
    );
    await app.call('jobs.cancel', { jobId: job.id });
    const done = await waitJob(app, job.id);
    expect(done.state).toBe('cancelled');
    expect(done.result).toBeUndefined();
    expect(readdirSync(join(dataDir, 'cache'))).toEqual(before);
  }, 300_000);

  it('cancels a long import while it stages rows: cancelled, rolled back, target unchanged', async () => {
    const target = await createTestDb();
    try {
      await target.client.query('CREATE TABLE big (id bigint PRIMARY KEY, code text NOT NULL UNIQUE, name text, n int, note text)');
      await target.client.query("INSERT INTO big VALUES (1, 'code-1', 'already here', 1, NULL)");
      const before = await fingerprint(target.client);
      const conn = await app.call('connections.save', draftFor(target.url, 'Big target', 'staging'));
      const { info } = await open(exportHandle);
      const job = await app.call('jobs.start', {
        kind: 'import',
        archiveId: info.archiveId,
        targetId: conn.id,
        mode: 'merge',
        dryRun: false,
      });
      await waitFor(
        async () => (await app.call('jobs.get', { jobId: job.id })).tables.some((t) => t.phase === 1 && t.rowsDone > 0),
        60_000,
        'staging progress',
      );
      await app.call('jobs.cancel', { jobId: job.id });
      const done = await waitJob(app, job.id);
      expect(done.state).toBe('cancelled');
      expect(done.rolledBack).toBe(true);
      expect(done.log.some((l) => /rolled back/.test(l.message))).toBe(true);
      expect(await fingerprint(target.client)).toBe(before);
    } finally {
      await target.drop();
    }
  }, 300_000);

  it('flags a table whose content does not match index.json', async () => {
    const dir = scratchDir();
    const small = await freshDb("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
    try {
      const conn = await app.call('connections.save', draftFor(small.url, 'Small', 'dev'));
      const exported = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id })).id);
      expect(exported.state, JSON.stringify(exported.error)).toBe('succeeded');
      const archive = await exportedPath(exported.files![0].handle);
      const altered = join(dir, 'altered.tar.gz');
      alterTableFile(archive, altered, 't.json', (text) => text.replace('"b"', '"B"'), false);
      const ref = await app.files.registerPath(altered, 'read');
      const { info, job } = await open(ref.handle);
      expect(info.checksums).toBe('failed');
      expect(job.log.some((l) => l.level === 'warn' && /does not match index.json/.test(l.message))).toBe(true);
      const rows = await app.call('archives.rows', { archiveId: info.archiveId, table: 't', offset: 0, limit: 10 });
      expect(rows.rows.map((r) => r.values)).toEqual([
        ['1', 'a'],
        ['2', 'B'],
      ]);
    } finally {
      await small.drop();
    }
  });

  it('shows the tables and rows of a legacy (1.0) archive', async () => {
    const crearis = await freshDb(crearisSchemaSql);
    try {
      await seedCrearisDemo(crearis.client);
      const out = join(scratchDir(), 'legacy.tar.gz');
      await writeLegacyArchive({ url: crearis.url, out, utcOffsetMinutes: 60 });
      const ref = await app.files.registerPath(out, 'read');
      const { info } = await open(ref.handle);
      expect(info.legacy).toBe(true);
      expect(info.format).toMatch(/^1\.0/);
      expect(info.checksums).toBe('verified');
      const names = info.tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['tags', 'users', 'events', 'project_members', 'events_tags', 'event_instructors']));
      const users = info.tables.find((t) => t.name === 'users')!;
      expect(users.rows).toBeGreaterThan(5);
      expect(users.columns.map((c) => c.name)).toContain('instructor_xmlid');
      const page = await app.call('archives.rows', { archiveId: info.archiveId, table: 'users', offset: 0, limit: 5 });
      expect(page.total).toBe(users.rows);
      const sysmail = page.columns.indexOf('sysmail');
      expect(page.rows[0].values[sysmail]).toMatch(/@/);
      const found = await app.call('archives.rows', {
        archiveId: info.archiveId,
        table: 'users',
        offset: 0,
        limit: 5,
        filter: page.rows[0].values[sysmail]!.toUpperCase(),
      });
      expect(found.total).toBeGreaterThanOrEqual(1);
    } finally {
      await crearis.drop();
    }
  });
});
