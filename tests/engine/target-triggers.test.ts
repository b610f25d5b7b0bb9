// The target's own triggers change what a run writes: a BEFORE trigger rewrites values
// (`updated_at := clock_timestamp()`) or suppresses a row (RETURN NULL). What the two databases agree
// on after a run is what the target stored, so merging back rewrites nothing nobody edited; a row or a
// value a trigger did not store as written is named in the warnings.
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import type { TestDb } from '../helpers/db';
import { importInto } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const sync = syncer(dir);

const TOUCHED = `
  CREATE TABLE article (id serial PRIMARY KEY, slug text NOT NULL UNIQUE, title text NOT NULL, body text,
                        updated_at timestamptz NOT NULL DEFAULT now());
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
  CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON article FOR EACH ROW EXECUTE FUNCTION touch();`;

function counted(report: ImportReport, table: string) {
  const t = report.tables.find((x) => x.table === table)!;
  return { inserted: t.inserted, updated: t.updated, unchanged: t.unchanged, skipped: t.skipped, failed: t.failed };
}

/** Every row with its row version: a row rewritten by a run has another xmin. */
async function articles(d: TestDb) {
  return (await d.client.query(`SELECT slug, title, body, updated_at::text, xmin::text FROM article ORDER BY slug`)).rows;
}

describe("a target's BEFORE trigger rewrites what a run writes", () => {
  test('the agreement holds what the target stored: merging back, with nobody editing, rewrites no production row', async () => {
    const prod = await db(TOUCHED + `INSERT INTO article (slug, title, body) VALUES ('hello', 'Hello', 'b1'), ('about', 'About', 'b2');`);
    const dev = await db(TOUCHED);
    const seeded = await sync(prod, dev, dataDir, 'merge');
    expect(seeded.report.warnings).toEqual([
      `article: the target's trigger touch kept or set other values than the ones written in updated_at, in 2 row(s): {"slug":"hello"}, {"slug":"about"}. What the two databases agree on is what the target stored; if the trigger sets updated_at on every write, make it insert-only (tables.article.insertOnly in the configuration) so that merges neither write nor compare it.`,
    ]);
    const before = await articles(prod);

    for (let round = 0; round < 2; round++) {
      const back = await sync(dev, prod, dataDir, 'merge', { base: 'auto' });
      expect(counted(back.report, 'article')).toEqual({ inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 });
      expect(await articles(prod)).toEqual(before);
      await sync(prod, dev, dataDir, 'merge', { base: 'auto' });
    }
  });

  test('rows and values a trigger refused are named: an insert it suppressed is skipped, an update it suppressed unchanged', async () => {
    const SCHEMA = `
      CREATE TABLE invoice (id serial PRIMARY KEY, no text NOT NULL UNIQUE, amount int NOT NULL, posted boolean NOT NULL DEFAULT false);
      CREATE FUNCTION keep_posted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF OLD.posted THEN RETURN NULL; END IF; RETURN NEW; END $$;
      CREATE TRIGGER keep_posted BEFORE UPDATE ON invoice FOR EACH ROW EXECUTE FUNCTION keep_posted();
      CREATE TABLE subscriber (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
      CREATE FUNCTION blocklist() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.email LIKE 'spam%' THEN RETURN NULL; END IF; RETURN NEW; END $$;
      CREATE TRIGGER blocklist BEFORE INSERT ON subscriber FOR EACH ROW EXECUTE FUNCTION blocklist();`;
    const dev = await db(
      SCHEMA +
        `INSERT INTO invoice (no, amount, posted) VALUES ('I-1', 999, true), ('I-2', 200, false);
         -- Dev's own trigger would not store the row either.
         ALTER TABLE subscriber DISABLE TRIGGER blocklist;
         INSERT INTO subscriber (email) VALUES ('ann@x'), ('spam@x');`,
    );
    const prod = await db(SCHEMA + `INSERT INTO invoice (no, amount, posted) VALUES ('I-1', 100, true), ('I-2', 100, false);`);
    const { report } = await sync(dev, prod, dataDir, 'merge');
    expect(counted(report, 'invoice')).toEqual({ inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 });
    expect(counted(report, 'subscriber')).toEqual({ inserted: 1, updated: 0, unchanged: 0, skipped: 1, failed: 0 });
    expect(report.warnings).toEqual([
      `invoice: the target's trigger keep_posted kept or set other values than the ones written in amount, in 1 row(s): {"no":"I-1"}. What the two databases agree on is what the target stored; if the trigger sets amount on every write, make it insert-only (tables.invoice.insertOnly in the configuration) so that merges neither write nor compare it.`,
      `subscriber: 1 row(s) were not stored by the target's trigger blocklist (it returned NULL for them): {"email":"spam@x"}. They are counted skipped, and the next merge proposes them again; run with --disable-triggers to write them, or leave them out.`,
    ]);
    expect((await prod.client.query(`SELECT no, amount, posted FROM invoice ORDER BY no`)).rows).toEqual([
      { no: 'I-1', amount: 100, posted: true },
      { no: 'I-2', amount: 200, posted: false },
    ]);
    expect((await prod.client.query(`SELECT email FROM subscriber ORDER BY email`)).rows).toEqual([{ email: 'ann@x' }]);
  });
});

