// Tables without a natural key whose rows a unique index on expressions or with a condition still
// identifies, as Mastodon's accounts (lower(username), COALESCE(lower(domain), '')) and tags
// (lower(name)), or a soft-deleted user's email: both sides create "the same" row, the merge pairs the
// two instead of inserting a second one the target refuses (before: "duplicate key value violates
// unique constraint", nothing written).
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { perTable, planOf, rowVersions } from '../helpers/compare';
import { counts, exportDb, importInto, totals } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const sync = syncer(dir);

const SCHEMA = `
  -- A function of the application's own, outside pg_catalog: the index names it by its schema.
  CREATE FUNCTION public.folded(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(trim(t)) $$;
  CREATE TABLE accounts (id bigserial PRIMARY KEY, username text NOT NULL, domain text, display_name text NOT NULL DEFAULT '');
  CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), COALESCE(lower(domain), ''));
  CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL);
  CREATE UNIQUE INDEX tags_name ON tags (public.folded(name));
  CREATE TABLE statuses (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts, text text NOT NULL);
  CREATE TABLE statuses_tags (status_id bigint NOT NULL REFERENCES statuses, tag_id int NOT NULL REFERENCES tags, PRIMARY KEY (tag_id, status_id));
  -- One live row per email; deleted rows keep theirs.
  CREATE TABLE members (id serial PRIMARY KEY, email text NOT NULL, deleted_at timestamptz, note text);
  CREATE UNIQUE INDEX members_live_email ON members (email) WHERE deleted_at IS NULL;`;

const SEED = `
  INSERT INTO accounts (username, domain, display_name) VALUES ('alice', NULL, 'Alice'), ('carol', 'remote.example', 'Carol');
  INSERT INTO tags (name) VALUES ('Postgres');
  INSERT INTO statuses (account_id, text) VALUES (1, 'hello');
  INSERT INTO statuses_tags VALUES (1, 1);
  INSERT INTO members (email, note) VALUES ('ann@example.org', 'first');`;

/** Production seeds dev; then both sides create the same account, tag and member on their own. */
async function bothCreate(): Promise<{ prod: TestDb; dev: TestDb }> {
  const prod = await db(SCHEMA);
  const dev = await db(SCHEMA);
  await prod.client.query(SEED);
  await sync(prod, dev, dataDir, 'skip');
  // Production's rows first, so dev's land at the very ids production gave other rows.
  await prod.client.query(`
    INSERT INTO accounts (username, display_name) VALUES ('zed', 'Zed'), ('dave', 'Dave (real)');
    INSERT INTO tags (name) VALUES ('Rust');
    INSERT INTO members (email, deleted_at, note) VALUES ('bo@example.org', now(), 'left'), ('cy@example.org', NULL, 'prod');`);
  await dev.client.query(`
    INSERT INTO accounts (username, display_name) VALUES ('Dave', 'Dave test');
    INSERT INTO tags (name) VALUES (' rust');
    INSERT INTO statuses (account_id, text) SELECT id, 'from dev' FROM accounts WHERE username = 'Dave';
    INSERT INTO statuses_tags SELECT s.id, t.id FROM statuses s, tags t WHERE s.text = 'from dev' AND t.name IN ('Postgres', ' rust');
    INSERT INTO members (email, note) VALUES ('bo@example.org', 'dev'), ('cy@example.org', 'dev');`);
  return { prod, dev };
}

async function content(d: TestDb) {
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  return {
    accounts: await q(`SELECT username, domain, display_name FROM accounts ORDER BY lower(username)`),
    tags: await q(`SELECT name FROM tags ORDER BY public.folded(name)`),
    statuses: await q(
      `SELECT a.username, s.text, array_agg(t.name ORDER BY t.name) AS tags FROM statuses s JOIN accounts a ON a.id = s.account_id
       LEFT JOIN statuses_tags st ON st.status_id = s.id LEFT JOIN tags t ON t.id = st.tag_id GROUP BY 1, 2 ORDER BY 2`,
    ),
    members: await q(`SELECT email, deleted_at IS NOT NULL AS deleted, note FROM members ORDER BY email, note`),
  };
}

