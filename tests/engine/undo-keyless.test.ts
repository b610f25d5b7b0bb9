// A table with no key at all (no primary key, no unique constraint, no id) is known by its content:
// the undo deletes as many rows of each content as the import inserted — a multiset — and never a
// row the target held before with the same values.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `CREATE TABLE reading (sensor text, value numeric, at date);`;

test('rows of a keyless table: the inserted copies go, the target’s own stay', async () => {
  const source = await db(
    `${SCHEMA} INSERT INTO reading VALUES ('s1', 1.5, '2024-01-01'), ('s1', 1.5, '2024-01-01'), ('s1', 1.5, '2024-01-01'), ('s2', 2, '2024-01-02');`,
  );
  const target = await db(`${SCHEMA} INSERT INTO reading VALUES ('s1', 1.5, '2024-01-01'), ('s3', 3, NULL);`);
  const before = await snapshot(target.client);
  const file = join(dir, 'readings.tar.gz');
  await exportDb(source, file);
  const report = await importInto(target, file, 'skip');
  expect(report.tables[0]).toMatchObject({ inserted: 3 });
  const undone = await undoImport({ db: dbTarget(target.url) });
  expect(undone.tables).toEqual([{ table: 'reading', deleted: 3, restored: 0, kept: 0 }]);
  expect(await snapshot(target.client)).toEqual(before);
});
