// The seed's two workflows on the Crearis schema, end to end through archives.
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { applyDevEdits, applyProductionEdits, crearisEditScenario, seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import type { TestDb } from '../helpers/db';
import { compareDatabases, rowCounts, rowVersions } from '../helpers/compare';
import { crearisSchemaSql, exportDb, databasesForFile, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const newDb = databasesForFile();
const crearis = () => newDb(crearisSchemaSql);

const SYSTEM_PASSWORDS = ['users.password'];
// Rows the migrations seed carry each database's load time; skip mode keeps production's.
const SEEDED = ['i18n_codes', 'users', 'projects', 'pages', 'project_members'];
const SEED_TIMES = SEEDED.flatMap((t) => [`${t}.created_at`, `${t}.updated_at`, `${t}.added_at`]);

describe('scenario 1: dev → empty production', () => {
  let dev: TestDb;
  let prod: TestDb;
  beforeAll(async () => {
    dev = await crearis();
    prod = await crearis();
    await seedCrearisDemo(dev.client);
  });

  test('every dev row arrives in production, references resolved by natural keys', async () => {
    const archive = join(dir, 'dev.tar.gz');
    await exportDb(dev, archive);
    const report = await importInto(prod, archive, 'skip');
    expect(report.failures).toEqual([]);
    // The 021 seeds exist on both sides and are skipped; everything else is new.
    expect(report.tables.find((t) => t.table === 'status')).toMatchObject({ inserted: 0, skipped: 81 });
    expect(report.tables.find((t) => t.table === 'users')).toMatchObject({ inserted: 17, skipped: 6 });
    expect(report.tables.find((t) => t.table === 'events')).toMatchObject({ inserted: 21, skipped: 0 });
    expect(report.tables.find((t) => t.table === 'event_instructors')).toMatchObject({ inserted: 33 });
    // Rows compared with ids replaced by what they point at; system users keep production's hash.
    const all = (await dev.client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map(
      (r) => r.tablename as string,
    );
    const unseeded = all.filter((t) => !SEEDED.includes(t));
    expect(await compareDatabases(dev.client, prod.client, { tables: unseeded })).toEqual([]);
    expect(await compareDatabases(dev.client, prod.client, { tables: SEEDED, ignore: [...SYSTEM_PASSWORDS, ...SEED_TIMES] })).toEqual([]);
  });

  test('a repeated skip import writes nothing', async () => {
    const archive = join(dir, 'dev.tar.gz');
    const before = await rowVersions(prod.client, ['users', 'projects', 'events', 'images', 'pages', 'project_members']);
    const report = await importInto(prod, archive, 'skip');
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, ['users', 'projects', 'events', 'images', 'pages', 'project_members'])).toEqual(before);
  });
});

describe('scenario 2: production → fresh dev → changes → merge back', () => {
  let prod: TestDb;
  let dev: TestDb;
  let prodUsersBefore: number;
  beforeAll(async () => {
    prod = await crearis();
    dev = await crearis();
    await seedCrearisDemo(prod.client);
  });

  test('pulling production into a fresh dev database makes dev equal to production', async () => {
    const archive = join(dir, 'prod.tar.gz');
    await exportDb(prod, archive);
    const report = await importInto(dev, archive, 'merge');
    expect(report.failures).toEqual([]);
    // Dev's own seeded rows (tp pages, system users) are matched, not duplicated.
    expect(report.tables.find((t) => t.table === 'pages')).toMatchObject({ inserted: 4 });
    expect(await compareDatabases(prod.client, dev.client, { ignore: SYSTEM_PASSWORDS })).toEqual([]);
  });

  test('dev edits and additions merge into production; production-only rows survive', async () => {
    await applyDevEdits(dev.client);
    await applyProductionEdits(prod.client);
    prodUsersBefore = (await rowCounts(prod.client, ['users'])).users;
    const archive = join(dir, 'dev-after-work.tar.gz');
    await exportDb(dev, archive);
    const report = await importInto(prod, archive, 'merge');
    expect(report.failures).toEqual([]);
    const s = crearisEditScenario;
    // New dev rows are in production.
    for (const xmlid of s.dev.addedEvents) {
      expect((await prod.client.query('SELECT 1 FROM events WHERE xmlid = $1', [xmlid])).rowCount).toBe(1);
    }
    expect((await prod.client.query('SELECT 1 FROM images WHERE xmlid = $1', [s.dev.addedImage])).rowCount).toBe(1);
    // Dev's edit of a project reached production.
    const devProject = await dev.client.query('SELECT teaser, description FROM projects WHERE domaincode = $1', [
      s.dev.editedProject.domaincode,
    ]);
    const prodProject = await prod.client.query('SELECT teaser, description FROM projects WHERE domaincode = $1', [
      s.dev.editedProject.domaincode,
    ]);
    expect(prodProject.rows[0]).toEqual(devProject.rows[0]);
    // Production's own new user is still there; nothing was deleted.
    expect((await prod.client.query('SELECT 1 FROM users WHERE sysmail = $1', [s.production.addedUser])).rowCount).toBe(1);
    expect((await rowCounts(prod.client, ['users'])).users).toBe(prodUsersBefore);
    // Every dev row is now in production (production may hold more).
    expect(await compareDatabases(dev.client, prod.client, { ignore: SYSTEM_PASSWORDS, targetMayHaveMore: true })).toEqual([]);
    // A merge never overwrites an insert-only column: production keeps its system users' hashes.
    const hashes = async (db: TestDb) =>
      (await db.client.query(`SELECT password FROM users WHERE sysmail = 'admin@theaterpedia.org'`)).rows[0].password;
    expect(await hashes(prod)).not.toBe(await hashes(dev));
  });

  test('merging the same archive again rewrites no row at all', async () => {
    const archive = join(dir, 'dev-after-work.tar.gz');
    const tables = [
      'users',
      'projects',
      'images',
      'instructors',
      'locations',
      'participants',
      'posts',
      'events',
      'pages',
      'tasks',
      'events_tags',
      'project_members',
      'event_instructors',
      'status',
      'tags',
    ];
    const before = await rowVersions(prod.client, tables);
    const report = await importInto(prod, archive, 'merge');
    expect(totals(report)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, tables)).toEqual(before);
  });
});
