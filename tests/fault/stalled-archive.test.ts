// An "archive" that would stall a reader forever (a named pipe nobody writes to, a device) is refused
// at once by import, diff and the archive browser: only regular files are read.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { buildArchiveCache } from '../../src-main/services/archive-cache-builder';
import { ensureBuilt, runCli } from '../helpers/cli';
import { databasesForFile, scratchDir } from '../helpers/engine';

const db = databasesForFile();

test('a named pipe as the archive: refused at once, nothing waits', async () => {
  ensureBuilt();
  const target = await db(`CREATE TABLE t (id int PRIMARY KEY)`);
  const fifo = join(scratchDir(), 'stalled.tar.gz');
  execFileSync('mkfifo', [fifo]);
  for (const args of [
    ['import', fifo, '--db', target.url, '--mode', 'merge', '--no-remember'],
    ['diff', fifo, '--db', target.url, '--base', 'none'],
  ]) {
    const started = Date.now();
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/not a regular file|no such file/);
    expect(Date.now() - started).toBeLessThan(10_000);
  }
  await expect(buildArchiveCache({ archive: fifo, dir: join(scratchDir(), 'cache') })).rejects.toThrow(/not a regular file/);
  await expect(buildArchiveCache({ archive: '/dev/zero', dir: join(scratchDir(), 'cache2') })).rejects.toThrow(/not a regular file/);
});
