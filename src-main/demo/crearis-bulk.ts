// Fills a database holding crearis-schema.sql with many rows, for benchmarks and large-scale tests.
// Everything is set-based (INSERT … SELECT FROM generate_series); row k of one table points at rows of
// other tables through arithmetic on id ranges. Triggers are off while loading, so every column a
// trigger would maintain is computed here with the same rule (tags arrays, regio ids, is_user flags,
// image fields and caches, is_location_provider).
import type pg from 'pg';

export interface CrearisBulkOptions {
  /** About how many rows to add in total, over all tables. */
  rows: number;
  onProgress?: (msg: string) => void;
}

/** Share of the total per table, and the least rows a table gets so that references always resolve. */
const DISTRIBUTION = {
  users: [0.05, 4],
  projects: [0.005, 3],
  images: [0.05, 2],
  instructors: [0.02, 4],
  locations: [0.02, 2],
  participants: [0.2, 3],
  posts: [0.15, 2],
  events: [0.15, 2],
  events_tags: [0.1, 0],
  posts_tags: [0.075, 0],
  project_members: [0.025, 0],
  event_instructors: [0.075, 0],
  interactions: [0.05, 1],
  pages: [0.01, 0],
  tasks: [0.02, 1],
} as const satisfies Record<string, readonly [number, number]>;

type BulkTable = keyof typeof DISTRIBUTION;
type Plan = Record<BulkTable, number>;

const SERIAL_TABLES = [
  'users',
  'projects',
  'images',
  'instructors',
  'locations',
  'participants',
  'posts',
  'events',
  'interactions',
] as const;
type SerialTable = (typeof SERIAL_TABLES)[number];
type IdBases = Record<SerialTable, number>;

const LOADED_TABLES = [...SERIAL_TABLES, 'pages', 'tasks', 'events_tags', 'posts_tags', 'project_members', 'event_instructors'];

const PAGE_TYPES = ['landing', 'event', 'post', 'team'];

function planCounts(rows: number, tagCount: number): Plan {
  const plan = Object.fromEntries(
    Object.entries(DISTRIBUTION).map(([table, [share, least]]) => [table, Math.max(least, Math.round(rows * share))]),
  ) as Plan;
  // Junction rows are distinct pairs, so they cannot outnumber the pairs there are.
  plan.events_tags = Math.min(plan.events_tags, plan.events * tagCount);
  plan.posts_tags = Math.min(plan.posts_tags, plan.posts * tagCount);
  plan.project_members = Math.min(plan.project_members, plan.projects * plan.users);
  plan.event_instructors = Math.min(plan.event_instructors, plan.events * plan.instructors);
  plan.pages = Math.min(plan.pages, plan.projects * PAGE_TYPES.length);
  return plan;
}

// ─── Value pools (passed as array parameters) ─────────────────────────────────────────────────────

const FIRST_NAMES = [
  'Anna',
  'Jörg',
  'Lea',
  'Mehmet',
  'Zoë',
  'Jiří',
  'Sören',
  'Ayşe',
  'Lukas',
  'Bärbel',
  'Ünal',
  'Kateřina',
  'Maximilian',
  'Frieda',
  'Ömer',
  'Hanna',
  'Björn',
  'Małgorzata',
];
const LAST_NAMES = [
  'Müller',
  'Schröder',
  'Weiß',
  'Groß',
  'Novák',
  'Öztürk',
  'Bäcker',
  'Krämer',
  'Hoffmann',
  'Dvořák',
  'Schäfer',
  'Fuchs',
  'Jäger',
  'Szabó',
  'Lindström',
  'Kühn',
  'Maier',
  'Brandstätter',
];
const CITIES = [
  'München',
  'Dresden',
  'Leipzig',
  'Nürnberg',
  'Görlitz',
  'Würzburg',
  'Regensburg',
  'Chemnitz',
  'Plzeň',
  'Erfurt',
  'Zwickau',
  'Passau',
];
const ZIPS = ['80331', '01067', '04109', '90402', '02826', '97070', '93047', '09111', '301 00', '99084', '08056', '94032'];
const PHONE_PREFIXES = ['089', '0351', '0341', '0911', '03581', '0931', '0941', '0371', null, '0361', '0375', '0851'];
const COUNTRIES = [
  'base.de',
  'base.de',
  'base.de',
  'base.de',
  'base.de',
  'base.de',
  'base.de',
  'base.de',
  'base.cz',
  'base.de',
  'base.de',
  'base.de',
];
const STREETS = [
  'Hauptstraße',
  'Schillerstraße',
  'Bahnhofstraße',
  'Am Größenbach',
  'Kirchgasse',
  'Mühlweg',
  'Lindenallee',
  'Brückenstraße',
  'Husova',
  'Gärtnerplatz',
];
const TOPICS = [
  'Improtheater',
  'Forumtheater',
  'Maskenbau',
  'Tanztheater',
  'Erzählcafé',
  'Kindertheater',
  'Jugendclub',
  'Stückentwicklung',
  'Clownerie',
  'Figurentheater',
  'Biografiearbeit',
  'Sprechtraining',
];
const TITLES = [
  'Spiel ohne Netz',
  'Über die Brücke',
  'Stimmen der Straße',
  'Hinter dem Vorhang',
  'Größer als wir',
  'Zwischen den Stühlen',
  'Mut tut gut',
  'Grenzenlos',
  'Aus dem Stegreif',
  'Häuser erzählen',
  'Divadlo bez hranic',
];
const TEASERS = [
  'Ein Workshop für alle, die gern spielen – ohne Vorkenntnisse.',
  'Gemeinsam entwickeln wir Szenen über Alltag, Träume und Ärger im Viertel.',
  'Bitte bequeme Kleidung mitbringen; für Getränke ist gesorgt.',
  'Für Kinder, Jugendliche und Erwachsene, die Theater ausprobieren möchten.',
  'Mit Abschlusspräsentation für Freund*innen und Familie.',
  'Zweisprachig (deutsch/tschechisch), Sprachanimation inklusive.',
];

// ─── Loading ──────────────────────────────────────────────────────────────────────────────────────

