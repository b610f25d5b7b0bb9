// One row of more than a gigabyte, in an archive of about a megabyte (before: 4 GB of memory in the
// CLI, 3 GB in browser mode). The import streams the row to the server as it decodes it and refuses it
// once it passes 1 GiB, the largest row mr4 accepts (PostgreSQL's own limit for one value and one line
// of COPY), at bounded memory; the archive browser decodes it as it streams and flags it.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { fingerprint } from '../helpers/compare';
import { craftStreamedArchive, readEntries } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { otherSessions, peakRssMb, spawnMeasured } from '../helpers/faults';
import { measureCache } from '../helpers/measure';

const db = databasesForFile();
const dir = scratchDir();
const archive = join(dir, 'one-big-row.tar.gz');
let target: TestDb;

beforeAll(async () => {
  ensureBuilt();
  target = await db(`CREATE TABLE big (id int PRIMARY KEY, v text)`);
  const empty = join(dir, 'empty.tar.gz');
  await exportDb(target, empty);
  const [index, file] = readEntries(empty);
  const header = file.body.toString().split('\n')[0];
  const json = JSON.parse(index.body.toString());
  Object.assign(json.tables.big, { rows: 1, bytes: 1, sha256: '0'.repeat(64) });
  craftStreamedArchive(archive, [
    { path: 'index.json', pieces: [JSON.stringify(json)] },
    { path: 'big.json', pieces: [`${header}\n["1","`, { repeat: 'a'.repeat(1 << 20), times: 1025 }, '"]\n]}\n'] },
  ]);
}, 120_000);

test('mr4 import refuses the row at bounded memory, within seconds, and writes nothing', async () => {
  const before = await fingerprint(target.client);
  const rss = join(dir, 'import.rss');
  const started = Date.now();
  const r = await spawnMeasured(['import', archive, '--db', target.url, '--mode', 'skip', '--no-remember'], rss).done;
  const took = Date.now() - started;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(
    /big: the row is larger than 1 GiB, the largest row mr4 accepts .*\(row 1\)\nNothing was written to the target/s,
  );
  expect(peakRssMb(rss), 'peak RSS of mr4 import (MiB)').toBeLessThan(300);
  expect(took).toBeLessThan(45_000);
  console.log(`one 1 GiB row, mr4 import: refused after ${took} ms, peak RSS ${peakRssMb(rss)} MiB`);
  expect(await fingerprint(target.client)).toBe(before);
  expect(await otherSessions(target)).toBe(0);
});

test('the archive browser flags the row at bounded memory', async () => {
  const m = await measureCache(archive);
  console.log(`one 1 GiB row, archive browser: ${m.ok ? 'opened, flagged' : m.error}; peak RSS ${m.maxRssMb} MiB`);
  expect(m.maxRssMb).toBeLessThan(300);
  expect(m.ok).toBe(true);
  if (m.ok) {
    expect(m.checksums).toBe('failed');
    expect(m.warnings.join('\n')).toMatch(/larger than 1 GiB/);
  }
});
