// A declared reference's "none" values: WordPress stores "no parent" as 0 (post_parent, comment_parent),
// which names no row. Declared with "none": [0], a 0 is kept as it is, as a NULL would be (never
// rewritten, never refused), while the other values are rewritten to the target's ids; a value outside
// the list that names no row is refused as before.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { parseConfig, type Mr4Config } from '../../src-main/engine/config';
import { readCatalog } from '../../src-main/engine/catalog';
import { emptyCounts, openDiff } from '../../src-main/engine/diff/index';
import { buildPlan } from '../../src-main/engine/plan';
import { RefusedRowsError } from '../../src-main/engine/import/errors';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { syncer } from '../helpers/merge-workspace';
import { agreementStore } from '../../src-main/services/bases';

const dir = scratchDir();
const db = databasesForFile();
const sync = syncer(dir);

const SCHEMA = `
CREATE TABLE wp_posts (ID bigserial PRIMARY KEY, post_title text NOT NULL, post_parent bigint NOT NULL DEFAULT 0);
CREATE TABLE wp_comments (comment_ID bigserial PRIMARY KEY, comment_post_ID bigint NOT NULL DEFAULT 0,
  comment_content text NOT NULL, comment_parent bigint NOT NULL DEFAULT 0);`;

const SOURCE = `${SCHEMA}
INSERT INTO wp_posts (post_title, post_parent) VALUES ('Home', 0), ('About', 1), ('Team', 2);
INSERT INTO wp_comments (comment_post_ID, comment_content, comment_parent) VALUES (1, 'first', 0), (1, 'reply', 1), (3, 'hi', 0);`;

/** The target numbered other posts and comments 1..3 already. */
const TARGET = `${SCHEMA}
INSERT INTO wp_posts (post_title, post_parent) VALUES ('Old 1', 0), ('Old 2', 0), ('Old 3', 1);
INSERT INTO wp_comments (comment_post_ID, comment_content, comment_parent) VALUES (2, 'old a', 0), (2, 'old b', 1), (3, 'old c', 0);`;

const declared = (none?: (number | string)[]): Mr4Config => ({
  tables: {
    wp_posts: { references: [{ columns: ['post_parent'], table: 'wp_posts', refColumns: ['id'], ...(none ? { none } : {}) }] },
    wp_comments: {
      references: [
        { columns: ['comment_post_id'], table: 'wp_posts', refColumns: ['id'] },
        { columns: ['comment_parent'], table: 'wp_comments', refColumns: ['comment_id'], ...(none ? { none } : {}) },
      ],
    },
  },
});
const NONE = declared([0]);

/** Each post with its parent's title, or its raw post_parent where that names no post. */
async function posts(d: TestDb) {
  const res = await d.client.query(
    `SELECT p.post_title AS post, COALESCE(parent.post_title, p.post_parent::text) AS parent
     FROM wp_posts p LEFT JOIN wp_posts parent ON parent.id = p.post_parent ORDER BY p.id`,
  );
  return res.rows;
}

async function comments(d: TestDb) {
  const res = await d.client.query(
    `SELECT c.comment_content AS comment, p.post_title AS post, COALESCE(r.comment_content, c.comment_parent::text) AS parent
     FROM wp_comments c JOIN wp_posts p ON p.id = c.comment_post_id
     LEFT JOIN wp_comments r ON r.comment_id = c.comment_parent ORDER BY c.comment_id`,
  );
  return res.rows;
}

async function refusal(promise: Promise<unknown>): Promise<RefusedRowsError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RefusedRowsError);
  return error as RefusedRowsError;
}

const TARGET_POSTS = [
  { post: 'Old 1', parent: '0' },
  { post: 'Old 2', parent: '0' },
  { post: 'Old 3', parent: 'Old 1' },
];

