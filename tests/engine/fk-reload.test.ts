// The default path's foreign keys: where the user owns the tables, the keys of a table receiving many
// rows are dropped before it is written and added again with validation in the same transaction, after
// mr4's own checks. Every constraint comes back exactly as it was (name, definition, deferrability,
// NOT VALID, comment, partitions); a bad reference is still named row by row with nothing written; a
// failure or a cancel after the drop leaves every constraint as before; a user who does not own the
// tables gets the row-by-row path, and the report and the plan say which path ran and why.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, test } from 'vitest';
import type { EngineEvent } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { previewExport } from '../../src-main/engine/export';
import type { TestDb } from '../helpers/db';
import { compareDatabases } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { fixtureSchema, fixtureSql, rejection } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

/** Every constraint of the schema as the catalog holds it, and the internal (foreign-key) triggers per table. */
async function constraints(client: pg.ClientBase): Promise<{ constraints: string[]; triggers: string[] }> {
  const c = await client.query<{ r: string }>(`
    SELECT concat_ws(' | ', con.conrelid::regclass::text, con.conname, con.contype, pg_get_constraintdef(con.oid),
                     'deferrable=' || con.condeferrable, 'deferred=' || con.condeferred, 'validated=' || con.convalidated,
                     'references=' || con.confrelid::regclass::text,
                     'parent=' || COALESCE((SELECT p.conrelid::regclass::text || '.' || p.conname FROM pg_constraint p WHERE p.oid = con.conparentid), '-'),
                     'comment=' || COALESCE(obj_description(con.oid, 'pg_constraint'), '-')) AS r
    FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
    WHERE n.nspname = 'public' ORDER BY 1`);
  const t = await client.query<{ r: string }>(`
    SELECT t.tgrelid::regclass::text || ' ' || count(*) || ' ' || string_agg(DISTINCT t.tgenabled::text, '') AS r
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND t.tgisinternal GROUP BY t.tgrelid ORDER BY 1`);
  return { constraints: c.rows.map((x) => x.r), triggers: t.rows.map((x) => x.r) };
}

async function rowCounts(client: pg.ClientBase, tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  return out;
}

// Foreign keys of every kind: deferrable, initially deferred, with actions, NOT VALID, commented,
// self-referencing, composite, MATCH FULL, declared on a partitioned table, referencing a partitioned
// table, declared on partitions alone.
const SCHEMA = `
CREATE TABLE country (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);
CREATE TABLE city (id serial PRIMARY KEY, name text NOT NULL, country_id int NOT NULL, country_code text, UNIQUE (name, country_id));
ALTER TABLE city ADD CONSTRAINT city_country FOREIGN KEY (country_id) REFERENCES country(id) ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE city ADD CONSTRAINT city_country_code FOREIGN KEY (country_code) REFERENCES country(code) ON DELETE SET NULL NOT VALID;
COMMENT ON CONSTRAINT city_country ON city IS 'the city''s country';
CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, city_id int, manager_id int,
  CONSTRAINT person_city FOREIGN KEY (city_id) REFERENCES city(id) ON DELETE SET NULL DEFERRABLE,
  CONSTRAINT person_manager FOREIGN KEY (manager_id) REFERENCES person(id) ON DELETE CASCADE);
CREATE TABLE orders (id int NOT NULL, placed date NOT NULL, person_id int NOT NULL, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE orders_2023 PARTITION OF orders FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE orders ADD CONSTRAINT orders_person FOREIGN KEY (person_id) REFERENCES person(id) ON UPDATE NO ACTION;
CREATE TABLE order_line (id serial PRIMARY KEY, order_id int NOT NULL, order_placed date NOT NULL, line int NOT NULL, qty int,
  UNIQUE (order_id, order_placed, line),
  CONSTRAINT order_line_order FOREIGN KEY (order_id, order_placed) REFERENCES orders(id, placed) ON DELETE CASCADE);
CREATE TABLE visit (id int NOT NULL, at date NOT NULL, person_id int NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE visit_a PARTITION OF visit FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE visit_b PARTITION OF visit FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY visit_a ADD CONSTRAINT visit_a_person FOREIGN KEY (person_id) REFERENCES person(id);
ALTER TABLE ONLY visit_b ADD CONSTRAINT visit_b_person FOREIGN KEY (person_id) REFERENCES person(id) DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE tag (id serial PRIMARY KEY, label text NOT NULL UNIQUE, person_id int, CONSTRAINT tag_person FOREIGN KEY (person_id) REFERENCES person(id) MATCH FULL);
`;