interface Context {
  client: pg.ClientBase;
  plan: Plan;
  bases: IdBases;
  taskBase: number;
  counts: Record<string, number>;
  progress: (msg: string) => void;
}

async function countRows(client: pg.ClientBase, table: string): Promise<number> {
  return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

async function statusIds(client: pg.ClientBase, table: string): Promise<number[]> {
  const res = await client.query<{ id: number }>(`SELECT id FROM status WHERE "table" = $1 ORDER BY id`, [table]);
  if (res.rows.length === 0) throw new Error(`No status rows for "${table}": is this a Crearis schema?`);
  return res.rows.map((r) => r.id);
}

async function idBases(client: pg.ClientBase): Promise<IdBases> {
  const bases = {} as IdBases;
  for (const table of SERIAL_TABLES) {
    const res = await client.query<{ base: number }>(`SELECT COALESCE(max(id), 0)::int AS base FROM ${table}`);
    bases[table] = res.rows[0].base;
  }
  return bases;
}

async function insert(ctx: Context, table: string, sql: string, params: unknown[]): Promise<void> {
  const started = Date.now();
  const res = await ctx.client.query(sql, params);
  ctx.counts[table] = (ctx.counts[table] ?? 0) + (res.rowCount ?? 0);
  ctx.progress(`${table}: ${res.rowCount ?? 0} rows in ${Date.now() - started} ms`);
}

/** Copies the image cache of the row's img_id, exactly as entity_copy_image_cache() would. */
const IMAGE_CACHE_COLUMNS = `COALESCE(im.img_show, FALSE), im.img_thumb, im.img_square, im.img_wide, im.img_vert`;

async function insertProjects(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  // Every 20th project (1, 21, 41, …) is a regio; two thirds of the others belong to one of them.
  await insert(
    ctx,
    'projects',
    `
    INSERT INTO projects (id, domaincode, name, description, status_old, owner_id, created_at, updated_at, header_type, header_size,
                          md, type, regio, heading, cimg, teaser, team_page, cta_title, cta_entity, cta_link, is_company, config,
                          member_ids, footer_sitemap, header_alert, status_id)
    SELECT v.id, 'bulk_p' || v.id,
           ($4::text[])[1 + g % cardinality($4::text[])] || ' **' || ($5::text[])[1 + g % cardinality($5::text[])] || '** ' || v.id,
           CASE WHEN g % 6 = 0 THEN NULL ELSE 'Projekt ' || v.id || ': ' || ($6::text[])[1 + g % cardinality($6::text[])] END,
           'new', $3 + 1 + (g * 3) % $7, timestamp '2023-01-01 08:00:00' + g * interval '17 minutes',
           CASE WHEN g % 2 = 0 THEN to_char(timestamp '2024-06-01' + g * interval '5 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
           CASE WHEN g % 3 = 0 THEN 'cover' ELSE 'simple' END,
           (ARRAY['small', 'medium', 'large', NULL])[1 + g % 4],
           '# ' || ($4::text[])[1 + g % cardinality($4::text[])] || E'\\n\\nÜber uns: **Theater für alle**.',
           v.type,
           CASE WHEN v.type <> 'regio' AND g % 3 <> 0 THEN $2 + 20 * (g % v.regio_count) + 1 END,
           ($5::text[])[1 + (g + 3) % cardinality($5::text[])],
           'https://images.unsplash.com/photo-' || (1500000000000 + g::bigint * 7919) || '?w=1600&h=900&fit=crop',
           ($6::text[])[1 + (g + 1) % cardinality($6::text[])],
           CASE WHEN g % 4 = 0 THEN 'no' ELSE 'yes' END,
           CASE WHEN g % 5 = 0 THEN 'Jetzt anmelden' END,
           CASE WHEN g % 5 = 0 THEN (ARRAY['post', 'event', 'instructor'])[1 + g % 3] END,
           CASE WHEN g % 5 = 0 THEN 'https://bulk.theaterpedia.demo/p/' || v.id END,
           g % 7 = 0,
           jsonb_build_object('onepage', g % 5 = 1, 'service', g % 11 = 0, 'sidebar', g % 2 = 0),
           jsonb_build_array($3 + 1 + (g * 7) % $7, $3 + 1 + (g * 13) % $7),
           CASE WHEN g % 9 = 0 THEN 'programm,team,kontakt' ELSE '' END,
           CASE WHEN g % 10 = 0 THEN jsonb_build_object('text', 'Neue Termine!', 'level', 'info') ELSE '{}'::jsonb END,
           ($8::int[])[1 + g % cardinality($8::int[])]
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT $2 + g AS id,
                               CASE WHEN g % 20 = 1 THEN 'regio' WHEN g % 20 = 7 THEN 'topic' WHEN g % 20 = 13 THEN 'location' ELSE 'project' END AS type,
                               ($1::int - 1) / 20 + 1 AS regio_count) AS v`,
    [plan.projects, bases.projects, bases.users, TOPICS, TITLES, TEASERS, plan.users, statuses],
  );
}

async function insertImages(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  // ctags byte 0 values: mostly public, some private/internal, a few deprecated (64) or with issues (144).
  await insert(
    ctx,
    'images',
    `
    INSERT INTO images (id, xmlid, name, url, project_id, project_domaincode, status_id, owner_id, alt_text, title, date, geo, x, y,
                        shape_wide, shape_square, shape_vertical, shape_thumb, fileformat, license, length, about, author, publisher,
                        use_player, ctags, is_public, is_private, is_internal, is_deprecated, has_issues, rtags, created_at, updated_at,
                        img_show, img_thumb, img_square, img_wide, img_vert)
    SELECT v.id, CASE WHEN g % 50 = 0 THEN NULL ELSE 'bulk.image_' || v.id END,
           'Bild ' || v.id || ' – ' || ($6::text[])[1 + g % cardinality($6::text[])], v.url,
           v.project_id, 'bulk_p' || v.project_id, ($8::int[])[1 + g % cardinality($8::int[])], v.owner_id,
           'Szenenfoto: ' || ($6::text[])[1 + g % cardinality($6::text[])], CASE WHEN g % 3 = 0 THEN NULL ELSE 'Foto ' || g END,
           v.at,
           CASE WHEN g % 2 = 0 THEN jsonb_build_object('lat', 47 + (g % 500) / 100.0, 'lon', 10 + (g % 700) / 100.0) END,
           1600 + (g % 5) * 400, 900 + (g % 4) * 300,
           v.shape_wide, v.shape_square, v.shape_vertical, v.shape_thumb,
           (ARRAY['jpeg', 'webp', 'avif', 'png'])[1 + g % 4]::image_file_type,
           (ARRAY['BY', 'BY-SA', 'CC0', 'unsplash', 'private'])[1 + g % 5]::media_licence,
           CASE WHEN v.publisher IS NOT NULL THEN 30 + g % 600 END,
           CASE WHEN (v.author).account_id IS NOT NULL THEN '(c) ' || (v.author).account_id || COALESCE(' via ' || (v.author).adapter::text, '')
                WHEN v.owner_id IS NOT NULL THEN '(c) owner_id:' || v.owner_id END,
           v.author, v.publisher,
           COALESCE((v.publisher).adapter IN ('vimeo', 'youtube'), FALSE),
           set_byte('\\x00'::bytea, 0, v.byte0),
           (v.byte0 & 48) = 16, (v.byte0 & 48) = 32, (v.byte0 & 48) = 48,
           (v.byte0 & 192) = 64, (v.byte0 & 192) IN (128, 192),
           CASE g % 3 WHEN 0 THEN '\\x00'::bytea WHEN 1 THEN decode(substr(md5(g::text), 1, 4), 'hex') END,
           v.at, v.at,
           v.show,
           CASE WHEN v.show THEN COALESCE(reduce_image_shape(v.shape_thumb), reduce_image_shape(v.shape_square), jsonb_build_object('type', 'url', 'url', v.url)) END,
           CASE WHEN v.show THEN COALESCE(reduce_image_shape(v.shape_square), jsonb_build_object('type', 'url', 'url', v.url)) END,
           CASE WHEN v.show THEN reduce_image_shape(v.shape_wide) END,
           CASE WHEN v.show THEN reduce_image_shape(v.shape_vertical) END
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (
        SELECT s.*, (s.byte0 & 192) IN (0, 64) AS show
        FROM (SELECT $2 + g AS id,
                     'https://images.unsplash.com/photo-' || (1600000000000 + g::bigint * 104729) AS url,
                     CASE WHEN g % 5 <> 0 THEN $3 + 1 + g % $4 END AS project_id,
                     CASE WHEN g % 6 <> 0 THEN $5 + 1 + g % $7 END AS owner_id,
                     timestamp '2023-03-01 09:00:00' + g * interval '3 minutes' AS at,
                     (ARRAY[16, 16, 16, 0, 32, 48, 16, 64, 16, 144])[1 + g % 10] AS byte0,
                     CASE WHEN g % 3 = 0 THEN ROW(50 + g % 20, 40, 100, NULL, NULL, 'L' || substr(md5(g::text), 1, 20), NULL, NULL)::image_shape END AS shape_wide,
                     CASE WHEN g % 4 = 0 THEN ROW(NULL, NULL, NULL, 'https://images.unsplash.com/photo-' || (1600000000000 + g::bigint * 104729) || '?w=400&h=400',
                                                  NULL, NULL, 'w=400&h=400', 'crop')::image_shape END AS shape_square,
                     CASE WHEN g % 9 = 0 THEN ROW(30, 50, 90, NULL, NULL, NULL, NULL, NULL)::image_shape END AS shape_vertical,
                     CASE WHEN g % 7 = 0 THEN ROW(NULL, NULL, NULL, NULL, jsonb_build_object('focal', jsonb_build_array(0.5, 0.4)), NULL, NULL, NULL)::image_shape END AS shape_thumb,
                     CASE WHEN g % 4 = 0 THEN ROW('unsplash', 'f' || g, 'fotograf_' || g % 97, NULL, NULL, NULL)::media_adapter END AS author,
                     CASE WHEN g % 25 = 0 THEN ROW('youtube', 'vid' || g, 'kanal_' || g % 13, NULL, NULL, jsonb_build_object('autoplay', false))::media_adapter END AS publisher
             ) AS s
    ) AS v`,
    [plan.images, bases.images, bases.projects, plan.projects, bases.users, TOPICS, plan.users, statuses],
  );
}

async function insertUsers(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  // Links to instructors, participants and images follow in linkUsers, once those rows exist.
  await insert(
    ctx,
    'users',
    `
    INSERT INTO users (id, sysmail, extmail, username, password, role, status_id, lang, created_at, updated_at)
    SELECT $2 + g, 'user' || ($2 + g) || '@bulk.crearis.demo',
           CASE WHEN g % 5 = 0 THEN 'extern' || ($2 + g) || '@mail.bulk.demo' END,
           ($3::text[])[1 + g % cardinality($3::text[])] || ' ' || ($4::text[])[1 + (g / 7) % cardinality($4::text[])],
           '$2b$10$' || substr(md5('pw' || ($2 + g)) || md5('salt' || ($2 + g)), 1, 53),
           CASE WHEN g % 1000 = 1 THEN 'admin' WHEN g % 1000 = 2 THEN 'base' ELSE 'user' END,
           ($5::int[])[1 + g % cardinality($5::int[])],
           (ARRAY['de', 'de', 'de', 'en', 'cz'])[1 + g % 5],
           timestamp '2023-02-01 10:00:00' + g * interval '41 seconds', timestamp '2024-02-01 10:00:00' + g * interval '13 seconds'
    FROM generate_series(1, $1::int) AS g`,
    [plan.users, bases.users, FIRST_NAMES, LAST_NAMES, statuses],
  );
}

/** User k links instructor k when k is even and participant k when k % 3 = 1 (see insertInstructors/-Participants). */
async function linkUsers(ctx: Context): Promise<void> {
  const { plan, bases } = ctx;
  await ctx.client.query(
    `
    UPDATE users u
    SET instructor_id = v.instructor_id, participant_id = v.participant_id, img_id = v.img_id,
        img_show = COALESCE(im.img_show, FALSE), img_thumb = im.img_thumb, img_square = im.img_square,
        img_wide = im.img_wide, img_vert = im.img_vert
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT CASE WHEN g % 2 = 0 AND g <= $4 THEN $3 + g END AS instructor_id,
                               CASE WHEN g % 3 = 1 AND g <= $6 THEN $5 + g END AS participant_id,
                               CASE WHEN g % 10 = 0 THEN $7 + 1 + (g / 10) % $8 END AS img_id) AS v
    LEFT JOIN images im ON im.id = v.img_id
    WHERE u.id = $2 + g AND (v.instructor_id IS NOT NULL OR v.participant_id IS NOT NULL OR v.img_id IS NOT NULL)`,
    [plan.users, bases.users, bases.instructors, plan.instructors, bases.participants, plan.participants, bases.images, plan.images],
  );
  ctx.progress('users linked to instructors, participants and images');
}

async function insertInstructors(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'instructors',
    `
    INSERT INTO instructors (id, xmlid, name, email, phone, city, country_id, cimg, description, status_id, multiproject, header_type, md,
                             created_at, updated_at, is_user, header_size, img_id, img_show, img_thumb, img_square, img_wide, img_vert, lang)
    SELECT v.id, 'bulk.instructor_' || v.id, v.name,
           'dozent' || v.id || '@theaterpedia.demo',
           CASE WHEN ($6::text[])[1 + g % cardinality($6::text[])] IS NOT NULL
                THEN ($6::text[])[1 + g % cardinality($6::text[])] || ' ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0') END,
           ($7::text[])[1 + g % cardinality($7::text[])], ($8::text[])[1 + g % cardinality($8::text[])],
           CASE WHEN g % 4 <> 0 THEN 'https://images.unsplash.com/photo-' || (1550000000000 + g::bigint * 6007) || '?w=800&h=600&fit=crop' END,
           'Theaterpädagog*in mit Schwerpunkt ' || ($9::text[])[1 + g % cardinality($9::text[])] || '. Arbeitet seit ' || (2000 + g % 24) || ' mit Gruppen aller Altersstufen.',
           ($10::int[])[1 + g % cardinality($10::int[])],
           CASE WHEN g % 3 = 0 THEN 'no' ELSE 'yes' END,
           CASE WHEN g % 2 = 0 THEN 'cover' END,
           CASE WHEN g % 5 <> 0 THEN '## ' || v.name || E'\\n\\n*' || ($9::text[])[1 + g % cardinality($9::text[])] || '*' END,
           timestamp '2023-04-01 08:00:00' + g * interval '97 seconds', NULL,
           g % 2 = 0 AND g <= $11,
           (ARRAY['small', 'medium', 'large', NULL])[1 + g % 4],
           v.img_id, ${IMAGE_CACHE_COLUMNS},
           CASE WHEN ($8::text[])[1 + g % cardinality($8::text[])] = 'base.cz' THEN 'cz' ELSE 'de' END
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT $2 + g AS id,
                               ($4::text[])[1 + (g * 5) % cardinality($4::text[])] || ' ' || ($5::text[])[1 + (g / 3) % cardinality($5::text[])] AS name,
                               CASE WHEN g % 8 = 0 THEN $3 + 1 + (g / 8) % $12 END AS img_id) AS v
    LEFT JOIN images im ON im.id = v.img_id`,
    [
      plan.instructors,
      bases.instructors,
      bases.images,
      FIRST_NAMES,
      LAST_NAMES,
      PHONE_PREFIXES,
      CITIES,
      COUNTRIES,
      TOPICS,
      statuses,
      plan.users,
      plan.images,
    ],
  );
}

