// The lineage of ids is rolled back with the rows: the pairs an import added go, and a pair it
// replaced (the target's row was re-created since the last sync, so the source's id now pairs with a
// new target row) comes back as it was.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);`;

test('undo removes the pairs an import added and puts back those it replaced', async () => {
  const source = await db(`${SCHEMA} INSERT INTO item (code, name) VALUES ('a', 'A'), ('b', 'B');`);
  const target = await db(`${SCHEMA} SELECT setval('item_id_seq', 100);`);
  const file = join(dir, 'first.tar.gz');
  await exportDb(source, file);
  await importInto(target, file, 'merge');
  // The target's row b is re-created (a new id), and the source adds c.
  await target.client.query(`DELETE FROM item WHERE code = 'b'; INSERT INTO item (code, name) VALUES ('b', 'B again')`);
  await source.client.query(`INSERT INTO item (code, name) VALUES ('c', 'C')`);
  const before = await snapshot(target.client);
  const lineageBefore = (await target.client.query(`SELECT origin_key, local_key, recorded_at::text FROM _mr4.lineage ORDER BY origin_key`))
    .rows;

  const second = join(dir, 'second.tar.gz');
  await exportDb(source, second);
  await importInto(target, second, 'merge');
  const changed = (await target.client.query(`SELECT origin_key, local_key FROM _mr4.lineage ORDER BY origin_key`)).rows;
  expect(changed).toHaveLength(3);
  expect(changed.find((r) => r.origin_key === '2')!.local_key).not.toBe(lineageBefore.find((r) => r.origin_key === '2')!.local_key);

  const undone = await undoImport({ db: dbTarget(target.url) });
  expect(undone.lineage).toEqual({ removed: 2, restored: 1 });
  expect(await snapshot(target.client)).toEqual(before);
  expect((await target.client.query(`SELECT origin_key, local_key, recorded_at::text FROM _mr4.lineage ORDER BY origin_key`)).rows).toEqual(
    lineageBefore,
  );
});
