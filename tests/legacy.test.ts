// Archives of the original MR4 system (format 1.0): a Crearis database with the demo data is written the
// way the original export did, then imported into a fresh Crearis database. What the format identifies
// must arrive with its references resolved by natural keys; every reference it cannot identify must be
// NULL in the target and reported; the value damage the original did must be warned about.
import { join } from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, test } from 'vitest';
import type { ImportReport, RowProblem } from '../src-common/contract';
import { crearisDemoCounts, seedCrearisDemo } from '../src-main/demo/crearis-demo-data';
import { fingerprint, rowVersions } from './helpers/compare';
import type { TestDb } from './helpers/db';
import { counts, crearisSchemaSql, databasesForFile, importInto, scratchDir, totals } from './helpers/engine';
import { writeLegacyArchive } from './fixtures/legacy/make-legacy-archive';

const dir = scratchDir();
const newDb = databasesForFile();
const crearis = () => newDb(crearisSchemaSql);

/** The exporting server ran on CET: node-postgres read its TIMESTAMPs one hour ahead of UTC. */
const OFFSET_MINUTES = 60;

/** One text line per row of `sql` (which selects a single text column named r), sorted. */
async function lines(client: pg.ClientBase, sql: string): Promise<string[]> {
  const res = await client.query<{ r: string }>(sql);
  return res.rows.map((r) => r.r).sort();
}

function problems(report: ImportReport, table: string, column?: string): RowProblem[] {
  return report.failures.filter((f) => f.table === table && (column === undefined || f.column === column));
}

