// Export → open → import (dry run, then real) between real databases through dispatch; the production
// confirmation rule; one job per target; cancel with rollback; the lock timeout naming the holder;
// sync keeping its archive; history across restarts.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportReport, ImportReport, JobInfo, SavedConnection } from '../../src-common/contract';
import { seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import { fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { crearisSchemaSql, freshDb } from '../helpers/engine';
import { draftFor, makeApp, newDataDir, type TestApp, waitFor, waitJob } from './helpers';

const dbs: TestDb[] = [];
async function crearis(seed: boolean): Promise<TestDb> {
  const db = await freshDb(crearisSchemaSql);
  dbs.push(db);
  if (seed) await seedCrearisDemo(db.client);
  return db;
}
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

let source: TestDb;
let target: TestDb;
let app: TestApp;
let dataDir: string;
let src: SavedConnection;
let prod: SavedConnection;

beforeAll(async () => {
  source = await crearis(true);
  target = await crearis(false);
  dataDir = newDataDir();
  app = await makeApp();
  src = await app.call('connections.save', draftFor(source.url, 'Source dev', 'dev'));
  prod = await app.call('connections.save', draftFor(target.url, 'Target production', 'production'));
});
afterAll(async () => {
  await app?.shutdown();
});

async function exportAndOpen(): Promise<{ job: JobInfo; archiveId: string }> {
  const started = await app.call('jobs.start', { kind: 'export', sourceId: src.id });
  expect(started.state).toBe('running');
  const job = await waitJob(app, started.id);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const opened = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: job.files![0].handle })).id);
  expect(opened.state, JSON.stringify(opened.error)).toBe('succeeded');
  return { job, archiveId: (opened.result as { archiveId: string }).archiveId };
}

