// One Ctrl-C (SIGINT), SIGTERM or SIGHUP at a random point of each phase of `mr4 import` cancels it:
// the statement on the server is cancelled, the run rolled back, and it says so (exit 130); the target
// is as it was, no session or staging table is left, and the import run again does the whole job.
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

// Every signal in two phases, each pairing drawn at random per run.
const signals = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const).slice().sort(() => Math.random() - 0.5);
const PHASES: [string, NodeJS.Signals, RegExp, number][] = [
  ['check', signals[0], /Phase 1\/5/, 150],
  ['stage', signals[1], /Phase 2\/5/, 800],
  ['stage (early)', signals[2], /Phase 2\/5/, 100],
  ['match and write', signals[3], /Phase 3\/5/, 1500],
  ['match and write (late)', signals[4], /Phase 3\/5/, 2500],
  ['finish', signals[5], /Phase 5\/5/, 50],
];

test.each(PHASES)('during %s, one %s cancels, rolls back and says so', async (name, signal, phase, within) => {
  const before = await fingerprint(target.client);
  const run = spawnCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  const waited = await atRandomPointOf(run, phase, within);
  const sentAt = Date.now();
  run.child.kill(signal);
  const r = await run.done;
  const what = `${name} ${signal} +${waited} ms:\n${r.stderr}`;
  expect(Date.now() - sentAt, what).toBeLessThan(10_000);
  if (r.code === 0) {
    // It had committed before the signal arrived: the result stands, whole.
    expect(r.stderr, what).toMatch(/already finished/);
    expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
    return;
  }
  expect(r.code, what).toBe(130);
  expect(r.stderr, what).toContain('Cancelling… (rolling back)');
  expect(r.stderr, what).toMatch(/cancelled and rolled back; the target is unchanged/);
  expect(await otherSessions(target), what).toBe(0);
  expect(await fingerprint(target.client), what).toBe(before);
  expect(await stagingLeftovers(target)).toEqual([]);
});

test('the same import run again afterwards brings every row', async () => {
  const r = await runCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember']);
  expect(r.code, r.stderr).toBe(0);
  expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
});
