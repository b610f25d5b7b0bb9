// Unique values traded between rows where other rows reference them: under ON UPDATE CASCADE the
// referencing rows follow the temporary value and then the final one, so the temporary value is
// never NULL there (a NULL would cascade into them and the final value would no longer reach them);
// under ON UPDATE SET NULL any temporary value unlinks them, so such an exchange is refused.
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, registry, archiveOf } = mergeWorkspace();

const SCHEMA = (onUpdate: string) => `CREATE TABLE seat (id serial PRIMARY KEY, code text UNIQUE, note text);
  CREATE TABLE ticket (id serial PRIMARY KEY, holder text NOT NULL UNIQUE, seat_code text REFERENCES seat (code) ON UPDATE ${onUpdate});`;
const TICKETS = `SELECT t.holder, t.seat_code, s.note FROM ticket t LEFT JOIN seat s ON s.code = t.seat_code ORDER BY t.holder`;
const EVERYTHING = `SELECT (SELECT json_agg(s ORDER BY id) FROM seat s) AS seats, (SELECT json_agg(t ORDER BY id) FROM ticket t) AS tickets`;

async function rows(d: TestDb, sql: string): Promise<Record<string, unknown>[]> {
  return (await d.client.query(sql)).rows;
}

/** Production seeded into dev; dev relabels its two seats (a swap of codes, its tickets following by
 *  cascade); production meanwhile sells the window seat to a third holder. */
async function swappedInDev(onUpdate: string): Promise<{ prod: TestDb; archive: string }> {
  const prod = await db(`${SCHEMA(onUpdate)} INSERT INTO seat (code, note) VALUES ('1A', 'window'), ('1B', 'aisle');
    INSERT INTO ticket (holder, seat_code) VALUES ('ann', '1A'), ('bob', '1B');`);
  const dev = await db(SCHEMA('CASCADE'));
  await registry.record(await importInto(dev, await archiveOf(prod), 'merge', { agreement: agreementStore(dataDir) }));
  await dev.client.query(`BEGIN; UPDATE seat SET code = 'tmp' WHERE code = '1A'; UPDATE seat SET code = '1A' WHERE code = '1B';
    UPDATE seat SET code = '1B' WHERE code = 'tmp'; COMMIT`);
  await prod.client.query(`INSERT INTO ticket (holder, seat_code) VALUES ('PROD-cy', '1A')`);
  return { prod, archive: await archiveOf(dev) };
}

test('ON UPDATE CASCADE: the nullable code swapped, production’s own ticket follows its seat; undo puts every row back', async () => {
  const { prod, archive } = await swappedInDev('CASCADE');
  const before = await rows(prod, EVERYTHING);
  const report = await importInto(prod, archive, 'merge', { agreement: agreementStore(dataDir), base: 'auto' });
  expect(report.failures).toEqual([]);
  expect(counts(report).seat).toEqual({ inserted: 0, updated: 2, unchanged: 0, skipped: 0, failed: 0 });
  expect(await rows(prod, TICKETS)).toEqual([
    { holder: 'PROD-cy', seat_code: '1B', note: 'window' },
    { holder: 'ann', seat_code: '1B', note: 'window' },
    { holder: 'bob', seat_code: '1A', note: 'aisle' },
  ]);
  await registry.record(report);
  await undoImport({ db: dbTarget(prod.url) });
  expect(await rows(prod, EVERYTHING)).toEqual(before);
});

test('ON UPDATE SET NULL: the swap is refused, naming the rows and why, and nothing is written', async () => {
  const { prod, archive } = await swappedInDev('SET NULL');
  const before = await rows(prod, EVERYTHING);
  await expect(importInto(prod, archive, 'merge', { agreement: agreementStore(dataDir), base: 'auto' })).rejects.toThrow(
    /^seat \{"code": "1A"\}, seat \{"code": "1B"\} give up their code \(unique seat_code_key, not deferrable\) to other rows .* a temporary value in code would unlink the rows that reference it \(a foreign key ON UPDATE SET NULL or SET DEFAULT\)\. Nothing was written\. Apply this exchange of values by hand/,
  );
  expect(await rows(prod, EVERYTHING)).toEqual(before);
});
