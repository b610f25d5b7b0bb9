// `mr4 undo` as a user runs it, and what the data folder keeps: production is pulled into dev (the
// pair's agreement kept), pulled again after production changed (a new agreement, the first kept as
// its predecessor); undoing the second pull puts dev back and the pair's agreement back to the first;
// undoing the first too forgets it (there was none before). --list shows the imports, --dry-run
// writes nothing, and a changed row makes the undo fail with exit 1, naming it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { BaseRegistry } from '../../src-main/services/bases';
import { cleanEnv, ensureBuilt, runCli } from '../helpers/cli';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const dataDir = join(dir, 'data');
const env = cleanEnv({ MR4_DATA_DIR: dataDir });
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);`;

beforeAll(() => ensureBuilt(), 120_000);

test('mr4 undo puts dev back, and the pair’s kept agreement with it', async () => {
  const prod = await db(`${SCHEMA} INSERT INTO item (code, name) VALUES ('a', 'A'), ('b', 'B');`);
  const dev = await db(SCHEMA);
  const empty = await snapshot(dev.client);
  const pull = async (name: string) => {
    const file = join(dir, name);
    await exportDb(prod, file);
    const r = await runCli(['import', file, '--db', dev.url, '--mode', 'merge', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const first = await pull('first.tar.gz');
  const afterFirst = await snapshot(dev.client);
  const registry = () =>
    JSON.parse(readFileSync(join(dataDir, 'bases.json'), 'utf8')).agreements as {
      sha256: string;
      run?: string;
      previous?: { sha256: string };
    }[];
  expect(registry()).toEqual([expect.objectContaining({ sha256: first.agreement.sha256, run: first.undo.run })]);

  await prod.client.query(`UPDATE item SET name = 'A2' WHERE code = 'a'; INSERT INTO item (code, name) VALUES ('c', 'C')`);
  const second = await pull('second.tar.gz');
  expect(registry()).toEqual([
    expect.objectContaining({
      sha256: second.agreement.sha256,
      run: second.undo.run,
      previous: expect.objectContaining({ sha256: first.agreement.sha256 }),
    }),
  ]);

  const list = await runCli(['undo', '--db', dev.url, '--list'], { env });
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toContain(second.undo.run);
  expect(list.stdout).toContain('next: mr4 undo');

  const dry = await runCli(['undo', '--db', dev.url, '--dry-run'], { env });
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toMatch(/^DRY RUN/);
  expect(await snapshot(dev.client)).not.toEqual(afterFirst);

  const undo = await runCli(['undo', '--db', dev.url], { env });
  expect(undo.code, undo.stderr).toBe(0);
  expect(undo.stdout).toContain('is back to what it was before that import');
  expect(await snapshot(dev.client)).toEqual(afterFirst);
  expect(registry()).toEqual([expect.objectContaining({ sha256: first.agreement.sha256, run: first.undo.run })]);
  expect((await new BaseRegistry(dataDir).find(first.archive.identity, first.target.identity))?.sha256).toBe(first.agreement.sha256);

  // The first pull: a row changed since stops it (exit 1, named); --keep-changed is the way round.
  await dev.client.query(`UPDATE item SET name = 'B dev' WHERE code = 'b'`);
  const refused = await runCli(['undo', '--db', dev.url, '--json'], { env });
  expect(refused.code).toBe(1);
  const error = JSON.parse(refused.stdout).error;
  expect(error.message).toMatch(/1 row\(s\) changed after the import/);
  await dev.client.query(`UPDATE item SET name = 'B' WHERE code = 'b'`);
  const last = await runCli(['undo', '--db', dev.url, '--json'], { env });
  expect(last.code, last.stderr).toBe(0);
  expect(JSON.parse(last.stdout)).toMatchObject({ dryRun: false, agreement: expect.stringContaining('forgotten') });
  const now = await snapshot(dev.client);
  delete now['_mr4.lineage'];
  expect(now).toEqual(empty);
  expect(registry()).toEqual([]);
});