describe('a declared reference\'s "none" values', () => {
  test('with "none": [0] the 0s are kept and the other parents point at their new ids; without it the same import is refused', async () => {
    const file = join(dir, 'wp.tar.gz');
    await exportDb(await db(SOURCE), file);

    const refused = await db(TARGET);
    const error = await refusal(importInto(refused, file, 'skip', { config: declared() }));
    // Home's 0 names no post; its children and its comments go with it.
    expect(error.rows?.map((r) => [r.table, r.key, r.reason])).toEqual([
      ['wp_posts', { id: '1' }, 'post_parent refers to a wp_posts row that is not imported'],
      ['wp_posts', { id: '2' }, 'post_parent refers to a wp_posts row that was refused'],
      ['wp_posts', { id: '3' }, 'post_parent refers to a wp_posts row that was refused'],
      ['wp_comments', { comment_id: '1' }, 'comment_post_id refers to a wp_posts row that is refused'],
      ['wp_comments', { comment_id: '2' }, 'comment_post_id refers to a wp_posts row that is refused'],
      ['wp_comments', { comment_id: '3' }, 'comment_post_id refers to a wp_posts row that is refused'],
    ]);
    expect(await posts(refused)).toEqual(TARGET_POSTS);

    const target = await db(TARGET);
    const report = await importInto(target, file, 'skip', { config: NONE });
    expect(counts(report)).toMatchObject({ wp_posts: { inserted: 3, failed: 0 }, wp_comments: { inserted: 3, failed: 0 } });
    expect(report.failures).toEqual([]);
    expect(await posts(target)).toEqual([
      ...TARGET_POSTS,
      { post: 'Home', parent: '0' },
      { post: 'About', parent: 'Home' },
      { post: 'Team', parent: 'About' },
    ]);
    expect(await comments(target)).toEqual([
      { comment: 'old a', post: 'Old 2', parent: '0' },
      { comment: 'old b', post: 'Old 2', parent: 'old a' },
      { comment: 'old c', post: 'Old 3', parent: '0' },
      { comment: 'first', post: 'Home', parent: '0' },
      { comment: 'reply', post: 'Home', parent: 'first' },
      { comment: 'hi', post: 'Team', parent: '0' },
    ]);
  });

  test('a value outside the list that names no row is still refused, and the target is unchanged', async () => {
    const file = join(dir, 'wp-99.tar.gz');
    await exportDb(await db(`${SOURCE} INSERT INTO wp_posts (post_title, post_parent) VALUES ('Lost', 99);`), file);
    const target = await db(TARGET);
    const error = await refusal(importInto(target, file, 'skip', { config: NONE }));
    expect(error.rows?.map((r) => [r.table, r.key, r.reason])).toEqual([
      ['wp_posts', { id: '4' }, 'post_parent refers to a wp_posts row that is not imported'],
    ]);
    expect(await posts(target)).toEqual(TARGET_POSTS);
  });

  test('a merge back writes the edit and the new child; merging the same archive again writes no row, and 0 stays 0', async () => {
    const dataDir = join(dir, 'data');
    const prod = await db(SOURCE);
    const dev = await db(TARGET);
    await sync(prod, dev, dataDir, 'skip', { config: NONE });
    await dev.client.query(`
      UPDATE wp_posts SET post_title = 'About us' WHERE post_title = 'About';
      INSERT INTO wp_posts (post_title, post_parent) SELECT 'Contact', id FROM wp_posts WHERE post_title = 'Home';`);
    const back = await sync(dev, prod, dataDir, 'merge', { base: 'auto', config: NONE });
    expect(counts(back.report)).toMatchObject({ wp_posts: { inserted: 4, updated: 1, failed: 0 } });
    expect(await posts(prod)).toEqual([
      { post: 'Home', parent: '0' },
      { post: 'About us', parent: 'Home' },
      { post: 'Team', parent: 'About us' },
      { post: 'Contact', parent: 'Home' },
      { post: 'Old 1', parent: '0' },
      { post: 'Old 2', parent: '0' },
      { post: 'Old 3', parent: 'Old 1' },
    ]);
    const XMIN = `SELECT id, post_parent, xmin::text AS xmin FROM wp_posts UNION ALL
                  SELECT comment_id, comment_parent, xmin::text FROM wp_comments ORDER BY 1, 2`;
    const before = (await prod.client.query(XMIN)).rows;
    const again = await importInto(prod, back.file, 'merge', { config: NONE });
    expect(again.tables.map((t) => t.inserted + t.updated)).toEqual([0, 0]);
    expect((await prod.client.query(XMIN)).rows).toEqual(before);
    // The diff of that archive sees every row identical, 0 against 0, two ways and three.
    for (const base of [{}, { base: 'auto', agreement: agreementStore(dataDir) }]) {
      const diff = await openDiff({ db: dbTarget(prod.url), archive: back.file, config: NONE, ...base });
      try {
        expect(Object.fromEntries(diff.summary.tables.map((t) => [t.table, t.counts]))).toEqual({
          wp_posts: { ...emptyCounts(), identical: 7 },
          wp_comments: { ...emptyCounts(), identical: 6 },
        });
      } finally {
        await diff.close();
      }
    }
  });

  test('a reference filled late (a cycle) keeps its 0 and rewrites the rest', async () => {
    const CYCLE = `
      CREATE TABLE wp_users (ID bigserial PRIMARY KEY, user_login text NOT NULL UNIQUE, featured_post bigint DEFAULT 0);
      CREATE TABLE wp_posts (ID bigserial PRIMARY KEY, post_title text NOT NULL, post_author bigint NOT NULL DEFAULT 0);`;
    const config: Mr4Config = {
      tables: {
        wp_users: { references: [{ columns: ['featured_post'], table: 'wp_posts', none: [0] }] },
        wp_posts: { references: [{ columns: ['post_author'], table: 'wp_users', none: ['0'] }] },
      },
    };
    const file = join(dir, 'wp-cycle.tar.gz');
    const source = await db(`${CYCLE}
        INSERT INTO wp_users (user_login) VALUES ('ann'), ('bob');
        INSERT INTO wp_posts (post_title, post_author) VALUES ('by ann', 1), ('by nobody', 0);
        UPDATE wp_users SET featured_post = 1 WHERE user_login = 'ann';`);
    const late = buildPlan(await readCatalog(source.client), { config }).tables.flatMap((t) =>
      t.references.filter((r) => r.late).map((r) => [t.name, r.columns, r.none]),
    );
    expect(late).toEqual([['wp_users', ['featured_post'], [0]]]);
    await exportDb(source, file);
    const target = await db(`${CYCLE}
      INSERT INTO wp_users (user_login) VALUES ('old');
      INSERT INTO wp_posts (post_title) VALUES ('old 1'), ('old 2');`);
    const report = await importInto(target, file, 'skip', { config });
    expect(report.failures).toEqual([]);
    const res = await target.client.query(
      `SELECT u.user_login AS login, COALESCE(p.post_title, u.featured_post::text) AS featured,
              (SELECT string_agg(q.post_title, ',' ORDER BY q.post_title) FROM wp_posts q WHERE q.post_author = u.id) AS wrote
       FROM wp_users u LEFT JOIN wp_posts p ON p.id = u.featured_post ORDER BY u.user_login`,
    );
    expect(res.rows).toEqual([
      { login: 'ann', featured: 'by ann', wrote: 'by ann' },
      { login: 'bob', featured: '0', wrote: null },
      { login: 'old', featured: '0', wrote: null },
    ]);
    expect((await target.client.query(`SELECT post_title, post_author FROM wp_posts WHERE post_author = 0 ORDER BY 1`)).rows).toEqual([
      { post_title: 'by nobody', post_author: '0' },
      { post_title: 'old 1', post_author: '0' },
      { post_title: 'old 2', post_author: '0' },
    ]);
  });

  test('a reference copied as it is (to a natural key) takes its "none" value as no row; another missing value is refused', async () => {
    const CODES = `
      CREATE TABLE category (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
      CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL UNIQUE, category_code text NOT NULL DEFAULT '');`;
    const config = (none?: string[]): Mr4Config => ({
      tables: {
        item: { references: [{ columns: ['category_code'], table: 'category', refColumns: ['code'], ...(none ? { none } : {}) }] },
      },
    });
    const file = join(dir, 'codes.tar.gz');
    await exportDb(
      await db(`${CODES} INSERT INTO category (code) VALUES ('a'); INSERT INTO item (name, category_code) VALUES ('x', 'a'), ('y', '');`),
      file,
    );
    const plain = await db(`${CODES} INSERT INTO category (code) VALUES ('a');`);
    const error = await refusal(importInto(plain, file, 'skip', { config: config(), tables: ['item'] }));
    expect(error.rows?.map((r) => [r.table, r.key, r.reason])).toEqual([
      ['item', { name: 'y' }, 'category_code refers to a category row that does not exist in the target'],
    ]);
    const target = await db(`${CODES} INSERT INTO category (code) VALUES ('a');`);
    await importInto(target, file, 'skip', { config: config(['']), tables: ['item'] });
    expect((await target.client.query(`SELECT name, category_code FROM item ORDER BY name`)).rows).toEqual([
      { name: 'x', category_code: 'a' },
      { name: 'y', category_code: '' },
    ]);
  });

  test('"none" on a two-column reference, or an empty list, is a configuration error naming the table', () => {
    const two = { tables: { wp_posts: { references: [{ columns: ['a', 'b'], table: 'x', refColumns: ['c', 'd'], none: [0] }] } } };
    expect(() => parseConfig(two, 'test.json')).toThrow(
      'Configuration test.json is not valid:\n  tables.wp_posts.references.0.none: "none" applies to a single-column reference only, not to (a, b)',
    );
    const empty = { tables: { wp_posts: { references: [{ columns: ['post_parent'], table: 'wp_posts', none: [] }] } } };
    expect(() => parseConfig(empty, 'test.json')).toThrow(
      'Configuration test.json is not valid:\n  tables.wp_posts.references.0.none: "none" lists at least one value',
    );
  });
});