describe('rows a unique index on expressions or with a condition identifies', () => {
  test('the plan names the index each keyless table is paired by', async () => {
    const d = await db(SCHEMA);
    const plan = await planOf(d.client);
    expect(perTable(plan, 'pairingIndexes')).toEqual({
      accounts: [
        {
          name: 'accounts_username_domain',
          terms: ['lower(username)', `COALESCE(lower(domain), ''::text)`],
          predicate: null,
          reads: ['username', 'domain'],
        },
      ],
      tags: [{ name: 'tags_name', terms: ['public.folded(name)'], predicate: null, reads: ['name'] }],
      members: [{ name: 'members_live_email', terms: ['email'], predicate: 'deleted_at IS NULL', reads: ['email', 'deleted_at'] }],
      statuses: [],
      statuses_tags: [],
    });
    expect(plan.tables.find((t) => t.name === 'members')!.warnings[0]).toBe(
      'no natural key: a row is paired with a target row by the lineage of ids (or --same-ids), or where their email where deleted_at IS NULL (unique index members_live_email) are equal — the target cannot hold both — and then updated; others are recognised by their whole content, so they are only ever new or identical',
    );
  });

  test('merged back two ways: each row created on both sides is paired, updated, and its children follow it', async () => {
    const { prod, dev } = await bothCreate();
    const { report } = await sync(dev, prod, dataDir, 'merge');
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({
      accounts: { inserted: 0, updated: 1 },
      tags: { inserted: 0, updated: 1 },
      statuses: { inserted: 1, updated: 0 },
      statuses_tags: { inserted: 2 },
      // bo@'s deleted row holds no live email: dev's live bo@ is a row of its own; cy@ is paired.
      members: { inserted: 1, updated: 1 },
    });
    expect(await content(prod)).toEqual({
      accounts: [
        { username: 'alice', domain: null, display_name: 'Alice' },
        { username: 'carol', domain: 'remote.example', display_name: 'Carol' },
        { username: 'Dave', domain: null, display_name: 'Dave test' },
        { username: 'zed', domain: null, display_name: 'Zed' },
      ],
      tags: [{ name: 'Postgres' }, { name: ' rust' }],
      statuses: [
        { username: 'Dave', text: 'from dev', tags: [' rust', 'Postgres'] },
        { username: 'alice', text: 'hello', tags: ['Postgres'] },
      ],
      members: [
        { email: 'ann@example.org', deleted: false, note: 'first' },
        { email: 'bo@example.org', deleted: false, note: 'dev' },
        { email: 'bo@example.org', deleted: true, note: 'left' },
        { email: 'cy@example.org', deleted: false, note: 'dev' },
      ],
    });
    // The pairs are the lineage now: the same archive again rewrites no row.
    const tables = ['accounts', 'tags', 'statuses', 'statuses_tags', 'members'];
    const before = await rowVersions(prod.client, tables);
    const again = await sync(dev, prod, dataDir, 'merge');
    expect(totals(again.report)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, tables)).toEqual(before);
  });

  test('a table without an id is not paired by its index: its rows are never updated, so the merge names the row the index refuses', async () => {
    const NO_ID = `CREATE TABLE alias (name text NOT NULL, note text); CREATE UNIQUE INDEX alias_name ON alias (lower(name));`;
    const dev = await db(NO_ID);
    const prod = await db(NO_ID);
    await dev.client.query(`INSERT INTO alias VALUES ('bob', 'dev'), ('ann', 'x')`);
    await prod.client.query(`INSERT INTO alias VALUES ('Bob', 'prod')`);
    expect((await planOf(prod.client)).tables[0].pairingIndexes).toEqual([]);
    const file = join(dir, 'no-id.tar.gz');
    await exportDb(dev, file);
    // Paired, dev's row would be left as production has it and counted unchanged: a silent wrong result.
    await expect(importInto(prod, file, 'merge')).rejects.toThrow(
      `Inserting into alias failed at row 2: duplicate key value violates unique constraint "alias_name" (Key (lower(name))=(bob) already exists.)`,
    );
    expect((await prod.client.query(`SELECT name, note FROM alias`)).rows).toEqual([{ name: 'Bob', note: 'prod' }]);
  });

  test('with the base both last agreed on, a row both sides created differently is asked about, and the answer holds', async () => {
    const { prod, dev } = await bothCreate();
    const tables = ['accounts', 'tags', 'statuses', 'statuses_tags', 'members'];
    const versions = await rowVersions(prod.client, tables);
    const file = join(dir, 'dev-both-created.tar.gz');
    await exportDb(dev, file);
    const merge = (options: Parameters<typeof importInto>[3] = {}) =>
      importInto(prod, file, 'merge', { agreement: agreementStore(dataDir), base: 'auto', ...options });
    const asked = await merge().then(
      () => null,
      (e: Error) => e.message,
    );
    // dev's Dave and production's dave are one account (its username folded), so are ' rust' and
    // 'Rust', and the two live cy@ members: each created on both sides since the base, differently.
    expect(asked?.split('\n').slice(0, 5)).toEqual([
      "3 row(s) with conflicts (4 field(s)) between the source's and the target's edits since the base; nothing was written:",
      '  - accounts {"id":"3"} username: added on both sides since the base, with different values',
      '  - accounts {"id":"3"} display_name: added on both sides since the base, with different values',
      '  - members {"id":"3"} note: added on both sides since the base, with different values',
      '  - tags {"id":"2"} name: added on both sides since the base, with different values',
    ]);
    expect(await rowVersions(prod.client, tables)).toEqual(versions);

    const kept = await merge({ onConflict: 'target' });
    expect(kept.failures).toEqual([]);
    const now = await content(prod);
    expect(now.accounts.map((a) => a.display_name)).toEqual(['Alice', 'Carol', 'Dave (real)', 'Zed']);
    expect(now.tags).toEqual([{ name: 'Postgres' }, { name: 'Rust' }]);
    expect(now.statuses).toEqual([
      { username: 'dave', text: 'from dev', tags: ['Postgres', 'Rust'] },
      { username: 'alice', text: 'hello', tags: ['Postgres'] },
    ]);
    expect(now.members.filter((m) => m.email === 'cy@example.org')).toEqual([{ email: 'cy@example.org', deleted: false, note: 'prod' }]);
  });
});