describe("a target's trigger writes another table the run writes", () => {
  const USERS = `
    CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
    CREATE TABLE profiles (id serial PRIMARY KEY, user_id int NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE, display_name text, bio text);
    CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, split_part(NEW.email, '@', 1)); RETURN NULL; END $$;
    CREATE TRIGGER on_user AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION handle_new_user();`;
  const HANDLE_NEW_USER = `Trigger on_user of users writes profiles, which this run writes too (a guess from its function's source): what it writes while the run writes users comes on top of the archive's rows and values — a counter it keeps is counted twice, a row it makes is there twice or found "unchanged" against the archive's. Import with --disable-triggers to write only what the archive holds.`;

  async function profiles(d: TestDb) {
    return (await d.client.query(`SELECT u.email, p.display_name, p.bio FROM users u JOIN profiles p ON p.user_id = u.id ORDER BY 1`)).rows;
  }

  test("a child row the trigger made for a merged parent is written with the archive's values, and named", async () => {
    const prod = await db(
      USERS + `INSERT INTO users (email) VALUES ('ann@x'); UPDATE profiles SET display_name = 'Ann A.', bio = 'prod bio';`,
    );
    const dev = await db(USERS);
    const seeded = await sync(prod, dev, dataDir, 'merge');
    expect(seeded.report.warnings).toEqual([HANDLE_NEW_USER]);
    expect(await profiles(dev)).toEqual([{ email: 'ann@x', display_name: 'Ann A.', bio: 'prod bio' }]);

    await dev.client.query(`INSERT INTO users (email) VALUES ('carol@x');
                            UPDATE profiles SET display_name = 'Carol C.', bio = 'dev bio' WHERE display_name = 'carol';`);
    const { report } = await sync(dev, prod, dataDir, 'merge', { base: 'auto' });
    expect(counted(report, 'users')).toEqual({ inserted: 1, updated: 0, unchanged: 1, skipped: 0, failed: 0 });
    expect(counted(report, 'profiles')).toEqual({ inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 });
    expect(report.warnings).toEqual([
      HANDLE_NEW_USER,
      `profiles: 1 row(s) new in the archive were in the target by the time profiles was written — made during this import, by a trigger of a table written before it: {"user_id":{"email":"carol@x"}}. They were written with the archive's values; import with --disable-triggers if the trigger should not make them.`,
    ]);
    expect(await profiles(prod)).toEqual([
      { email: 'ann@x', display_name: 'Ann A.', bio: 'prod bio' },
      { email: 'carol@x', display_name: 'Carol C.', bio: 'dev bio' },
    ]);
    // What the two agree on is what production holds: merging again writes nothing.
    const again = await sync(dev, prod, dataDir, 'merge', { base: 'auto' });
    expect(counted(again.report, 'profiles')).toEqual({ inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 });
  });

  test("a counter cache kept by a trigger is warned of; with --disable-triggers the archive's counters stand", async () => {
    const COUNTED = `
      CREATE TABLE users (id serial PRIMARY KEY, login text NOT NULL UNIQUE, posts_count int NOT NULL DEFAULT 0);
      CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, title text NOT NULL, UNIQUE (user_id, title));
      CREATE FUNCTION posts_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE public.users SET posts_count = posts_count + 1 WHERE id = NEW.user_id; RETURN NULL; END $$;
      CREATE TRIGGER posts_count AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION posts_count();`;
    const prod = await db(
      COUNTED +
        `INSERT INTO users (login) VALUES ('ann'), ('bob'); INSERT INTO posts (user_id, title) VALUES (1, 'a1'), (1, 'a2'), (2, 'b1');`,
    );
    const counters = async (d: TestDb) => (await d.client.query(`SELECT login, posts_count FROM users ORDER BY login`)).rows;
    const warned = await sync(prod, await db(COUNTED), dataDir, 'merge');
    expect(warned.report.warnings).toEqual([
      `Trigger posts_count of posts writes users, which this run writes too (a guess from its function's source): what it writes while the run writes posts comes on top of the archive's rows and values — a counter it keeps is counted twice, a row it makes is there twice or found "unchanged" against the archive's. Import with --disable-triggers to write only what the archive holds.`,
    ]);
    const dev = await db(COUNTED);
    await importInto(dev, warned.file, 'merge', { disableTriggers: true });
    expect(await counters(dev)).toEqual([
      { login: 'ann', posts_count: 2 },
      { login: 'bob', posts_count: 1 },
    ]);
  });

  test("rows a trigger made in a table without a natural key are named: they stay beside the archive's", async () => {
    const SETTINGS = `
      CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
      CREATE TABLE settings (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, k text NOT NULL, v text);
      CREATE FUNCTION handle_new_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO settings (user_id, k, v) VALUES (NEW.id, 'theme', 'default'); RETURN NULL; END $$;
      CREATE TRIGGER on_user AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION handle_new_user();`;
    const prod = await db(SETTINGS + `INSERT INTO users (email) VALUES ('ann@x'); UPDATE settings SET v = 'dark';`);
    const dev = await db(SETTINGS + `SELECT setval('settings_id_seq', 100);`);
    const { report } = await sync(prod, dev, dataDir, 'merge');
    expect(counted(report, 'settings')).toEqual({ inserted: 1, updated: 0, unchanged: 0, skipped: 0, failed: 0 });
    expect(report.warnings).toEqual([
      `Trigger on_user of users writes settings, which this run writes too (a guess from its function's source): what it writes while the run writes users comes on top of the archive's rows and values — a counter it keeps is counted twice, a row it makes is there twice or found "unchanged" against the archive's. Import with --disable-triggers to write only what the archive holds.`,
      `settings: 1 row(s) were made in the target during this import by its triggers, not taken from the archive: {"id":"101"}. Nothing pairs them with the archive's rows, which were written beside them; import with --disable-triggers if the archive's rows should be the only ones.`,
    ]);
    expect((await dev.client.query(`SELECT u.email, s.k, s.v FROM settings s JOIN users u ON u.id = s.user_id ORDER BY s.v`)).rows).toEqual(
      [
        { email: 'ann@x', k: 'theme', v: 'dark' },
        { email: 'ann@x', k: 'theme', v: 'default' },
      ],
    );
  });
});
