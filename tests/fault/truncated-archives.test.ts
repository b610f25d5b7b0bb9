// An archive cut short (a download or a copy that stopped) at many points: `mr4 import` and `mr4 diff`
// end within seconds with exit 1, saying the archive is truncated; the target is unchanged and holds
// no session or staging table. (Before, an import waited in COPY for bytes that never came, its
// transaction open.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, spawnCli } from '../helpers/cli';
import { fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { otherSessions, SCHEMA, sourceData, stagingLeftovers, TARGET_DATA } from '../helpers/faults';

const db = databasesForFile();
const dir = scratchDir();
let target: TestDb;
let archive: Buffer;

beforeAll(async () => {
  ensureBuilt();
  const source = await db(SCHEMA + sourceData(100_000), { fromTemplate: true });
  const path = join(dir, 'src.tar.gz');
  await exportDb(source, path);
  archive = readFileSync(path);
  target = await db(SCHEMA + TARGET_DATA);
}, 120_000);

const points = [0.1, 0.5, 0.9, 0.99, Math.random()];

test.each(points.map((p) => [`${(p * 100).toFixed(1)}%`, p]))(
  'cut at %s: import and diff end at once, saying it is truncated',
  async (label, p) => {
    const cut = join(dir, `cut-${label}.tar.gz`);
    writeFileSync(cut, archive.subarray(0, Math.max(2, Math.floor(archive.length * (p as number)))));
    const before = await fingerprint(target.client);
    for (const args of [
      ['import', cut, '--db', target.url, '--mode', 'merge', '--no-remember'],
      ['diff', cut, '--db', target.url, '--base', 'none'],
    ]) {
      const started = Date.now();
      const r = await spawnCli(args).done;
      expect(r.code, `${args[0]} ${label}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/the archive is truncated/);
      expect(Date.now() - started, args[0]).toBeLessThan(15_000);
    }
    expect(await otherSessions(target)).toBe(0);
    expect(await fingerprint(target.client)).toBe(before);
    expect(await stagingLeftovers(target)).toEqual([]);
  },
);
