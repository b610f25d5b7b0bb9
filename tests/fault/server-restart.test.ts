// The server is restarted (fast shutdown: every session ended) in the middle of an import: the run
// ends at once saying the connection was lost and that the import was rolled back; the target is as
// it was, and once the server is back the same import does the whole job. Runs on a server of its own.
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt, runCli, spawnCli } from '../helpers/cli';
import { compareDatabases, fingerprint } from '../helpers/compare';
import { withDatabase } from '../helpers/db';
import { exportArchive } from '../../src-main/engine/export';
import { dbTarget } from '../../src-main/db/connect';
import { scratchDir } from '../helpers/engine';
import { atRandomPointOf, SCHEMA, sourceData, TARGET_DATA } from '../helpers/faults';
import { startThrowawayServer, type ThrowawayServer } from '../helpers/pg-server';

let server: ThrowawayServer;
const archive = join(scratchDir(), 'src.tar.gz');
const url = (name: string) => withDatabase(server.url, name);

async function client(name: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url(name) });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

beforeAll(async () => {
  ensureBuilt();
  server = await startThrowawayServer();
  const admin = await client('postgres');
  await admin.query('CREATE DATABASE src');
  await admin.query('CREATE DATABASE tgt');
  await admin.end();
  const s = await client('src');
  await s.query(SCHEMA + sourceData(100_000));
  await s.end();
  const t = await client('tgt');
  await t.query(SCHEMA + TARGET_DATA);
  await t.end();
  await exportArchive({ db: dbTarget(url('src')), out: archive });
}, 120_000);

afterAll(() => server?.stop());

test('restarted while the import writes: it says the import was rolled back; the target is unchanged', async () => {
  let t = await client('tgt');
  const before = await fingerprint(t);
  await t.end();
  const run = spawnCli(['import', archive, '--db', url('tgt'), '--mode', 'merge', '--no-remember']);
  await atRandomPointOf(run, /Phase 3\/5/, 800);
  server.restart();
  const r = await run.done;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/connection to the database was lost .*The import was rolled back: the target is unchanged/s);
  t = await client('tgt');
  expect(await fingerprint(t)).toBe(before);
  await t.end();
});

test('once the server is back, the same import does the whole job', async () => {
  const r = await runCli(['import', archive, '--db', url('tgt'), '--mode', 'merge', '--no-remember']);
  expect(r.code, r.stderr).toBe(0);
  const [s, t] = [await client('src'), await client('tgt')];
  expect(await compareDatabases(s, t, { targetMayHaveMore: true })).toEqual([]);
  await s.end();
  await t.end();
});