describe('an archive of the original MR4 system (format 1.0)', () => {
  let source: TestDb;
  let target: TestDb;
  let archive: string;
  let report: ImportReport;

  beforeAll(async () => {
    source = await crearis();
    target = await crearis();
    await seedCrearisDemo(source.client);
    // One project with a domain: the 1.0 format never exported domains.
    await source.client.query(`
      INSERT INTO domains (sysdomain_id, tld, textdomain, project_id)
      SELECT s.id, s.tld, 'spielraum', p.id FROM sysdomains s, projects p WHERE s.domain = 'theaterpedia' AND p.domaincode = 'spielraum_regensburg'`);
    await source.client.query(`UPDATE projects SET domain_id = (SELECT max(id) FROM domains) WHERE domaincode = 'spielraum_regensburg'`);
    archive = join(dir, 'backup_demo-data.db.tar.gz');
    await writeLegacyArchive({ url: source.url, out: archive, utcOffsetMinutes: OFFSET_MINUTES, description: 'legacy fixture' });
    // Events whose legacy status is published/active/final need a public_user with an account (the
    // target's trg_validate_event_status checks it); the 1.0 archive cannot say which instructor that
    // is, and with the trigger on the import stops at the first such event. So this first import runs
    // with the target's triggers disabled; the repeated import below runs with them on. Rows the 1.0
    // archive cannot express are reported and counted as failed without stopping the run.
    report = await importInto(target, archive, 'skip', { disableTriggers: true });
  });

  test('is recognised and imported table by table', () => {
    expect(report.archive.format).toBe('1.0 (original MR4)');
    expect(report.archive.database).toBe('demo-data.db');
    const c = counts(report);
    // The target's own seed rows (021) are recognised by their natural keys and skipped.
    expect(c.status).toMatchObject({ inserted: 0, skipped: 81 });
    expect(c.tags).toMatchObject({ inserted: 0, skipped: 4 });
    expect(c.users).toMatchObject({ inserted: crearisDemoCounts.users, skipped: 6 });
    expect(c.projects).toMatchObject({ inserted: crearisDemoCounts.projects, skipped: 2 });
    expect(c.project_members).toMatchObject({ inserted: crearisDemoCounts.project_members, skipped: 3 });
    expect(c.pages).toMatchObject({ inserted: crearisDemoCounts.pages, skipped: 2 });
    for (const t of ['images', 'instructors', 'locations', 'participants', 'posts', 'events', 'interactions', 'tasks'] as const) {
      expect(c[t], t).toMatchObject({ inserted: crearisDemoCounts[t], skipped: 0, failed: 0 });
    }
    // Junction tables whose rows cannot be identified are listed, with nothing written.
    for (const t of ['events_tags', 'posts_tags', 'event_instructors']) expect(c[t], t).toMatchObject({ inserted: 0 });
  });

  test('rows of tables whose ids were exported arrive with their references resolved', async () => {
    const projects = `SELECT p.domaincode || '|' || COALESCE(o.sysmail, '-') || '|' || COALESCE(r.domaincode, '-') || '|' || s.name AS r
                      FROM projects p LEFT JOIN users o ON o.id = p.owner_id LEFT JOIN projects r ON r.id = p.regio JOIN status s ON s.id = p.status_id`;
    expect(await lines(target.client, projects)).toEqual(await lines(source.client, projects));
    const users = `SELECT u.sysmail || '|' || COALESCE(i.xmlid, '-') || '|' || COALESCE(s.name, '-') || '|' || COALESCE(img.xmlid, '-') AS r
                   FROM users u LEFT JOIN instructors i ON i.id = u.instructor_id LEFT JOIN status s ON s.id = u.status_id LEFT JOIN images img ON img.id = u.img_id`;
    expect(await lines(target.client, users)).toEqual(await lines(source.client, users));
    // Seven users are instructors: linked through instructor_xmlid although instructors carry no ids.
    expect((await lines(target.client, users)).filter((l) => l.split('|')[1] !== '-')).toHaveLength(7);
    const images = `SELECT COALESCE(i.xmlid, i.name) || '|' || COALESCE(p.domaincode, '-') || '|' || COALESCE(o.sysmail, '-') || '|' || i.license AS r
                    FROM images i LEFT JOIN projects p ON p.id = i.project_id LEFT JOIN users o ON o.id = i.owner_id`;
    expect(await lines(target.client, images)).toEqual(await lines(source.client, images));
    const members = `SELECT p.domaincode || '|' || u.sysmail || '|' || COALESCE(m.role, '-') AS r
                     FROM project_members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id`;
    expect(await lines(target.client, members)).toEqual(await lines(source.client, members));
    const tasks = `SELECT t.id || '|' || t.name || '|' || s.name || '|' || s."table" AS r FROM tasks t JOIN status s ON s.id = t.status_id`;
    expect(await lines(target.client, tasks)).toEqual(await lines(source.client, tasks));
    const pages = `SELECT p.domaincode || '|' || g.page_type || '|' || g.header_type || '|' || g.page_options::text AS r FROM pages g JOIN projects p ON p.id = g.project`;
    expect(await lines(target.client, pages)).toEqual(await lines(source.client, pages));
    const interactions = `SELECT i.name || '|' || COALESCE(u.sysmail, '-') || '|' || COALESCE(p.domaincode, '-') || '|' || s.name || '|' || COALESCE(i.fields::text, '-') AS r
                          FROM interactions i LEFT JOIN users u ON u.id = i.user_id LEFT JOIN projects p ON p.id = i.project_id JOIN status s ON s.id = i.status_id`;
    expect(await lines(target.client, interactions)).toEqual(await lines(source.client, interactions));
  });

  test('rows of tables without exported ids arrive, with references to exported tables resolved', async () => {
    for (const [table, extra] of [
      ['instructors', `COALESCE(img.xmlid, '-') || '|' || s.name`],
      ['locations', `COALESCE(p.domaincode, '-') || '|' || s.name`],
      ['participants', `s.name || '|' || t.age::text`],
      ['posts', `COALESCE(p.domaincode, '-') || '|' || COALESCE(img.xmlid, '-') || '|' || s.name || '|' || COALESCE(r.domaincode, '-')`],
      ['events', `COALESCE(p.domaincode, '-') || '|' || COALESCE(u.sysmail, '-') || '|' || s.name || '|' || COALESCE(r.domaincode, '-')`],
    ] as const) {
      const joins = [
        'LEFT JOIN status s ON s.id = t.status_id',
        ...(['posts', 'events', 'locations'].includes(table) ? ['LEFT JOIN projects p ON p.id = t.project_id'] : []),
        ...(['posts', 'events'].includes(table) ? ['LEFT JOIN projects r ON r.id = t.regio_id'] : []),
        ...(['posts', 'instructors'].includes(table) ? ['LEFT JOIN images img ON img.id = t.img_id'] : []),
        ...(table === 'events' ? ['LEFT JOIN users u ON u.id = t.user_id'] : []),
      ].join(' ');
      const sql = `SELECT t.xmlid || '|' || ${extra} AS r FROM ${table} t ${joins}`;
      const got = await lines(target.client, sql);
      expect(got, table).toEqual(await lines(source.client, sql));
      expect(got.length, table).toBe(crearisDemoCounts[table]);
    }
    expect(await lines(target.client, `SELECT name || '|' || COALESCE(description, '-') AS r FROM tags`)).toEqual(
      await lines(source.client, `SELECT name || '|' || COALESCE(description, '-') AS r FROM tags`),
    );
  });

  test('every reference the archive cannot identify is NULL in the target and reported with its row', async () => {
    const expectNulled = async (table: string, column: string, parent: string) => {
      const keyed = await source.client.query<{ k: string; v: number }>(
        `SELECT ${table === 'users' ? 'sysmail' : 'xmlid'} AS k, ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`,
      );
      expect(keyed.rowCount, `${table}.${column} in the source`).toBeGreaterThan(0);
      const reported = problems(report, table, column);
      expect(reported.map((p) => Object.values(p.key ?? {})[0]).sort(), `${table}.${column}`).toEqual(keyed.rows.map((r) => r.k).sort());
      for (const p of reported) {
        expect(p.reason).toMatch(
          new RegExp(`^${column} refers to ${parent} id \\d+, which the 1\\.0 archive does not identify.*imported with ${column} NULL$`),
        );
        expect(p.row).toBeGreaterThan(0);
      }
      const left = await target.client.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} IS NOT NULL`);
      expect(left.rows[0].n, `${table}.${column} in the target`).toBe(0);
    };
    await expectNulled('events', 'public_user', 'instructors');
    await expectNulled('events', 'location', 'locations');
    await expectNulled('posts', 'public_user', 'instructors');
    await expectNulled('users', 'participant_id', 'participants');
    // A reference to a table the format never carries.
    expect(problems(report, 'projects')).toEqual([
      {
        table: 'projects',
        key: { domaincode: 'spielraum_regensburg' },
        row: expect.any(Number),
        column: 'domain_id',
        reason: expect.stringMatching(
          /^domain_id refers to domains id \d+, which the 1\.0 archive does not carry; imported with domain_id NULL$/,
        ),
      },
    ]);
    expect((await target.client.query(`SELECT count(*)::int AS n FROM projects WHERE domain_id IS NOT NULL`)).rows[0].n).toBe(0);
    expect((await target.client.query(`SELECT count(*)::int AS n FROM domains`)).rows[0].n).toBe(0);
    // instructor_id was derived from instructor_xmlid, so it is not among them.
    expect(problems(report, 'users', 'instructor_id')).toEqual([]);
  });

  test('junction rows that cannot be identified are reported one by one, not silently skipped', async () => {
    for (const [table, n] of [
      ['events_tags', crearisDemoCounts.events_tags],
      ['posts_tags', crearisDemoCounts.posts_tags],
      ['event_instructors', crearisDemoCounts.event_instructors],
    ] as const) {
      const reported = problems(report, table);
      expect(reported, table).toHaveLength(n);
      for (const p of reported) {
        expect(p.key).not.toBeNull();
        expect(p.reason).toMatch(/refers to (events|posts) id \d+, which the 1\.0 archive does not identify/);
        expect(p.reason).toMatch(/the row was not imported$/);
      }
      expect((await target.client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, table).toBe(0);
    }
    // Every failure names its table, its row and why; nothing else is reported.
    const reportedTables = new Set(report.failures.map((f) => f.table));
    expect([...reportedTables].sort()).toEqual(['event_instructors', 'events', 'events_tags', 'posts', 'posts_tags', 'projects', 'users']);
    for (const f of report.failures) expect(f.reason.length).toBeGreaterThan(20);
  });

  test('bytea arrives as the original bytes, JSON and arrays as their values', async () => {
    const bytes = `SELECT COALESCE(xmlid, name) || '|' || COALESCE(encode(ctags, 'hex'), '-') || '|' || COALESCE(encode(rtags, 'hex'), '-') AS r FROM images`;
    const got = await lines(target.client, bytes);
    expect(got).toEqual(await lines(source.client, bytes));
    expect(got.some((l) => l.endsWith('|0102'))).toBe(true);
    const json = `SELECT COALESCE(xmlid, name) || '|' || COALESCE(geo::text, '-') || '|' || COALESCE(shape_wide::text, '-') || '|' || COALESCE(author::text, '-') || '|' || fileformat::text AS r FROM images`;
    expect(await lines(target.client, json)).toEqual(await lines(source.client, json));
    const arrays = `SELECT domaincode || '|' || COALESCE(member_ids::text, '-') || '|' || COALESCE(config::text, '-') || '|' || COALESCE(header_alert::text, '-') AS r FROM projects`;
    expect(await lines(target.client, arrays)).toEqual(await lines(source.client, arrays));
  });

  test('the damage the original export did is warned about', async () => {
    const w = report.warnings.join('\n');
    // Bug 10: numeric-looking text became numbers; zip codes lost their leading zeros.
    expect(w).toMatch(/locations\.zip is text, but the 1\.0 archive holds \d+ of its values as numbers \(e\.g\. \d{4}\).*leading zeros/);
    expect(report.warnings.filter((x) => x.startsWith('locations.zip '))).toHaveLength(1);
    const zip = async (db: TestDb, xmlid: string) =>
      (await db.client.query(`SELECT zip FROM locations WHERE xmlid = $1`, [xmlid])).rows[0].zip;
    expect(await zip(source, '_demo.location_kulturhaus_altmarkt')).toBe('01067');
    expect(await zip(target, '_demo.location_kulturhaus_altmarkt')).toBe('1067');
    expect(await zip(target, '_demo.location_spielhaus_donaumarkt')).toBe('93047');
    expect(await zip(target, '_demo.location_klub_kultury_cheb')).toBe('350 02');
    // Bug 13: TIMESTAMP values went through a JS Date and came out as UTC instants.
    expect(w).toMatch(/events: created_at \(timestamp without time zone\) were written by the original exporter as UTC instants/);
    expect(report.warnings.filter((x) => x.startsWith('events: '))).toHaveLength(1);
    const created = `SELECT xmlid || '|' || to_char(created_at, 'YYYY-MM-DD HH24:MI:SS') AS r FROM events`;
    const shifted = `SELECT xmlid || '|' || to_char(created_at - interval '${OFFSET_MINUTES} minutes', 'YYYY-MM-DD HH24:MI:SS') AS r FROM events`;
    expect(await lines(target.client, created)).toEqual(await lines(source.client, shifted));
    // Bug 5: the generated tasks.status_display was exported; it is dropped, the target computes it.
    expect(w).toMatch(/tasks\.status_display is a generated column in the target; its archived values are dropped/);
    const display = `SELECT id || '|' || COALESCE(status_display, '-') AS r FROM tasks`;
    expect(await lines(target.client, display)).toEqual(await lines(source.client, display));
    // The summary names the tables without ids.
    expect(w).toMatch(/carries no ids for tags, instructors, locations, participants, posts, events/);
  });

  test('importing the same archive again inserts and changes nothing', async () => {
    const tables = [
      'users',
      'projects',
      'images',
      'instructors',
      'locations',
      'participants',
      'posts',
      'events',
      'interactions',
      'pages',
      'tasks',
      'tags',
      'project_members',
    ];
    const before = await rowVersions(target.client, tables);
    const again = await importInto(target, archive, 'skip');
    // The junction rows the archive cannot identify fail again, and only they.
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: totals(report).failed });
    expect(await rowVersions(target.client, tables)).toEqual(before);
    // The same references are reported again: they still cannot be resolved.
    expect(again.failures.length).toBe(report.failures.length);
  });
});

describe("a 1.0 archive with the target's triggers firing", () => {
  test('--allow-failures refuses each row a trigger rejects and imports the rest', async () => {
    const source = await crearis();
    const target = await crearis();
    await seedCrearisDemo(source.client);
    const file = join(dir, 'legacy-triggers.tar.gz');
    await writeLegacyArchive({ url: source.url, out: file });
    // Without it, the first rejected event stops the run and nothing is written.
    await expect(importInto(target, file, 'skip')).rejects.toThrow(/Inserting into events failed at row \d+ .*public_user/);
    const r = await importInto(target, file, 'skip', { allowFailures: true });
    const events = counts(r).events;
    expect(events.failed).toBeGreaterThan(0);
    expect(events.inserted + events.failed).toBe(crearisDemoCounts.events);
    const rejected = r.failures.filter((f) => f.table === 'events' && /Cannot publish event/.test(f.reason));
    expect(rejected.length).toBe(events.failed);
    expect((await target.client.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(events.inserted);
  });
});

describe('a broken 1.0 archive', () => {
  test('a file that index.json lists but the archive lacks stops the import; the target is unchanged', async () => {
    const source = await crearis();
    const target = await crearis();
    await seedCrearisDemo(source.client);
    const broken = join(dir, 'missing-events.tar.gz');
    await writeLegacyArchive({ url: source.url, out: broken, omitFiles: ['events.json'] });
    const before = await fingerprint(target.client);
    await expect(importInto(target, broken, 'skip', { allowFailures: true, disableTriggers: true })).rejects.toThrow(
      /the archive lacks events\.json, which its index\.json lists for table events[\s\S]*Nothing was written to the target/,
    );
    expect(await fingerprint(target.client)).toBe(before);
  });

  test('a table file that does not match its checksum in index.json stops the import', async () => {
    const source = await crearis();
    const target = await crearis();
    const altered = join(dir, 'altered.tar.gz');
    await writeLegacyArchive({ url: source.url, out: altered, tamper: { 'tags.json': (text) => text.replace('"child"', '"kid"') } });
    const before = await fingerprint(target.client);
    await expect(importInto(target, altered, 'skip', { allowFailures: true })).rejects.toThrow(/tags\.json does not match its checksum/);
    expect(await fingerprint(target.client)).toBe(before);
  });
});
