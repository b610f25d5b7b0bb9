// The whole workflow on samples shaped like public databases, as a team runs it: production seeds a
// fresh dev database whose sequences are far ahead (every row lands at another id), both sides edit
// and add rows — in keyless tables, under a primary key that is a foreign key, in a partitioned table
// whose foreign keys sit on its partitions — and dev is merged back with the remembered base. Every
// row ends attached to the right parent, nothing is duplicated, no production edit is reverted, a
// second merge rewrites nothing, and pulling production back makes dev equal to it.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { compareDatabases, rowCounts, rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { advanceSequencesSql, type Fixture, fixtureSchema, fixtureSql, logicalTables, physicalTables } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

let n = 0;
async function sync(
  from: TestDb,
  to: TestDb,
  dataDir: string,
  options: Parameters<typeof importInto>[3] = {},
): Promise<{ report: ImportReport; file: string }> {
  const file = join(dir, `wf-${++n}.tar.gz`);
  await exportDb(from, file);
  const report = await importInto(to, file, 'merge', { agreement: agreementStore(dataDir), ...options });
  await new BaseRegistry(dataDir).record(report);
  return { report, file };
}

async function seeded(name: Fixture) {
  const prod = await db(fixtureSql(name));
  const dev = await db(fixtureSchema(name) + advanceSequencesSql());
  const dataDir = join(dir, `data-${name}`);
  const { report } = await sync(prod, dev, dataDir);
  expect(report.failures).toEqual([]);
  return { prod, dev, dataDir };
}

const one = async (d: TestDb, sql: string, params: unknown[] = []) => (await d.client.query(sql, params)).rows;

describe('seed, edit and add on both sides, merge back (django-like)', () => {
  test('posts, comments and profiles stay with their users; production edits stand; nothing doubles', async () => {
    const { prod, dev, dataDir } = await seeded('django-like');
    const tables = await logicalTables(prod.client);
    const before = await rowCounts(prod.client, tables);
    const [user] = await one(prod, `SELECT username FROM auth_user ORDER BY id LIMIT 1`);
    const [post] = await one(prod, `SELECT p.title FROM main_post p ORDER BY p.id LIMIT 1`);

    // Production: a post's title edited, a comment added by an existing user.
    await prod.client.query(`UPDATE main_post SET title = title || ' (prod)' WHERE title = $1`, [post.title]);
    await prod.client.query(
      `INSERT INTO main_comment (post_id, author_id, text, created) SELECT p.id, u.id, 'prod comment', now() FROM main_post p, auth_user u
       WHERE p.title = $1 AND u.username = $2`,
      [`${post.title} (prod)`, user.username],
    );
    // Dev: a new user with a profile, a post and a comment; the first user's bio edited (a profile:
    // its key is the user's id).
    await dev.client.query(
      `WITH u AS (INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
                  VALUES ('x', false, 'newdev', 'New', 'Dev', 'newdev@example.org', false, true, now()) RETURNING id),
            p AS (INSERT INTO main_profile (user_id, bio, location) SELECT id, 'dev profile', 'Devtown' FROM u RETURNING user_id),
            q AS (INSERT INTO main_post (author_id, title, body, created) SELECT user_id, 'dev post', 'body', now() FROM p RETURNING id, author_id)
       INSERT INTO main_comment (post_id, author_id, text, created) SELECT id, author_id, 'dev comment', now() FROM q`,
    );
    await dev.client.query(`UPDATE main_profile SET bio = 'edited in dev' WHERE user_id = (SELECT id FROM auth_user WHERE username = $1)`, [
      user.username,
    ]);

    const { report: back, file } = await sync(dev, prod, dataDir, { base: 'auto' });
    expect(back.failures).toEqual([]);
    const after = await rowCounts(prod.client, tables);
    const added = Object.fromEntries(tables.map((t) => [t, after[t] - before[t]]));
    expect(added).toMatchObject({ auth_user: 1, main_profile: 1, main_post: 1, main_comment: 2 });
    for (const t of tables) if (!['auth_user', 'main_profile', 'main_post', 'main_comment'].includes(t)) expect(added[t], t).toBe(0);
    // The dev post and comment belong to the new user; production's edit and comment stand.
    expect(
      await one(prod, `SELECT u.username, p.title FROM main_post p JOIN auth_user u ON u.id = p.author_id WHERE p.title = 'dev post'`),
    ).toEqual([{ username: 'newdev', title: 'dev post' }]);
    expect(
      await one(
        prod,
        `SELECT u.username FROM main_comment c JOIN auth_user u ON u.id = c.author_id JOIN main_post p ON p.id = c.post_id WHERE c.text = 'dev comment' AND p.title = 'dev post'`,
      ),
    ).toEqual([{ username: 'newdev' }]);
    expect(await one(prod, `SELECT count(*)::int AS n FROM main_post WHERE title = $1`, [`${post.title} (prod)`])).toEqual([{ n: 1 }]);
    expect(
      await one(prod, `SELECT bio FROM main_profile WHERE user_id = (SELECT id FROM auth_user WHERE username = $1)`, [user.username]),
    ).toEqual([{ bio: 'edited in dev' }]);

    // A second merge of the same archive rewrites nothing; pulling production makes dev equal to it.
    const physical = await physicalTables(prod.client);
    const versions = await rowVersions(prod.client, physical);
    expect(totals(await importInto(prod, file, 'merge', { base: 'auto', agreement: agreementStore(dataDir) }))).toMatchObject({
      inserted: 0,
      updated: 0,
    });
    expect(await rowVersions(prod.client, physical)).toEqual(versions);
    await sync(prod, dev, dataDir, { base: 'auto' });
    expect(await compareDatabases(prod.client, dev.client)).toEqual([]);
  });
});

