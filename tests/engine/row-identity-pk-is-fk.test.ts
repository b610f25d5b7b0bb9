// Real-world case: Django's OneToOneField(primary_key=True) and multi-table inheritance. A profile's
// primary key IS its user's id (main_profile.user_id → auth_user), and posts and comments reference
// the profile by that column; a restaurant's primary key is its place's id (place_ptr_id → main_place)
// and an Italian restaurant's is its restaurant's (restaurant_ptr_id → main_restaurant(place_ptr_id)).
// Such a key is an id of another table's row: where the target holds other rows at the same ids, it
// must be rewritten along the chain, never copied, or new posts end up written by the target's users
// and a target's restaurant silently becomes Italian.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { fixtureSql, physicalTables, targetSql } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const one = async (d: TestDb, sql: string): Promise<number> => Number((await d.client.query(sql)).rows[0].id);

/** Posts as (title, author's username), comments as (text, author's username, post's title). */
async function postsByMeaning(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(`
    SELECT p.title || ' | by ' || coalesce(u.username, '?') AS r
    FROM main_post p LEFT JOIN main_profile pr ON pr.user_id = p.author_id LEFT JOIN auth_user u ON u.id = pr.user_id`);
  return res.rows.map((x) => x.r).sort();
}

async function commentsByMeaning(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(`
    SELECT c.text || ' | by ' || coalesce(u.username, '?') || ' | on ' || coalesce(p.title, '?') AS r
    FROM main_comment c LEFT JOIN main_profile pr ON pr.user_id = c.author_id LEFT JOIN auth_user u ON u.id = pr.user_id
    LEFT JOIN main_post p ON p.id = c.post_id`);
  return res.rows.map((x) => x.r).sort();
}

/** Profiles as (username, bio): the profile of each user is the one written for that user. */
async function profilesByMeaning(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(
    `SELECT u.username || ' | ' || pr.bio AS r FROM main_profile pr JOIN auth_user u ON u.id = pr.user_id`,
  );
  return res.rows.map((x) => x.r).sort();
}

/** Places with what they are: restaurant (pizza?) and Italian restaurant (gnocchi?). */
async function placesByMeaning(d: TestDb): Promise<string[]> {
  const res = await d.client.query<{ r: string }>(`
    SELECT concat_ws(' | ', pl.name, pl.address,
                     CASE WHEN r.place_ptr_id IS NULL THEN 'not a restaurant' ELSE 'restaurant pizza=' || r.serves_pizza || ' hotdogs=' || r.serves_hot_dogs END,
                     CASE WHEN i.restaurant_ptr_id IS NULL THEN 'not italian' ELSE 'italian gnocchi=' || i.serves_gnocchi END) AS r
    FROM main_place pl LEFT JOIN main_restaurant r ON r.place_ptr_id = pl.id LEFT JOIN main_italianrestaurant i ON i.restaurant_ptr_id = r.place_ptr_id`);
  return res.rows.map((x) => x.r).sort();
}

