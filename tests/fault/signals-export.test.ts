// One Ctrl-C (SIGINT), SIGTERM or SIGHUP at a random point of each phase of `mr4 export` cancels it
// within seconds (the copy included): exit 130, it says so, the source's transaction is closed, and no
// archive, spool folder or partial file is left.
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, spawnCli } from '../helpers/cli';
import type { TestDb } from '../helpers/db';
import { databasesForFile, scratchDir } from '../helpers/engine';
import { atRandomPointOf, otherSessions, SCHEMA, sourceData, spoolLeftovers } from '../helpers/faults';

const db = databasesForFile();
let source: TestDb;
const dir = mkdtempSync(join(scratchDir(), 'out-'));

beforeAll(async () => {
  ensureBuilt();
  source = await db(SCHEMA + sourceData(300_000), { fromTemplate: true });
}, 120_000);

const signals = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).slice().sort(() => Math.random() - 0.5);
const PHASES: [string, NodeJS.Signals, RegExp, number][] = [
  ['reading the catalog', signals[0], /Phase 1\/3/, 100],
  ['copying tables', signals[1], /Phase 2\/3/, 1200],
  ['copying tables (early)', signals[2], /Phase 2\/3/, 200],
  ['writing the archive', signals[(Math.random() * 3) | 0], /Phase 3\/3/, 150],
];

test.each(PHASES)('while %s, one %s cancels, cleans up and says so', async (name, signal, phase, within) => {
  const out = join(dir, `${name.replace(/\W+/g, '-')}.tar.gz`);
  const run = spawnCli(['export', '--db', source.url, '--out', out]);
  const waited = await atRandomPointOf(run, phase, within);
  const sentAt = Date.now();
  run.child.kill(signal);
  const r = await run.done;
  const what = `${name} ${signal} +${waited} ms:\n${r.stderr}`;
  expect(Date.now() - sentAt, what).toBeLessThan(10_000);
  if (r.code === 0) {
    // Done before the signal arrived: the archive is there, whole.
    expect(existsSync(out), what).toBe(true);
  } else {
    expect(r.code, what).toBe(130);
    expect(r.stderr, what).toMatch(
      /export was cancelled: its transaction on the source is closed and its temporary files are removed; no archive was written/,
    );
    expect(existsSync(out), what).toBe(false);
  }
  expect(spoolLeftovers(dir), what).toEqual([]);
  expect(await otherSessions(source), what).toBe(0);
});
