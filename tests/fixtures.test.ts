// The test fixtures themselves: the Crearis schema and its seed rows, the demo data and its edits, the
// bulk generator, the unrelated shop schema and the all-types table.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { describe, expect, test } from 'vitest';
import { createTestDb, type TestDb } from './helpers/db';
import { seedCrearisBulk } from '../src-main/demo/crearis-bulk';
import {
  applyDevEdits,
  applyProductionEdits,
  CONFLICTING_EVENT_XMLID,
  crearisDemoCounts,
  crearisEditScenario,
  seedCrearisDemo,
} from '../src-main/demo/crearis-demo-data';
import { seedShop, shopCounts } from './fixtures/schemas/shop-data';

const crearisSql = readFileSync(new URL('../src-main/demo/crearis-schema.sql', import.meta.url), 'utf8');
const shopSql = readFileSync(new URL('./fixtures/schemas/shop.sql', import.meta.url), 'utf8');
const allTypesSql = readFileSync(new URL('./fixtures/schemas/all-types.sql', import.meta.url), 'utf8');

async function withDb<T>(schemaSql: string | undefined, fn: (db: TestDb) => Promise<T>): Promise<T> {
  const db = await createTestDb(schemaSql);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

async function rowCount(client: pg.ClientBase, table: string): Promise<number> {
  return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

async function rowCounts(client: pg.ClientBase, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await rowCount(client, table);
  return counts;
}

/** One hash per base table of schema public over all its rows, independent of physical order. */
async function tableFingerprints(client: pg.ClientBase): Promise<Record<string, string>> {
  const tables = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const fingerprints: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const res = await client.query<{ h: string }>(
      `SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${name}" t`,
    );
    fingerprints[name] = res.rows[0].h;
  }
  return fingerprints;
}

async function expectRejected(client: pg.ClientBase, sql: string, params: unknown[], message: RegExp): Promise<void> {
  await client.query('SAVEPOINT expect_rejected');
  await expect(client.query(sql, params)).rejects.toThrow(message);
  await client.query('ROLLBACK TO SAVEPOINT expect_rejected');
}

/** References the bulk loader wrote with FK checks off must all resolve. */
async function foreignKeyOrphans(client: pg.ClientBase): Promise<string[]> {
  const fks = await client.query<{ tbl: string; col: string; ref: string; refcol: string }>(`
    SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confrelid::regclass::text AS ref, af.attname AS refcol
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = 'public'::regnamespace`);
  const orphans: string[] = [];
  for (const fk of fks.rows) {
    const n = await rowCount(
      client,
      `${fk.tbl} t WHERE t.${fk.col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${fk.ref} r WHERE r.${fk.refcol} = t.${fk.col})`,
    );
    if (n > 0) orphans.push(`${fk.tbl}.${fk.col}: ${n}`);
  }
  return orphans;
}

const EXPECTED_STATUS_IDS = [
  ...Array.from({ length: 52 }, (_, i) => i + 1),
  ...Array.from({ length: 18 }, (_, i) => i + 60),
  ...Array.from({ length: 7 }, (_, i) => i + 79),
  87,
  88,
  89,
  90,
];

describe('crearis-schema.sql', () => {
  test('seeds status with the exact ids of a migrated database, gaps included', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const ids = (await client.query<{ id: number }>('SELECT id FROM status ORDER BY id')).rows.map((r) => r.id);
      expect(ids).toHaveLength(81);
      expect(ids).toEqual(EXPECTED_STATUS_IDS);
      for (const gap of [53, 54, 55, 56, 57, 58, 59, 78, 86]) expect(ids).not.toContain(gap);

      const byKey = async (table: string, name: string) =>
        (await client.query<{ id: number }>(`SELECT id FROM status WHERE "table" = $1 AND name = $2`, [table, name])).rows[0]?.id;
      expect(await byKey('tasks', 'idea')).toBe(2);
      expect(await byKey('projects', 'new')).toBe(18);
      expect(await byKey('projects', 'demo')).toBe(19);
      expect(await byKey('projects', 'progress')).toBe(20);
      expect(await byKey('users', 'new')).toBe(46);
      expect(await byKey('interactions', 'new')).toBe(60);
      expect(await byKey('interactions', 'spam')).toBe(90);
      expect(await byKey('persons', 'deleted')).toBe(79);
      expect(await byKey('images', 'archived')).toBe(85);

      const onlyDeCz = await client.query(`SELECT id FROM status WHERE name_i18n ? 'en' AND id BETWEEN 8 AND 17`);
      expect(onlyDeCz.rowCount).toBe(0);
      expect((await client.query(`SELECT count(*)::int AS n FROM status WHERE NOT (name_i18n ?& array['de','cz'])`)).rows[0].n).toBe(0);
      const next = await client.query<{ id: number }>(
        `INSERT INTO status (value, name, "table") VALUES (64, 'probe', 'tasks') RETURNING id`,
      );
      expect(next.rows[0].id).toBeGreaterThan(90);
    });
  });

  test('seeds the 021 system data: tags, users, tp/regio1, memberships, pages, domains, config', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const tags = await client.query<{ name: string }>('SELECT name FROM tags ORDER BY id');
      expect(tags.rows.map((t) => t.name)).toEqual(['child', 'adult', 'teen', 'location']);

      const users = await client.query<{ id: number; sysmail: string; role: string; password: string; status_display: string }>(
        'SELECT id, sysmail, role, password, status_display FROM users ORDER BY id',
      );
      expect(users.rows.map((u) => u.sysmail)).toEqual(
        ['admin', 'base', 'project1', 'project2', 'tp', 'regio1'].map((name) => `${name}@theaterpedia.org`),
      );
      expect(users.rows.map((u) => u.id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(users.rows.map((u) => u.role)).toEqual(['admin', 'base', 'user', 'user', 'user', 'user']);
      for (const u of users.rows) {
        expect(u.password).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
        expect(u.status_display).toBe('Neu');
      }

      const projects = await client.query(
        `SELECT p.domaincode, p.type, p.is_regio, s.name AS status, u.sysmail AS owner
         FROM projects p JOIN status s ON s.id = p.status_id JOIN users u ON u.id = p.owner_id ORDER BY p.id`,
      );
      expect(projects.rows).toEqual([
        { domaincode: 'tp', type: 'special', is_regio: false, status: 'done', owner: 'project1@theaterpedia.org' },
        { domaincode: 'regio1', type: 'regio', is_regio: true, status: 'draft', owner: 'project2@theaterpedia.org' },
      ]);
      const members = await client.query(
        `SELECT p.domaincode, u.username, m.role FROM project_members m
         JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id ORDER BY 1, 2`,
      );
      expect(members.rows).toEqual([
        { domaincode: 'regio1', username: 'project2', role: 'owner' },
        { domaincode: 'tp', username: 'project1', role: 'owner' },
        { domaincode: 'tp', username: 'project2', role: 'member' },
      ]);
      const pages = await client.query(
        `SELECT pg.page_type, pg.header_type FROM pages pg JOIN projects p ON p.id = pg.project WHERE p.domaincode = 'tp' ORDER BY 1`,
      );
      expect(pages.rows).toEqual([
        { page_type: 'landing', header_type: 'banner' },
        { page_type: 'team', header_type: 'banner' },
      ]);

      expect(await rowCounts(client, ['tlds', 'sysdomains', 'i18n_codes', 'crearis_config', 'system_config', 'domains'])).toEqual({
        tlds: 6,
        sysdomains: 5,
        i18n_codes: 4,
        crearis_config: 1,
        system_config: 2,
        domains: 0,
      });
      const config = (await client.query('SELECT config FROM crearis_config')).rows[0].config;
      expect(config.migrations_run).toContain('021_seed_system_data');
      const domainstrings = await client.query<{ d: string }>('SELECT domainstring AS d FROM sysdomains ORDER BY id');
      expect(domainstrings.rows.map((r) => r.d)).toEqual(['theaterpedia', 'dasei', 'raumlauf', 'brecht', 'crearis']);
    });
  });

  test('computes the generated columns, including the inverted pages flags', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const project = await client.query(`
        INSERT INTO projects (domaincode, type, config, aside_list, header_alert)
        VALUES ('probe', 'topic', '{"onepage": true, "sidebar": false}', 'a,b', '{"text": "!"}')
        RETURNING id, is_regio, is_topic, is_onepage, is_service, is_sidebar, page_has_content, aside_has_content,
                  header_has_content, footer_has_content, status_id`);
      expect(project.rows[0]).toMatchObject({
        is_regio: false,
        is_topic: true,
        is_onepage: true,
        is_service: false,
        is_sidebar: false,
        page_has_content: false,
        aside_has_content: true,
        header_has_content: true,
        footer_has_content: false,
        status_id: 18,
      });
      const page = await client.query(
        `INSERT INTO pages (project, page_type, page_options) VALUES ($1, 'post', '{"layout": "wide"}')
         RETURNING page_has_content, aside_has_content, id`,
        [project.rows[0].id],
      );
      expect(page.rows[0]).toMatchObject({ page_has_content: false, aside_has_content: true });
      expect(page.rows[0].id).toMatch(/^[0-9a-f-]{36}$/);

      const domain = await client.query(
        `INSERT INTO domains (sysdomain_id, tld, textdomain) VALUES ((SELECT id FROM sysdomains WHERE domain = 'dasei'), 'de', 'probe')
         RETURNING tld, domainname`,
      );
      expect(domain.rows[0]).toEqual({ tld: 'eu', domainname: 'probe.dasei.eu' });

      const task = await client.query(
        `INSERT INTO tasks (id, name, lang) VALUES ('task_probe', 'Probe', 'en') RETURNING status_id, status_display, updated_at`,
      );
      expect(task.rows[0]).toEqual({ status_id: 2, status_display: 'Idea', updated_at: null });
      const touched = await client.query(`UPDATE tasks SET name = 'Probe 2' WHERE id = 'task_probe' RETURNING updated_at`);
      expect(touched.rows[0].updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  });

  test('image triggers derive flags from ctags byte 0 and push the image cache to referencing rows', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const insertImage = (ctagsHex: string, extra = '') =>
        client.query(
          `
        INSERT INTO images (xmlid, name, url, project_id, ctags, shape_wide ${extra ? ', publisher' : ''})
        VALUES ('same_xmlid', 'probe', 'https://img.demo/p.jpg', (SELECT id FROM projects WHERE domaincode = 'tp'),
                decode($1, 'hex'), ROW(10, 20, 30, NULL, NULL, NULL, NULL, NULL)::image_shape ${extra ? `, ${extra}` : ''})
        RETURNING id, is_public, is_private, is_internal, is_deprecated, has_issues, use_player, project_domaincode,
                  img_show, img_thumb, img_wide`,
          [ctagsHex],
        );

      const internal = (await insertImage('30')).rows[0];
      expect(internal).toMatchObject({ is_public: false, is_private: false, is_internal: true, is_deprecated: false, has_issues: false });
      expect(internal).toMatchObject({ use_player: false, project_domaincode: 'tp', img_show: true });
      expect(internal.img_wide).toEqual({ type: 'param', x: 10, y: 20, z: 30 });
      expect(internal.img_thumb).toEqual({ type: 'url', url: 'https://img.demo/p.jpg' });

      // Same xmlid again: images.xmlid is not unique.
      const flagged = (await insertImage('90', `ROW('youtube', 'v1', NULL, NULL, NULL, NULL)::media_adapter`)).rows[0];
      expect(flagged).toMatchObject({
        is_public: true,
        has_issues: true,
        is_deprecated: false,
        use_player: true,
        img_show: false,
        img_wide: null,
      });

      await client.query(`UPDATE users SET img_id = $1 WHERE username = 'admin'`, [internal.id]);
      expect((await client.query(`SELECT img_show, img_wide FROM users WHERE username = 'admin'`)).rows[0]).toEqual({
        img_show: true,
        img_wide: { type: 'param', x: 10, y: 20, z: 30 },
      });
      await client.query(`UPDATE images SET ctags = '\\xc0' WHERE id = $1`, [internal.id]);
      expect((await client.query(`SELECT img_show, img_wide FROM users WHERE username = 'admin'`)).rows[0]).toEqual({
        img_show: false,
        img_wide: null,
      });
    });
  });

  test('rejects what the constraints and validation triggers forbid', async () => {
    await withDb(crearisSql, async ({ client }) => {
      await client.query('BEGIN');
      await expectRejected(client, `INSERT INTO projects (domaincode) VALUES ('Bad-Code')`, [], /projects_domaincode_check/);
      await expectRejected(
        client,
        `INSERT INTO users (sysmail, username, password, role) VALUES ('not-an-email', 'x', 'x', 'user')`,
        [],
        /users_sysmail_check/,
      );
      await expectRejected(
        client,
        `INSERT INTO users (sysmail, extmail, username, password, role) VALUES ('someone@x.demo', 'tp@theaterpedia.org', 'x', 'x', 'user')`,
        [],
        /already used as system email/,
      );
      await expectRejected(
        client,
        `INSERT INTO interactions (name, status_id) VALUES ('probe', (SELECT id FROM status WHERE "table" = 'tasks' AND name = 'new'))`,
        [],
        /interactions/,
      );
      await expectRejected(client, `DELETE FROM projects WHERE domaincode = 'tp'`, [], /null value in column "project"/);

      const instructor = await client.query<{ id: number }>(
        `INSERT INTO instructors (xmlid, name) VALUES ('probe.instructor', 'Probe') RETURNING id`,
      );
      const instructorId = instructor.rows[0].id;
      await expectRejected(
        client,
        `INSERT INTO events (xmlid, status, public_user) VALUES ('probe.e1', 'published', $1)`,
        [instructorId],
        /must be an instructor with is_user=TRUE/,
      );
      await expectRejected(client, `INSERT INTO events (xmlid, status) VALUES ('probe.e2', 'final')`, [], /public_user must be set/);
      await client.query(`INSERT INTO events (xmlid, status, public_user) VALUES ('probe.e3', 'draft', $1)`, [instructorId]);

      await client.query(`UPDATE users SET instructor_id = $1 WHERE username = 'project2'`, [instructorId]);
      const linked = await client.query(`SELECT is_user, regio_id FROM instructors WHERE id = $1`, [instructorId]);
      expect(linked.rows[0]).toEqual({ is_user: true, regio_id: 2 }); // project2 owns regio1
      await client.query(`INSERT INTO events (xmlid, status, public_user) VALUES ('probe.e1', 'published', $1)`, [instructorId]);
      await client.query(`UPDATE users SET instructor_id = NULL WHERE username = 'project2'`);
      expect((await client.query(`SELECT is_user, regio_id FROM instructors WHERE id = $1`, [instructorId])).rows[0]).toEqual({
        is_user: false,
        regio_id: null,
      });
      await client.query('ROLLBACK');
    });
  });

  test('changing a project status to 19/20 creates its missing pages; tags and regio are maintained', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const regio1 = (await client.query(`SELECT id FROM projects WHERE domaincode = 'regio1'`)).rows[0].id;
      const { id } = (
        await client.query(
          `INSERT INTO projects (domaincode, regio, team_page, config) VALUES ('probe', $1, 'yes', '{"onepage": true}') RETURNING id`,
          [regio1],
        )
      ).rows[0];
      await client.query(`UPDATE projects SET status_id = 18 WHERE id = $1`, [id]);
      expect(await rowCount(client, `pages WHERE project = ${id}`)).toBe(0);
      await client.query(`UPDATE projects SET status_id = 20 WHERE id = $1`, [id]);
      const pageTypes = await client.query<{ page_type: string }>(`SELECT page_type FROM pages WHERE project = $1 ORDER BY 1`, [id]);
      expect(pageTypes.rows.map((r) => r.page_type)).toEqual(['event', 'landing', 'team']); // onepage: no post page
      await client.query(`UPDATE projects SET status_id = 19 WHERE id = $1`, [id]);
      expect(await rowCount(client, `pages WHERE project = ${id}`)).toBe(3);

      const event = await client.query(`INSERT INTO events (xmlid, project_id, lang) VALUES ('probe.e', $1, 'cz') RETURNING id, regio_id`, [
        id,
      ]);
      expect(event.rows[0].regio_id).toBe(regio1);
      await client.query(`INSERT INTO events_tags (event_id, tag_id) SELECT $1, id FROM tags WHERE name IN ('teen', 'child')`, [
        event.rows[0].id,
      ]);
      const tagged = await client.query(`SELECT tags_ids, tags_display FROM events WHERE id = $1`, [event.rows[0].id]);
      expect(tagged.rows[0]).toEqual({ tags_ids: [1, 3], tags_display: ['Dítě', 'Mládež'] });
      await client.query(`UPDATE events SET lang = 'de' WHERE id = $1`, [event.rows[0].id]);
      expect((await client.query(`SELECT tags_display FROM events WHERE id = $1`, [event.rows[0].id])).rows[0].tags_display).toEqual([
        'Kind',
        'Jugendliche',
      ]);
    });
  });

  test('two fresh loads give the system users different random passwords', async () => {
    const load = () =>
      withDb(undefined, async ({ client }) => {
        await client.query(crearisSql);
        return (await client.query<{ sysmail: string; password: string }>('SELECT sysmail, password FROM users ORDER BY id')).rows;
      });
    const [first, second] = [await load(), await load()];
    expect(first.map((u) => u.sysmail)).toEqual(second.map((u) => u.sysmail));
    for (let i = 0; i < first.length; i++) expect(first[i].password).not.toBe(second[i].password);
  });
});

