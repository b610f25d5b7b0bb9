// Shared by the row-identity tests (tests/engine/row-identity-*.test.ts): the sample databases shaped
// like public ones (tests/fixtures/schemas/{pagila,django,chinook}-like.sql), a target that holds OTHER
// rows at the source's very ids with its sequences far ahead, and typed doors to the import, export
// and plan options those tests use (sameIds, probableEdits, lineage, notReferences).
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { readCatalog } from '../../src-main/engine/catalog';
import type { Mr4Config, TableConfig } from '../../src-main/engine/config';
import type { ExportOptions } from '../../src-main/engine/export';
import type { ImportOptions } from '../../src-main/engine/import/index';
import { buildPlan, type Plan } from '../../src-main/engine/plan';
import { applySessionSettings } from '../../src-main/engine/session';
import type { TestDb } from './db';
import { exportDb, importInto } from './engine';

export type Fixture = 'pagila-like' | 'django-like' | 'chinook-like';

const DATA_MARKER = '-- @@ data @@';

/** The whole fixture: schema, then rows. */
export function fixtureSql(name: Fixture): string {
  return readFileSync(new URL(`../fixtures/schemas/${name}.sql`, import.meta.url), 'utf8');
}

/** Only the schema part of a fixture (everything before the data marker). */
export function fixtureSchema(name: Fixture): string {
  const sql = fixtureSql(name);
  const at = sql.search(new RegExp(`^${DATA_MARKER}$`, 'm'));
  if (at < 0) throw new Error(`${name}.sql has no "${DATA_MARKER}" line`);
  return sql.slice(0, at);
}

/** Where a target's sequences are moved to, so every id it draws later is far from the source's. */
export const SEQUENCES_AHEAD = 5000;

/** Moves every sequence of the public schema to `to` (the next value drawn is to + 1). */
export const advanceSequencesSql = (to = SEQUENCES_AHEAD) =>
  `SELECT setval(format('%I.%I', n.nspname, c.relname)::regclass, ${to}) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'S' AND n.nspname = 'public';`;

/**
 * Rows unrelated to the fixture's, at ids 1..5 (the source's first ids) of every table: other names,
 * other e-mails, other dates, the same constant last_update where the fixture has one. Every row is
 * plainly NOT a copy or an edit of a fixture row; it only shares the id. Django's content types
 * are the same fifteen but in another order (so at other ids), with their permissions, and its
 * django_migrations rows equal the fixture's (both databases ran the same migrations).
 */
export function otherRowsSql(name: Fixture): string {
  switch (name) {
    case 'pagila-like':
      return PAGILA_OTHER_ROWS;
    case 'chinook-like':
      return CHINOOK_OTHER_ROWS;
    case 'django-like':
      return DJANGO_OTHER_ROWS;
  }
}

/** SQL for a target: the fixture's schema, other rows at ids 1..5, every sequence moved to 5000. */
export function targetSql(name: Fixture): string {
  return `${fixtureSchema(name)}\n${otherRowsSql(name)}\n${advanceSequencesSql()}`;
}

const LAST_UPDATE = `'2022-02-15 09:57:20+00'`;

const PAGILA_OTHER_ROWS = `
INSERT INTO country (country_id, country, last_update) SELECT g, 'Otherland ' || g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO city (city_id, city, country_id, last_update) SELECT g, 'Other City ' || g, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO address (address_id, address, address2, district, city_id, postal_code, phone, last_update)
SELECT g, g || ' Elsewhere Road', NULL, 'Other District', g, '9990' || g, '5550000' || g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO language (language_id, name, last_update) SELECT g, 'Otherish ' || g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO category (category_id, name, last_update) SELECT g, 'Other Genre ' || g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO actor (actor_id, first_name, last_name, last_update) SELECT g, 'OTHER', 'ACTOR ' || g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO film (film_id, title, description, release_year, language_id, rental_duration, rental_rate, length, replacement_cost, rating, last_update, fulltext)
SELECT g, 'OTHER FILM ' || g, 'Not in the source', 1999, g, 3, 0.99, 90, 9.99, 'PG', ${LAST_UPDATE}, to_tsvector('english', 'other film')
FROM generate_series(1, 5) g;
INSERT INTO film_actor (actor_id, film_id, last_update) SELECT g, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO film_category (film_id, category_id, last_update) SELECT g, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO staff (staff_id, first_name, last_name, address_id, email, store_id, active, username, password, last_update)
SELECT g, 'Other', 'Staffer ' || g, g, 'other.staffer' || g || '@elsewhere.example', NULL, true, 'other' || g, NULL, ${LAST_UPDATE}
FROM generate_series(1, 5) g;
INSERT INTO store (store_id, manager_staff_id, address_id, last_update) SELECT g, g, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
UPDATE staff SET store_id = staff_id;
INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id, activebool, create_date, last_update, active)
SELECT g, g, 'OTHER', 'CUSTOMER ' || g, 'other.customer' || g || '@elsewhere.example', g, true, '2021-06-01', ${LAST_UPDATE}, 1
FROM generate_series(1, 5) g;
INSERT INTO inventory (inventory_id, film_id, store_id, last_update) SELECT g, g, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
SELECT g, ('2022-01-0' || g || ' 05:33:33+00')::timestamptz, g, g, NULL, g, ${LAST_UPDATE} FROM generate_series(1, 5) g;
INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
SELECT g, g, g, g, 7.77, ('2022-01-1' || g || ' 04:44:44+00')::timestamptz FROM generate_series(1, 5) g;
`;

