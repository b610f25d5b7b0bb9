// Archives of the original MR4 system (format 1.0) are single JSON documents read whole (before, an
// 8 MB archive was parsed into 4 GB). They are read within stated limits (16 MiB of table files and
// 500,000 JSON values): the worst archive within them stays under 300 MB in the CLI and the archive
// browser, and a larger one is refused before it is parsed, at bounded memory.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { LEGACY_LIMITS } from '../../src-main/engine/archive/legacy';
import { ensureBuilt } from '../helpers/cli';
import { craftStreamedArchive } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { crearisSchemaSql, databasesForFile, scratchDir } from '../helpers/engine';
import { peakRssMb, spawnMeasured } from '../helpers/faults';
import { measureCache } from '../helpers/measure';

const db = databasesForFile();
const dir = scratchDir();
let target: TestDb;

/** A 1.0 archive whose tags.json holds `rows` copies of `row` (a JSON object text). */
function legacy(out: string, row: string, rows: number): void {
  const index = JSON.stringify({
    metadata: { version: '1.0', timestamp: '2024-01-01T00:00:00Z', database: 'crearis' },
    entities: ['tags'],
    files: { tags: 'tags.json' },
  });
  craftStreamedArchive(out, [
    { path: 'index.json', pieces: [index] },
    {
      path: 'tags.json',
      pieces: ['{"tableName":"tags","columns":["name","description"],"rows":[', { repeat: `${row},`, times: rows }, '{}]}'],
    },
  ]);
}

beforeAll(async () => {
  ensureBuilt();
  target = await db(crearisSchemaSql);
}, 120_000);

test.each([
  // The costliest shape per byte: an empty object per row (2 values each).
  ['empty objects', '{}', Math.floor(LEGACY_LIMITS.maxValues / 2) - 1000],
  ['rows of two fields', '{"name":"tag-name-x","description":"some description text"}', Math.floor(LEGACY_LIMITS.maxValues / 7) - 1000],
])('the worst within the limits (%s) is read under 300 MB by an import and by the archive browser', async (name, row, rows) => {
  const archive = join(dir, `${name.replace(/\W+/g, '-')}.tar.gz`);
  legacy(archive, row, rows as number);
  const rss = join(dir, 'legacy.rss');
  const r = await spawnMeasured(
    ['import', archive, '--db', target.url, '--mode', 'skip', '--dry-run', '--no-remember', '--allow-failures'],
    rss,
  ).done;
  expect(r.stderr).not.toMatch(/JSON values|refused/);
  const m = await measureCache(archive);
  console.log(`1.0 archive of ${rows} ${name}: mr4 import peak RSS ${peakRssMb(rss)} MiB, archive browser ${m.maxRssMb} MiB`);
  expect(peakRssMb(rss)).toBeLessThan(300);
  expect(m.maxRssMb).toBeLessThan(300);
  expect(m.ok).toBe(true);
});

test('beyond the limits it is refused before it is parsed', async () => {
  for (const [name, row, rows] of [
    ['too many values', '{}', LEGACY_LIMITS.maxValues],
    ['too many bytes', `{"name":"${'n'.repeat(1000)}"}`, 20_000],
    ['gigabytes', '{}', 300_000_000],
  ] as const) {
    const archive = join(dir, `over-${name.replace(/\W+/g, '-')}.tar.gz`);
    legacy(archive, row, rows);
    const rss = join(dir, 'over.rss');
    const r = await spawnMeasured(['import', archive, '--db', target.url, '--mode', 'skip', '--dry-run', '--no-remember'], rss).done;
    expect(r.code, name).toBe(1);
    expect(r.stderr, name).toMatch(
      /format 1\.0\) holds more than .* A 1\.0 archive is read whole, so mr4 reads at most 16 MiB and 500,000 JSON values/,
    );
    expect(peakRssMb(rss), name).toBeLessThan(300);
    const m = await measureCache(archive);
    expect(m.ok, name).toBe(false);
    expect(m.maxRssMb, name).toBeLessThan(300);
  }
});
