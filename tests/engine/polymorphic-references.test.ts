// Rails-style polymorphic references (journals.journalized_type + journalized_id, as Redmine's journals,
// attachments and watchers): the id column names a row of whichever table the type names by class. A
// run that gives those rows other ids in the target rewrites the id column through the named table's
// ids, row by row; values it cannot follow are copied and named in the run's warnings, never silently.
// A pair found by its names alone whose ids partly name no row is refused (polymorphic-evidence.test.ts):
// the tests whose rows name rows the archive lacks state the pair in the configuration.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { DiffKind } from '../../src-common/contract';
import type { Mr4Config } from '../../src-main/engine/config';
import { dbTarget } from '../../src-main/db/connect';
import { type DiffSession, openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { rowsOnNamedParents, rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { planWith } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();
const sessions: DiffSession[] = [];
// Hooks run last-registered first: the sessions close before the databases are dropped.
afterAll(async () => {
  for (const s of sessions) await s.close();
});

/** The configuration stating that table's `<x>_type` + `<x>_id` pair is a polymorphic reference. */
function stated(table: 'journals' | 'comments'): Mr4Config {
  const stem = table === 'journals' ? 'journalized' : 'commentable';
  return { tables: { [table]: { polymorphic: [{ column: `${stem}_id`, typeColumn: `${stem}_type` }] } } };
}

/** The diff's kinds of rows per table (only those it has), as a merge of `archive` into `d` would see them. */
async function diffKinds(
  d: TestDb,
  archive: string,
  base?: string,
  config?: Mr4Config,
): Promise<Record<string, Partial<Record<DiffKind, number>>>> {
  const s = await openDiff({ db: dbTarget(d.url), archive, base, config });
  sessions.push(s);
  return Object.fromEntries(s.summary.tables.map((t) => [t.table, Object.fromEntries(Object.entries(t.counts).filter(([, n]) => n > 0))]));
}

const schema = `
  CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE issues (id serial PRIMARY KEY, subject text NOT NULL);
  CREATE TABLE wiki_pages (id serial PRIMARY KEY, title text NOT NULL);
  CREATE TABLE journals (id serial PRIMARY KEY, journalized_type text NOT NULL, journalized_id int NOT NULL, notes text NOT NULL);`;

/** Each journal with what it is on, by content: ids replaced by what they point at. */
async function journals(d: TestDb) {
  const { rows } = await d.client.query(
    `SELECT j.notes, j.journalized_type AS type,
            COALESCE(i.subject, p.name, w.title, '(nothing: ' || j.journalized_id || ')') AS "on"
       FROM journals j
       LEFT JOIN issues i ON j.journalized_type = 'Issue' AND i.id = j.journalized_id
       LEFT JOIN projects p ON j.journalized_type = 'Project' AND p.id = j.journalized_id
       LEFT JOIN wiki_pages w ON j.journalized_type = 'WikiPage' AND w.id = j.journalized_id
      ORDER BY 1, 2`,
  );
  return rows;
}

describe('a polymorphic reference', () => {
  test('is rewritten through the ids of the table its type names, in a target that holds other rows at those ids', async () => {
    const src = await db(
      schema +
        `INSERT INTO projects VALUES (1, 'Platform'); INSERT INTO issues VALUES (1, 'Outage'), (2, 'Feature');
         INSERT INTO wiki_pages VALUES (1, 'Home');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES
           ('Issue', 1, 'on outage'), ('Issue', 2, 'on feature'), ('Project', 1, 'on platform'), ('WikiPage', 1, 'on home');`,
    );
    // The target already holds its own rows at the source's ids, its sequences far ahead.
    const dst = await db(
      schema +
        `INSERT INTO projects VALUES (1, 'Dev sandbox'); INSERT INTO issues VALUES (1, 'Dev task'), (2, 'Dev bug');
         INSERT INTO wiki_pages VALUES (1, 'Dev notes');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 2, 'on dev bug');
         SELECT setval('projects_id_seq', 500), setval('issues_id_seq', 500), setval('wiki_pages_id_seq', 500);`,
    );
    const file = join(dir, 'poly.tar.gz');
    await exportDb(src, file);
    for (const mode of ['skip', 'merge'] as const) {
      const before = mode === 'merge' ? await rowVersions(dst.client, ['journals']) : null;
      const report = await importInto(dst, file, mode);
      expect(report.warnings.filter((w) => /copied as it is in rows/.test(w))).toEqual([]);
      if (before) {
        // The second run matches every row: nothing rewritten.
        expect(totals(report)).toMatchObject({ inserted: 0, updated: 0 });
        expect(await rowVersions(dst.client, ['journals'])).toEqual(before);
      } else expect(counts(report).journals).toMatchObject({ inserted: 4 });
    }
    expect(await journals(dst)).toEqual([
      { notes: 'on dev bug', type: 'Issue', on: 'Dev bug' },
      { notes: 'on feature', type: 'Issue', on: 'Feature' },
      { notes: 'on home', type: 'WikiPage', on: 'Home' },
      { notes: 'on outage', type: 'Issue', on: 'Outage' },
      { notes: 'on platform', type: 'Project', on: 'Platform' },
    ]);
  });

  test("dev's new comment on dev's new issue lands on that issue in production, not on production's own new issue", async () => {
    const seed = `INSERT INTO issues (subject) VALUES ('seeded'); INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 1, 'on seeded');`;
    const prod = await db(schema + seed);
    const dev = await db(schema);
    const seedFile = join(dir, 'poly-seed.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    await prod.client.query(`INSERT INTO issues (subject) VALUES ('PROD: outage report')`);
    await dev.client.query(
      `INSERT INTO issues (subject) VALUES ('DEV: feature idea');
       INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', currval('issues_id_seq'), 'comment on the feature idea')`,
    );
    const devFile = join(dir, 'poly-dev.tar.gz');
    await exportDb(dev, devFile);
    // The seed is what the two last agreed on.
    const report = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(counts(report)).toMatchObject({ issues: { inserted: 1 }, journals: { inserted: 1 } });
    expect(await journals(prod)).toEqual([
      { notes: 'comment on the feature idea', type: 'Issue', on: 'DEV: feature idea' },
      { notes: 'on seeded', type: 'Issue', on: 'seeded' },
    ]);
  });

  test("Odoo's model name beside res_id (mail_message.model, ir_attachment.res_model): dev's note on its new order lands on that order in production", async () => {
    const odoo = `
      CREATE TABLE res_partner (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE sale_order (id serial PRIMARY KEY, name text NOT NULL, partner_id int NOT NULL REFERENCES res_partner);
      CREATE TABLE mail_message (id serial PRIMARY KEY, model varchar, res_id int, body text NOT NULL);
      CREATE TABLE ir_attachment (id serial PRIMARY KEY, res_model varchar, res_id int, name text NOT NULL);`;
    const seed = `INSERT INTO res_partner (name) VALUES ('Azure Interior');
      INSERT INTO sale_order (name, partner_id) VALUES ('S00001', 1);
      INSERT INTO mail_message (model, res_id, body) VALUES ('sale.order', 1, 'Quotation sent'), ('res.partner', 1, 'New customer');`;
    const prod = await db(odoo + seed);
    const dev = await db(odoo);
    const plan = await planWith(prod.client);
    expect(plan.tables.find((t) => t.name === 'mail_message')!.polymorphic).toEqual([{ column: 'res_id', typeColumn: 'model' }]);
    expect(plan.tables.find((t) => t.name === 'ir_attachment')!.polymorphic).toEqual([{ column: 'res_id', typeColumn: 'res_model' }]);
    expect(plan.warnings.join('\n')).toContain(
      "mail_message.res_id looks like a polymorphic reference (model names the table by model, 'sale.order' → sale_order)",
    );
    const seedFile = join(dir, 'odoo-seed.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    // Both sides add an order, each taking id 2 (and partner 2) in its own database.
    await prod.client.query(
      `INSERT INTO res_partner (name) VALUES ('PROD: Deco Addict'); INSERT INTO sale_order (name, partner_id) VALUES ('S00002', 2)`,
    );
    await dev.client.query(
      `INSERT INTO res_partner (name) VALUES ('DEV: Gemini Furniture');
       INSERT INTO sale_order (name, partner_id) VALUES ('S00003', 2);
       INSERT INTO mail_message (model, res_id, body) VALUES ('sale.order', 2, 'DEV: quotation sent'), ('res.partner', 2, 'DEV: new customer');
       INSERT INTO ir_attachment (res_model, res_id, name) VALUES ('sale.order', 2, 'dev-quote.pdf'), ('sale.order', 1, 'seed-quote.pdf');`,
    );
    const devFile = join(dir, 'odoo-dev.tar.gz');
    await exportDb(dev, devFile);
    const report = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(counts(report)).toMatchObject({ sale_order: { inserted: 1 }, mail_message: { inserted: 2 }, ir_attachment: { inserted: 2 } });
    expect(report.warnings.filter((w) => /copied as it is in rows/.test(w))).toEqual([]);
    const on = async (table: string, type: string, text: string) =>
      (
        await prod.client.query(
          `SELECT x.${text} AS text, COALESCE(o.name, p.name, '(nothing: ' || x.res_id || ')') AS "on" FROM ${table} x
             LEFT JOIN sale_order o ON x.${type} = 'sale.order' AND o.id = x.res_id
             LEFT JOIN res_partner p ON x.${type} = 'res.partner' AND p.id = x.res_id ORDER BY 1`,
        )
      ).rows;
    expect(await on('mail_message', 'model', 'body')).toEqual([
      { text: 'DEV: new customer', on: 'DEV: Gemini Furniture' },
      { text: 'DEV: quotation sent', on: 'S00003' },
      { text: 'New customer', on: 'Azure Interior' },
      { text: 'Quotation sent', on: 'S00001' },
    ]);
    expect(await on('ir_attachment', 'res_model', 'name')).toEqual([
      { text: 'dev-quote.pdf', on: 'S00003' },
      { text: 'seed-quote.pdf', on: 'S00001' },
    ]);
    // Merged again, every row is matched: nothing written.
    const again = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0 });
  });

  test('a type column of an enum of class names is one too: rewritten in a target holding other rows at those ids', async () => {
    const enumSchema = `
      CREATE TYPE commentable AS ENUM ('Post', 'Photo');
      CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL);
      CREATE TABLE photos (id serial PRIMARY KEY, url text NOT NULL);
      CREATE TABLE comments (id serial PRIMARY KEY, commentable_type commentable NOT NULL, commentable_id int NOT NULL, body text NOT NULL);`;
    const src = await db(
      enumSchema +
        `INSERT INTO posts (title) VALUES ('Hello'); INSERT INTO photos (url) VALUES ('cat.jpg');
         INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Post', 1, 'on hello'), ('Photo', 1, 'on cat');`,
    );
    const dst = await db(enumSchema + `INSERT INTO posts (title) VALUES ('Dev post'); INSERT INTO photos (url) VALUES ('dev.jpg');`);
    expect((await planWith(src.client)).tables.find((t) => t.name === 'comments')!.polymorphic).toEqual([
      { column: 'commentable_id', typeColumn: 'commentable_type' },
    ]);
    const file = join(dir, 'poly-enum.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'merge');
    expect(report.warnings.filter((w) => /copied as it is in rows/.test(w))).toEqual([]);
    const rows = await rowsOnNamedParents(dst.client, 'comments', { body: 'body', type: 'commentable_type', id: 'commentable_id' }, [
      { type: 'Post', table: 'posts', label: 'title' },
      { type: 'Photo', table: 'photos', label: 'url' },
    ]);
    expect(rows).toEqual([
      { body: 'on cat', on: 'cat.jpg' },
      { body: 'on hello', on: 'Hello' },
    ]);
  });

  test('stated, values it cannot follow are copied and named with their count: an unknown type, a row the archive lacks', async () => {
    const src = await db(
      schema +
        `INSERT INTO issues VALUES (1, 'Outage');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES
           ('Issue', 1, 'on outage'), ('Issue', 77, 'on a deleted issue'), ('Board', 3, 'on a board'), ('Board', 4, 'on another board');`,
    );
    const dst = await db(schema + `INSERT INTO issues VALUES (1, 'Dev task'); SELECT setval('issues_id_seq', 500);`);
    const file = join(dir, 'poly-unknown.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'skip', { config: stated('journals') });
    const said = report.warnings.filter((w) => w.startsWith('journals.journalized_id is copied as it is'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`2 with journalized_type = 'Board' (names no table of the run)`);
    expect(said[0]).toContain(`1 with journalized_type = 'Issue' (name issues rows the archive does not have)`);
    const { rows } = await dst.client.query(`SELECT notes, journalized_id AS id FROM journals ORDER BY notes`);
    expect(rows).toEqual([
      { notes: 'on a board', id: 3 },
      { notes: 'on a deleted issue', id: 77 },
      { notes: 'on another board', id: 4 },
      { notes: 'on outage', id: 501 },
    ]);
  });

  test('is named in the plan with what mr4 does with it; notReferences makes it a plain column', async () => {
    const src = await db(schema);
    const plan = await planWith(src.client);
    const journalsPlan = plan.tables.find((t) => t.name === 'journals')!;
    expect(journalsPlan.polymorphic).toEqual([{ column: 'journalized_id', typeColumn: 'journalized_type' }]);
    // Written after every table with ids it may name.
    expect(plan.tables.map((t) => t.name).indexOf('journals')).toBe(3);
    expect(plan.warnings.join('\n')).toContain(
      'journals.journalized_id looks like a polymorphic reference (journalized_type names the table',
    );
    const plain = await planWith(src.client, { config: { tables: { journals: { notReferences: ['journalized_id'] } } } });
    expect(plain.tables.find((t) => t.name === 'journals')!.polymorphic).toEqual([]);
  });

  test("Django's generic relations: object_id rewritten through the table its content type names", async () => {
    const django = `
      CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label text NOT NULL, model text NOT NULL, UNIQUE (app_label, model));
      CREATE TABLE main_post (id serial PRIMARY KEY, title text NOT NULL);
      CREATE TABLE main_topic (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE django_admin_log (id serial PRIMARY KEY, content_type_id int REFERENCES django_content_type,
                                     object_id text, object_repr text NOT NULL);`;
    const src = await db(
      django +
        `INSERT INTO django_content_type (app_label, model) VALUES ('main', 'post'), ('main', 'topic'), ('main', 'gone');
         INSERT INTO main_post VALUES (1, 'Hello'); INSERT INTO main_topic VALUES (1, 'News');
         INSERT INTO django_admin_log (content_type_id, object_id, object_repr) VALUES
           (1, '1', 'post Hello'), (2, '1', 'topic News'), (3, '9', 'a model since deleted'), (NULL, NULL, 'no object');`,
    );
    // The target numbered its content types the other way round, and holds its own rows at id 1.
    const dst = await db(
      django +
        `INSERT INTO django_content_type (app_label, model) VALUES ('main', 'topic'), ('main', 'post');
         INSERT INTO main_post VALUES (1, 'Dev post'); INSERT INTO main_topic VALUES (1, 'Dev topic');
         SELECT setval('main_post_id_seq', 300), setval('main_topic_id_seq', 300);`,
    );
    const file = join(dir, 'generic.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'skip');
    const said = report.warnings.filter((w) => w.startsWith('django_admin_log.object_id is copied as it is'));
    expect(said).toEqual([
      `django_admin_log.object_id is copied as it is in rows that name no row mr4 can follow, so in a target whose ids differ they point at other rows: 1 with content_type_id = 3 (main_gone) (names no table of the run).`,
    ]);
    const { rows } = await dst.client.query(
      `SELECT l.object_repr, ct.app_label || '.' || ct.model AS type, COALESCE(p.title, t.name, l.object_id) AS object
         FROM django_admin_log l LEFT JOIN django_content_type ct ON ct.id = l.content_type_id
         LEFT JOIN main_post p ON ct.model = 'post' AND p.id::text = l.object_id
         LEFT JOIN main_topic t ON ct.model = 'topic' AND t.id::text = l.object_id
        ORDER BY 1`,
    );
    expect(rows).toEqual([
      { object_repr: 'a model since deleted', type: 'main.gone', object: '9' },
      { object_repr: 'no object', type: null, object: null },
      { object_repr: 'post Hello', type: 'main.post', object: 'Hello' },
      { object_repr: 'topic News', type: 'main.topic', object: 'News' },
    ]);
  });

  test('several generic relations in one table: each object id beside its own content type (django-activity-stream)', async () => {
    const schema = `
      CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label text NOT NULL, model text NOT NULL, UNIQUE (app_label, model));
      CREATE TABLE auth_user (id serial PRIMARY KEY, username text NOT NULL);
      CREATE TABLE taggit_tag (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE actstream_action (id serial PRIMARY KEY, verb text NOT NULL,
        actor_content_type_id int NOT NULL REFERENCES django_content_type, actor_object_id text NOT NULL,
        target_content_type_id int REFERENCES django_content_type, target_object_id text);`;
    const src = await db(
      schema +
        `INSERT INTO django_content_type (app_label, model) VALUES ('auth', 'user'), ('taggit', 'tag');
         INSERT INTO auth_user VALUES (1, 'ed'); INSERT INTO taggit_tag VALUES (1, 'tech'), (2, 'news');
         INSERT INTO actstream_action (verb, actor_content_type_id, actor_object_id, target_content_type_id, target_object_id) VALUES
           ('tagged', 1, '1', 2, '1'), ('created', 2, '2', NULL, NULL);`,
    );
    const dst = await db(
      schema +
        `INSERT INTO django_content_type (app_label, model) VALUES ('taggit', 'tag'), ('auth', 'user');
         INSERT INTO auth_user VALUES (1, 'admin'); INSERT INTO taggit_tag VALUES (1, 'dev tag'), (2, 'other');
         SELECT setval('auth_user_id_seq', 100), setval('taggit_tag_id_seq', 100);`,
    );
    const plan = await planWith(src.client);
    expect(plan.tables.find((t) => t.name === 'actstream_action')!.polymorphic.map((p) => `${p.typeColumn} ${p.column}`)).toEqual([
      'actor_content_type_id actor_object_id',
      'target_content_type_id target_object_id',
    ]);
    const file = join(dir, 'actstream.tar.gz');
    await exportDb(src, file);
    const named = async () =>
      (
        await dst.client.query(
          `SELECT a.verb, COALESCE(u.username, t.name) AS actor, tt.name AS target FROM actstream_action a
             JOIN django_content_type ca ON ca.id = a.actor_content_type_id
             LEFT JOIN auth_user u ON ca.model = 'user' AND u.id::text = a.actor_object_id
             LEFT JOIN taggit_tag t ON ca.model = 'tag' AND t.id::text = a.actor_object_id
             LEFT JOIN taggit_tag tt ON tt.id::text = a.target_object_id ORDER BY 1`,
        )
      ).rows;
    expect(counts(await importInto(dst, file, 'skip')).actstream_action).toMatchObject({ inserted: 2 });
    expect(await named()).toEqual([
      { verb: 'created', actor: 'news', target: null },
      { verb: 'tagged', actor: 'ed', target: 'tech' },
    ]);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0 });
  });

  test('a row naming a parent the merge does not write is refused, as a child through a foreign key is', async () => {
    const seed = `INSERT INTO issues (subject) VALUES ('kept'), ('deleted in production');`;
    const prod = await db(schema + seed);
    const dev = await db(schema);
    const seedFile = join(dir, 'poly-gone-seed.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    await prod.client.query(`DELETE FROM issues WHERE id = 2`);
    await dev.client.query(
      `INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 2, 'on the deleted issue'), ('Issue', 1, 'on kept')`,
    );
    const devFile = join(dir, 'poly-gone-dev.tar.gz');
    await exportDb(dev, devFile);
    const report = await importInto(prod, devFile, 'merge', { base: seedFile, allowFailures: true });
    expect(counts(report).journals).toMatchObject({ inserted: 1, failed: 1 });
    expect(report.failures.map((f) => `${f.table}: ${f.reason}`)).toEqual([
      'journals: journalized_id refers to a issues row that is not imported',
    ]);
    expect(await journals(prod)).toEqual([{ notes: 'on kept', type: 'Issue', on: 'kept' }]);
  });

  test('a reply to a comment (its type names its own table) is rewritten through the ids its table is given', async () => {
    const schema = `
      CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL);
      CREATE TABLE comments (id serial PRIMARY KEY, commentable_type varchar(30) NOT NULL, commentable_id int NOT NULL, body text NOT NULL);`;
    // Replies to replies, a reply written before the comment it answers, and one to a comment the
    // archive does not have.
    const src = await db(
      schema +
        `INSERT INTO posts VALUES (1, 'Hello'), (2, 'News');
         INSERT INTO comments VALUES (1, 'Post', 1, 'first!'), (2, 'Comment', 1, 'reply to first!'), (3, 'Comment', 2, 'reply to the reply'),
           (4, 'Comment', 5, 'reply to a later comment'), (5, 'Post', 2, 'on news'), (6, 'Comment', 99, 'reply to a deleted comment');`,
    );
    // The target holds its own rows at the source's ids, its sequences far ahead, and the first
    // thread already, under other ids (nothing pairs them but their content and their parents).
    const dst = await db(
      schema +
        `INSERT INTO posts VALUES (1, 'Dev post'), (2, 'Dev post 2'), (7, 'Hello');
         INSERT INTO comments VALUES (1, 'Post', 1, 'dev comment'), (2, 'Post', 2, 'dev comment 2'), (3, 'Comment', 1, 'dev reply'),
           (4, 'Comment', 3, 'dev reply 2'), (5, 'Post', 1, 'dev comment 5'), (6, 'Comment', 5, 'dev reply 3'),
           (20, 'Post', 7, 'first!'), (21, 'Comment', 20, 'reply to first!');
         SELECT setval('posts_id_seq', 500), setval('comments_id_seq', 700);`,
    );
    const file = join(dir, 'self-poly.tar.gz');
    await exportDb(src, file);
    expect(await diffKinds(dst, file, undefined, stated('comments'))).toEqual({
      posts: { new: 1, identical: 1, target_only: 2 },
      comments: { new: 4, identical: 2, target_only: 6 },
    });
    const report = await importInto(dst, file, 'merge', { config: stated('comments') });
    expect(counts(report)).toMatchObject({ posts: { inserted: 1, unchanged: 1 }, comments: { inserted: 4, unchanged: 2 } });
    expect(report.warnings.filter((w) => w.startsWith('comments.commentable_id is copied as it is'))).toEqual([
      `comments.commentable_id is copied as it is in rows that name no row mr4 can follow, so in a target whose ids differ they point at other rows: 1 with commentable_type = 'Comment' (name comments rows the archive does not have).`,
    ]);
    const { rows } = await dst.client.query(
      `SELECT c.body, c.commentable_type AS type, COALESCE(p.title, pc.body, '(nothing: ' || c.commentable_id || ')') AS "on"
         FROM comments c
         LEFT JOIN posts p ON c.commentable_type = 'Post' AND p.id = c.commentable_id
         LEFT JOIN comments pc ON c.commentable_type = 'Comment' AND pc.id = c.commentable_id
        ORDER BY 1`,
    );
    expect(rows).toEqual([
      { body: 'dev comment', type: 'Post', on: 'Dev post' },
      { body: 'dev comment 2', type: 'Post', on: 'Dev post 2' },
      { body: 'dev comment 5', type: 'Post', on: 'Dev post' },
      { body: 'dev reply', type: 'Comment', on: 'dev comment' },
      { body: 'dev reply 2', type: 'Comment', on: 'dev reply' },
      { body: 'dev reply 3', type: 'Comment', on: 'dev comment 5' },
      { body: 'first!', type: 'Post', on: 'Hello' },
      { body: 'on news', type: 'Post', on: 'News' },
      { body: 'reply to a deleted comment', type: 'Comment', on: '(nothing: 99)' },
      { body: 'reply to a later comment', type: 'Comment', on: 'on news' },
      { body: 'reply to first!', type: 'Comment', on: 'first!' },
      { body: 'reply to the reply', type: 'Comment', on: 'reply to first!' },
    ]);
    const before = await rowVersions(dst.client, ['posts', 'comments']);
    expect(totals(await importInto(dst, file, 'merge', { config: stated('comments') }))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(dst.client, ['posts', 'comments'])).toEqual(before);
  });

  test('a table written before the table its type names (a foreign key back closes a cycle): its ids are filled once that table is written', async () => {
    // Redmine-like: issues.last_journal_id → journals, so journals is written first.
    const schema = `
      CREATE TABLE journals (id serial PRIMARY KEY, journalized_type varchar(30) NOT NULL, journalized_id int NOT NULL, notes text NOT NULL);
      CREATE TABLE issues (id serial PRIMARY KEY, subject text NOT NULL, last_journal_id int REFERENCES journals);`;
    const src = await db(
      schema +
        `INSERT INTO journals VALUES (1, 'Issue', 2, 'note on b'), (2, 'Issue', 1, 'note on a'), (3, 'Issue', 77, 'on a deleted issue');
         INSERT INTO issues VALUES (1, 'a', 2), (2, 'b', 1);`,
    );
    const dst = await db(
      schema +
        `INSERT INTO journals VALUES (1, 'Issue', 1, 'dev note'), (2, 'Issue', 2, 'dev note 2'), (3, 'Issue', 1, 'dev note 3');
         INSERT INTO issues VALUES (1, 'dev issue 1', 1), (2, 'dev issue 2', NULL), (3, 'dev issue 3', NULL);
         SELECT setval('journals_id_seq', 600), setval('issues_id_seq', 500);`,
    );
    const plan = await planWith(src.client);
    expect(plan.tables.map((t) => t.name)).toEqual(['journals', 'issues']);
    const onIssues = async () =>
      (
        await dst.client.query(
          `SELECT j.notes, COALESCE(i.subject, '(nothing: ' || j.journalized_id || ')') AS "on", li.subject AS last_of
             FROM journals j LEFT JOIN issues i ON i.id = j.journalized_id LEFT JOIN issues li ON li.last_journal_id = j.id ORDER BY 1`,
        )
      ).rows;
    const file = join(dir, 'late-poly.tar.gz');
    await exportDb(src, file);
    expect(await diffKinds(dst, file, undefined, stated('journals'))).toEqual({
      journals: { new: 3, target_only: 3 },
      issues: { new: 2, target_only: 3 },
    });
    const report = await importInto(dst, file, 'merge', { config: stated('journals') });
    expect(counts(report)).toMatchObject({ journals: { inserted: 3, updated: 0 }, issues: { inserted: 2 } });
    expect(report.failures).toEqual([]);
    expect(report.warnings.filter((w) => w.startsWith('journals.journalized_id is copied as it is'))).toEqual([
      `journals.journalized_id is copied as it is in rows that name no row mr4 can follow, so in a target whose ids differ they point at other rows: 1 with journalized_type = 'Issue' (name issues rows the archive does not have).`,
    ]);
    const devRows = [
      { notes: 'dev note', on: 'dev issue 1', last_of: 'dev issue 1' },
      { notes: 'dev note 2', on: 'dev issue 2', last_of: null },
      { notes: 'dev note 3', on: 'dev issue 1', last_of: null },
    ];
    expect(await onIssues()).toEqual([
      ...devRows,
      { notes: 'note on a', on: 'a', last_of: 'a' },
      { notes: 'note on b', on: 'b', last_of: 'b' },
      { notes: 'on a deleted issue', on: '(nothing: 77)', last_of: null },
    ]);
    let before = await rowVersions(dst.client, ['journals', 'issues']);
    expect(totals(await importInto(dst, file, 'merge', { config: stated('journals') }))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(dst.client, ['journals', 'issues'])).toEqual(before);

    // The source moves a note to another issue and notes a new issue: the merge updates the one, inserts the others.
    await src.client.query(
      `UPDATE journals SET journalized_id = 1 WHERE id = 1;
       INSERT INTO issues VALUES (3, 'c', NULL); INSERT INTO journals VALUES (4, 'Issue', 3, 'note on c');`,
    );
    const again = join(dir, 'late-poly-2.tar.gz');
    await exportDb(src, again);
    expect(await diffKinds(dst, again, undefined, stated('journals'))).toEqual({
      journals: { new: 1, changed: 1, identical: 2, target_only: 3 },
      issues: { new: 1, identical: 2, target_only: 3 },
    });
    expect(counts(await importInto(dst, again, 'merge', { config: stated('journals') }))).toMatchObject({
      journals: { inserted: 1, updated: 1, unchanged: 2 },
      issues: { inserted: 1, updated: 0, unchanged: 2 },
    });
    expect(await onIssues()).toEqual([
      ...devRows,
      { notes: 'note on a', on: 'a', last_of: 'a' },
      { notes: 'note on b', on: 'a', last_of: 'b' },
      { notes: 'note on c', on: 'c', last_of: null },
      { notes: 'on a deleted issue', on: '(nothing: 77)', last_of: null },
    ]);
    before = await rowVersions(dst.client, ['journals', 'issues']);
    expect(totals(await importInto(dst, again, 'merge', { config: stated('journals') }))).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(dst.client, ['journals', 'issues'])).toEqual(before);
  });

  test('a reply, or a note on a later table, naming a row the merge does not write is refused, in the diff and the merge', async () => {
    const schema = `
      CREATE TABLE journals (id serial PRIMARY KEY, journalized_type varchar(30) NOT NULL, journalized_id int NOT NULL, notes text NOT NULL);
      CREATE TABLE issues (id serial PRIMARY KEY, subject text NOT NULL, last_journal_id int REFERENCES journals);
      CREATE TABLE comments (id serial PRIMARY KEY, commentable_type varchar(30) NOT NULL, commentable_id int NOT NULL, body text NOT NULL);`;
    const prod = await db(
      schema +
        `INSERT INTO issues (subject) VALUES ('kept'), ('deleted in production');
         INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Issue', 1, 'kept comment'), ('Issue', 1, 'deleted comment');`,
    );
    const dev = await db(schema);
    const seedFile = join(dir, 'poly-gone-seed-2.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    await prod.client.query(`DELETE FROM issues WHERE id = 2; DELETE FROM comments WHERE id = 2;`);
    await dev.client.query(
      `INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 2, 'on the deleted issue'), ('Issue', 1, 'on kept');
       INSERT INTO comments (commentable_type, commentable_id, body) VALUES ('Comment', 2, 'reply to the deleted comment'), ('Comment', 1, 'reply to kept');`,
    );
    const devFile = join(dir, 'poly-gone-dev-2.tar.gz');
    await exportDb(dev, devFile);
    expect(await diffKinds(prod, devFile, seedFile)).toEqual({
      journals: { new: 1, refused: 1 },
      issues: { identical: 1, deleted_in_target: 1 },
      comments: { new: 1, refused: 1, identical: 1, deleted_in_target: 1 },
    });
    const report = await importInto(prod, devFile, 'merge', { base: seedFile, allowFailures: true });
    expect(counts(report)).toMatchObject({ journals: { inserted: 1, failed: 1 }, comments: { inserted: 1, failed: 1 } });
    expect(report.failures.map((f) => `${f.table}: ${f.reason}`).sort()).toEqual([
      `comments: commentable_id refers to comments {"id": "2"}, which was deleted in the target since the base (a decision "source" for it brings it back)`,
      `journals: journalized_id refers to issues {"id": "2"}, which was deleted in the target since the base (a decision "source" for it brings it back)`,
    ]);
    const { rows } = await prod.client.query(
      `SELECT x.text, COALESCE(i.subject, c.body) AS "on" FROM (
         SELECT notes AS text, journalized_type AS type, journalized_id AS id FROM journals
         UNION ALL SELECT body, commentable_type, commentable_id FROM comments) x
       LEFT JOIN issues i ON x.type = 'Issue' AND i.id = x.id LEFT JOIN comments c ON x.type = 'Comment' AND c.id = x.id ORDER BY 1`,
    );
    expect(rows).toEqual([
      { text: 'kept comment', on: 'kept' },
      { text: 'on kept', on: 'kept' },
      { text: 'reply to kept', on: 'kept comment' },
    ]);
  });
});