const CHINOOK_OTHER_ROWS = `
INSERT INTO genre (genre_id, name) SELECT g, 'Other Genre ' || g FROM generate_series(1, 5) g;
INSERT INTO media_type (media_type_id, name) SELECT g, 'Other Format ' || g FROM generate_series(1, 5) g;
INSERT INTO artist (artist_id, name) SELECT g, 'Other Artist ' || g FROM generate_series(1, 5) g;
INSERT INTO album (album_id, title, artist_id) SELECT g, 'Other Album ' || g, g FROM generate_series(1, 5) g;
INSERT INTO track (track_id, name, album_id, media_type_id, genre_id, composer, milliseconds, bytes, unit_price)
SELECT g, 'Other Track ' || g, g, g, g, 'Someone Else', 60000 + g, 1000 + g, 0.49 FROM generate_series(1, 5) g;
INSERT INTO playlist (playlist_id, name) SELECT g, 'Other Playlist ' || g FROM generate_series(1, 5) g;
INSERT INTO playlist_track (playlist_id, track_id) SELECT g, g FROM generate_series(1, 5) g;
INSERT INTO employee (employee_id, last_name, first_name, title, reports_to, birth_date, hire_date, address, city, state, country,
                      postal_code, phone, fax, email)
SELECT g, 'Otherson', 'Other' || g, CASE WHEN g = 1 THEN 'Owner' ELSE 'Clerk' END, CASE WHEN g = 1 THEN NULL ELSE 1 END,
       TIMESTAMP '1990-01-01' + g * INTERVAL '1 day', TIMESTAMP '2020-01-01' + g * INTERVAL '1 day',
       g || ' Other Street', 'Red Deer', 'AB', 'Canada', 'T4N 0A' || g, '+1 (403) 000-000' || g, NULL, 'other' || g || '@elsewhere.example'
FROM generate_series(1, 5) g;
INSERT INTO customer (customer_id, first_name, last_name, company, address, city, state, country, postal_code, phone, fax, email, support_rep_id)
SELECT g, 'Other', 'Customer' || g, NULL, g || ' Other Avenue', 'Red Deer', 'AB', 'Canada', 'T4N 1B' || g, '+1 (403) 111-111' || g, NULL,
       'other.customer' || g || '@elsewhere.example', g
FROM generate_series(1, 5) g;
INSERT INTO invoice (invoice_id, customer_id, invoice_date, billing_address, billing_city, billing_state, billing_country, billing_postal_code, total)
SELECT g, g, TIMESTAMP '2019-06-01' + g * INTERVAL '1 day', g || ' Other Avenue', 'Red Deer', 'AB', 'Canada', 'T4N 1B' || g, 0.49
FROM generate_series(1, 5) g;
INSERT INTO invoice_line (invoice_line_id, invoice_id, track_id, unit_price, quantity) SELECT g, g, g, 0.49, 1 FROM generate_series(1, 5) g;
`;

