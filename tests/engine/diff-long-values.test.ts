// A diff shows a value longer than SHOWN_CHARS by its start and its size; the merge still compares
// and writes the whole value. Before, every changed field carried its source, target and base values
// whole: one changed 64 MB value took the classification of a two-row table 47 s.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { SHOWN_CHARS } from '../../src-main/engine/compare/shown-value';
import { type DiffSession, openDiff } from '../../src-main/engine/diff/index';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();
const sessions: DiffSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.close();
});

const SCHEMA = `CREATE TABLE doc (id int PRIMARY KEY, body text, euros text, data bytea, meta jsonb, short varchar(20));`;
// 300,000 characters; 60,000 euro signs are 180,000 bytes but fewer characters than are shown.
const SOURCE = `INSERT INTO doc VALUES
  (1, 'x' || repeat('a', 299999), repeat('€', 60000), decode(repeat('ab', 150000), 'hex'),
   jsonb_build_object('k', repeat('m', 200000)), 'short'),
  (2, 'new row ' || repeat('n', 200000), NULL, NULL, NULL, 'second');`;
const TARGET = `INSERT INTO doc VALUES
  (1, 'y' || repeat('a', 299999), repeat('€', 59999), decode(repeat('cd', 150000), 'hex'),
   jsonb_build_object('k', repeat('o', 200000)), 'old');`;

describe('values longer than a diff shows', () => {
  test('a changed field shows the start of each side and its size; a short one whole; the merge writes the whole value', async () => {
    const source = await db(SCHEMA + SOURCE);
    const target = await db(SCHEMA + TARGET);
    const file = join(dir, 'long.tar.gz');
    await exportDb(source, file);
    const session = await openDiff({ db: dbTarget(target.url), archive: file });
    sessions.push(session);

    const [changed] = (await session.page({ table: 'doc', kinds: ['changed'], offset: 0, limit: 10 })).rows;
    const field = (c: string) => changed.fields.find((f) => f.column === c)!;
    expect(field('body').source).toBe(`x${'a'.repeat(SHOWN_CHARS - 1)} … [300000 bytes in all, cut for display]`);
    expect(field('body').target).toBe(`y${'a'.repeat(SHOWN_CHARS - 1)} … [300000 bytes in all, cut for display]`);
    expect(field('euros').source).toBe('€'.repeat(60000));
    expect(field('data').source).toBe(`\\x${'ab'.repeat(SHOWN_CHARS / 2)} … [150000 bytes in all, cut for display]`);
    expect(field('meta').target).toBe(`{"k": "${'o'.repeat(SHOWN_CHARS - 7)} … [200009 characters in all, cut for display]`);
    expect(field('short')).toMatchObject({ source: 'short', target: 'old' });
    // A new row's values are shown the same way.
    const [added] = (await session.page({ table: 'doc', kinds: ['new'], offset: 0, limit: 10 })).rows;
    expect(added.values?.body).toBe(`new row ${'n'.repeat(SHOWN_CHARS - 8)} … [200008 characters in all, cut for display]`);
    expect(added.values?.short).toBe('second');

    const report = await importInto(target, file, 'merge');
    expect(counts(report).doc).toMatchObject({ inserted: 1, updated: 1 });
    const whole = `SELECT id, md5(body) AS body, md5(euros) AS euros, md5(data) AS data, md5(meta::text) AS meta, short FROM doc ORDER BY id`;
    expect((await target.client.query(whole)).rows).toEqual((await source.client.query(whole)).rows);
  });
});
