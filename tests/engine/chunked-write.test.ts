// A big table is written a range of archive rows at a time: progress moves while it is written, a
// failing row is still named (and refused with allowFailures), and the result is the same as one
// statement's: new rows inserted, changed rows updated, identical rows untouched.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { EngineEvent } from '../../src-common/contract';
import { compareDatabases, rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();
const ROWS = 100_000;

const schema = `
  CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text, qty int);`;

describe('a table of 100,000 rows', () => {
  test('is written in ranges with live progress; merge inserts, updates and leaves the rest untouched', async () => {
    const src = await db(
      schema + `INSERT INTO item (code, body, qty) SELECT 'c' || g, 'body ' || g, g FROM generate_series(1, ${ROWS}) g;`,
    );
    // The target holds other rows at the source's ids, a tenth of the rows (changed every other one),
    // and a row of its own.
    const dst = await db(
      schema +
        `INSERT INTO item (code, body, qty) SELECT 'c' || g, CASE WHEN g % 20 = 0 THEN 'old ' || g ELSE 'body ' || g END, g
           FROM generate_series(${ROWS}, 1, -10) g;
         INSERT INTO item (code, body, qty) VALUES ('mine', 'kept', 0);
         -- Each statement takes a moment, so no progress event is thinned out as too frequent.
         CREATE FUNCTION pause() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.15); RETURN NULL; END $$;
         CREATE TRIGGER pause AFTER INSERT ON item FOR EACH STATEMENT EXECUTE FUNCTION pause();`,
    );
    const file = join(dir, 'big.tar.gz');
    await exportDb(src, file);
    const events: EngineEvent[] = [];
    const report = await importInto(dst, file, 'merge', { onEvent: (e) => events.push(e) });
    expect(report.tables[0]).toMatchObject({ inserted: ROWS - ROWS / 10, updated: ROWS / 20, unchanged: ROWS / 20, failed: 0 });

    const writing = events.flatMap((e) => (e.type === 'table' && e.phase === 2 && !e.done ? [e.rowsDone] : []));
    const moving = writing.filter((n) => n > 0 && n < ROWS);
    // 20,000 rows a range: 5 ranges, 4 of them ending before the last row.
    expect(moving, 'progress reported between the first and the last row').toEqual([20_000, 40_000, 60_000, 80_000]);

    expect(await compareDatabases(src.client, dst.client, { targetMayHaveMore: true })).toEqual([]);
    expect((await dst.client.query(`SELECT body FROM item WHERE code = 'mine'`)).rows).toEqual([{ body: 'kept' }]);
    const before = await rowVersions(dst.client, ['item']);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(dst.client, ['item']), 'a repeated merge rewrites no row').toEqual(before);
  });

  test('a row a trigger refuses in a late range is named, and with allowFailures only it is left out', async () => {
    const src = await db(
      schema + `INSERT INTO item (code, body, qty) SELECT 'c' || g, 'body ' || g, g FROM generate_series(1, ${ROWS}) g;`,
    );
    const guarded =
      schema +
      `CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.qty = 87654 THEN RAISE EXCEPTION 'qty 87654 is not allowed' USING ERRCODE = '23514'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse_bad BEFORE INSERT ON item FOR EACH ROW EXECUTE FUNCTION refuse_bad();`;
    const file = join(dir, 'big-bad.tar.gz');
    await exportDb(src, file);

    const strict = await db(guarded);
    await expect(importInto(strict, file, 'merge')).rejects.toThrow(/row 87654 .*"code":"c87654".*qty 87654 is not allowed/);
    expect((await strict.client.query('SELECT count(*)::int AS n FROM item')).rows[0].n, 'nothing written').toBe(0);

    const lenient = await db(guarded);
    const report = await importInto(lenient, file, 'merge', { allowFailures: true });
    expect(report.tables[0]).toMatchObject({ inserted: ROWS - 1, failed: 1 });
    expect(report.failures.map((f) => f.row)).toEqual([87654]);
    expect((await lenient.client.query(`SELECT count(*)::int AS n FROM item WHERE code = 'c87654'`)).rows[0].n).toBe(0);
  });
});
