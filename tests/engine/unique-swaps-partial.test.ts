// Unique values traded between rows under a partial unique index (the soft-delete pattern, UNIQUE
// (email) WHERE deleted_at IS NULL): the rows inside the index before and after the write are the ones
// its WHERE admits, so a swap of emails, and an email given up by a row that leaves the index to a row
// that enters it, are applied — a repeated merge writes nothing and undo puts every row back.
import { expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, registry, archiveOf } = mergeWorkspace();

// Serial ids and no natural key: rows are found again by the lineage of ids the seed recorded.
const SCHEMA = `CREATE TABLE accounts (id serial PRIMARY KEY, email varchar(12) NOT NULL, handle text NOT NULL, deleted_at date);
  CREATE UNIQUE INDEX accounts_email_live ON accounts (email) WHERE deleted_at IS NULL;`;
const ACCOUNTS = `SELECT id, email, handle, deleted_at::text AS deleted_at FROM accounts ORDER BY id`;
const XMIN = `SELECT id, xmin::text AS xmin FROM accounts ORDER BY id`;

async function rows(d: TestDb, sql: string): Promise<Record<string, unknown>[]> {
  return (await d.client.query(sql)).rows;
}

/** Production (its ids far ahead of dev's) seeded into dev. */
async function seeded(): Promise<{ prod: TestDb; dev: TestDb }> {
  const prod = await db(`${SCHEMA} SELECT setval('accounts_id_seq', 500);
    INSERT INTO accounts (email, handle, deleted_at) VALUES ('a@x', 'ann', NULL), ('b@x', 'bob', NULL), ('a@x', 'old ann', '2020-01-01');`);
  const dev = await db(SCHEMA);
  const report = await importInto(dev, await archiveOf(prod), 'merge', { agreement: agreementStore(dataDir) });
  await registry.record(report);
  return { prod, dev };
}

function merge(to: TestDb, archive: string): Promise<ImportReport> {
  return importInto(to, archive, 'merge', { agreement: agreementStore(dataDir), base: 'auto' });
}

/** Merges dev into prod, checks the rows, merges again (no row rewritten), undoes both: prod as before. */
async function mergesAndUndoes(prod: TestDb, dev: TestDb, expected: Record<string, unknown>[], changed: number): Promise<void> {
  const before = await rows(prod, ACCOUNTS);
  const archive = await archiveOf(dev);
  const report = await merge(prod, archive);
  expect(report.failures).toEqual([]);
  expect(counts(report).accounts).toEqual({
    inserted: expected.length - before.length,
    updated: changed,
    unchanged: before.length - changed,
    skipped: 0,
    failed: 0,
  });
  await registry.record(report);
  expect(await rows(prod, ACCOUNTS)).toEqual(expected);
  const xmin = await rows(prod, XMIN);
  const again = await merge(prod, archive);
  expect(counts(again).accounts).toEqual({ inserted: 0, updated: 0, unchanged: expected.length, skipped: 0, failed: 0 });
  expect(await rows(prod, XMIN)).toEqual(xmin);
  await undoImport({ db: dbTarget(prod.url) }); // the repeated merge (it wrote nothing)
  const undone = await undoImport({ db: dbTarget(prod.url) });
  expect(undone.changed).toEqual([]);
  expect(await rows(prod, ACCOUNTS)).toEqual(before);
}

test('two live accounts swap their emails under UNIQUE (email) WHERE deleted_at IS NULL', async () => {
  const { prod, dev } = await seeded();
  await dev.client
    .query(`BEGIN; UPDATE accounts SET email = 'tmp' WHERE handle = 'ann'; UPDATE accounts SET email = 'a@x' WHERE handle = 'bob';
    UPDATE accounts SET email = 'b@x' WHERE handle = 'ann'; COMMIT`);
  await mergesAndUndoes(
    prod,
    dev,
    [
      { id: 501, email: 'b@x', handle: 'ann', deleted_at: null },
      { id: 502, email: 'a@x', handle: 'bob', deleted_at: null },
      { id: 503, email: 'a@x', handle: 'old ann', deleted_at: '2020-01-01' },
    ],
    2,
  );
});

test('an account deleted (leaving the index) gives its email to one brought back (entering it)', async () => {
  const { prod, dev } = await seeded();
  await dev.client.query(`BEGIN; UPDATE accounts SET deleted_at = '2026-12-01' WHERE handle = 'ann';
    UPDATE accounts SET deleted_at = NULL WHERE handle = 'old ann'; COMMIT`);
  await mergesAndUndoes(
    prod,
    dev,
    [
      { id: 501, email: 'a@x', handle: 'ann', deleted_at: '2026-12-01' },
      { id: 502, email: 'b@x', handle: 'bob', deleted_at: null },
      { id: 503, email: 'a@x', handle: 'old ann', deleted_at: null },
    ],
    2,
  );
});

test('an account deleted and a new one made with its email', async () => {
  const { prod, dev } = await seeded();
  await dev.client.query(`BEGIN; UPDATE accounts SET deleted_at = '2026-12-01' WHERE handle = 'bob';
    INSERT INTO accounts (email, handle) VALUES ('b@x', 'new bob'); COMMIT`);
  await mergesAndUndoes(
    prod,
    dev,
    [
      { id: 501, email: 'a@x', handle: 'ann', deleted_at: null },
      { id: 502, email: 'b@x', handle: 'bob', deleted_at: '2026-12-01' },
      { id: 503, email: 'a@x', handle: 'old ann', deleted_at: '2020-01-01' },
      { id: 504, email: 'b@x', handle: 'new bob', deleted_at: null },
    ],
    1,
  );
});
