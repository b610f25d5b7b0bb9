// A key under a nondeterministic collation (a case-insensitive email): rows are matched as the
// target's unique index sees them, 'Ann@Example.org' is 'ann@example.org', but a value is compared
// exactly, so dev's edit of the case alone is written (before, it was "unchanged" in every merge).
import { describe, expect, test } from 'vitest';
import { rowVersions } from '../helpers/compare';
import { counts, totals } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const sync = syncer(dir);

const SCHEMA = `
  CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  CREATE TABLE members (id serial PRIMARY KEY, email text COLLATE ci NOT NULL UNIQUE, name varchar(40) COLLATE ci);
  CREATE TABLE posts (id serial PRIMARY KEY, member_id int NOT NULL REFERENCES members, title text NOT NULL);`;

const emails = async (d: { client: { query: (q: string) => Promise<{ rows: unknown[] }> } }) =>
  (await d.client.query(`SELECT email, name FROM members ORDER BY id`)).rows;

describe('a key under a case-insensitive collation', () => {
  test('matched case-insensitively, written exactly: an edit of the case alone merges, two ways and three', async () => {
    const prod = await db(SCHEMA);
    const dev = await db(SCHEMA);
    await prod.client.query(`
      INSERT INTO members (email, name) VALUES ('ann@example.org', 'ann'), ('bob@example.org', 'Bob');
      INSERT INTO posts (member_id, title) VALUES (1, 'hello');`);
    await sync(prod, dev, dataDir, 'skip');
    await dev.client.query(`UPDATE members SET email = 'Ann@Example.org', name = 'Ann' WHERE email = 'ann@example.org'`);
    // A row dev adds under a key production also added in another case is the same member.
    await dev.client.query(`INSERT INTO members (email, name) VALUES ('CY@example.org', 'Cy')`);
    await prod.client.query(`INSERT INTO members (email, name) VALUES ('cy@example.org', 'Cy')`);

    const { report } = await sync(dev, prod, dataDir, 'merge', { onConflict: 'source' });
    expect(report.failures).toEqual([]);
    expect(counts(report).members).toMatchObject({ inserted: 0, updated: 2 });
    expect(await emails(prod)).toEqual([
      { email: 'Ann@Example.org', name: 'Ann' },
      { email: 'bob@example.org', name: 'Bob' },
      { email: 'CY@example.org', name: 'Cy' },
    ]);
    // Equal now: the merge again rewrites no row.
    const before = await rowVersions(prod.client, ['members', 'posts']);
    expect(totals((await sync(dev, prod, dataDir, 'merge')).report)).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(prod.client, ['members', 'posts'])).toEqual(before);

    // Two ways (no base) the same: production's case edit overwrites dev's.
    await prod.client.query(`UPDATE members SET email = 'BOB@EXAMPLE.ORG' WHERE id = 2`);
    const pulled = await sync(prod, dev, dataDir, 'merge', { base: undefined, agreement: undefined });
    expect(counts(pulled.report).members).toMatchObject({ updated: 1 });
    expect(await emails(dev)).toEqual(await emails(prod));
  });
});
