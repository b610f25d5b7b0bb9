// index.json is read whole: at most 16 MiB and 500,000 JSON values, counted before it is parsed, and
// its lists are bounded before they are validated (a list of a million wrong entries would otherwise be
// a million error reports). The costliest index within the limits, and bombs beyond them, are refused
// at bounded memory.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { craftStreamedArchive } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { databasesForFile, scratchDir } from '../helpers/engine';
import { peakRssMb, spawnMeasured } from '../helpers/faults';

const db = databasesForFile();
const dir = scratchDir();
let target: TestDb;

beforeAll(async () => {
  ensureBuilt();
  target = await db(`CREATE TABLE t (id int PRIMARY KEY)`);
}, 60_000);

test.each([
  ['a list of 245,000 wrong entries', 'entities', 245_000, /entities: a list of at most 10000 entries/],
  ['245,000 objects under an unknown key', 'x', 245_000, /index\.json is not a valid MR4 archive index/],
  ['a million values', 'entities', 1_000_000, /more than 500000 JSON values/],
])('%s: refused under 300 MB', async (_name, key, n, message) => {
  const archive = join(dir, `${key}-${n}.tar.gz`);
  craftStreamedArchive(archive, [
    {
      path: 'index.json',
      pieces: [
        `{"format":"mr4-archive","formatVersion":"2.1","metadata":{},"${key}":[`,
        { repeat: '{},', times: n as number },
        '{}],"files":{},"tables":{},"excluded":[]}',
      ],
    },
  ]);
  const rss = join(dir, `${key}.rss`);
  const r = await spawnMeasured(['import', archive, '--db', target.url, '--mode', 'skip', '--no-remember'], rss).done;
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(message as RegExp);
  expect(peakRssMb(rss)).toBeLessThan(300);
});