const DATA = `
INSERT INTO country (code, name) SELECT 'c' || g, 'Country ' || g FROM generate_series(1, 5) g;
INSERT INTO city (name, country_id, country_code) SELECT 'City ' || g, 1 + g % 5, 'c' || (1 + g % 5) FROM generate_series(1, 20) g;
INSERT INTO person (email, city_id) SELECT 'p' || g || '@example.com', 1 + g % 20 FROM generate_series(1, 50) g;
UPDATE person SET manager_id = 1 + id % 5 WHERE id > 5;
INSERT INTO orders SELECT g, DATE '2023-06-01' + g * 3, 1 + g % 50 FROM generate_series(1, 100) g;
INSERT INTO order_line (order_id, order_placed, line, qty) SELECT o.id, o.placed, k, k * 2 FROM orders o, generate_series(1, 2) k;
INSERT INTO visit SELECT g, DATE '2023-10-01' + g * 2, 1 + g % 50 FROM generate_series(1, 60) g;
INSERT INTO tag (label, person_id) SELECT 'tag ' || g, g FROM generate_series(1, 10) g;
`;

const TABLES = ['country', 'city', 'person', 'orders', 'order_line', 'visit', 'tag'];

function logs(into: string[]): (e: EngineEvent) => void {
  return (e) => {
    if (e.type === 'log') into.push(e.message);
  };
}

