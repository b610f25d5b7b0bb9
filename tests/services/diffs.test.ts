// The app's diff and three-way merge through dispatch: bases remembered when an archive seeds a
// database, exports naming their base, a paged diff session, merging what the user decided, and a
// stale preview refused.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DiffOpened, ImportReport, SavedConnection } from '../../src-common/contract';
import type { TestDb } from '../helpers/db';
import { fingerprint } from '../helpers/compare';
import { freshDb } from '../helpers/engine';
import { draftFor, makeApp, type TestApp, waitJob } from './helpers';

const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;
let app: TestApp;
let prodDb: TestDb;
let devDb: TestDb;
let prod: SavedConnection;
let dev: SavedConnection;

async function exportFrom(conn: SavedConnection): Promise<string> {
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id })).id);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const opened = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: job.files![0].handle })).id);
  return (opened.result as { archiveId: string }).archiveId;
}

beforeAll(async () => {
  app = await makeApp();
  prodDb = await freshDb(SCHEMA + `INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  devDb = await freshDb(SCHEMA);
  prod = await app.call('connections.save', draftFor(prodDb.url, 'Prod', 'production'));
  dev = await app.call('connections.save', draftFor(devDb.url, 'Dev', 'dev'));
  // Pull production into dev (a merge): what the two agree on afterwards is kept for the pair.
  const pulled = await exportFrom(prod);
  const seeded = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'import', archiveId: pulled, targetId: dev.id, mode: 'merge', dryRun: false })).id,
  );
  expect(seeded.state).toBe('succeeded');
  await devDb.client.query(
    `UPDATE item SET name = 'A dev' WHERE code = 'a'; UPDATE item SET price = 20 WHERE code = 'b'; INSERT INTO item (code, name) VALUES ('d', 'D');`,
  );
  await prodDb.client.query(`UPDATE item SET price = 10 WHERE code = 'a'; UPDATE item SET price = 21 WHERE code = 'b';`);
}, 120_000);
afterAll(async () => {
  await app?.shutdown();
  await prodDb?.drop();
  await devDb?.drop();
});

test('what two synced databases agree on is offered as the base for either direction, and for no other pair', async () => {
  const archiveId = await exportFrom(dev);
  const info = await app.call('archives.info', { archiveId });
  expect(info.metadata.identity).toMatch(/^[0-9a-f-]{36}$/);
  const base = await app.call('bases.forArchive', { archiveId, targetId: prod.id });
  expect(base.between).toMatchObject({ archive: devDb.name, target: prodDb.name });
  expect(base.file?.name).toMatch(/^agreed-.*\.tar\.gz$/);
  // Production's own export, towards dev: the same agreement.
  const fromProd = await exportFrom(prod);
  expect((await app.call('bases.forArchive', { archiveId: fromProd, targetId: dev.id })).file?.name).toBe(base.file?.name);
  // Dev's export into dev itself has no partner: nothing is offered, and the reason is said.
  const none = await app.call('bases.forArchive', { archiveId, targetId: dev.id });
  expect(none.file).toBeNull();
  expect(none.reason).toMatch(/never synced/);
});

test('a diff against the kept base of a pair that never synced fails with what to do, as the CLI says it', async () => {
  const archiveId = await exportFrom(dev);
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'diff', archiveId, targetId: dev.id, base: 'auto' })).id);
  expect(job.state).toBe('failed');
  expect(job.title).toMatch(/^Three-way diff of /);
  expect(job.error?.message).toMatch(/No agreed state of .* is kept here/);
  expect(job.error?.message).toMatch(/Choose the base archive yourself .* or compare two ways/);
});

test('a three-way diff pages by kind, lists every conflict, and the merge applies exactly the decisions', async () => {
  const archiveId = await exportFrom(dev);
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'diff', archiveId, targetId: prod.id, base: 'auto' })).id);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const { diffId, summary } = job.result as DiffOpened;
  expect(summary.threeWay).toBe(true);
  expect(summary.tables[0].counts).toMatchObject({ new: 1, changed: 1, conflict: 1, identical: 1 });
  const changed = await app.call('diffs.page', { diffId, table: 'item', kinds: ['changed'], offset: 0, limit: 50 });
  expect(changed.total).toBe(1);
  expect(changed.rows[0]).toMatchObject({
    key: { code: 'a' },
    fields: expect.arrayContaining([
      expect.objectContaining({ column: 'name', verdict: 'apply' }),
      expect.objectContaining({ column: 'price', verdict: 'keep' }),
    ]),
  });
  const found = await app.call('diffs.page', {
    diffId,
    table: 'item',
    kinds: ['new', 'changed', 'conflict'],
    offset: 0,
    limit: 50,
    search: '"d"',
  });
  expect(found.rows.map((r) => r.key)).toEqual([{ code: 'd' }]);
  const conflicts = await app.call('diffs.conflicts', { diffId });
  expect(conflicts).toEqual([
    expect.objectContaining({
      key: { code: 'b' },
      fields: [{ column: 'price', source: '20', target: '21', base: '2', verdict: 'conflict' }],
    }),
  ]);

  // Without a decision the merge stops; with one it writes exactly what was decided.
  const open = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'import', archiveId, targetId: prod.id, mode: 'merge', dryRun: true, diffId })).id,
  );
  expect(open.state).toBe('failed');
  expect(open.error?.title).toMatch(/conflict/i);
  const decisions = {
    decisions: [{ table: 'item', key: { code: 'b' }, field: 'price', choice: 'target' as const }],
    exclude: [{ table: 'item', key: { code: 'd' } }],
  };
  const dry = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'import', archiveId, targetId: prod.id, mode: 'merge', dryRun: true, diffId, decisions })).id,
  );
  expect(dry.state, JSON.stringify(dry.error)).toBe('succeeded');
  expect((dry.result as ImportReport).tables[0]).toMatchObject({ inserted: 0, updated: 1, skipped: 1 });
  const real = await waitJob(
    app,
    (
      await app.call('jobs.start', {
        kind: 'import',
        archiveId,
        targetId: prod.id,
        mode: 'merge',
        dryRun: false,
        diffId,
        decisions,
        confirmDatabase: prod.database,
      })
    ).id,
  );
  expect(real.state, JSON.stringify(real.error)).toBe('succeeded');
  expect((real.result as ImportReport).tables).toEqual((dry.result as ImportReport).tables);
  expect((await prodDb.client.query(`SELECT code, name, price::text FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', name: 'A dev', price: '10' },
    { code: 'b', name: 'B', price: '21' },
    { code: 'c', name: 'C', price: '3' },
  ]);
  await app.call('diffs.close', { diffId });
  expect((await app.fail('diffs.page', { diffId, table: 'item', kinds: ['new'], offset: 0, limit: 1 })).status).toBe(404);
});

test('a merge from a diff whose target rows changed since is refused, naming them, and writes nothing', async () => {
  await devDb.client.query(`UPDATE item SET name = 'C dev' WHERE code = 'c'`);
  const archiveId = await exportFrom(dev);
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'diff', archiveId, targetId: prod.id, base: 'auto' })).id);
  const { diffId } = job.result as DiffOpened;
  await prodDb.client.query(`UPDATE item SET price = 33 WHERE code = 'c'`);
  const before = await fingerprint(prodDb.client);
  const stale = await waitJob(
    app,
    (
      await app.call('jobs.start', {
        kind: 'import',
        archiveId,
        targetId: prod.id,
        mode: 'merge',
        dryRun: false,
        diffId,
        decisions: { onConflict: 'target', decisions: [], exclude: [] },
        confirmDatabase: prod.database,
      })
    ).id,
  );
  expect(stale.state).toBe('failed');
  expect(stale.error?.message).toMatch(/changed since the diff/);
  expect(stale.error?.details ?? '').toMatch(/"code":\s*"c"/);
  expect(await fingerprint(prodDb.client)).toBe(before);
  await app.call('diffs.close', { diffId });
});