const DJANGO_OTHER_ROWS = `
INSERT INTO django_migrations (id, app, name, applied)
SELECT id, app, name, applied FROM (VALUES (1, 'contenttypes', '0001_initial'), (2, 'auth', '0001_initial'), (3, 'admin', '0001_initial'),
             (4, 'admin', '0002_logentry_remove_auto_add'), (5, 'admin', '0003_logentry_add_action_flag_choices'),
             (6, 'contenttypes', '0002_remove_content_type_name'), (7, 'auth', '0002_alter_permission_name_max_length'),
             (8, 'auth', '0003_alter_user_email_max_length'), (9, 'auth', '0004_alter_user_username_opts'),
             (10, 'auth', '0005_alter_user_last_login_null'), (11, 'auth', '0006_require_contenttypes_0002'),
             (12, 'auth', '0007_alter_validators_add_error_messages'), (13, 'auth', '0008_alter_user_username_max_length'),
             (14, 'auth', '0009_alter_user_last_name_max_length'), (15, 'auth', '0010_alter_group_name_max_length'),
             (16, 'auth', '0011_update_proxy_permissions'), (17, 'auth', '0012_alter_user_first_name_max_length'),
             (18, 'main', '0001_initial'), (19, 'main', '0002_remove_post_category_post_legacy_category_id'),
             (20, 'sessions', '0001_initial'), (21, 'taggit', '0001_initial'), (22, 'taggit', '0002_auto_20150616_2121'),
             (23, 'taggit', '0003_taggeditem_add_unique_index'), (24, 'taggit', '0004_alter_taggeditem_content_type_alter_taggeditem_tag'),
             (25, 'taggit', '0005_auto_20220424_2025'), (26, 'taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx_and_more')
     ) m(id, app, name), LATERAL (SELECT TIMESTAMPTZ '2023-01-02 10:00:00+00' + m.id * INTERVAL '1 second' AS applied) a;
-- The same content types in the reverse order: main.post is 7 here (9 in the fixture), auth.user 12 (4).
INSERT INTO django_content_type (id, app_label, model)
SELECT 16 - n, app_label, model FROM (VALUES (1, 'admin', 'logentry'), (2, 'auth', 'permission'), (3, 'auth', 'group'), (4, 'auth', 'user'),
       (5, 'contenttypes', 'contenttype'), (6, 'sessions', 'session'), (7, 'main', 'category'), (8, 'main', 'profile'),
       (9, 'main', 'post'), (10, 'main', 'comment'), (11, 'main', 'place'), (12, 'main', 'restaurant'),
       (13, 'main', 'italianrestaurant'), (14, 'taggit', 'tag'), (15, 'taggit', 'taggeditem')) c(n, app_label, model);
INSERT INTO auth_permission (id, name, content_type_id, codename)
SELECT (ct.id - 1) * 4 + a.n, 'Can ' || a.action || ' ' || ct.model, ct.id, a.action || '_' || ct.model
FROM django_content_type ct, (VALUES (1, 'view'), (2, 'delete'), (3, 'change'), (4, 'add')) a(n, action);
INSERT INTO auth_group (id, name) SELECT g, 'other-group-' || g FROM generate_series(1, 3) g;
INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT g, 'pbkdf2_sha256$600000$othersalt' || g || '$x', NULL, false, 'other' || g, 'Other', 'User ' || g, 'other' || g || '@elsewhere.example',
       false, true, TIMESTAMPTZ '2022-05-05 05:05:05+00' + g * INTERVAL '1 hour'
FROM generate_series(1, 5) g;
INSERT INTO auth_user_groups (id, user_id, group_id) SELECT g, g, 1 + g % 3 FROM generate_series(1, 5) g;
INSERT INTO django_session (session_key, session_data, expire_date)
SELECT 'other-session-' || g, 'e30:other', TIMESTAMPTZ '2030-01-01 00:00:00+00' FROM generate_series(1, 2) g;
INSERT INTO main_category (id, name, slug) SELECT g, 'Other category ' || g, 'other-category-' || g FROM generate_series(1, 5) g;
INSERT INTO main_profile (user_id, bio, location, birth_date) SELECT g, 'Another person.', 'Elsewhere', NULL FROM generate_series(1, 5) g;
INSERT INTO main_post (id, title, body, created, author_id, legacy_category_id)
SELECT g, 'Other post ' || g, 'Not in the source.', TIMESTAMPTZ '2022-06-01 00:00:00+00' + g * INTERVAL '1 hour', g, g FROM generate_series(1, 5) g;
INSERT INTO main_comment (id, text, created, author_id, post_id)
SELECT g, 'Other comment ' || g, TIMESTAMPTZ '2022-06-02 00:00:00+00' + g * INTERVAL '1 hour', g, g FROM generate_series(1, 5) g;
INSERT INTO main_place (id, name, address) SELECT g, 'Other Place ' || g, g || ' Elsewhere Road' FROM generate_series(1, 5) g;
INSERT INTO main_restaurant (place_ptr_id, serves_hot_dogs, serves_pizza) SELECT g, true, false FROM generate_series(1, 3) g;
INSERT INTO main_italianrestaurant (restaurant_ptr_id, serves_gnocchi) SELECT g, false FROM generate_series(1, 2) g;
INSERT INTO django_admin_log (id, action_time, object_id, object_repr, action_flag, change_message, content_type_id, user_id)
SELECT g, TIMESTAMPTZ '2022-06-03 00:00:00+00' + g * INTERVAL '1 hour', g::text, 'Other post ' || g, 2, '[]', 7, g FROM generate_series(1, 5) g;
INSERT INTO taggit_tag (id, name, slug) SELECT g, 'other-tag-' || g, 'other-tag-' || g FROM generate_series(1, 5) g;
INSERT INTO taggit_taggeditem (id, object_id, content_type_id, tag_id) SELECT g, g, 7, g FROM generate_series(1, 5) g;
`;

