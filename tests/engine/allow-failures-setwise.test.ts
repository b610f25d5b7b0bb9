// --allow-failures where a trigger refuses many rows: every refused row is found server-side (halves
// of the range, down to single rows) instead of one bisection from the client per row, so 10,000
// refused rows among 50,000 cost seconds, and exactly those rows are left out.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `CREATE TABLE reading (id serial PRIMARY KEY, sensor text NOT NULL, n int NOT NULL, UNIQUE (sensor, n));`;

test('10,000 rows a trigger refuses, among 50,000: the other 40,000 are written, each refused row is named', async () => {
  const src = await db(SCHEMA + `INSERT INTO reading (sensor, n) SELECT 's' || (i % 7), i FROM generate_series(1, 50000) i;`);
  const dst = await db(
    SCHEMA +
      `CREATE FUNCTION no_fives() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.n % 5 = 0 THEN RAISE EXCEPTION 'multiples of five are refused (%)', NEW.n; END IF; RETURN NEW; END $$;
       CREATE TRIGGER no_fives BEFORE INSERT ON reading FOR EACH ROW EXECUTE FUNCTION no_fives();`,
  );
  const archive = join(dir, 'readings.tar.gz');
  await exportDb(src, archive);
  const report = await importInto(dst, archive, 'merge', { allowFailures: true });
  expect(report.tables).toEqual([{ table: 'reading', inserted: 40000, updated: 0, unchanged: 0, skipped: 0, failed: 10000 }]);
  expect(report.failures).toHaveLength(10000);
  expect(report.failures[0]).toMatchObject({
    table: 'reading',
    key: { sensor: 's5', n: '5' },
    reason: 'multiples of five are refused (5)',
  });
  const kept = await dst.client.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE n % 5 = 0)::int AS fives FROM reading`);
  expect(kept.rows[0]).toEqual({ n: 40000, fives: 0 });
});