describe('a primary key that is a foreign key (OneToOneField(primary_key=True))', () => {
  test("a new user, profile, post and comment come in attached to each other, never to the target's rows at the same ids", async () => {
    const source = await db(fixtureSql('django-like'));
    const newbie = await one(
      source,
      `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
       VALUES ('pbkdf2_sha256$600000$new$x', false, 'newbie', 'New', 'Bie', 'newbie@example.com', false, true, '2024-05-01 10:00:00+00') RETURNING id`,
    );
    await source.client.query(`INSERT INTO main_profile (user_id, bio, location) VALUES (${newbie}, 'New here.', 'Lisbon')`);
    const post = await one(
      source,
      `INSERT INTO main_post (title, body, created, author_id) VALUES ('Hello from newbie', 'Hi all.', '2024-05-02 10:00:00+00', ${newbie}) RETURNING id`,
    );
    const comment = await one(
      source,
      `INSERT INTO main_comment (text, created, author_id, post_id) VALUES ('Welcome, newbie!', '2024-05-02 11:00:00+00', 1, ${post}) RETURNING id`,
    );
    await source.client.query(
      `INSERT INTO main_comment (text, created, author_id, post_id) VALUES ('Thanks!', '2024-05-02 12:00:00+00', ${newbie}, ${post}),
                                                                          ('Nice one.', '2024-05-02 13:00:00+00', ${newbie}, 1)`,
    );

    // The target: other users, profiles, posts and comments at ids 1-5, and at the very ids the source
    // gave newbie, newbie's profile, post and comment: tina's.
    const target = await db(`${targetSql('django-like')}
      INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
      VALUES (${newbie}, 'pbkdf2_sha256$600000$tina$x', false, 'tina', 'Tina', 'Target', 'tina@elsewhere.example', false, true, '2022-01-01 00:00:00+00');
      INSERT INTO main_profile (user_id, bio, location) VALUES (${newbie}, 'Only in the target.', 'Reykjavik');
      INSERT INTO main_post (id, title, body, created, author_id) VALUES (${post}, 'Tina''s post', 'Mine.', '2022-01-02 00:00:00+00', ${newbie});
      INSERT INTO main_comment (id, text, created, author_id, post_id) VALUES (${comment}, 'Tina''s comment', '2022-01-03 00:00:00+00', ${newbie}, ${post});`);
    const own = {
      posts: await postsByMeaning(target),
      comments: await commentsByMeaning(target),
      profiles: await profilesByMeaning(target),
    };
    expect(own.posts).toContain("Tina's post | by tina");

    const file = join(dir, 'django-newbie.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge');
    expect(report.failures).toEqual([]);

    // Every post, comment and profile of the source is in the target attached to the same users and
    // posts (compared by username and title), and the target's own are exactly as they were.
    expect(await postsByMeaning(target)).toEqual([...own.posts, ...(await postsByMeaning(source))].sort());
    expect(await commentsByMeaning(target)).toEqual([...own.comments, ...(await commentsByMeaning(source))].sort());
    expect(await profilesByMeaning(target)).toEqual([...own.profiles, ...(await profilesByMeaning(source))].sort());
    const newbieRows = await target.client.query(`
      SELECT p.title, u.username AS author, pr.bio FROM main_post p JOIN main_profile pr ON pr.user_id = p.author_id
      JOIN auth_user u ON u.id = pr.user_id WHERE p.title IN ('Hello from newbie', 'Tina''s post') ORDER BY 1`);
    expect(newbieRows.rows).toEqual([
      { title: 'Hello from newbie', author: 'newbie', bio: 'New here.' },
      { title: "Tina's post", author: 'tina', bio: 'Only in the target.' },
    ]);

    // A second merge of the same archive rewrites no row.
    const tables = await physicalTables(target.client);
    const versions = await rowVersions(target.client, tables);
    const again = await importInto(target, file, 'merge');
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(target.client, tables)).toEqual(versions);
  });
});

describe('multi-table inheritance (place → restaurant → Italian restaurant)', () => {
  test("a new Italian restaurant comes in as one place, one restaurant and one Italian restaurant of its own; the target's are left as they were", async () => {
    const source = await db(fixtureSql('django-like'));
    const luigi = await one(source, `INSERT INTO main_place (name, address) VALUES ('Da Luigi', '7 Harbour Road') RETURNING id`);
    await source.client.query(`INSERT INTO main_restaurant (place_ptr_id, serves_hot_dogs, serves_pizza) VALUES (${luigi}, false, true);
                               INSERT INTO main_italianrestaurant (restaurant_ptr_id, serves_gnocchi) VALUES (${luigi}, true);`);
    // The target: other places and restaurants at ids 1-5, and at Da Luigi's very id its own diner
    // (a restaurant, not an Italian one).
    const target = await db(`${targetSql('django-like')}
      INSERT INTO main_place (id, name, address) VALUES (${luigi}, 'Tina''s Diner', '1 Target Street');
      INSERT INTO main_restaurant (place_ptr_id, serves_hot_dogs, serves_pizza) VALUES (${luigi}, true, false);`);
    const own = await placesByMeaning(target);
    expect(own).toContain("Tina's Diner | 1 Target Street | restaurant pizza=false hotdogs=true | not italian");

    const file = join(dir, 'django-luigi.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge');
    expect(report.failures).toEqual([]);
    expect(await placesByMeaning(target)).toEqual([...own, ...(await placesByMeaning(source))].sort());
    const count = async (t: string) => Number((await target.client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    // 5 + 1 places of the target's own and the source's 13; 3 + 1 restaurants and 9; 2 Italian and 5.
    expect({
      places: await count('main_place'),
      restaurants: await count('main_restaurant'),
      italian: await count('main_italianrestaurant'),
    }).toEqual({
      places: 19,
      restaurants: 13,
      italian: 7,
    });

    const tables = await physicalTables(target.client);
    const versions = await rowVersions(target.client, tables);
    expect(totals(await importInto(target, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(target.client, tables)).toEqual(versions);
  });
});
