// The disk fills while `mr4 export` writes: while it copies tables (its spool files), and while it
// writes the archive (the spool fits, the archive does not). Each time it ends within seconds with
// "No space left on device", naming the folder and its file system; the source's transaction is
// closed; no archive, spool folder or partial file is left. Needs a small tmpfs (mounted as root);
// where mounting is refused the tests say so and are skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt, spawnCli } from '../helpers/cli';
import type { TestDb } from '../helpers/db';
import { databasesForFile, scratchDir } from '../helpers/engine';
import { titled } from '../helpers/skip';
import { otherSessions, SCHEMA, sourceData } from '../helpers/faults';

const db = databasesForFile();
const root = mkdtempSync(join(scratchDir(), 'tmpfs-'));
const mounted: string[] = [];

let mountError = '';

function mountTmpfs(name: string, size: string): string | null {
  const dir = join(root, name);
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    mountError = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
    return null;
  }
  mounted.push(dir);
  return dir;
}

// Whether a tmpfs can be mounted here, asked while the file is collected (for skipIf) and unmounted at
// once: `vitest list` collects without running afterAll, and left the mount behind.
const probe = mountTmpfs('probe', '1m');
if (probe) spawnSync('umount', [mounted.pop()!]);
const skipReason = probe
  ? ''
  : `a small tmpfs cannot be mounted here to fill up (${spawnSync('id', ['-u'], { encoding: 'utf8' }).stdout.trim() === '0' ? `mount refused: ${mountError}` : 'not root'})`;
if (!probe) console.warn(`disk-full-export: skipped: ${skipReason}`);

let source: TestDb;
beforeAll(async () => {
  if (!probe) return;
  ensureBuilt();
  source = await db(SCHEMA + sourceData(300_000), { fromTemplate: true });
}, 120_000);

afterAll(() => {
  for (const dir of mounted.reverse()) spawnSync('umount', ['-l', dir]);
});

test.skipIf(!probe).each([
  ['while it copies tables', '5m'],
  ['while it writes the archive', '12m'],
])(titled('a disk that fills %s: no space left on device, said within seconds, nothing left', skipReason), async (_name, size) => {
  const dir = mountTmpfs(`disk-${size}`, size)!;
  const out = join(dir, 'export.tar.gz');
  const started = Date.now();
  const r = await spawnCli(['export', '--db', source.url, '--out', out]).done;
  expect(r.code, r.stderr).toBe(1);
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(r.stderr).toMatch(
    new RegExp(
      `No space left on device: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the tmpfs file system mounted at ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    ),
  );
  expect(r.stderr).toMatch(/its transaction on the source is closed and its temporary files are removed; no archive was written/);
  expect(r.stderr).not.toMatch(/bug in mr4/);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(dir)).toEqual([]);
  expect(await otherSessions(source)).toBe(0);
  // The disk is free again: nothing of the run is taking space.
  expect(execFileSync('df', ['--output=used', '-B1', dir]).toString().split('\n')[1].trim()).toBe('0');
});
