// Two imports of the same archive into one target at once: the second waits for the first one's
// locks, then finds every row there and changes nothing. The target holds each row once, no session
// or staging table is left, and both runs say what they did.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, spawnCli } from '../helpers/cli';
import { compareDatabases } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { otherSessions, SCHEMA, sourceData, stagingLeftovers, TARGET_DATA } from '../helpers/faults';

const db = databasesForFile();
let source: TestDb;
let target: TestDb;
let archive: string;

beforeAll(async () => {
  ensureBuilt();
  source = await db(SCHEMA + sourceData(100_000), { fromTemplate: true });
  archive = join(scratchDir(), 'src.tar.gz');
  await exportDb(source, archive);
  target = await db(SCHEMA + TARGET_DATA);
}, 120_000);

test('both end well; every row is there once', async () => {
  const args = ['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember', '--lock-timeout', '120', '--json'];
  const [a, b] = await Promise.all([spawnCli(args).done, spawnCli(args).done]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  const inserted = [a, b].map((r) => JSON.parse(r.stdout).tables.find((t: { table: string }) => t.table === 'item').inserted).sort();
  // One of them inserted every row; the other found them all (or both shared the work, never twice).
  expect(inserted[0] + inserted[1]).toBe(100_000);
  expect(await compareDatabases(source.client, target.client, { targetMayHaveMore: true })).toEqual([]);
  const counts = await target.client.query(`SELECT count(*)::int AS n, count(DISTINCT code)::int AS d FROM item`);
  expect(counts.rows[0]).toEqual({ n: 100_001, d: 100_001 });
  expect(await otherSessions(target)).toBe(0);
  expect(await stagingLeftovers(target)).toEqual([]);
});
