// Every id the column's type holds goes through the lineage exactly: 19-digit bigint ids (Snowflake
// style, ≥ 1e18) were left out by an 18-digit pattern, and numeric(19,0) or character(8) ids were
// recorded but never paired — dev's edit of a production row then arrived as a second copy of it.
// Review 4 F16.
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { importKept, mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, archiveOf } = mergeWorkspace();

interface IdShape {
  type: string;
  /** The id column's default, drawing from sid_seq. */
  draw: string;
  prodStart: string;
  devStart: string;
}

const SHAPES: IdShape[] = [
  { type: 'bigint', draw: `nextval('sid_seq')`, prodStart: '1152921504606846976', devStart: '9000000000000000000' },
  { type: 'numeric(19,0)', draw: `nextval('sid_seq')`, prodStart: '1000', devStart: '5000' },
  { type: 'character(8)', draw: `lpad(nextval('sid_seq')::text, 8, '0')`, prodStart: '1000', devStart: '5000' },
];

const schema = (s: IdShape, start: string) => `CREATE SEQUENCE sid_seq START ${start};
  CREATE TABLE account (id ${s.type} PRIMARY KEY DEFAULT ${s.draw}, name text NOT NULL);
  CREATE TABLE status (id ${s.type} PRIMARY KEY DEFAULT ${s.draw}, account_id ${s.type} NOT NULL REFERENCES account, body text NOT NULL);`;

async function statuses(d: TestDb, original: string): Promise<unknown[]> {
  const res = await d.client.query(
    `SELECT a.name, s.body, s.id::text = $1 AS original FROM status s JOIN account a ON a.id = s.account_id ORDER BY a.name`,
    [original],
  );
  return res.rows;
}

describe.each(SHAPES)('$type ids', (shape) => {
  test("a pull, dev's edit and new rows, a merge back: the edit updates production's row in place", async () => {
    const prod = await db(`${schema(shape, shape.prodStart)}
      INSERT INTO account (name) VALUES ('ann'); INSERT INTO status (account_id, body) SELECT id, 'prod status A' FROM account;`);
    const dev = await db(schema(shape, shape.devStart));
    const [{ id: original }] = (await prod.client.query<{ id: string }>(`SELECT id::text AS id FROM status`)).rows;
    await importKept(dev, await archiveOf(prod), dataDir, null);

    await dev.client.query(`INSERT INTO account (name) VALUES ('dev bob');
      INSERT INTO status (account_id, body) SELECT id, 'dev status B' FROM account WHERE name = 'dev bob';
      UPDATE status SET body = 'DEV edit of A' WHERE body = 'prod status A';`);
    const report = await importKept(prod, await archiveOf(dev), dataDir);

    expect(report.tables).toEqual([
      { table: 'account', inserted: 1, updated: 0, unchanged: 1, skipped: 0, failed: 0 },
      { table: 'status', inserted: 1, updated: 1, unchanged: 0, skipped: 0, failed: 0 },
    ]);
    expect(await statuses(prod, original)).toEqual([
      { name: 'ann', body: 'DEV edit of A', original: true },
      { name: 'dev bob', body: 'dev status B', original: false },
    ]);
  });
});