describe('jobs', () => {
  it('exports, then imports with a dry run and a confirmed real run, with events', async () => {
    const { job, archiveId } = await exportAndOpen();
    const report = job.result as ExportReport;
    expect(report.database).toBe(source.name);
    expect(job.phases).toEqual(['Read catalog', 'Copy tables', 'Write archive']);
    expect(job.tables.length).toBeGreaterThan(5);
    expect(job.tables.every((t) => t.done)).toBe(true);
    expect(job.files![0].name).toMatch(new RegExp(`^${source.name}-\\d{8}-\\d{6}Z(-\\d+)?\\.tar\\.gz$`));
    const listed = await app.call('files.list', {});
    expect(listed.map((f) => f.handle)).toContain(job.files![0].handle);
    const phaseEvents = app.events.filter((e) => e.type === 'job.event' && e.jobId === job.id && e.event.type === 'phase');
    expect(phaseEvents.length).toBe(3);
    expect(app.events.some((e) => e.type === 'job.state' && e.job.id === job.id && e.job.state === 'succeeded')).toBe(true);

    const before = await fingerprint(target.client);
    const dry = await waitJob(
      app,
      (await app.call('jobs.start', { kind: 'import', archiveId, targetId: prod.id, mode: 'merge', dryRun: true })).id,
    );
    expect(dry.state, JSON.stringify(dry.error)).toBe('succeeded');
    const dryReport = dry.result as ImportReport;
    expect(dryReport.dryRun).toBe(true);
    expect(dryReport.tables.find((t) => t.table === 'events')!.inserted).toBeGreaterThan(0);
    expect(await fingerprint(target.client)).toBe(before);
    expect(dry.phase).toBe(4);
    expect(dry.log.some((l) => /Dry run complete/.test(l.message))).toBe(true);

    // A real run into production needs the database name typed.
    const refused = await app.fail('jobs.start', { kind: 'import', archiveId, targetId: prod.id, mode: 'merge', dryRun: false });
    expect(refused.status).toBe(409);
    expect(refused.error.code).toBe('MR4_CONFIRMATION_REQUIRED');
    expect(refused.error.message).toContain(target.name);
    const wrong = await app.fail('jobs.start', {
      kind: 'import',
      archiveId,
      targetId: prod.id,
      mode: 'merge',
      dryRun: false,
      confirmDatabase: 'production',
    });
    expect(wrong.status).toBe(409);

    const real = await waitJob(
      app,
      (
        await app.call('jobs.start', {
          kind: 'import',
          archiveId,
          targetId: prod.id,
          mode: 'merge',
          dryRun: false,
          confirmDatabase: target.name,
        })
      ).id,
    );
    expect(real.state, JSON.stringify(real.error)).toBe('succeeded');
    const counts = (real.result as ImportReport).tables;
    expect(counts).toEqual(dryReport.tables);
    const events = await target.client.query('SELECT count(*)::int AS n FROM events');
    expect(events.rows[0].n).toBe(dryReport.tables.find((t) => t.table === 'events')!.inserted);
    expect(real.rolledBack).toBeUndefined();
  });

  it('runs one job per target, cancels a waiting import with a rollback, and names a lock holder', async () => {
    const { archiveId } = await exportAndOpen();
    const target2 = await crearis(false);
    const dev = await app.call('connections.save', draftFor(target2.url, 'Other dev', 'dev'));
    const twin = await app.call('connections.duplicate', { id: dev.id });
    const before = await fingerprint(target2.client);

    // Another session writes to events and keeps its transaction open.
    const holder = new pg.Client({ connectionString: target2.url, application_name: 'the-blocker' });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('UPDATE events SET name = name WHERE false');
    try {
      const first = await app.call('jobs.start', { kind: 'import', archiveId, targetId: dev.id, mode: 'skip', dryRun: false });
      const second = await app.fail('jobs.start', { kind: 'import', archiveId, targetId: dev.id, mode: 'skip', dryRun: true });
      expect(second.status).toBe(409);
      expect(second.error.code).toBe('MR4_JOB_RUNNING');
      // The same database through another saved connection is the same target.
      expect((await app.fail('jobs.start', { kind: 'import', archiveId, targetId: twin.id, mode: 'skip', dryRun: true })).status).toBe(409);
      expect(app.runningJobs()).toBe(1);

      // Cancel while it waits for the lock: the statement is cancelled and the transaction rolled back.
      await waitFor(async () => (await app.call('jobs.get', { jobId: first.id })).phase >= 1, 30_000, 'staging');
      await new Promise((r) => setTimeout(r, 500));
      const cancelling = await app.call('jobs.cancel', { jobId: first.id });
      expect(['cancelling', 'cancelled']).toContain(cancelling.state);
      const done = await waitJob(app, first.id);
      expect(done.state).toBe('cancelled');
      expect(done.rolledBack).toBe(true);
      expect(done.error?.code).toBe('CancelledError');
      expect(await fingerprint(target2.client)).toBe(before);
      expect(app.runningJobs()).toBe(0);

      // Without a cancel, the lock timeout (10 s) ends the run and names who holds the lock.
      const locked = await waitJob(
        app,
        (await app.call('jobs.start', { kind: 'import', archiveId, targetId: dev.id, mode: 'skip', dryRun: false })).id,
      );
      expect(locked.state).toBe('failed');
      expect(locked.rolledBack).toBe(true);
      expect(locked.error).toMatchObject({ title: 'The target tables are locked', code: '55P03' });
      expect(locked.error!.message).toMatch(/the-blocker/);
      expect(await fingerprint(target2.client)).toBe(before);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('syncs, keeping the intermediate archive (listed, and in the history)', async () => {
    const target3 = await crearis(false);
    const dev = await app.call('connections.save', draftFor(target3.url, 'Sync target', 'dev'));
    const sync = await waitJob(
      app,
      (await app.call('jobs.start', { kind: 'sync', sourceId: src.id, targetId: dev.id, mode: 'skip', dryRun: false })).id,
    );
    expect(sync.state, JSON.stringify(sync.error)).toBe('succeeded');
    expect(sync.phases).toHaveLength(8);
    expect(sync.tables.some((t) => t.phase >= 3)).toBe(true);
    const result = sync.result as { export: ExportReport; import: ImportReport };
    expect(result.import.tables.find((t) => t.table === 'events')!.inserted).toBeGreaterThan(0);
    const kept = sync.files![0];
    expect((await app.call('files.list', {})).map((f) => f.handle)).toContain(kept.handle);
    const history = await app.call('history.list', {});
    expect(history[0]).toMatchObject({
      id: sync.id,
      kind: 'sync',
      outcome: 'succeeded',
      files: [kept],
      target: { id: dev.id },
      mode: 'skip',
    });
  });

  it('keeps the history across a new app on the same data folder, newest first', async () => {
    const first = await app.call('history.list', {});
    expect(first.length).toBeGreaterThanOrEqual(5);
    expect(first.some((h) => h.kind === 'import' && h.outcome === 'cancelled')).toBe(true);
    expect(first.some((h) => h.kind === 'import' && h.outcome === 'failed' && /locked/.test(h.error ?? ''))).toBe(true);
    expect(first.some((h) => (h.kind as string) === 'open-archive')).toBe(false);
    const again = await makeApp({ dataDir });
    try {
      const second = await again.call('history.list', {});
      expect(second).toEqual(first);
      expect(await again.call('history.list', { limit: 2 })).toEqual(first.slice(0, 2));
      const times = second.map((h) => h.startedAt);
      expect([...times].sort().reverse()).toEqual(times);
      // Kept archives keep their handles too.
      expect((await again.call('files.list', {})).map((f) => f.handle).sort()).toEqual(
        (await app.call('files.list', {})).map((f) => f.handle).sort(),
      );
    } finally {
      await again.shutdown();
    }
  });
});