/** Import options of the row-identity work (typed here so the tests compile before the engine has them). */
export type RowIdentityConfig = Omit<Mr4Config, 'tables'> & {
  tables: Record<string, TableConfig & { notReferences?: string[] }>;
};

export type RowIdentityImportOptions = Omit<Partial<ImportOptions>, 'config'> & {
  sameIds?: boolean;
  probableEdits?: 'same' | 'new';
  lineage?: boolean;
  config?: RowIdentityConfig;
};

export function importWith(db: TestDb, archive: string, mode: 'skip' | 'merge', options: RowIdentityImportOptions = {}) {
  return importInto(db, archive, mode, options as Partial<ImportOptions>);
}

export type RowIdentityExportOptions = Omit<Partial<ExportOptions>, 'config'> & { lineage?: boolean; config?: RowIdentityConfig };

export function exportWith(db: TestDb, out: string, options: RowIdentityExportOptions = {}) {
  return exportDb(db, out, options as Partial<ExportOptions>);
}

/** The plan of a database as an import or export builds it, with a configuration and a table selection. */
export async function planWith(client: pg.ClientBase, options: { config?: RowIdentityConfig; tables?: string[] } = {}): Promise<Plan> {
  await applySessionSettings(client);
  return buildPlan(await readCatalog(client), { config: options.config as Mr4Config | undefined, tables: options.tables });
}

/** Every warning of a plan (the plan's own, and each table's prefixed with "table: "). */
export function allWarnings(plan: Plan): string[] {
  return [...plan.warnings, ...plan.tables.flatMap((t) => t.warnings.map((w) => `${t.name}: ${w}`))];
}

/** The warnings of a plan that are about `table.column`: plan warnings naming "table.column", and the
 *  table's own warnings naming the column as a word. */
export function warningsAbout(plan: Plan, table: string, column: string): string[] {
  const word = new RegExp(`(^|[^A-Za-z0-9_])${column}([^A-Za-z0-9_]|$)`);
  return [
    ...plan.warnings.filter((w) => w.includes(`${table}.${column}`)),
    ...(plan.tables.find((t) => t.name === table)?.warnings ?? []).filter((w) => word.test(w)).map((w) => `${table}: ${w}`),
  ];
}

/** Ordinary tables of the public schema holding rows (partitions included, partitioned parents left
 *  out), for rowVersions: a partitioned parent's ctids repeat across partitions. */
export async function physicalTables(client: pg.ClientBase): Promise<string[]> {
  const res = await client.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
  );
  return res.rows.map((r) => r.t);
}

/** The tables an import reports on: ordinary tables and partitioned parents, not their partitions. */
export async function logicalTables(client: pg.ClientBase): Promise<string[]> {
  const res = await client.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
  );
  return res.rows.map((r) => r.t);
}

/** Rows of the lineage table an import keeps in the target, or null when there is none. */
export async function lineageCount(client: pg.ClientBase): Promise<number | null> {
  const exists = await client.query<{ r: string | null }>(`SELECT to_regclass('_mr4.lineage')::text AS r`);
  if (!exists.rows[0].r) return null;
  return Number((await client.query(`SELECT count(*) AS n FROM _mr4.lineage`)).rows[0].n);
}

/** What an import threw (or fails the test if it did not throw). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { rows?: { table: string; key: unknown; row: unknown; reason: string }[] }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { rows?: { table: string; key: unknown; row: unknown; reason: string }[] };
  }
  throw new Error('expected the call to throw, but it succeeded');
}