describe('crearis demo data', () => {
  const demoTables = Object.keys(crearisDemoCounts);

  test('adds exactly crearisDemoCounts rows, quickly, with the links and statuses the scenarios need', async () => {
    await withDb(crearisSql, async ({ client }) => {
      const before = await rowCounts(client, demoTables);
      const started = Date.now();
      await seedCrearisDemo(client, { seed: 1 });
      expect(Date.now() - started).toBeLessThan(2000); // typically < 100 ms; generous for loaded CI machines
      const after = await rowCounts(client, demoTables);
      const added = Object.fromEntries(demoTables.map((t) => [t, after[t] - before[t]]));
      expect(added).toEqual(crearisDemoCounts);
      expect(Object.values(crearisDemoCounts).reduce((a, b) => a + b, 0)).toBeGreaterThan(300);

      expect(await rowCount(client, 'instructors WHERE is_user')).toBe(7);
      expect(await rowCount(client, 'participants WHERE is_user')).toBe(2);
      expect(await rowCount(client, `projects WHERE type = 'regio' AND domaincode <> 'regio1'`)).toBe(3);
      expect(await rowCount(client, 'images WHERE xmlid IS NULL')).toBe(1);
      expect(await rowCount(client, `locations WHERE zip LIKE '0%'`)).toBeGreaterThan(2);
      expect(await rowCount(client, `events WHERE status = 'draft'`)).toBeGreaterThan(2);
      expect(
        await rowCount(
          client,
          `events e JOIN instructors i ON i.id = e.public_user
        WHERE e.status IN ('published', 'active', 'final') AND i.is_user`,
        ),
      ).toBeGreaterThan(5);
      expect(await rowCount(client, `events WHERE cardinality(tags_ids) = 0`)).toBe(0);
      const phone = await client.query(`SELECT phone FROM locations WHERE xmlid = '_demo.location_kulturhaus_altmarkt'`);
      expect(phone.rows[0].phone).toBe('0351 4412308');
      const members = await client.query(`SELECT member_ids FROM projects WHERE domaincode = 'ostbayern'`);
      expect(Array.isArray(members.rows[0].member_ids)).toBe(true);
      expect(members.rows[0].member_ids).toHaveLength(3);
    });
  });

  test('is deterministic: the same seed gives identical tables, another seed does not', async () => {
    const fingerprint = (seed: number) =>
      withDb(crearisSql, async ({ client }) => {
        await seedCrearisDemo(client, { seed });
        return tableFingerprints(client);
      });
    const first = await fingerprint(42);
    const second = await fingerprint(42);
    const other = await fingerprint(43);
    expect(Object.keys(first).length).toBeGreaterThan(20);
    expect(second).toEqual(first);
    expect(other.users).not.toBe(first.users);
    expect(other.tags).toBe(first.tags);
  });

  test('dev and production edits apply cleanly and collide on one event teaser', async () => {
    await withDb(crearisSql, async (base) => {
      await seedCrearisDemo(base.client);
      const teaserOf = async (client: pg.ClientBase, xmlid: string) =>
        (await client.query<{ teaser: string }>('SELECT teaser FROM events WHERE xmlid = $1', [xmlid])).rows[0].teaser;
      const baseTeaser = await teaserOf(base.client, CONFLICTING_EVENT_XMLID);
      const counts = await rowCounts(base.client, [
        'events',
        'posts',
        'images',
        'locations',
        'users',
        'interactions',
        'events_tags',
        'event_instructors',
        'project_members',
      ]);

      await applyDevEdits(base.client);
      const devTeaser = await teaserOf(base.client, CONFLICTING_EVENT_XMLID);
      const devCounts = await rowCounts(base.client, Object.keys(counts));
      expect(devCounts.events - counts.events).toBe(3);
      expect(devCounts.posts - counts.posts).toBe(2);
      expect(devCounts.images - counts.images).toBe(1);
      expect(devCounts.locations - counts.locations).toBe(1);
      expect(devCounts.events_tags).toBeGreaterThan(counts.events_tags);
      expect(devCounts.event_instructors).toBeGreaterThan(counts.event_instructors);
      expect(devCounts.project_members - counts.project_members).toBe(2);
      expect(devCounts.users).toBe(counts.users);
      const { dev, production } = crearisEditScenario;
      expect(await rowCount(base.client, `events WHERE xmlid IN ('${dev.addedEvents.join("','")}')`)).toBe(3);
      expect(await rowCount(base.client, `posts WHERE xmlid IN ('${dev.addedPosts.join("','")}')`)).toBe(2);
      expect(await rowCount(base.client, `images WHERE xmlid = '${dev.addedImage}' AND img_show`)).toBe(1);
      expect(await rowCount(base.client, `locations WHERE xmlid = '${dev.addedLocation}'`)).toBe(1);
      const post = await base.client.query(`SELECT s.name FROM posts p JOIN status s ON s.id = p.status_id WHERE p.xmlid = $1`, [
        dev.postStatusChanged.xmlid,
      ]);
      expect(post.rows[0].name).toBe(dev.postStatusChanged.to);
      const published = await base.client.query(
        `SELECT e.status, i.is_user FROM events e JOIN instructors i ON i.id = e.public_user WHERE e.xmlid = $1`,
        [dev.addedEvents[0]],
      );
      expect(published.rows[0]).toEqual({ status: 'published', is_user: true });

      await applyProductionEdits(base.client);
      const prodTeaser = await teaserOf(base.client, CONFLICTING_EVENT_XMLID);
      const prodCounts = await rowCounts(base.client, Object.keys(counts));
      expect(prodCounts.users - devCounts.users).toBe(1);
      expect(await rowCount(base.client, `users WHERE sysmail = '${production.addedUser}'`)).toBe(1);
      expect(crearisEditScenario.conflict.xmlid).toBe(CONFLICTING_EVENT_XMLID);
      expect(prodCounts.interactions - devCounts.interactions).toBe(1);
      expect(new Set([baseTeaser, devTeaser, prodTeaser]).size).toBe(3);
      const phone = await base.client.query(`SELECT phone FROM locations WHERE xmlid = '_demo.location_theaterscheune_innstadt'`);
      expect(phone.rows[0].phone).toBe('0851 3340999');
    });
  });
});