async function insertLocations(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'locations',
    `
    INSERT INTO locations (id, xmlid, name, phone, email, city, zip, street, country_id, is_company, category_id, cimg, header_type, header_size,
                           md, is_location_provider, status_id, project_id, created_at, img_id, img_show, img_thumb, img_square, img_wide, img_vert, lang)
    SELECT v.id, 'bulk.location_' || v.id,
           (ARRAY['Kulturhaus', 'Probebühne', 'Theaterwerkstatt', 'Jugendzentrum', 'Spielstätte', 'Kulturscheune'])[1 + g % 6] || ' ' || v.city || ' ' || g,
           CASE WHEN ($4::text[])[v.c] IS NOT NULL THEN ($4::text[])[v.c] || ' ' || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0') END,
           'ort' || v.id || '@kultur.bulk.demo', v.city, ($5::text[])[v.c],
           ($6::text[])[1 + g % cardinality($6::text[])] || ' ' || (1 + g % 180),
           ($7::text[])[v.c], 'True', '_tp.location_tag',
           'https://images.unsplash.com/photo-' || (1520000000000 + g::bigint * 3571) || '?w=1600&h=900&fit=crop',
           'cover', 'prominent', '# Spielort ' || v.city, 'True',
           ($8::int[])[1 + g % cardinality($8::int[])],
           CASE WHEN g % 4 <> 0 THEN $9 + 1 + g % $10 END,
           timestamp '2023-05-01 08:00:00' + g * interval '113 seconds',
           v.img_id, ${IMAGE_CACHE_COLUMNS},
           CASE WHEN ($7::text[])[v.c] = 'base.cz' THEN 'cz' ELSE 'de' END
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT $2 + g AS id, 1 + g % cardinality($11::text[]) AS c, ($11::text[])[1 + g % cardinality($11::text[])] AS city,
                               CASE WHEN g % 15 = 0 THEN $3 + 1 + (g / 15) % $12 END AS img_id) AS v
    LEFT JOIN images im ON im.id = v.img_id`,
    [
      plan.locations,
      bases.locations,
      bases.images,
      PHONE_PREFIXES,
      ZIPS,
      STREETS,
      COUNTRIES,
      statuses,
      bases.projects,
      plan.projects,
      CITIES,
      plan.images,
    ],
  );
}

