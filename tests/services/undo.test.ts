// Undo through the app's API (the History's "Undo this import"): undo.list names the newest import;
// an undo job's dry run reports per table and writes nothing; a row changed since stops it (the rows
// named, code UndoConflictError) unless keepChanged; a real undo of a production target needs the
// database name typed; the history records the import's undo run id, the undo (what it did), and each
// run's mr4 command line (without a password); the two databases' kept agreement goes back.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImportReport, SavedConnection, UndoResult } from '../../src-common/contract';
import type { TestDb } from '../helpers/db';
import { freshDb } from '../helpers/engine';
import { draftFor, makeApp, newDataDir, type TestApp, waitJob } from './helpers';

const SCHEMA = `CREATE TABLE notes (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);`;
let source: TestDb;
let target: TestDb;
let app: TestApp;
let src: SavedConnection;
let prod: SavedConnection;

beforeAll(async () => {
  source = await freshDb(`${SCHEMA} INSERT INTO notes (code, body) VALUES ('a', 'new a'), ('b', 'b'), ('c', 'c');`);
  target = await freshDb(`${SCHEMA} INSERT INTO notes (code, body) VALUES ('a', 'old a');`);
  newDataDir();
  app = await makeApp();
  src = await app.call('connections.save', draftFor(source.url, 'Undo source', 'dev', 'not-a-real-password'));
  prod = await app.call('connections.save', draftFor(target.url, 'Undo target', 'production', 'hunter2-secret'));
}, 60_000);
afterAll(async () => {
  await app?.shutdown();
  await source?.drop();
  await target?.drop();
});

const body = async () =>
  (await target.client.query<{ code: string; body: string }>('SELECT code, body FROM notes ORDER BY code')).rows.map(
    (r) => `${r.code}=${r.body}`,
  );

it('lists, dry-runs, refuses changed rows, needs the typed name, undoes, and records it all in the history', async () => {
  const exported = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: src.id })).id);
  expect(exported.state, JSON.stringify(exported.error)).toBe('succeeded');
  expect(exported.command).toMatch(/^(MR4_DATA_DIR=\S+ )?mr4 export --db 'postgres:\/\/postgres@[^' ]+' --out \S+\.tar\.gz --no-mask$/);
  const opened = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: exported.files![0]!.handle })).id);
  const archiveId = (opened.result as { archiveId: string }).archiveId;
  const imported = await waitJob(
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
  expect(imported.state, JSON.stringify(imported.error)).toBe('succeeded');
  const run = (imported.result as ImportReport).undo!.run;
  expect(await body()).toEqual(['a=new a', 'b=b', 'c=c']);

  const listing = await app.call('undo.list', { targetId: prod.id });
  expect(listing.next?.id).toBe(run);
  expect(listing.next?.undoable).toBe(true);

  await target.client.query(`UPDATE notes SET body = 'edited' WHERE code = 'c'`);
  const refused = await waitJob(app, (await app.call('jobs.start', { kind: 'undo', targetId: prod.id, run, dryRun: true })).id);
  expect(refused.state).toBe('failed');
  expect(refused.error?.code).toBe('UndoConflictError');
  expect(refused.error?.title).toBe('Rows changed after the import');
  expect(refused.error?.rows?.map((r) => `${r.table} ${JSON.stringify(r.key)}`)).toEqual(['notes {"id":3}']);

  const dry = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'undo', targetId: prod.id, run, dryRun: true, keepChanged: true })).id,
  );
  expect(dry.state, JSON.stringify(dry.error)).toBe('succeeded');
  expect(dry.phases).toEqual(['Find the import', 'Check rows', 'Undo', 'Finish']);
  expect((dry.result as UndoResult).tables).toEqual([{ table: 'notes', deleted: 1, restored: 1, kept: 1 }]);
  expect(await body()).toEqual(['a=new a', 'b=b', 'c=edited']);

  const untyped = await app.fail('jobs.start', { kind: 'undo', targetId: prod.id, run, dryRun: false, keepChanged: true });
  expect(untyped.status).toBe(409);
  expect(untyped.error.message).toContain(`A real undo in it needs its database name "${target.name}" typed`);
  const bad = await app.fail('jobs.start', { kind: 'undo', targetId: prod.id, run: 'not a run id', dryRun: true });
  expect(bad.error.code).toBe('MR4_BAD_REQUEST');

  const real = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'undo', targetId: prod.id, run, dryRun: false, keepChanged: true, confirmDatabase: target.name }))
      .id,
  );
  expect(real.state, JSON.stringify(real.error)).toBe('succeeded');
  expect(await body()).toEqual(['a=old a', 'c=edited']);
  expect((real.result as UndoResult).agreement).toBe('forgotten');
  expect(real.command).toBe(
    `mr4 undo --db postgres://postgres@${new URL(target.url).hostname}:${new URL(target.url).port}/${target.name}?sslmode=disable --run ${run} --keep-changed`.replace(
      /--db (\S+)/,
      "--db '$1'",
    ),
  );

  const history = await app.call('history.list', {});
  const importEntry = history.find((h) => h.id === imported.id)!;
  expect(importEntry.undoRun).toBe(run);
  expect(importEntry.command).toMatch(/mr4 import \S+ --db '\S+' --mode merge$/);
  const undoEntry = history.find((h) => h.id === real.id)!;
  expect(undoEntry).toMatchObject({
    kind: 'undo',
    outcome: 'succeeded',
    dryRun: false,
    undo: { run, deleted: 1, restored: 1, kept: 1, sourceDatabase: source.name },
  });
  const refusedEntry = history.find((h) => h.id === refused.id)!;
  expect(refusedEntry.outcome).toBe('failed');
  // No password in any command line or history line.
  expect(JSON.stringify(history)).not.toContain('hunter2-secret');
  expect(JSON.stringify(history)).not.toContain('not-a-real-password');

  // Nothing is left to undo: the next undo says so in words.
  const again = await waitJob(app, (await app.call('jobs.start', { kind: 'undo', targetId: prod.id, dryRun: true })).id);
  expect(again.state).toBe('failed');
  expect(again.error?.title).toBe('The import cannot be undone');
}, 120_000);