describe('crearis bulk data', () => {
  test('adds about the requested rows, consistent with the triggers, and leaves triggers on', async () => {
    await withDb(crearisSql, async ({ client }) => {
      await seedCrearisDemo(client);
      const messages: string[] = [];
      const counts = await seedCrearisBulk(client, { rows: 20_000, onProgress: (m) => messages.push(m) });
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      expect(Math.abs(total - 20_000)).toBeLessThanOrEqual(2_000);
      expect(counts.participants).toBeGreaterThan(counts.users);
      expect(messages.length).toBeGreaterThan(10);

      expect((await client.query(`SELECT current_setting('session_replication_role') AS r`)).rows[0].r).toBe('origin');
      expect(await rowCount(client, `pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`)).toBe(0);
      expect(await foreignKeyOrphans(client)).toEqual([]);

      // Firing the triggers again over the loaded rows must not change them.
      const watched = ['images', 'users', 'instructors', 'participants', 'events', 'posts', 'projects'];
      const before = await tableFingerprints(client);
      await client.query('BEGIN');
      await client.query(`
        UPDATE images SET ctags = ctags;
        UPDATE users SET img_id = img_id;
        UPDATE events SET project_id = project_id, status = status, img_id = img_id;
        UPDATE posts SET project_id = project_id, img_id = img_id;
        UPDATE instructors SET is_user = is_user;
        SELECT refresh_instructor_is_user(id), refresh_participant_is_user(id) FROM generate_series(1, (SELECT max(id) FROM participants)) AS id;
        SELECT recompute_event_tags(id) FROM events;
        SELECT recompute_post_tags(id) FROM posts;
        SELECT refresh_location_provider(id) FROM projects;`);
      const after = await tableFingerprints(client);
      await client.query('ROLLBACK');
      for (const table of watched) expect(after[table], table).toBe(before[table]);

      // Triggers work for new rows after the load.
      const image = await client.query(
        `INSERT INTO images (name, url, ctags) VALUES ('after bulk', 'https://img.demo/x.jpg', '\\x20') RETURNING id, is_private`,
      );
      expect(image.rows[0].is_private).toBe(true);
      expect(image.rows[0].id).toBeGreaterThan(counts.images);
    });
  });
});