async function insertParticipants(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'participants',
    `
    INSERT INTO participants (id, xmlid, name, age, city, country_id, cimg, description, event_xmlid, type, status_id, created_at, is_user, lang)
    SELECT $2 + g, 'bulk.participant_' || ($2 + g),
           ($3::text[])[1 + (g * 11) % cardinality($3::text[])] || ' ' || ($4::text[])[1 + (g / 5) % cardinality($4::text[])],
           CASE g % 3 WHEN 0 THEN 6 + g % 7 WHEN 1 THEN 13 + g % 5 ELSE 18 + g % 60 END,
           ($5::text[])[1 + g % cardinality($5::text[])], ($6::text[])[1 + g % cardinality($6::text[])],
           CASE WHEN g % 6 <> 0 THEN 'https://images.unsplash.com/photo-' || (1510000000000 + g::bigint * 211) || '?w=400&h=300&fit=crop' END,
           CASE WHEN g % 10 <> 0 THEN 'Spielt gern ' || ($7::text[])[1 + g % cardinality($7::text[])] || ' und möchte mehr über Bühne, Stimme und Bewegung lernen.' END,
           'bulk.event_' || ($8 + 1 + g % $9),
           (ARRAY['children', 'teens', 'adults'])[1 + g % 3],
           ($10::int[])[1 + g % cardinality($10::int[])],
           timestamp '2023-06-01 08:00:00' + g * interval '29 seconds',
           g % 3 = 1 AND g <= $11,
           CASE WHEN ($6::text[])[1 + g % cardinality($6::text[])] = 'base.cz' THEN 'cz' ELSE 'de' END
    FROM generate_series(1, $1::int) AS g`,
    [
      plan.participants,
      bases.participants,
      FIRST_NAMES,
      LAST_NAMES,
      CITIES,
      COUNTRIES,
      TOPICS,
      bases.events,
      plan.events,
      statuses,
      plan.users,
    ],
  );
}

