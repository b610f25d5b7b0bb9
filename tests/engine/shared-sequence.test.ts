// One sequence numbering several tables (`DEFAULT nextval('global_id')` on each, or Hibernate's one
// `hibernate_sequence` for every entity): the application takes an id to name one row among all of
// them. Dev's new user and production's new group draw the same number on each side; merged back, the
// user used to keep its number (users held no such id) and production then held a user and a group
// under one id.
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { perTable, planOf, rowVersions } from '../helpers/compare';
import { counts, totals } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const sync = syncer(dir);

const SCHEMA = `
  CREATE SEQUENCE global_id START 1000;
  CREATE TABLE users (id bigint PRIMARY KEY DEFAULT nextval('global_id'), name text NOT NULL);
  CREATE TABLE groups (id bigint PRIMARY KEY DEFAULT nextval('global_id'), title text NOT NULL);
  CREATE TABLE memberships (user_id bigint REFERENCES users, group_id bigint REFERENCES groups, role text NOT NULL,
                            PRIMARY KEY (user_id, group_id));
  CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);`;

const SEED = `
  INSERT INTO users (name) VALUES ('ann'), ('bob');
  INSERT INTO groups (title) VALUES ('staff');
  INSERT INTO memberships SELECT u.id, g.id, 'member' FROM users u, groups g;
  INSERT INTO notes (body) VALUES ('first');`;

/** Ids that name rows of more than one of the tables the sequence numbers. */
async function idsHeldTwice(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ id: string }>(
    `SELECT id::text FROM (SELECT id FROM users UNION ALL SELECT id FROM groups) x GROUP BY id HAVING count(*) > 1 ORDER BY 1`,
  );
  return res.rows.map((r) => r.id);
}

async function content(d: TestDb) {
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  return {
    users: await q(`SELECT name FROM users ORDER BY name`),
    groups: await q(`SELECT title FROM groups ORDER BY title`),
    memberships: await q(
      `SELECT u.name, g.title, m.role FROM memberships m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id ORDER BY 1, 2`,
    ),
  };
}

describe('a sequence several tables draw their ids from', () => {
  test('the plan names the tables sharing it, and only integer ids drawn from it', async () => {
    const d = await db(SCHEMA);
    expect(perTable(await planOf(d.client), 'sharedIds')).toEqual({
      users: [{ table: 'groups', column: 'id' }],
      groups: [{ table: 'users', column: 'id' }],
      memberships: [],
      notes: [],
    });
  });

  test('merged back, a new row whose id the target gave a row of another of those tables gets a new id; no id names two rows', async () => {
    const prod = await db(SCHEMA);
    const dev = await db(SCHEMA);
    await prod.client.query(SEED);
    await sync(prod, dev, dataDir, 'skip');
    // Each side draws 1003 next: production for a group, dev for a user.
    await prod.client.query(`INSERT INTO groups (title) VALUES ('ops')`);
    await dev.client.query(`
      INSERT INTO users (name) VALUES ('dev user');
      INSERT INTO memberships SELECT u.id, g.id, 'admin' FROM users u, groups g WHERE u.name = 'dev user' AND g.title = 'staff';`);
    expect((await prod.client.query(`SELECT id::text FROM groups WHERE title = 'ops'`)).rows).toEqual([{ id: '1003' }]);
    expect((await dev.client.query(`SELECT id::text FROM users WHERE name = 'dev user'`)).rows).toEqual([{ id: '1003' }]);

    const { report } = await sync(dev, prod, dataDir, 'merge');
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({ users: { inserted: 1 }, memberships: { inserted: 1 } });
    expect(await idsHeldTwice(prod)).toEqual([]);
    expect((await prod.client.query(`SELECT id::text FROM users WHERE name = 'dev user'`)).rows).toEqual([{ id: '1004' }]);
    // The sequence is past every id of both tables: the application's next group takes no user's id.
    await prod.client.query(`INSERT INTO groups (title) VALUES ('next')`);
    expect(await idsHeldTwice(prod)).toEqual([]);

    // Pulled back into dev, production's group finds dev's user at 1003 and draws its own id.
    await sync(prod, dev, dataDir, 'merge');
    expect(await idsHeldTwice(dev)).toEqual([]);
    expect(await content(dev)).toEqual(await content(prod));
    // The pairs are recorded: the merge back again writes no row.
    const tables = ['users', 'groups', 'memberships'];
    const before = await rowVersions(prod.client, tables);
    const again = await sync(dev, prod, dataDir, 'merge');
    expect(totals(again.report)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, tables)).toEqual(before);
  });

  test('a sequence the configuration names for several tables (the application draws the ids) is shared the same way', async () => {
    const APP_IDS = `
      CREATE SEQUENCE hibernate_sequence START 1;
      CREATE TABLE customer (id bigint PRIMARY KEY, name text NOT NULL);
      CREATE TABLE invoice (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customer, total numeric NOT NULL);`;
    const config = {
      tables: {
        customer: { surrogate: { column: 'id', sequence: 'hibernate_sequence' } },
        invoice: { surrogate: { column: 'id', sequence: 'hibernate_sequence' } },
      },
    };
    const prod = await db(APP_IDS);
    const dev = await db(APP_IDS);
    await prod.client.query(`
      INSERT INTO customer VALUES (nextval('hibernate_sequence'), 'acme');
      INSERT INTO invoice VALUES (nextval('hibernate_sequence'), 1, 10);`);
    expect((await planOf(prod.client, config)).tables.find((t) => t.name === 'customer')!.sharedIds).toEqual([
      { table: 'invoice', column: 'id' },
    ]);
    await sync(prod, dev, dataDir, 'skip', { config });
    await prod.client.query(`INSERT INTO invoice VALUES (nextval('hibernate_sequence'), 1, 20)`);
    await dev.client.query(`INSERT INTO customer VALUES (nextval('hibernate_sequence'), 'dev customer')`);
    const { report } = await sync(dev, prod, dataDir, 'merge', { config });
    expect(report.failures).toEqual([]);
    const held = await prod.client.query(
      `SELECT id::text FROM (SELECT id FROM customer UNION ALL SELECT id FROM invoice) x GROUP BY id HAVING count(*) > 1`,
    );
    expect(held.rows).toEqual([]);
    expect((await prod.client.query(`SELECT id::text, name FROM customer ORDER BY id`)).rows).toEqual([
      { id: '1', name: 'acme' },
      { id: '4', name: 'dev customer' },
    ]);
  });
});
