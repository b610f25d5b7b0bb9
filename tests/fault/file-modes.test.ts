// An archive exported by mr4 is private: 0600 whatever the umask (the spool's modes: file-modes-spool).
import { mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ensureBuilt, runCli } from '../helpers/cli';
import { databasesForFile, scratchDir } from '../helpers/engine';

const db = databasesForFile();
const mode = (p: string) => statSync(p).mode & 0o777;

test('mr4 export writes its archive 0600', async () => {
  ensureBuilt();
  const source = await db(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'x');`);
  const out = join(mkdtempSync(join(scratchDir(), 'modes-')), 'x.tar.gz');
  const r = await runCli(['export', '--db', source.url, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  expect(mode(out)).toBe(0o600);
});