/**
 * The tags of record k are the tags at positions (k + j) % tagCount for j < tagsOf(k), where junction
 * row i links record (i % records) + 1 with j = i / records. tag_sets holds the resulting
 * tags_ids / tags_display per (k % tagCount, tagsOf(k), lang), as recompute_*_tags() would build them.
 */
const TAG_SETS_CTE = `
  tag_list AS (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS pos, id, name, name_i18n FROM tags),
  tag_sets AS (
    SELECT r.r, c.cnt, l.lang,
           COALESCE((SELECT array_agg(t.id ORDER BY t.id) FROM tag_list t
                     WHERE t.pos IN (SELECT (r.r + j) % $TAGS FROM generate_series(0, c.cnt - 1) AS j)), '{}') AS ids,
           COALESCE((SELECT array_agg(COALESCE(t.name_i18n ->> l.lang, t.name) ORDER BY t.name) FROM tag_list t
                     WHERE t.pos IN (SELECT (r.r + j) % $TAGS FROM generate_series(0, c.cnt - 1) AS j)), '{}') AS display
    FROM generate_series(0, GREATEST($TAGS - 1, 0)) AS r(r)
    CROSS JOIN generate_series(0, $TAGS) AS c(cnt)
    CROSS JOIN (VALUES ('de'), ('en'), ('cz')) AS l(lang)
  )`;

/** How many tags record g has, given `links` junction rows over `records` records. */
const TAGS_OF = (g: string, links: string, records: string, tags: string) =>
  `LEAST(${tags}, GREATEST(0, (${links} - ${g} + ${records}) / ${records}))`;

async function insertPosts(ctx: Context, statuses: number[], tagCount: number): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'posts',
    `
    WITH ${TAG_SETS_CTE.replaceAll('$TAGS', '$16::int')}
    INSERT INTO posts (id, xmlid, name, subtitle, teaser, author_id, blog_id, website_published, is_published, post_date, cover_properties,
                       event_xmlid, cimg, created_at, updated_at, status, public_user, header_type, md, status_id, lang, tags_ids, tags_display,
                       project_id, regio_id, img_id, img_show, img_thumb, img_square, img_wide, img_vert)
    SELECT v.id, 'bulk.post_' || v.id,
           '**' || ($5::text[])[1 + g % cardinality($5::text[])] || '** ' || ($6::text[])[1 + (g / 3) % cardinality($6::text[])],
           CASE WHEN g % 4 = 0 THEN 'Folge ' || (g % 40 + 1) END,
           ($7::text[])[1 + g % cardinality($7::text[])],
           'bulk.instructor_' || v.public_user, 'blog.blog_1',
           CASE WHEN g % 3 = 0 THEN 'False' ELSE 'True' END, CASE WHEN g % 3 = 0 THEN 'False' ELSE 'True' END,
           to_char(date '2023-01-01' + (g % 1000), 'YYYY-MM-DD'), '{}',
           CASE WHEN g % 2 = 0 THEN 'bulk.event_' || ($8 + 1 + g % $9) END,
           'https://images.unsplash.com/photo-' || (1530000000000 + g::bigint * 887) || '?w=1200&h=800&fit=crop',
           timestamp '2023-01-01 09:00:00' + g * interval '61 seconds',
           CASE WHEN g % 5 = 0 THEN to_char(timestamp '2024-09-01' + g * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
           CASE WHEN g % 3 = 0 THEN 'draft' ELSE 'published' END,
           v.public_user, 'cover',
           CASE WHEN g % 7 <> 0 THEN '# ' || ($6::text[])[1 + (g / 3) % cardinality($6::text[])] || E'\\n\\n' || ($7::text[])[1 + g % cardinality($7::text[])] END,
           ($10::int[])[1 + g % cardinality($10::int[])],
           v.lang, COALESCE(ts.ids, '{}'), COALESCE(ts.display, '{}'),
           v.project_id, pr.regio,
           v.img_id, ${IMAGE_CACHE_COLUMNS}
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT $2 + g AS id, $3 + 1 + g % $4 AS public_user,
                               (ARRAY['de', 'de', 'de', 'de', 'en', 'cz'])[1 + g % 6] AS lang,
                               CASE WHEN g % 8 <> 0 THEN $11 + 1 + g % $12 END AS project_id,
                               CASE WHEN g % 12 = 0 THEN $13 + 1 + (g / 12) % $14 END AS img_id) AS v
    LEFT JOIN projects pr ON pr.id = v.project_id
    LEFT JOIN images im ON im.id = v.img_id
    LEFT JOIN tag_sets ts ON ts.r = g % GREATEST($16::int, 1) AND ts.cnt = ${TAGS_OF('g', '$15::int', '$1::int', '$16::int')} AND ts.lang = v.lang`,
    [
      plan.posts,
      bases.posts,
      bases.instructors,
      plan.instructors,
      TOPICS,
      TITLES,
      TEASERS,
      bases.events,
      plan.events,
      statuses,
      bases.projects,
      plan.projects,
      bases.images,
      plan.images,
      plan.posts_tags,
      tagCount,
    ],
  );
}