describe('shop fixture', () => {
  const shopTables = Object.keys(shopCounts.a);

  test("variants 'a' and 'b' load; the same natural keys get different surrogate ids", async () => {
    await withDb(shopSql, async (a) => {
      await withDb(shopSql, async (b) => {
        await seedShop(a.client, { variant: 'a' });
        await seedShop(b.client, { variant: 'b' });
        expect(await rowCounts(a.client, shopTables)).toEqual(shopCounts.a);
        expect(await rowCounts(b.client, shopTables)).toEqual(shopCounts.b);
        for (const table of shopTables) expect(shopCounts.b[table], table).toBeGreaterThan(shopCounts.a[table]);

        const idsByKey = async (client: pg.ClientBase, sql: string) =>
          new Map((await client.query<{ k: string; id: string }>(sql)).rows.map((r) => [r.k, String(r.id)]));
        const keyed = [
          'SELECT email AS k, id FROM customers',
          'SELECT slug AS k, id FROM categories',
          'SELECT sku AS k, id FROM products',
          'SELECT order_no AS k, id FROM orders',
          'SELECT code AS k, id FROM departments',
          'SELECT email AS k, id FROM employees',
          `SELECT o.order_no || '/' || l.line_no AS k, l.id FROM order_lines l JOIN orders o ON o.id = l.order_id`,
          `SELECT o.order_no || '/' || s.carrier AS k, s.id FROM shipments s JOIN orders o ON o.id = s.order_id`,
        ];
        for (const sql of keyed) {
          const inA = await idsByKey(a.client, sql);
          const inB = await idsByKey(b.client, sql);
          const shared = [...inA.keys()].filter((k) => inB.has(k));
          expect(shared.length, sql).toBe(inA.size);
          expect(shared.filter((k) => inA.get(k) !== inB.get(k)).length, sql).toBeGreaterThan(shared.length / 2);
        }

        const sameContent = `SELECT md5(string_agg(c.email || coalesce(c.name, '') || c.created_at, '|' ORDER BY c.email)) AS h
                             FROM customers c WHERE c.email LIKE 'kunde%'`;
        expect((await b.client.query(sameContent)).rows[0].h).toBe((await a.client.query(sameContent)).rows[0].h);
        const managers = await a.client.query(
          `SELECT d.code, e.email FROM departments d JOIN employees e ON e.id = d.manager_id ORDER BY d.code`,
        );
        expect(managers.rows.length).toBe(4);
        expect(await rowCount(a.client, 'categories WHERE parent_id IS NOT NULL')).toBeGreaterThan(5);
        expect(await rowCount(a.client, `products WHERE tags @> ARRAY['mit "Zitat"']`)).toBeGreaterThan(0);
        const duplicates = await a.client.query(
          `SELECT count(*)::int AS n FROM (SELECT actor, action, at, payload FROM audit_log GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d`,
        );
        expect(duplicates.rows[0].n).toBe(1);
      });
    });
  });

  test('the same seed and variant give the same rows, uuids included', async () => {
    const fingerprint = () =>
      withDb(shopSql, async ({ client }) => {
        await seedShop(client, { variant: 'b', seed: 99 });
        return tableFingerprints(client);
      });
    const first = await fingerprint();
    expect(await fingerprint()).toEqual(first);
    expect(Object.keys(first)).toHaveLength(shopTables.length);
  });
});

