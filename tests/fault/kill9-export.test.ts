// kill -9 of `mr4 export` at a random point of each phase (catalog, copy, write archive): the source's
// session ends with the process, no archive appears under the asked name unless it is complete (one that does is imported and compared), and
// the spool folder or partial file the killed run could not remove is removed by the next export into
// that folder, which writes a correct archive.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, runCli, spawnCli } from '../helpers/cli';
import { compareDatabases } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, importInto, scratchDir } from '../helpers/engine';
import { atRandomPointOf, otherSessions, SCHEMA, sourceData, spoolLeftovers } from '../helpers/faults';

const db = databasesForFile();
let source: TestDb;
const dir = mkdtempSync(join(scratchDir(), 'out-'));
const out = join(dir, 'export.tar.gz');

beforeAll(async () => {
  ensureBuilt();
  source = await db(SCHEMA + sourceData(300_000), { fromTemplate: true });
}, 120_000);

const PHASES: [string, RegExp, number][] = [
  ['reading the catalog', /Phase 1\/3/, 100],
  ['copying tables', /Phase 2\/3/, 1200],
  ['writing the archive', /Phase 3\/3/, 150],
];

test.each(PHASES)('killed while %s: no half archive, the source session ends', async (name, phase, within) => {
  const run = spawnCli(['export', '--db', source.url, '--out', out]);
  const waited = await atRandomPointOf(run, phase, within);
  run.child.kill('SIGKILL');
  const r = await run.done;
  const what = `${name} +${waited} ms`;
  // Killed after the archive took its name (closing the connection), it must be the whole archive.
  if (r.signal === 'SIGKILL' && existsSync(out)) await expectWholeArchive(what);
  expect(await otherSessions(source), what).toBe(0);
});

async function expectWholeArchive(what: string): Promise<void> {
  const target = await db(SCHEMA);
  await importInto(target, out, 'merge');
  expect(await compareDatabases(source.client, target.client), what).toEqual([]);
  rmSync(out);
}

test('the next export into the folder removes what the killed ones left, and its archive is whole', async () => {
  const r = await runCli(['export', '--db', source.url, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(spoolLeftovers(dir)).toEqual([]);
  const target = await db(SCHEMA);
  await importInto(target, out, 'merge');
  expect(await compareDatabases(source.client, target.client)).toEqual([]);
});