async function insertEvents(ctx: Context, statuses: number[], tagCount: number): Promise<void> {
  const { plan, bases } = ctx;
  // Instructors 2, 4, …, 2·m are linked to users (is_user), so published events pick their public_user there.
  const linkedPairs = Math.floor(Math.min(plan.instructors, plan.users) / 2);
  await insert(
    ctx,
    'events',
    `
    WITH ${TAG_SETS_CTE.replaceAll('$TAGS', '$19::int')}
    INSERT INTO events (id, xmlid, name, date_begin, date_end, address_id, user_id, seats_max, cimg, header_type, rectitle, teaser, created_at,
                        updated_at, status, public_user, location, event_type, md, status_id, lang, tags_ids, tags_display, project_id, regio_id,
                        img_id, img_show, img_thumb, img_square, img_wide, img_vert)
    SELECT v.id, 'bulk.event_' || v.id,
           ($6::text[])[1 + g % cardinality($6::text[])] || ' **' || ($7::text[])[1 + (g / 5) % cardinality($7::text[])] || '**',
           to_char(v.starts, 'YYYY-MM-DD HH24:MI:SS'),
           to_char(v.starts + (1 + g % 3) * interval '3 hours' + (g % 4) * interval '1 day', 'YYYY-MM-DD HH24:MI:SS'),
           'bulk.location_' || v.location,
           CASE WHEN g % 4 = 0 THEN $8 + 1 + g % $9 END,
           CASE WHEN g % 50 = 0 THEN 150 ELSE 10 + g % 25 END,
           'https://images.unsplash.com/photo-' || (1540000000000 + g::bigint * 1009) || '?w=1600&h=900&fit=crop',
           'cover', ($6::text[])[1 + g % cardinality($6::text[])] || '-Workshop',
           ($10::text[])[1 + g % cardinality($10::text[])],
           timestamp '2023-01-02 10:00:00' + g * interval '59 seconds',
           CASE WHEN g % 6 = 0 THEN to_char(timestamp '2024-10-01' + g * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
           v.legacy_status,
           CASE WHEN v.legacy_status IN ('published', 'active', 'final') THEN $3 + 2 * (1 + (g / 3) % $5) ELSE $3 + 1 + g % $4 END,
           v.location,
           (ARRAY['workshop', 'course', 'performance', 'festival', 'project'])[1 + g % 5],
           CASE WHEN g % 7 <> 0 THEN '## ' || ($6::text[])[1 + g % cardinality($6::text[])] || E'\\n\\n' || ($10::text[])[1 + g % cardinality($10::text[])] END,
           ($11::int[])[1 + g % cardinality($11::int[])],
           v.lang, COALESCE(ts.ids, '{}'), COALESCE(ts.display, '{}'),
           v.project_id, pr.regio,
           v.img_id, ${IMAGE_CACHE_COLUMNS}
    FROM generate_series(1, $1::int) AS g
    CROSS JOIN LATERAL (SELECT $2 + g AS id,
                               timestamp '2025-01-10 09:00:00' + (g % 700) * interval '1 day' + (g % 5) * interval '2 hours' AS starts,
                               CASE WHEN $5 > 0 AND g % 3 = 0 THEN (ARRAY['published', 'active', 'final'])[1 + (g / 3) % 3]
                                    WHEN g % 3 = 1 THEN 'draft' WHEN g % 9 = 2 THEN 'new' END AS legacy_status,
                               $12 + 1 + g % $13 AS location,
                               (ARRAY['de', 'de', 'de', 'de', 'en', 'cz'])[1 + g % 6] AS lang,
                               CASE WHEN g % 10 <> 0 THEN $14 + 1 + g % $15 END AS project_id,
                               CASE WHEN g % 10 = 0 THEN $16 + 1 + (g / 10) % $17 END AS img_id) AS v
    LEFT JOIN projects pr ON pr.id = v.project_id
    LEFT JOIN images im ON im.id = v.img_id
    LEFT JOIN tag_sets ts ON ts.r = g % GREATEST($19::int, 1) AND ts.cnt = ${TAGS_OF('g', '$18::int', '$1::int', '$19::int')} AND ts.lang = v.lang`,
    [
      plan.events,
      bases.events,
      bases.instructors,
      plan.instructors,
      linkedPairs,
      TOPICS,
      TITLES,
      bases.users,
      plan.users,
      TEASERS,
      statuses,
      bases.locations,
      plan.locations,
      bases.projects,
      plan.projects,
      bases.images,
      plan.images,
      plan.events_tags,
      tagCount,
    ],
  );
}