describe('reloading foreign keys as the tables owner', () => {
  test("every constraint comes back exactly as it was, the rows are the source's, and the report says which were reloaded", async () => {
    const source = await db(SCHEMA + DATA);
    const target = await db(SCHEMA);
    const before = await constraints(target.client);
    expect(before.constraints.some((c) => c.includes('city_country_code') && c.includes('validated=false'))).toBe(true);
    const file = join(dir, 'kinds.tar.gz');
    await exportDb(source, file);
    const messages: string[] = [];
    const report = await importInto(target, file, 'skip', { foreignKeyReload: 'always', onEvent: logs(messages) });
    expect(report.failures).toEqual([]);
    expect(report.foreignKeys?.path).toBe('reloaded');
    expect([...report.foreignKeys!.reloaded].sort()).toEqual(
      [
        'public.city.city_country',
        'public.city.city_country_code',
        'public.order_line.order_line_order',
        'public.orders.orders_person',
        'public.person.person_city',
        'public.person.person_manager',
        'public.visit_a.visit_a_person',
        'public.visit_b.visit_b_person',
      ].sort(),
    );
    // MATCH FULL keeps its triggers: mr4 names rows whose parent is missing, not mixed NULLs.
    expect(report.foreignKeys!.reason).toMatch(/tag_person is MATCH FULL/);
    expect(messages.some((m) => /^Foreign keys of person dropped for its 50 rows/.test(m))).toBe(true);
    expect(await constraints(target.client)).toEqual(before);
    expect(await compareDatabases(source.client, target.client)).toEqual([]);
    // The constraints work as before: a reference to a missing person is refused, deferred or not.
    await expect(target.client.query(`INSERT INTO orders VALUES (999, '2024-03-01', 999999)`)).rejects.toThrow(/orders_person/);
    await expect(target.client.query(`INSERT INTO visit VALUES (999, '2023-03-01', 999999)`)).rejects.toThrow(/visit_a_person/);
  });

  test("the Pagila-like sample (payment's keys declared on its partitions, the store ↔ staff cycle) is an exact copy with its constraints as they were", async () => {
    const source = await db(fixtureSql('pagila-like'));
    const target = await db(fixtureSchema('pagila-like'));
    const before = await constraints(target.client);
    const file = join(dir, 'pagila.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge', { foreignKeyReload: 'always' });
    expect(report.failures).toEqual([]);
    expect(report.foreignKeys?.path).toBe('reloaded');
    expect(report.foreignKeys!.reloaded).toContain('public.payment_p2022_03.payment_p2022_03_rental_id_fkey');
    expect(report.foreignKeys!.reloaded).toContain('public.store.store_manager_staff_id_fkey');
    expect(await constraints(target.client)).toEqual(before);
    expect(await compareDatabases(source.client, target.client)).toEqual([]);
  });

  test('in "auto", a table receiving few rows keeps its triggers, and the report says why', async () => {
    const source = await db(SCHEMA + DATA);
    const target = await db(SCHEMA);
    const file = join(dir, 'auto.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'skip');
    expect(report.foreignKeys).toMatchObject({ path: 'triggers', reloaded: [] });
    expect(report.foreignKeys!.reason).toMatch(/fewer than 1000 rows .*person 50/);
    expect(await compareDatabases(source.client, target.client)).toEqual([]);
  });

  test("a merge that may change a referenced column keeps that key's triggers", async () => {
    const source = await db(SCHEMA + DATA);
    const target = await db(SCHEMA);
    const file = join(dir, 'merge.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'merge', { foreignKeyReload: 'always' });
    expect(report.foreignKeys?.path).toBe('reloaded');
    // country.code is an updatable value (country rows are found by their id's lineage too).
    expect(report.foreignKeys!.reloaded).not.toContain('public.city.city_country_code');
    expect(report.foreignKeys!.reloaded).toContain('public.city.city_country');
    expect(report.foreignKeys!.reason).toMatch(/a merge may change country\.code, which city_country_code references/);
  });

  test('a repeated merge writes no row, and the report says no foreign-key check was needed (not an empty list of tables)', async () => {
    const schema = `CREATE TABLE parent (id serial PRIMARY KEY, name text);
      CREATE TABLE child (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES parent, note text);`;
    const source = await db(
      `${schema} INSERT INTO parent (name) VALUES ('a'), ('b'); INSERT INTO child (parent_id, note) VALUES (1, 'x'), (2, 'y');`,
    );
    const target = await db(schema);
    const file = join(dir, 'again.tar.gz');
    await exportDb(source, file);
    await importInto(target, file, 'merge');
    const again = await importInto(target, file, 'merge');
    expect(again.tables.reduce((n, t) => n + t.inserted + t.updated, 0)).toBe(0);
    expect(again.foreignKeys).toEqual({ path: 'none', reason: 'no row written needed a foreign-key check', reloaded: [] });
  });

  test('a dry run keeps every trigger and says so', async () => {
    const source = await db(SCHEMA + DATA);
    const target = await db(SCHEMA);
    const file = join(dir, 'dry.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'skip', { foreignKeyReload: 'always', dryRun: true });
    expect(report.foreignKeys).toMatchObject({ path: 'triggers', reloaded: [] });
    expect(report.foreignKeys!.reason).toMatch(/dry run/);
    expect(await rowCounts(target.client, TABLES)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
  });
});

describe('a run that fails or is cancelled after the drop', () => {
  const SMALL = `
    CREATE TABLE parent (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
    CREATE TABLE child (id serial PRIMARY KEY, code text NOT NULL UNIQUE, parent_code text,
      CONSTRAINT child_parent FOREIGN KEY (parent_code) REFERENCES parent(code) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);
    COMMENT ON CONSTRAINT child_parent ON child IS 'kept';
    CREATE TABLE note (id serial PRIMARY KEY, child_id int NOT NULL REFERENCES child(id), body text NOT NULL UNIQUE);`;

  test('a reference to a missing parent is named row by row by mr4, nothing is written and the constraints are as before', async () => {
    const source = await db(`${SMALL}
      INSERT INTO parent (code) VALUES ('a'), ('b'), ('c');
      INSERT INTO child (code, parent_code) SELECT 'k' || g, (ARRAY['a', 'b', 'c'])[1 + g % 3] FROM generate_series(1, 30) g;`);
    const target = await db(`${SMALL} INSERT INTO parent (code) VALUES ('a'), ('b');`);
    const before = await constraints(target.client);
    const file = join(dir, 'missing.tar.gz');
    await exportDb(source, file);
    const messages: string[] = [];
    const error = await rejection(
      importInto(target, file, 'merge', { tables: ['child'], foreignKeyReload: 'always', onEvent: logs(messages) }),
    );
    expect(error.name).toBe('RefusedRowsError');
    // The drop happened (child's twenty good rows were written provisionally) before the run stopped.
    expect(messages.some((m) => /^Foreign keys of child dropped/.test(m))).toBe(true);
    expect(error.rows).toHaveLength(10);
    for (const r of error.rows!) {
      expect(r.table).toBe('child');
      expect(r.reason).toBe('parent_code refers to a parent row that does not exist in the target');
    }
    expect(error.rows!.map((r) => (r.key as { code: string }).code).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1)
        .filter((g) => g % 3 === 2)
        .map((g) => `k${g}`)
        .sort(),
    );
    expect(await rowCounts(target.client, ['parent', 'child', 'note'])).toEqual({ parent: 2, child: 0, note: 0 });
    expect(await constraints(target.client)).toEqual(before);
  });

  test('a trigger failing in the last table after the drop: nothing written, every constraint as before', async () => {
    const source = await db(`${SMALL}
      INSERT INTO parent (code) VALUES ('a'), ('b');
      INSERT INTO child (code, parent_code) SELECT 'k' || g, (ARRAY['a', 'b'])[1 + g % 2] FROM generate_series(1, 20) g;
      INSERT INTO note (child_id, body) SELECT id, 'note ' || id FROM child;`);
    const target = await db(`${SMALL}
      CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.body = 'note 7' THEN RAISE EXCEPTION 'no note 7'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse BEFORE INSERT ON note FOR EACH ROW EXECUTE FUNCTION refuse();`);
    const before = await constraints(target.client);
    const file = join(dir, 'trigger.tar.gz');
    await exportDb(source, file);
    const messages: string[] = [];
    const error = await rejection(importInto(target, file, 'skip', { foreignKeyReload: 'always', onEvent: logs(messages) }));
    expect(error.message).toMatch(/Inserting into note failed .*no note 7/);
    expect(messages.some((m) => /^Foreign keys of child dropped/.test(m))).toBe(true);
    expect(messages.some((m) => /^Foreign keys of note dropped/.test(m))).toBe(true);
    expect(await rowCounts(target.client, ['parent', 'child', 'note'])).toEqual({ parent: 0, child: 0, note: 0 });
    expect(await constraints(target.client)).toEqual(before);
  });

  test('cancelled while a big table is written with its keys dropped: rolled back, every constraint as before', async () => {
    const source = await db(`${SMALL}
      INSERT INTO parent (code) SELECT 'p' || g FROM generate_series(1, 100) g;
      INSERT INTO child (code, parent_code) SELECT 'k' || g, 'p' || (1 + g % 100) FROM generate_series(1, 60000) g;`);
    const target = await db(SMALL);
    const before = await constraints(target.client);
    const file = join(dir, 'cancel.tar.gz');
    await exportDb(source, file);
    const controller = new AbortController();
    const messages: string[] = [];
    let locks: Promise<string[]> | null = null;
    const onEvent = (e: EngineEvent) => {
      logs(messages)(e);
      // After child's first range is written (its keys dropped before it): who holds what on child, then cancel.
      if (
        e.type === 'table' &&
        e.table === 'child' &&
        e.phase === 2 &&
        !e.done &&
        e.rowsDone > 0 &&
        e.rowsDone < (e.rowsTotal ?? 0) &&
        !locks
      ) {
        locks = target.client
          .query<{ mode: string }>(`SELECT mode FROM pg_locks WHERE relation = 'child'::regclass AND pid <> pg_backend_pid() AND granted`)
          .then((r) => r.rows.map((x) => x.mode))
          .finally(() => controller.abort());
      }
    };
    const error = await rejection(importInto(target, file, 'skip', { foreignKeyReload: 'always', signal: controller.signal, onEvent }));
    const held = locks as Promise<string[]> | null;
    expect(held).not.toBeNull();
    expect(await held).toContain('AccessExclusiveLock');
    expect(error.name).toBe('CancelledError');
    expect(messages.some((m) => /^Foreign keys of child dropped for its 60000 rows/.test(m))).toBe(true);
    expect(await rowCounts(target.client, ['parent', 'child', 'note'])).toEqual({ parent: 0, child: 0, note: 0 });
    expect(await constraints(target.client)).toEqual(before);
  });
});

describe('keys mr4 does not check itself keep their triggers', () => {
  test('a key over a column the archive lacks (a default fills it): the row is named by the trigger path, nothing written', async () => {
    const base = `CREATE TABLE kind (id int PRIMARY KEY, name text NOT NULL UNIQUE);
      CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, parent_code text);
      ALTER TABLE item ADD CONSTRAINT item_parent FOREIGN KEY (parent_code) REFERENCES item(code);`;
    const source = await db(`${base}
      INSERT INTO kind VALUES (1, 'one');
      INSERT INTO item (code) SELECT 'i' || g FROM generate_series(1, 20) g;`);
    const target = await db(`${base}
      ALTER TABLE item ADD COLUMN kind_id int DEFAULT 99 CONSTRAINT item_kind REFERENCES kind(id);`);
    const before = await constraints(target.client);
    const file = join(dir, 'default.tar.gz');
    await exportDb(source, file);
    const error = await rejection(importInto(target, file, 'skip', { foreignKeyReload: 'always', ignoreMissingColumns: true }));
    // The trigger of item_kind refused the first row, found by halving the statement's rows.
    expect(error.message).toMatch(
      /^Inserting into item failed at row 1 \{"code":"i1"\}: insert or update on table "item" violates foreign key constraint "item_kind"/,
    );
    expect(await rowCounts(target.client, ['kind', 'item'])).toEqual({ kind: 0, item: 0 });
    expect(await constraints(target.client)).toEqual(before);
    // With the parent there, the same import reloads item_parent and keeps item_kind on its trigger, and says why.
    await target.client.query(`INSERT INTO kind VALUES (99, 'default')`);
    const report = await importInto(target, file, 'skip', { foreignKeyReload: 'always', ignoreMissingColumns: true });
    expect(report.foreignKeys).toMatchObject({ path: 'reloaded', reloaded: ['public.item.item_parent'] });
    expect(report.foreignKeys!.reason).toMatch(/item_kind: item\.kind_id is not in the archive/);
    expect(await constraints(target.client)).toEqual(before);
  });
});

describe('a drop PostgreSQL refuses', () => {
  test('a parent with deferred checks pending (a deferred MATCH FULL key kept on its trigger): its child keeps its triggers, the import goes on', async () => {
    const schema = `CREATE TABLE grand (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
      CREATE TABLE parent (id serial PRIMARY KEY, code text NOT NULL UNIQUE, grand_id int,
        CONSTRAINT parent_grand FOREIGN KEY (grand_id) REFERENCES grand(id) MATCH FULL DEFERRABLE INITIALLY DEFERRED);
      CREATE TABLE child (id serial PRIMARY KEY, code text NOT NULL UNIQUE, parent_id int CONSTRAINT child_parent REFERENCES parent(id));`;
    const source = await db(`${schema}
      INSERT INTO grand (code) VALUES ('g');
      INSERT INTO parent (code, grand_id) SELECT 'p' || g, 1 FROM generate_series(1, 10) g;
      INSERT INTO child (code, parent_id) SELECT 'c' || g, 1 + g % 10 FROM generate_series(1, 30) g;`);
    const target = await db(schema);
    const before = await constraints(target.client);
    const file = join(dir, 'pending.tar.gz');
    await exportDb(source, file);
    const report = await importInto(target, file, 'skip', { foreignKeyReload: 'always' });
    expect(report.failures).toEqual([]);
    // parent's own key is MATCH FULL (kept); child's drop needs parent, whose deferred checks are pending.
    expect(report.foreignKeys?.reloaded).toEqual([]);
    expect(report.foreignKeys?.reason).toMatch(
      /child: its foreign keys could not be dropped \(cannot ALTER TABLE "parent" because it has pending trigger events\)/,
    );
    expect(await constraints(target.client)).toEqual(before);
    expect(await compareDatabases(source.client, target.client)).toEqual([]);
  });
});

describe('who may reload', () => {
  const OWNED = `
    CREATE TABLE parent (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
    CREATE TABLE child (id serial PRIMARY KEY, code text NOT NULL UNIQUE, parent_id int REFERENCES parent(id) ON DELETE CASCADE);`;

  async function asRole(target: TestDb, role: string): Promise<TestDb> {
    const url = new URL(target.url);
    url.username = role;
    url.password = 'x';
    return { ...target, url: url.toString() };
  }

  test('the owner of the tables reloads; a user who may only write them gets the triggers, and the plan and the report say why', async () => {
    const source = await db(`${OWNED}
      INSERT INTO parent (code) SELECT 'p' || g FROM generate_series(1, 10) g;
      INSERT INTO child (code, parent_id) SELECT 'k' || g, 1 + g % 10 FROM generate_series(1, 40) g;`);
    const suffix = randomBytes(4).toString('hex');
    const owner = `mr4_fk_owner_${suffix}`;
    const writer = `mr4_fk_writer_${suffix}`;
    const grants = (role: string) =>
      `GRANT SELECT, INSERT, UPDATE, REFERENCES ON parent, child TO ${role}; GRANT USAGE, SELECT, UPDATE ON SEQUENCE parent_id_seq, child_id_seq TO ${role};`;
    const setup = `CREATE ROLE ${owner} LOGIN PASSWORD 'x'; CREATE ROLE ${writer} LOGIN PASSWORD 'x';`;
    const ownerDb = await db(`${OWNED} ${setup} ALTER TABLE parent OWNER TO ${owner}; ALTER TABLE child OWNER TO ${owner};`);
    const writerDb = await db(`${OWNED} ${grants(writer)}`);
    const file = join(dir, 'roles.tar.gz');
    await exportDb(source, file);
    try {
      const ownerBefore = await constraints(ownerDb.client);
      const asOwner = await importInto(await asRole(ownerDb, owner), file, 'skip', { foreignKeyReload: 'always' });
      expect(asOwner.foreignKeys).toMatchObject({ path: 'reloaded', reloaded: ['public.child.child_parent_id_fkey'] });
      expect(await constraints(ownerDb.client)).toEqual(ownerBefore);
      expect(await compareDatabases(source.client, ownerDb.client)).toEqual([]);

      const writerBefore = await constraints(writerDb.client);
      const asWriter = await importInto(await asRole(writerDb, writer), file, 'skip', { foreignKeyReload: 'always' });
      expect(asWriter.foreignKeys?.path).toBe('triggers');
      expect(asWriter.foreignKeys!.reason).toMatch(
        new RegExp(`child_parent_id_fkey: you do not own public\\.child \\(its owner is postgres\\)`),
      );
      expect(await constraints(writerDb.client)).toEqual(writerBefore);
      expect(await compareDatabases(source.client, writerDb.client)).toEqual([]);

      // mr4 plan says the same before anything runs.
      const ownerPlan = await previewExport({ db: dbTarget((await asRole(ownerDb, owner)).url) });
      expect(ownerPlan.importForeignKeys.path).toBe('reloaded');
      const writerPlan = await previewExport({ db: dbTarget((await asRole(writerDb, writer)).url) });
      expect(writerPlan.importForeignKeys).toMatchObject({ path: 'triggers' });
      expect(writerPlan.importForeignKeys.reason).toMatch(/you do not own public\.child/);
    } finally {
      await ownerDb.client.query(`DROP OWNED BY ${owner}`).catch(() => undefined);
      await writerDb.client.query(`DROP OWNED BY ${writer}`).catch(() => undefined);
      await ownerDb.client.query(`DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${writer}`).catch(() => undefined);
    }
  });
});
