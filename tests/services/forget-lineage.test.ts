// Reused ids through the app's API: production seeds dev (in the app, so the two's agreement is kept),
// then dev's table is reset (TRUNCATE … RESTART IDENTITY) and gets rows of its own at production's ids.
// Pulling production into dev again is refused with a UiError that names the table, the database and
// where to forget the lineage (reusedIds, for the window's action). The forget-lineage job is validated
// where it arrives — no table, a table twice, an unknown connection, an unknown table, a production
// connection without its typed name: each refused in words, dev's lineage untouched — and then forgets
// dev's pairs of the table, says how many, and the preview and the merge go through.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DiffOpened, ForgetLineageReport, JobInfo, JobRequest, SavedConnection } from '../../src-common/contract';
import type { TestDb } from '../helpers/db';
import { freshDb } from '../helpers/engine';
import { draftFor, makeApp, seedThroughApp, type TestApp, waitJob } from './helpers';

const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL, note text);`;
const DEV_ROWS = [
  { id: 1, title: 'DEV test A', note: 'x' },
  { id: 2, title: 'DEV test B', note: 'y' },
];

let app: TestApp;
let prodDb: TestDb;
let devDb: TestDb;
let prod: SavedConnection;
let dev: SavedConnection;
let prodArchiveId: string;

const run = async (request: JobRequest): Promise<JobInfo> => waitJob(app, (await app.call('jobs.start', request)).id);
const rows = async (db: TestDb) => (await db.client.query(`SELECT id, title, note FROM items ORDER BY id`)).rows;
const lineagePairs = async (db: TestDb) =>
  Number((await db.client.query<{ n: string }>(`SELECT count(*) AS n FROM _mr4.lineage WHERE table_name = 'items'`)).rows[0]!.n);

beforeAll(async () => {
  app = await makeApp();
  prodDb = await freshDb(
    `${SCHEMA} INSERT INTO items (title, note) VALUES ('Prod invoice 1', 'paid'), ('Prod invoice 2', 'open'), ('Prod invoice 3', 'open');`,
  );
  devDb = await freshDb(SCHEMA);
  prod = await app.call('connections.save', draftFor(prodDb.url, 'Reused prod', 'production'));
  dev = await app.call('connections.save', draftFor(devDb.url, 'Reused dev', 'dev'));
  prodArchiveId = await seedThroughApp(app, prod.id, dev.id);
  await devDb.client.query(
    `TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES ('DEV test A', 'x'), ('DEV test B', 'y');`,
  );
}, 120_000);
afterAll(async () => {
  await app?.shutdown();
  await prodDb?.drop();
  await devDb?.drop();
});

test('the refusal names the table, the database and where to forget; the forget is validated, then done, and the preview goes through', async () => {
  const refused = await run({ kind: 'diff', archiveId: prodArchiveId, targetId: dev.id, base: 'auto' });
  expect(refused.state).toBe('failed');
  const error = refused.error!;
  expect(error.code).toBe('ReusedIdsError');
  expect(error.title).toBe(`The ids of items in ${devDb.name} were reused`);
  expect(error.message).toBe(
    'The ids of a table went back or were restarted since the lineage of ids recorded them ' +
      '(TRUNCATE … RESTART IDENTITY, ALTER SEQUENCE … RESTART, setval, fixtures reloaded or a seed run again): ' +
      'those ids may now be other rows, and pairing by them would overwrite unrelated rows or hide new ones. Nothing was written.',
  );
  expect(error.hint).toBe(
    `Forget the lineage of items in ${devDb.name}: those rows are then matched by natural key and content, and rows nothing identifies arrive as new rows (nothing else is lost). Then compare again.`,
  );
  expect(error.reusedIds).toEqual([
    {
      table: 'items',
      database: devDb.name,
      identity: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      named: '3',
      issued: '2',
      // TRUNCATE … RESTART IDENTITY: the sequence was restarted too; the ids that went back are what the refusal says.
      restartedSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      namedBy: [devDb.name],
      namedBySides: ['target'],
      recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      isArchive: false,
    },
  ]);
  expect(error.problems).toEqual([
    `items in ${devDb.name}: its ids went back from 3 to 2 since the import of ${error.reusedIds![0]!.recordedAt} (the lineage of ${devDb.name} names ids up to 3)`,
  ]);
  expect(await lineagePairs(devDb)).toBe(3);

  // Refused where the request arrives, or before anything is forgotten: dev's lineage stays as it is.
  const none = await app.fail('jobs.start', { kind: 'forget-lineage', connectionId: dev.id, tables: [] });
  expect(none.status).toBe(400);
  expect(none.error.problems).toEqual(['tables: at least one table']);
  const twice = await app.fail('jobs.start', { kind: 'forget-lineage', connectionId: dev.id, tables: ['items', 'items'] });
  expect(twice.status).toBe(400);
  expect(twice.error.problems).toEqual(['tables: each table once']);
  const path = await app.fail('jobs.start', { kind: 'forget-lineage', connectionId: dev.id, tables: ['items'], db: devDb.url });
  expect(path.status).toBe(400);
  expect(path.error.code).toBe('MR4_BAD_REQUEST');
  const unknown = await app.fail('jobs.start', { kind: 'forget-lineage', connectionId: 'no-such-connection', tables: ['items'] });
  expect(unknown.status).toBe(404);
  expect(unknown.error.title).toBe('Unknown connection');
  const typo = await run({ kind: 'forget-lineage', connectionId: dev.id, tables: ['items', 'itemz'] });
  expect(typo.state).toBe('failed');
  expect(typo.error).toMatchObject({
    code: 'ForgetLineageError',
    title: 'Unknown tables',
    message: `${devDb.name} has no table itemz in schema public, and its lineage of ids names no such table. Nothing was forgotten: check the table names (as the refused run named them).`,
  });
  const untyped = await app.fail('jobs.start', { kind: 'forget-lineage', connectionId: prod.id, tables: ['items'] });
  expect(untyped.status).toBe(409);
  expect(untyped.error.code).toBe('MR4_CONFIRMATION_REQUIRED');
  expect(untyped.error.message).toBe(
    `"Reused prod" is a production database. Forgetting its lineage of ids (it cannot be undone) needs its database name "${prodDb.name}" typed to confirm.`,
  );
  expect(await lineagePairs(devDb)).toBe(3);

  const forgotten = await run({ kind: 'forget-lineage', connectionId: dev.id, tables: ['items'] });
  expect(forgotten.state, JSON.stringify(forgotten.error)).toBe('succeeded');
  expect(forgotten.title).toBe('Forget the lineage of items in Reused dev');
  expect(forgotten.result).toEqual({
    database: devDb.name,
    schema: 'public',
    tables: [{ table: 'items', pairs: 3 }],
  } satisfies ForgetLineageReport);
  const { hostname, port } = new URL(devDb.url);
  expect(forgotten.command).toBe(
    `mr4 forget-lineage --db 'postgres://postgres@${hostname}:${port}/${devDb.name}?sslmode=disable' --tables items`,
  );
  expect(await lineagePairs(devDb)).toBe(0);
  expect(await rows(devDb)).toEqual(DEV_ROWS);
  const history = await app.call('history.list', {});
  expect(history.find((h) => h.id === forgotten.id)).toMatchObject({
    kind: 'forget-lineage',
    outcome: 'succeeded',
    target: { id: dev.id, name: 'Reused dev', database: devDb.name, tag: 'dev' },
  });

  // The same comparison again: production's invoices were deleted in dev since the agreement (it
  // truncated them), dev's rows are its own; the merge leaves dev as it is.
  const again = await run({ kind: 'diff', archiveId: prodArchiveId, targetId: dev.id, base: 'auto' });
  expect(again.state, JSON.stringify(again.error)).toBe('succeeded');
  const { diffId, summary } = again.result as DiffOpened;
  expect(summary.tables.map((t) => [t.table, t.counts])).toEqual([
    [
      'items',
      {
        new: 0,
        changed: 0,
        identical: 0,
        conflict: 0,
        kept: 0,
        deleted_in_source: 0,
        deleted_in_target: 3,
        target_only: 2,
        probable_edit: 0,
        refused: 0,
      },
    ],
  ]);
  const merged = await run({ kind: 'import', archiveId: prodArchiveId, targetId: dev.id, mode: 'merge', dryRun: false, diffId });
  expect(merged.state, JSON.stringify(merged.error)).toBe('succeeded');
  expect(await rows(devDb)).toEqual(DEV_ROWS);
}, 180_000);
