// Real-world case: Pagila (and any pg_dump of a database whose partitions were attached after the
// fact) declares payment's foreign keys ONLY on its partitions: ALTER TABLE ONLY payment_p2022_01 ADD
// CONSTRAINT … FOREIGN KEY (customer_id) REFERENCES customer(customer_id). Those constraints are the
// partitioned table's references: they must be rewritten like any other, or every payment of a
// renumbered customer ends up attached to whichever customer holds the source's id in the target.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { compareDatabases, planOf } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { exportWith, fixtureSchema, fixtureSql, planWith, targetSql } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

/** Every payment as what it points at: when, how much, the customer's e-mail, the rental's date, the staff's username. */
async function paymentsByMeaning(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(`
    SELECT concat_ws(' | ', (p.payment_date AT TIME ZONE 'UTC')::text, p.amount::text, c.email, (r.rental_date AT TIME ZONE 'UTC')::text, s.username) AS r
    FROM payment p
    LEFT JOIN customer c ON c.customer_id = p.customer_id
    LEFT JOIN rental r ON r.rental_id = p.rental_id
    LEFT JOIN staff s ON s.staff_id = p.staff_id`);
  return res.rows.map((x) => x.r).sort();
}

const PARTITIONS = ['payment_p2022_01', 'payment_p2022_02', 'payment_p2022_03', 'payment_p2022_04', 'payment_p2022_05'];

describe('foreign keys declared only on the partitions of payment', () => {
  test("are the partitioned table's references, rewritten, and put payment after its parents", async () => {
    const source = await db(fixtureSql('pagila-like'));
    const plan = await planOf(source.client);
    const payment = plan.tables.find((t) => t.name === 'payment');
    expect(payment).toBeDefined();
    const refs = [
      ...new Set(payment!.references.map((r) => `${r.columns.join(',')} -> ${r.parent}(${r.parentColumns.join(',')}) remap=${r.remap}`)),
    ].sort();
    expect(refs).toEqual([
      'customer_id -> customer(customer_id) remap=true',
      'rental_id -> rental(rental_id) remap=true',
      'staff_id -> staff(staff_id) remap=true',
    ]);
    // The partitions are not tables of their own in the plan, and payment is written after its parents.
    expect(plan.tables.map((t) => t.name).filter((n) => n.startsWith('payment_'))).toEqual([]);
    const level = (n: string) => plan.tables.find((t) => t.name === n)!.level;
    expect(level('payment')).toBeGreaterThan(Math.max(level('customer'), level('rental'), level('staff')));
  });

  test('a default export imported into an empty database of the same schema is an exact copy', async () => {
    const source = await db(fixtureSql('pagila-like'));
    const empty = await db(fixtureSchema('pagila-like'));
    const file = join(dir, 'pagila-copy.tar.gz');
    await exportDb(source, file);
    const report = await importInto(empty, file, 'merge');
    expect(report.failures).toEqual([]);
    expect(await compareDatabases(source.client, empty.client)).toEqual([]);
    const perPartition = async (d: TestDb) =>
      (await d.client.query(`SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM payment GROUP BY 1 ORDER BY 1`)).rows;
    expect(await perPartition(empty)).toEqual(await perPartition(source));
  });

  test('into a target with other rows at the same ids, every payment keeps its customer, rental and staff', async () => {
    const source = await db(fixtureSql('pagila-like'));
    const target = await db(targetSql('pagila-like'));
    const own = await paymentsByMeaning(target);
    expect(own).toHaveLength(5);
    const file = join(dir, 'pagila-into-other.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge');
    expect(report.failures).toEqual([]);
    // Rows that merely share an id with a target row are new rows, and the run says so per table.
    expect(report.warnings.find((w) => w.startsWith('customer: '))).toMatch(
      /^customer: 5 row\(s\) have the ids of target rows that nothing says they are .*taken for new rows.*--same-ids/,
    );
    // The target holds exactly its own five payments and the source's 350, each pointing at the
    // customer (by e-mail), rental (by date) and staff (by username) it pointed at in the source.
    expect(await paymentsByMeaning(target)).toEqual([...own, ...(await paymentsByMeaning(source))].sort());
  });

  test('with triggers disabled (as a superuser) the import succeeds, no trigger fires, and every trigger on the partitions is enabled again', async () => {
    const source = await db(fixtureSql('pagila-like'));
    // A user trigger on the partitioned table (cloned onto every partition by PostgreSQL), writing to a
    // table outside the imported schema.
    const target = await db(`${targetSql('pagila-like')}
      CREATE SCHEMA audit;
      CREATE TABLE audit.payment_log (payment_id integer, logged_at timestamptz DEFAULT now());
      CREATE FUNCTION audit.log_payment() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO audit.payment_log (payment_id) VALUES (NEW.payment_id); RETURN NEW; END $$;
      CREATE TRIGGER payment_audit AFTER INSERT ON payment FOR EACH ROW EXECUTE FUNCTION audit.log_payment();`);
    const triggers = async () =>
      (
        await target.client.query<{ rel: string; name: string; enabled: string }>(
          `SELECT tgrelid::regclass::text AS rel, tgname AS name, tgenabled AS enabled FROM pg_trigger
           WHERE tgrelid = ANY ($1::regclass[]) ORDER BY 1, 2`,
          [['payment', ...PARTITIONS]],
        )
      ).rows;
    // The harness's user is a superuser: the import then disables the foreign-key triggers too.
    expect((await target.client.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).rows[0].rolsuper).toBe(true);
    const before = await triggers();
    // The foreign-key triggers of the three constraints and the cloned user trigger, on each partition.
    for (const p of PARTITIONS) expect(before.filter((t) => t.rel === p).length).toBeGreaterThanOrEqual(4);
    expect(before.every((t) => t.enabled === 'O')).toBe(true);

    const file = join(dir, 'pagila-no-triggers.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge', { disableTriggers: true });
    expect(report.failures).toEqual([]);
    expect(report.triggersDisabled).toBe(true);
    expect((await target.client.query(`SELECT count(*)::int AS n FROM audit.payment_log`)).rows[0].n).toBe(0);
    expect(await triggers()).toEqual(before);
    expect((await target.client.query(`SELECT count(*)::int AS n FROM payment`)).rows[0].n).toBe(355);
  });

  test('a partition named alone is refused, naming the partitioned table to name instead', async () => {
    const source = await db(fixtureSql('pagila-like'));
    await expect(planWith(source.client, { tables: ['payment_p2022_01'] })).rejects.toThrow(/\bpayment\b/);
    await expect(exportWith(source, join(dir, 'partition-alone.tar.gz'), { tables: ['payment_p2022_01'] })).rejects.toThrow(/\bpayment\b/);
  });
});