describe('seed, edit and add on both sides, merge back (pagila-like)', () => {
  test('payments stay with their customers and rentals; keyless edits on both sides merge; nothing doubles', async () => {
    const { prod, dev, dataDir } = await seeded('pagila-like');
    const tables = await logicalTables(prod.client);
    const before = await rowCounts(prod.client, tables);
    const customers = await one(prod, `SELECT email FROM customer ORDER BY customer_id LIMIT 2`);

    // Production: the first customer's last name edited, a payment added for the second.
    await prod.client.query(`UPDATE customer SET last_name = 'PRODSIDE' WHERE email = $1`, [customers[0].email]);
    await prod.client.query(
      `INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
       SELECT r.customer_id, r.staff_id, r.rental_id, 11.11, TIMESTAMPTZ '2022-02-02 02:02:02+00' FROM rental r JOIN customer c ON c.customer_id = r.customer_id
       WHERE c.email = $1 ORDER BY r.rental_id LIMIT 1`,
      [customers[1].email],
    );
    // Dev: the second customer's e-mail edited (the key it is compared by below moves with it), a
    // payment's amount edited, and a new rental with its payment for the first customer.
    await dev.client.query(`UPDATE customer SET email = 'moved@example.org' WHERE email = $1`, [customers[1].email]);
    const [edited] = await one(dev, `SELECT payment_id, payment_date FROM payment ORDER BY payment_date, payment_id LIMIT 1`);
    await dev.client.query(`UPDATE payment SET amount = 99.99 WHERE payment_id = $1`, [edited.payment_id]);
    await dev.client.query(
      `WITH r AS (INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id)
                  SELECT TIMESTAMPTZ '2022-04-04 04:04:04+00', (SELECT min(inventory_id) FROM inventory), c.customer_id, (SELECT min(staff_id) FROM staff)
                  FROM customer c WHERE c.email = $1 RETURNING rental_id, customer_id, staff_id)
       INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) SELECT customer_id, staff_id, rental_id, 22.22, TIMESTAMPTZ '2022-04-04 05:05:05+00' FROM r`,
      [customers[0].email],
    );

    const { report: back } = await sync(dev, prod, dataDir, { base: 'auto' });
    expect(back.failures).toEqual([]);
    const after = await rowCounts(prod.client, tables);
    for (const t of tables) expect(after[t] - before[t], t).toBe(t === 'rental' ? 1 : t === 'payment' ? 2 : 0);
    // Production's edit stands and dev's are applied, each on the one row it was made on.
    expect(await one(prod, `SELECT last_name FROM customer WHERE email = $1`, [customers[0].email])).toEqual([{ last_name: 'PRODSIDE' }]);
    expect(
      await one(prod, `SELECT count(*)::int AS n FROM customer WHERE email IN ($1, 'moved@example.org')`, [customers[1].email]),
    ).toEqual([{ n: 1 }]);
    expect(await one(prod, `SELECT email FROM customer WHERE email = 'moved@example.org'`)).toHaveLength(1);
    expect(await one(prod, `SELECT amount::text FROM payment WHERE amount = 99.99`)).toEqual([{ amount: '99.99' }]);
    // Both new payments hang on the right customers: production's on the (moved) second customer,
    // dev's on the first through dev's new rental.
    expect(
      await one(
        prod,
        `SELECT c.email, p.amount::text AS amount FROM payment p JOIN customer c ON c.customer_id = p.customer_id WHERE p.amount IN (11.11, 22.22) ORDER BY p.amount`,
      ),
    ).toEqual([
      { email: 'moved@example.org', amount: '11.11' },
      { email: customers[0].email, amount: '22.22' },
    ]);
    expect(
      await one(
        prod,
        `SELECT c.email FROM payment p JOIN rental r ON r.rental_id = p.rental_id JOIN customer c ON c.customer_id = r.customer_id WHERE p.amount = 22.22`,
      ),
    ).toEqual([{ email: customers[0].email }]);

    // Pulling production back into dev: the two are then equal, row by row.
    await sync(prod, dev, dataDir, { base: 'auto' });
    expect(await compareDatabases(prod.client, dev.client, { ignore: ['payment.payment_id'] })).toEqual([]);
  });
});
