// Undo on the Crearis schema, whose generated columns call functions that name tables unqualified and
// whose triggers fire on every write: a developer's edits merged into production (new events, posts,
// a location and an image, edited names and texts) are undone, and every table is as it was.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { applyDevEdits, seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { crearisSchemaSql, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();

test('a dev merge into Crearis production undone: every table as it was', async () => {
  const dev = await db(crearisSchemaSql);
  const prod = await db(crearisSchemaSql);
  await seedCrearisDemo(dev.client);
  await seedCrearisDemo(prod.client);
  await applyDevEdits(dev.client);
  const before = await snapshot(prod.client);
  const file = join(dir, 'dev.tar.gz');
  await exportDb(dev, file);
  const report = await importInto(prod, file, 'merge');
  expect(report.failures).toEqual([]);
  expect(totals(report).inserted + totals(report).updated).toBeGreaterThan(5);
  const undone = await undoImport({ db: dbTarget(prod.url) });
  expect(undone.changed).toEqual([]);
  const after = await snapshot(prod.client);
  delete after['_mr4.lineage'];
  delete before['_mr4.lineage'];
  expect(after).toEqual(before);
}, 120_000);
