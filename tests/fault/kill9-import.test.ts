// kill -9 of `mr4 import` at a random point of each phase (check, stage, match and write, finish): no
// chance to clean up, yet the target is exactly as it was, no session or staging table is left, and
// the same import run again afterwards does the whole job.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, runCli, spawnCli } from '../helpers/cli';
import { compareDatabases, fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { atRandomPointOf, otherSessions, SCHEMA, sourceData, stagingLeftovers, TARGET_DATA } from '../helpers/faults';

const db = databasesForFile();
let source: TestDb;
let target: TestDb;
let archive: string;

beforeAll(async () => {
  ensureBuilt();
  source = await db(SCHEMA + sourceData(), { fromTemplate: true });
  archive = join(scratchDir(), 'src.tar.gz');
  await exportDb(source, archive);
  target = await db(SCHEMA + TARGET_DATA);
}, 120_000);

const PHASES: [string, RegExp, number][] = [
  ['check', /Phase 1\/5/, 150],
  ['stage', /Phase 2\/5/, 800],
  ['match and write', /Phase 3\/5/, 1500],
  ['finish', /Phase 5\/5/, 100],
];

test.each(PHASES)('killed during %s: the target is unchanged, nothing is left behind', async (name, phase, within) => {
  const before = await fingerprint(target.client);
  const run = spawnCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  const waited = await atRandomPointOf(run, phase, within);
  run.child.kill('SIGKILL');
  const r = await run.done;
  // The finish is short: the run may have committed before the signal arrived; then it is whole.
  if (r.signal !== 'SIGKILL') {
    expect(r.code, `${name} +${waited} ms: ${r.stderr}`).toBe(0);
    expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
    return;
  }
  expect(await otherSessions(target), `${name} +${waited} ms`).toBe(0);
  expect(await fingerprint(target.client), `${name} +${waited} ms`).toBe(before);
  expect(await stagingLeftovers(target)).toEqual([]);
});

test('the same import run again afterwards brings every row', async () => {
  const r = await runCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  expect(r.code, r.stderr).toBe(0);
  expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
  expect((await target.client.query(`SELECT body FROM item WHERE code = 'mine'`)).rows[0].body).toBe('kept');
});