async function insertJunctions(ctx: Context, tagCount: number): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'events_tags',
    `
    WITH tag_list AS (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS pos, id FROM tags)
    INSERT INTO events_tags (event_id, tag_id, created_at)
    SELECT $2 + (i % $3) + 1, t.id, timestamp '2024-03-01 12:00:00' + i * interval '7 seconds'
    FROM generate_series(0, $1::int - 1) AS i
    JOIN tag_list t ON t.pos = ((i % $3) + 1 + i / $3) % $4`,
    [plan.events_tags, bases.events, plan.events, Math.max(1, tagCount)],
  );
  await insert(
    ctx,
    'posts_tags',
    `
    WITH tag_list AS (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS pos, id FROM tags)
    INSERT INTO posts_tags (post_id, tag_id, created_at)
    SELECT $2 + (i % $3) + 1, t.id, timestamp '2024-03-02 12:00:00' + i * interval '7 seconds'
    FROM generate_series(0, $1::int - 1) AS i
    JOIN tag_list t ON t.pos = ((i % $3) + 1 + i / $3) % $4`,
    [plan.posts_tags, bases.posts, plan.posts, Math.max(1, tagCount)],
  );
  // Pairs stay distinct: for a fixed project (event) the offset i / n runs through distinct values.
  await insert(
    ctx,
    'project_members',
    `
    INSERT INTO project_members (project_id, user_id, role, added_at)
    SELECT $2 + (i % $3) + 1, $4 + ((i / $3 + i % $3) % $5) + 1,
           CASE WHEN i / $3 = 0 THEN 'owner' ELSE 'member' END,
           timestamp '2024-04-01 12:00:00' + i * interval '11 seconds'
    FROM generate_series(0, $1::int - 1) AS i`,
    [plan.project_members, bases.projects, plan.projects, bases.users, plan.users],
  );
  await insert(
    ctx,
    'event_instructors',
    `
    INSERT INTO event_instructors (event_id, instructor_id, added_at)
    SELECT $2 + (i % $3) + 1, $4 + ((i / $3 + i % $3) % $5) + 1, timestamp '2024-05-01 12:00:00' + i * interval '5 seconds'
    FROM generate_series(0, $1::int - 1) AS i`,
    [plan.event_instructors, bases.events, plan.events, bases.instructors, plan.instructors],
  );
}

async function insertInteractions(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'interactions',
    `
    INSERT INTO interactions (id, user_id, name, project_id, "timestamp", status_id, actions, to_mail, from_mail, subject, md, fields)
    SELECT $2 + g,
           CASE WHEN g % 3 <> 0 THEN $3 + 1 + g % $4 END,
           (ARRAY['kontaktformular', 'anmeldung', 'newsletter', 'feedback'])[1 + g % 4],
           CASE WHEN g % 5 <> 0 THEN $5 + 1 + g % $6 END,
           timestamp '2024-01-01 00:00:00' + g * interval '37 seconds',
           ($7::int[])[1 + g % cardinality($7::int[])],
           CASE WHEN g % 2 = 0 THEN jsonb_build_object('notify', jsonb_build_array('team@bulk.demo'), 'confirm', g % 4 = 0) END,
           'projekt' || ($5 + 1 + g % $6) || '@bulk.crearis.demo',
           CASE WHEN g % 3 <> 0 THEN 'user' || ($3 + 1 + g % $4) || '@bulk.crearis.demo' ELSE 'gast' || g || '@web.bulk.demo' END,
           'Anfrage Nr. ' || g || ' – Plätze frei?',
           CASE WHEN g % 4 <> 0 THEN 'Hallo, gibt es noch **freie Plätze**? Grüße aus ' || ($8::text[])[1 + g % cardinality($8::text[])] END,
           jsonb_build_object('personen', 1 + g % 4, 'telefon', '0' || lpad(((g::bigint * 31337) % 1000000000)::text, 9, '0'))
    FROM generate_series(1, $1::int) AS g`,
    [plan.interactions, bases.interactions, bases.users, plan.users, bases.projects, plan.projects, statuses, CITIES],
  );
}

async function insertPages(ctx: Context): Promise<void> {
  const { plan, bases } = ctx;
  await insert(
    ctx,
    'pages',
    `
    INSERT INTO pages (id, project, header_type, page_type, created_at, updated_at, page_options, header_options, aside_options, footer_options)
    SELECT md5('bulk-page:' || v.project || ':' || v.page_type)::uuid::text, v.project,
           (ARRAY['simple', 'columns', 'banner', 'cover', 'bauchbinde'])[1 + i % 5], v.page_type,
           timestamp '2024-02-01 08:00:00' + i * interval '3 minutes', timestamp '2024-02-02 08:00:00' + i * interval '3 minutes',
           CASE WHEN i % 3 = 0 THEN jsonb_build_object('layout', 'wide', 'sections', jsonb_build_array('events', 'posts')) ELSE '{}' END,
           CASE WHEN i % 4 = 0 THEN jsonb_build_object('claim', 'Bühne frei!') ELSE '{}' END,
           '{}', CASE WHEN i % 5 = 0 THEN jsonb_build_object('gallery', 'g' || i) ELSE '{}' END
    FROM generate_series(0, $1::int - 1) AS i
    CROSS JOIN LATERAL (SELECT $2 + (i % $3) + 1 AS project, ($4::text[])[1 + (i / $3) % cardinality($4::text[])] AS page_type) AS v`,
    [plan.pages, bases.projects, plan.projects, PAGE_TYPES],
  );
}

async function insertTasks(ctx: Context, statuses: number[]): Promise<void> {
  const { plan, bases, taskBase } = ctx;
  await insert(
    ctx,
    'tasks',
    `
    INSERT INTO tasks (id, name, description, category, priority, record_type, record_id, assigned_to, created_at, due_date, completed_at,
                       status_id, entity_name, lang)
    SELECT 'bulk_task_' || ($2 + g),
           (ARRAY['Texte prüfen', 'Fotos hochladen', 'Übersetzung ergänzen', 'Termin bestätigen', 'Rechnung schreiben'])[1 + g % 5] || ' #' || g,
           CASE WHEN g % 3 <> 0 THEN 'Bitte bis Ende der Woche erledigen – Rückfragen an das Büro.' END,
           (ARRAY['project', 'base', 'admin', 'main'])[1 + g % 4],
           (ARRAY['low', 'medium', 'medium', 'high', 'urgent'])[1 + g % 5],
           CASE WHEN g % 2 = 0 THEN 'event' END,
           CASE WHEN g % 2 = 0 THEN 'bulk.event_' || ($3 + 1 + g % $4) END,
           CASE WHEN g % 3 <> 0 THEN 'user' || ($5 + 1 + g % $6) || '@bulk.crearis.demo' END,
           timestamp '2024-06-01 08:00:00' + g * interval '83 seconds',
           CASE WHEN g % 4 <> 0 THEN to_char(date '2025-01-01' + g % 365, 'YYYY-MM-DD') END,
           CASE WHEN g % 6 = 0 THEN to_char(timestamp '2025-02-01' + g * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
           ($7::int[])[1 + g % cardinality($7::int[])],
           CASE WHEN g % 2 = 0 THEN 'Veranstaltung ' || ($3 + 1 + g % $4) END,
           (ARRAY['de', 'de', 'en', 'cz'])[1 + g % 4]
    FROM generate_series(1, $1::int) AS g`,
    [plan.tasks, taskBase, bases.events, plan.events, bases.users, plan.users, statuses],
  );
}

