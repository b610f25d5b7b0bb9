// The archive browser (browser mode and the desktop app open archives through it) over the corpus of
// bad archives: each one ends within seconds, either refused (cut, corrupt, unsafe) with its reason and
// no cache left behind, or opened with its checksums marked failed and the damage named.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ArchiveError } from '../../src-main/engine/archive/format';
import { buildArchiveCache, type CacheManifest } from '../../src-main/services/archive-cache-builder';
import { type BadArchive, buildBadArchives } from '../helpers/bad-archives';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();
let bad: BadArchive[];

beforeAll(async () => {
  const source = await db(`CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text);
    INSERT INTO books (isbn, title) SELECT 'isbn' || g, 'Title ' || g FROM generate_series(1, 2000) g;`);
  const good = join(dir, 'good.tar.gz');
  await exportDb(source, good);
  bad = buildBadArchives(good, dir, 'books.json');
}, 120_000);

test('every bad archive is refused or shown as damaged, within seconds, leaving no cache when refused', async () => {
  const wrong: string[] = [];
  for (const b of bad) {
    const cache = join(dir, `cache-${b.name}`);
    const started = Date.now();
    const outcome: CacheManifest | Error = await buildArchiveCache({ archive: b.file, dir: cache }).then(
      (m) => m,
      (e: unknown) => e as Error,
    );
    const took = Date.now() - started;
    if (took > 15_000) wrong.push(`${b.name}: took ${took} ms`);
    if (outcome instanceof Error) {
      if (!(outcome instanceof ArchiveError)) wrong.push(`${b.name}: ${outcome.name} ${outcome.message}`);
      if (existsSync(cache)) wrong.push(`${b.name}: the cache folder was left behind`);
      if (b.unreadable && !b.expect.test(outcome.message)) wrong.push(`${b.name}: ${outcome.message}`);
    } else {
      if (b.unreadable) wrong.push(`${b.name}: opened although it cannot be read`);
      else if (outcome.checksums !== 'failed' && !/row-count|checksum|nul|utf8|surrogate|number|short|json|comma|end|header/.test(b.name)) {
        // Damage in a table file shows as a failed checksum; anything else must have been refused.
        wrong.push(`${b.name}: opened as if it were sound`);
      } else if (outcome.checksums !== 'failed') {
        wrong.push(`${b.name}: its damage was not flagged`);
      }
    }
  }
  expect(wrong).toEqual([]);
}, 300_000);
