// Shorthands for engine tests: export and import against test databases, Crearis databases loaded
// from the schema file (each load gets its own random system-user passwords and page ids).
import { readFileSync } from 'node:fs';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { exportArchive, type ExportOptions } from '../../src-main/engine/export';
import { importArchive, type ImportOptions } from '../../src-main/engine/import/index';
import { afterAll } from 'vitest';
import { createTestDb, type TestDb } from './db';
import { tempDir } from './temp';

export const crearisSchemaSql = readFileSync(new URL('../../src-main/demo/crearis-schema.sql', import.meta.url), 'utf8');
export const shopSchemaSql = readFileSync(new URL('../fixtures/schemas/shop.sql', import.meta.url), 'utf8');
export const allTypesSql = readFileSync(new URL('../fixtures/schemas/all-types.sql', import.meta.url), 'utf8');

/** A folder for a test's archives and files, removed after the test file. */
export function scratchDir(): string {
  return tempDir('mr4-test-');
}

/** Databases for one test file, each with `sql` run in it, all dropped after the file. With
 *  `fromTemplate`, a copy of a template built once per server from `sql`: for big content that is the
 *  same every time (a random value in it would be the same in every copy). */
export function databasesForFile(): (sql: string, options?: { fromTemplate?: boolean }) => Promise<TestDb> {
  const made: TestDb[] = [];
  afterAll(async () => {
    for (const d of made) await d.drop();
  });
  return async (sql, options = {}) => {
    const d = options.fromTemplate ? await createTestDb(sql) : await freshDb(sql);
    made.push(d);
    return d;
  };
}

/** A database with `sql` run in it directly (not cloned from a template). */
export async function freshDb(sql: string): Promise<TestDb> {
  const db = await createTestDb();
  await db.client.query(sql);
  return db;
}

export async function exportDb(db: TestDb, out: string, options: Partial<ExportOptions> = {}) {
  return exportArchive({ db: dbTarget(db.url), out, ...options });
}

export async function importInto(
  db: TestDb,
  archive: string,
  mode: 'skip' | 'merge',
  options: Partial<ImportOptions> = {},
): Promise<ImportReport> {
  return importArchive({ db: dbTarget(db.url), archive, mode, ...options });
}

export function counts(report: ImportReport): Record<string, Omit<ImportReport['tables'][number], 'table'>> {
  return Object.fromEntries(report.tables.map(({ table, ...c }) => [table, c]));
}

export function totals(report: ImportReport): { inserted: number; updated: number; unchanged: number; skipped: number; failed: number } {
  const t = { inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const r of report.tables) {
    t.inserted += r.inserted;
    t.updated += r.updated;
    t.unchanged += r.unchanged;
    t.skipped += r.skipped;
    t.failed += r.failed;
  }
  return t;
}