describe('all-types fixture', () => {
  test('loads, with tricky rows and one all-NULL row', async () => {
    await withDb(allTypesSql, async ({ client }) => {
      expect(await rowCount(client, 'value_zoo')).toBeGreaterThanOrEqual(6);
      const columns = await rowCount(client, `information_schema.columns WHERE table_name = 'value_zoo'`);
      expect(columns).toBeGreaterThan(35);

      const nonNull = await client.query<{ code: string; n: number }>(
        `SELECT code, (SELECT count(*)::int FROM jsonb_each(to_jsonb(z)) e WHERE e.value <> 'null'::jsonb) AS n FROM value_zoo z ORDER BY id`,
      );
      expect(nonNull.rows.find((r) => r.code === 'all-null')?.n).toBe(2);

      const row = (
        await client.query(`
        SELECT (SELECT c_bigint::text FROM value_zoo WHERE code = 'extremes') AS bigint_max,
               (SELECT length(c_bytea) FROM value_zoo WHERE code = 'all-bytes') AS byte_count,
               (SELECT c_text FROM value_zoo WHERE code = 'all-bytes') AS copy_null_marker,
               (SELECT c_numeric::text FROM value_zoo WHERE code = 'ordinary') AS trailing_zero,
               (SELECT c_json::text FROM value_zoo WHERE code = 'extremes') AS raw_json,
               (SELECT c_jsonb IS NOT NULL AND c_jsonb = 'null'::jsonb FROM value_zoo WHERE code = 'empties') AS json_null,
               (SELECT c_char FROM value_zoo WHERE code = 'ordinary') AS padded,
               (SELECT c_int_array::text FROM value_zoo WHERE code = 'extremes') AS lower_bound,
               (SELECT c_double::text FROM value_zoo WHERE code = 'negatives-and-specials') AS nan`)
      ).rows[0];
      expect(row).toMatchObject({
        bigint_max: '9223372036854775807',
        byte_count: 256,
        copy_null_marker: '\\N',
        trailing_zero: '1.10',
        json_null: true,
        padded: 'a  ',
        lower_bound: '[0:2]={7,8,9}',
        nan: 'NaN',
      });
      expect(row.raw_json).toContain('"a" : 2');
    });
  });
});
