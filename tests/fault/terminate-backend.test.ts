// The server ends the run's session (pg_terminate_backend, as an administrator or a failover would)
// in the middle of an import's staging, of its writing, and of an export's copy: each run ends at once
// saying the connection was lost and what that meant (the import rolled back, the target unchanged;
// no archive written), nothing is left behind, and a re-run does the whole job.
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, runCli, spawnCli } from '../helpers/cli';
import { compareDatabases, fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { atRandomPointOf, otherSessions, SCHEMA, sourceData, spoolLeftovers, stagingLeftovers, TARGET_DATA } from '../helpers/faults';

const db = databasesForFile();
let source: TestDb;
let target: TestDb;
let archive: string;
const dir = mkdtempSync(join(scratchDir(), 'out-'));

beforeAll(async () => {
  ensureBuilt();
  source = await db(SCHEMA + sourceData(), { fromTemplate: true });
  archive = join(scratchDir(), 'src.tar.gz');
  await exportDb(source, archive);
  target = await db(SCHEMA + TARGET_DATA);
}, 120_000);

async function terminateOthers(d: TestDb): Promise<number> {
  const r = await d.client.query(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return r.rows[0].n;
}

test.each([
  ['staging', /Phase 2\/5/, 600],
  ['writing', /Phase 3\/5/, 1200],
])('an import whose backend is terminated while %s: rolled back, and it says so', async (name, phase, within) => {
  const before = await fingerprint(target.client);
  const run = spawnCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  await atRandomPointOf(run, phase, within);
  const killed = await terminateOthers(target);
  const r = await run.done;
  const what = `${name}: ${r.stderr}`;
  if (killed === 0 || r.code === 0) return; // it had finished already
  expect(r.code, what).toBe(1);
  expect(r.stderr, what).toMatch(/connection to the database was lost .*The import was rolled back: the target is unchanged/s);
  expect(r.stderr, what).not.toMatch(/bug in mr4/);
  expect(await otherSessions(target)).toBe(0);
  expect(await fingerprint(target.client)).toBe(before);
  expect(await stagingLeftovers(target)).toEqual([]);
});

test('an export whose backend is terminated while it copies: no archive, nothing left, it says so', async () => {
  const out = join(dir, 'x.tar.gz');
  const run = spawnCli(['export', '--db', source.url, '--out', out]);
  await atRandomPointOf(run, /Phase 2\/3/, 400);
  const killed = await terminateOthers(source);
  const r = await run.done;
  if (killed === 0 || r.code === 0) return;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/connection to the database was lost .*no archive was written/s);
  expect(existsSync(out)).toBe(false);
  expect(spoolLeftovers(dir)).toEqual([]);
});

test('the import run again does the whole job', async () => {
  const r = await runCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  expect(r.code, r.stderr).toBe(0);
  expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
});