/** Every 4th project shows an image; projects are loaded before images, so the link comes last. */
async function linkProjectImages(ctx: Context): Promise<void> {
  const { plan, bases } = ctx;
  await ctx.client.query(
    `
    UPDATE projects p
    SET img_id = i.id, img_show = COALESCE(i.img_show, FALSE), img_thumb = i.img_thumb, img_square = i.img_square,
        img_wide = i.img_wide, img_vert = i.img_vert
    FROM generate_series(4, $1::int, 4) AS g
    JOIN images i ON i.id = $3 + 1 + g % $4
    WHERE p.id = $2 + g`,
    [plan.projects, bases.projects, bases.images, plan.images],
  );
}

/** Columns that AFTER triggers elsewhere would have set once the referenced rows existed. */
async function finishDerivedColumns(ctx: Context): Promise<void> {
  const { plan, bases, client } = ctx;
  const projectIds = [bases.projects + 1, bases.projects + plan.projects];
  await linkProjectImages(ctx);
  await client.query(
    `
    UPDATE projects p SET is_location_provider = TRUE
    WHERE p.id BETWEEN $1 AND $2
      AND EXISTS (SELECT 1 FROM locations l WHERE l.project_id = p.id AND l.status_id > 2)`,
    projectIds,
  );
  await client.query(
    `
    WITH regio_people AS (
        SELECT p.id AS regio, p.owner_id AS user_id FROM projects p WHERE p.is_regio AND p.owner_id IS NOT NULL
        UNION ALL
        SELECT p.id, m.value::int FROM projects p CROSS JOIN LATERAL jsonb_array_elements_text(p.member_ids) AS m(value)
        WHERE p.is_regio AND jsonb_typeof(p.member_ids) = 'array'
    ),
    first_regio AS (
        SELECT u.instructor_id, min(rp.regio) AS regio
        FROM users u JOIN regio_people rp ON rp.user_id = u.id
        WHERE u.instructor_id BETWEEN $1 AND $2
        GROUP BY u.instructor_id
    )
    UPDATE instructors i SET regio_id = f.regio
    FROM first_regio f
    WHERE i.id = f.instructor_id AND i.is_user`,
    [bases.instructors + 1, bases.instructors + plan.instructors],
  );
  for (const table of SERIAL_TABLES) {
    await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1))`);
  }
  ctx.progress('derived columns and sequences updated');
}

async function withTriggersOff(client: pg.ClientBase, load: () => Promise<void>): Promise<void> {
  const superuser = (await client.query<{ su: string }>(`SELECT current_setting('is_superuser') AS su`)).rows[0].su === 'on';
  await client.query('BEGIN');
  try {
    // replica also skips FK checks (the data is consistent by construction) and ends with the
    // transaction. Without superuser rights only the user triggers go off (FK checks stay, which is
    // why the tables load in FK order), and they are back on before the commit.
    if (superuser) await client.query('SET LOCAL session_replication_role = replica');
    else for (const t of LOADED_TABLES) await client.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    await load();
    if (!superuser) for (const t of LOADED_TABLES) await client.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/**
 * Adds about `rows` rows, spread over the Crearis tables like real data, to a database that holds
 * crearis-schema.sql (with or without demo data). Returns the rows added per table. Runs in a
 * transaction of its own, so call it outside of one.
 */
export async function seedCrearisBulk(client: pg.ClientBase, options: CrearisBulkOptions): Promise<Record<string, number>> {
  const progress = options.onProgress ?? (() => undefined);
  const tagCount = await countRows(client, 'tags');
  const plan = planCounts(Math.max(0, Math.floor(options.rows)), tagCount);
  const statuses = {
    users: await statusIds(client, 'users'),
    projects: await statusIds(client, 'projects'),
    images: await statusIds(client, 'images'),
    persons: await statusIds(client, 'persons'),
    posts: await statusIds(client, 'posts'),
    events: await statusIds(client, 'events'),
    interactions: await statusIds(client, 'interactions'),
    tasks: await statusIds(client, 'tasks'),
  };
  const ctx: Context = {
    client,
    plan,
    bases: await idBases(client),
    taskBase: await countRows(client, 'tasks'),
    counts: {},
    progress,
  };
  progress(`planned ${Object.values(plan).reduce((a, b) => a + b, 0)} rows`);
  await withTriggersOff(client, async () => {
    // In FK order, so the loader also works where only user triggers can be switched off.
    await insertUsers(ctx, statuses.users);
    await insertProjects(ctx, statuses.projects);
    await insertImages(ctx, statuses.images);
    await insertInstructors(ctx, statuses.persons);
    await insertLocations(ctx, statuses.persons);
    await insertParticipants(ctx, statuses.persons);
    await linkUsers(ctx);
    await insertPosts(ctx, statuses.posts, tagCount);
    await insertEvents(ctx, statuses.events, tagCount);
    await insertJunctions(ctx, tagCount);
    await insertInteractions(ctx, statuses.interactions);
    await insertPages(ctx);
    await insertTasks(ctx, statuses.tasks);
    await finishDerivedColumns(ctx);
  });
  const analyzed = Date.now();
  await client.query(`ANALYZE ${LOADED_TABLES.join(', ')}`);
  progress(`analyzed in ${Date.now() - analyzed} ms`);
  return ctx.counts;
}
