// The planner: natural keys chosen from the catalog alone, cycles broken at the fewest columns, the
// Crearis profile, configuration overrides.
import { afterAll, describe, expect, test } from 'vitest';
import { readCatalog } from '../../src-main/engine/catalog';
import type { Mr4Config } from '../../src-main/engine/config';
import { buildPlan, type Plan } from '../../src-main/engine/plan';
import { applySessionSettings } from '../../src-main/engine/session';
import { createTestDb, type TestDb } from '../helpers/db';
import { crearisSchemaSql } from '../helpers/engine';

const databases: TestDb[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

async function planFor(sql: string, config?: Mr4Config, tables?: string[]): Promise<Plan> {
  const db = await createTestDb(sql);
  databases.push(db);
  await applySessionSettings(db.client);
  return buildPlan(await readCatalog(db.client), { config, tables });
}
const table = (plan: Plan, name: string) => plan.tables.find((t) => t.name === name)!;

describe('natural keys', () => {
  test('NOT NULL before nullable, fewer columns, text, then name; surrogate ids never', async () => {
    const plan = await planFor(`
      CREATE TABLE a (id serial PRIMARY KEY, code text UNIQUE, email text NOT NULL UNIQUE, x int NOT NULL, y int NOT NULL, UNIQUE (x, y));
      CREATE TABLE b (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int NOT NULL UNIQUE, t text NOT NULL UNIQUE);
      CREATE TABLE c (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), slug text);
      CREATE UNIQUE INDEX c_slug ON c (slug) WHERE slug IS NOT NULL;
      CREATE TABLE d (id text PRIMARY KEY, label text);
      CREATE TABLE e (a_id int NOT NULL REFERENCES a(id), b_id bigint NOT NULL REFERENCES b(id), PRIMARY KEY (a_id, b_id));
      CREATE TABLE f (id serial PRIMARY KEY, lower_email text);
      CREATE UNIQUE INDEX f_expr ON f (lower(lower_email));`);
    expect(table(plan, 'a').key).toMatchObject({ kind: 'key', columns: ['email'], nullable: false });
    expect(table(plan, 'a').surrogate).toBe('id');
    expect(table(plan, 'b').key.columns).toEqual(['t']);
    // A partial unique index is no natural key: content matching, and pairing by the index.
    expect(table(plan, 'c').key.kind).toBe('content');
    expect(table(plan, 'c').pairingIndexes).toEqual([{ name: 'c_slug', terms: ['slug'], predicate: 'slug IS NOT NULL', reads: ['slug'] }]);
    expect(table(plan, 'c').surrogate).toBe('id');
    expect(table(plan, 'c').matchColumns).toEqual(['slug']);
    // A text primary key without a default is natural.
    expect(table(plan, 'd')).toMatchObject({ surrogate: null, key: { kind: 'key', columns: ['id'], source: 'primary key' } });
    expect(table(plan, 'e').key.columns).toEqual(['a_id', 'b_id']);
    expect(table(plan, 'f').key.kind).toBe('content');
    // It has an id: a row the lineage or its index pairs is updated; otherwise only new or identical.
    expect(table(plan, 'f').warnings).toEqual([
      'no natural key: a row is paired with a target row by the lineage of ids (or --same-ids), or where their lower(lower_email) (unique index f_expr) are equal — the target cannot hold both — and then updated; others are recognised by their whole content, so they are only ever new or identical',
    ]);
  });

  test('a nullable key is used, with rows whose key is NULL matched by content', async () => {
    const plan = await planFor(`CREATE TABLE t (id serial PRIMARY KEY, xmlid text UNIQUE, name text);`);
    expect(table(plan, 't').key).toMatchObject({ columns: ['xmlid'], nullable: true });
    expect(table(plan, 't').warnings.join()).toMatch(/NULL are recognised by their content/);
  });

  test("a multi-column reference holding an id mr4 renumbers has that column rewritten, whether the parent's own id or one it rewrites, down a chain", async () => {
    const plan = await planFor(`
      CREATE TABLE flights (flight_id serial PRIMARY KEY, flight_no text NOT NULL UNIQUE);
      CREATE TABLE tickets (ticket_no text PRIMARY KEY, passenger text NOT NULL);
      CREATE TABLE ticket_flights (ticket_no text REFERENCES tickets, flight_id int REFERENCES flights, PRIMARY KEY (ticket_no, flight_id));
      CREATE TABLE boarding_passes (ticket_no text, flight_id int, seat text NOT NULL, PRIMARY KEY (ticket_no, flight_id),
        FOREIGN KEY (ticket_no, flight_id) REFERENCES ticket_flights);
      CREATE TABLE pass_scans (id serial PRIMARY KEY, ticket_no text NOT NULL, flight_id int NOT NULL, gate text NOT NULL,
        FOREIGN KEY (ticket_no, flight_id) REFERENCES boarding_passes);
      CREATE TABLE docs (tenant int NOT NULL, id serial PRIMARY KEY, title text NOT NULL, UNIQUE (tenant, id));
      CREATE TABLE notes (id serial PRIMARY KEY, tenant int NOT NULL, doc_id int NOT NULL, body text, FOREIGN KEY (tenant, doc_id) REFERENCES docs (tenant, id));`);
    const rewritten = plan.tables.flatMap((t) =>
      t.references
        .filter((r) => r.via)
        .map((r) => `${t.name}.${r.columns[0]} → ${r.parent}.${r.parentColumns[0]} via ${r.via!.parent}.${r.via!.parentColumn}`),
    );
    expect(rewritten.sort()).toEqual([
      'boarding_passes.flight_id → flights.flight_id via ticket_flights.flight_id',
      'notes.doc_id → docs.id via docs.id',
      'pass_scans.flight_id → flights.flight_id via boarding_passes.flight_id',
    ]);
    expect(plan.warnings).toEqual([]);
  });

  test("ids inside arrays or JSON are named in the plan's warnings, with what to do", async () => {
    const plan = await planFor(`CREATE TABLE t (id serial PRIMARY KEY, code text UNIQUE NOT NULL, tag_ids int[], member_ids jsonb);`);
    // Never "declare it a reference": mr4 rewrites a reference's whole value, not the ids inside it.
    const inside = (column: string, type: string, what: string) =>
      `t.${column} (${type}) may hold ids: values inside ${what} are copied, not rewritten, so where they are ids of rows the two databases number differently they point at other rows in the target. Leave it out ("excludeColumns"), or list it under "notReferences" if it holds no ids of other rows or the same ids on both sides.`;
    expect(plan.warnings).toEqual([inside('tag_ids', 'integer[]', 'arrays'), inside('member_ids', 'jsonb', 'JSON')]);
  });

  test('a type or model column beside an id that also names a table: both readings are said', async () => {
    const plan = await planFor(`
      CREATE TABLE cars (id serial PRIMARY KEY, plate text);
      CREATE TABLE rentals (id serial PRIMARY KEY, car_model text, car_id int, owner_type text, owner_id int);`);
    const about = (column: string) => plan.warnings.filter((w) => w.startsWith(`rentals.${column} `)).map((w) => w.slice(0, 80));
    expect(about('car_id')).toEqual([
      'rentals.car_id looks like a polymorphic reference (car_model names the table by ',
      'rentals.car_id (integer) looks like an id of cars but has no foreign key: its va',
    ]);
    // owner names no table: a polymorphic reference only.
    expect(about('owner_id')).toEqual(
      ['rentals.owner_id looks like a polymorphic reference (owner_type names the table by '].map((w) => w.slice(0, 80)),
    );
  });

  test("an id column is named after its table's singular or plural, however the plural is made", async () => {
    const plan = await planFor(`
      CREATE TABLE statuses (id bigserial PRIMARY KEY, body text);
      CREATE TABLE courses (id serial PRIMARY KEY, title text);
      CREATE TABLE categories (id serial PRIMARY KEY, name text);
      CREATE TABLE reads (id serial PRIMARY KEY, last_status_id bigint, status_id bigint, course_id int, main_category_id int);`);
    expect(plan.warnings.map((w) => w.slice(0, w.indexOf(' but has no foreign key')))).toEqual([
      'reads.last_status_id (bigint) looks like an id of statuses',
      'reads.status_id (bigint) looks like an id of statuses',
      'reads.course_id (integer) looks like an id of courses',
      'reads.main_category_id (integer) looks like an id of categories',
    ]);
  });
});

describe('composite primary keys', () => {
  test('a numbered column in a composite primary key is a surrogate id; another unique key, if any, identifies rows', async () => {
    const plan = await planFor(`
      CREATE TABLE m (id bigserial, at date NOT NULL, sensor text NOT NULL, PRIMARY KEY (id, at), UNIQUE (sensor, at)) PARTITION BY RANGE (at);
      CREATE TABLE n (id serial, at date NOT NULL, v int, PRIMARY KEY (id, at));
      CREATE TABLE j (a int, b int, c text UNIQUE, PRIMARY KEY (a, b));`);
    expect(table(plan, 'm')).toMatchObject({ surrogate: 'id', key: { kind: 'key', columns: ['sensor', 'at'] } });
    // (id, at) pairs unrelated rows that share an id and a date: without another key, n's rows are
    // recognised by their lineage and content, and a new one gets a fresh id where the source's is taken.
    expect(table(plan, 'n')).toMatchObject({ surrogate: 'id', key: { kind: 'content' } });
    expect(table(plan, 'j')).toMatchObject({ surrogate: null, primaryKey: ['a', 'b'] });
  });
});

describe('cycles', () => {
  test('a two-table cycle is broken at one nullable column, preferring ON DELETE SET NULL', async () => {
    const plan = await planFor(`
      CREATE TABLE dept (id serial PRIMARY KEY, code text NOT NULL UNIQUE, manager_id int);
      CREATE TABLE emp (id serial PRIMARY KEY, email text NOT NULL UNIQUE, dept_id int REFERENCES dept(id));
      ALTER TABLE dept ADD FOREIGN KEY (manager_id) REFERENCES emp(id) ON DELETE SET NULL;`);
    expect(plan.cycles).toEqual([{ tables: ['dept', 'emp'], lateColumns: ['dept.manager_id'] }]);
    expect(plan.tables.map((t) => t.name)).toEqual(['dept', 'emp']);
  });

  test('a self reference needs no late seeding: ids are assigned before the rows are written', async () => {
    const plan = await planFor(`CREATE TABLE cat (id serial PRIMARY KEY, slug text NOT NULL UNIQUE, parent_id int REFERENCES cat(id));`);
    expect(plan.cycles).toEqual([]);
    expect(table(plan, 'cat').references[0]).toMatchObject({ self: true, late: false, remap: true });
  });

  test('a cycle of NOT NULL columns is refused before anything is written, naming the tables', async () => {
    await expect(
      planFor(`
        CREATE TABLE p (id serial PRIMARY KEY, code text NOT NULL UNIQUE, q_id int NOT NULL);
        CREATE TABLE q (id serial PRIMARY KEY, code text NOT NULL UNIQUE, p_id int NOT NULL REFERENCES p(id));
        ALTER TABLE p ADD FOREIGN KEY (q_id) REFERENCES q(id);`),
    ).rejects.toThrow(/Tables p, q reference each other in a cycle that no nullable foreign-key column can break/);
  });

  test('a cycle of NOT NULL DEFERRABLE keys is refused too, and the refusal says deferring is not how mr4 breaks one', async () => {
    await expect(
      planFor(`
        CREATE TABLE person (id serial PRIMARY KEY, name text NOT NULL UNIQUE, addr_id int NOT NULL);
        CREATE TABLE address (id serial PRIMARY KEY, line text NOT NULL UNIQUE,
          person_id int NOT NULL REFERENCES person(id) DEFERRABLE INITIALLY DEFERRED);
        ALTER TABLE person ADD FOREIGN KEY (addr_id) REFERENCES address(id) DEFERRABLE INITIALLY DEFERRED;`),
    ).rejects.toThrow(
      /Make one of those columns nullable, or exclude a table\. Their keys on address\.person_id; person\.addr_id are DEFERRABLE, but mr4 does not break a cycle by deferring a check: it writes one table before the other and fills a nullable column late\.$/,
    );
  });

  test('the Crearis cycles break at the fewest columns', async () => {
    const plan = await planFor(crearisSchemaSql);
    const late = plan.cycles.flatMap((c) => c.lateColumns);
    // users ↔ images ↔ projects ↔ domains ↔ instructors: three nullable columns break every loop.
    expect(late).toEqual(['domains.project_id', 'images.owner_id', 'images.project_id']);
    // Parents come before children.
    const order = plan.tables.map((t) => t.name);
    expect(order.indexOf('status')).toBeLessThan(order.indexOf('users'));
    expect(order.indexOf('images')).toBeLessThan(order.indexOf('users'));
    expect(order.indexOf('events')).toBeLessThan(order.indexOf('event_instructors'));
  });
});

describe('the Crearis profile and configuration', () => {
  test('applies when the schema is recognised', async () => {
    const plan = await planFor(crearisSchemaSql);
    expect(plan.profile).toBe('crearis');
    expect(table(plan, 'pages').key).toMatchObject({ columns: ['project', 'page_type'], source: 'configuration' });
    expect(table(plan, 'images').key.columns).toEqual(['xmlid']);
    expect(table(plan, 'users').insertOnly).toEqual(['password']);
    expect(table(plan, 'event_instructors').references.map((r) => [r.columns[0], r.parent, r.remap])).toEqual([
      ['event_id', 'events', true],
      ['instructor_id', 'instructors', true],
    ]);
    expect(plan.excluded.map((e) => e.table).sort()).toEqual(['crearis_config', 'system_config']);
    expect(table(plan, 'status').key.columns.sort()).toEqual(['name', 'table']);
    expect(table(plan, 'users').excludedColumns.map((c) => c.name)).toContain('status_display');
  });

  test('a configuration file overrides the profile, or replaces it with "profile": "none"', async () => {
    const over = await planFor(crearisSchemaSql, { tables: { pages: { key: 'content' }, tasks: { exclude: true } } });
    expect(over.profile).toBe('crearis');
    expect(table(over, 'pages').key.kind).toBe('content');
    expect(over.excluded.map((e) => e.table)).toContain('tasks');
    const none = await planFor(crearisSchemaSql, { profile: 'none', tables: {} });
    expect(none.profile).toBeNull();
    expect(table(none, 'pages').key.kind).toBe('content');
    expect(table(none, 'users').insertOnly).toEqual([]);
  });

  test('configuration naming unknown tables or columns is refused', async () => {
    await expect(planFor(`CREATE TABLE t (id int PRIMARY KEY)`, { tables: { nope: { exclude: true } } })).rejects.toThrow(
      /names table "nope"/,
    );
    await expect(planFor(`CREATE TABLE t (id int PRIMARY KEY)`, { tables: { t: { insertOnly: ['nope'] } } })).rejects.toThrow(
      /column "t.nope"/,
    );
  });

  test('a declared reference the schema cannot hold is refused, naming what to do (before: an SQL error mid-import)', async () => {
    const schema = `CREATE TABLE p (id bigserial PRIMARY KEY, code text UNIQUE);
      CREATE TABLE c (id serial PRIMARY KEY, p_ids bigint[], doc jsonb, p_code text, p_id bigint);`;
    const declared = (columns: string[], table = 'p', refColumns?: string[]) =>
      planFor(schema, { tables: { c: { references: [{ columns, table, ...(refColumns ? { refColumns } : {}) }] } } });
    await expect(declared(['p_ids'])).rejects.toThrow(
      `The configuration declares "c.p_ids" (bigint[]) a reference to p, but it holds ids inside an array: mr4 rewrites a reference's whole value, not the ids inside it. Leave it out ("excludeColumns"), or list it under "notReferences" where its ids are the same in both databases.`,
    );
    await expect(declared(['doc'])).rejects.toThrow(
      `The configuration declares "c.doc" (jsonb) a reference to p, but it holds ids inside a document`,
    );
    await expect(declared(['p_code'])).rejects.toThrow(
      `The configuration declares "c.p_code" (text) a reference to "p.id" (bigint): the two cannot hold the same values. Declare it a polymorphic reference if it names rows of several tables, or list it under "notReferences".`,
    );
    await expect(declared(['p_id'], 'nope')).rejects.toThrow(
      `The configuration declares a reference of "c" to table "nope", which is not in schema "public".`,
    );
    await expect(declared(['p_id'], 'p', ['nope'])).rejects.toThrow(
      `The configuration declares a reference of "c" to "p.nope", which does not exist.`,
    );
    await expect(declared(['nope'])).rejects.toThrow(`The configuration names column "c.nope", which does not exist.`);
    // What fits is taken: a text column naming a unique text column, an id naming the id.
    const fine = await planFor(schema, {
      tables: {
        c: {
          references: [
            { columns: ['p_code'], table: 'p', refColumns: ['code'] },
            { columns: ['p_id'], table: 'p' },
          ],
        },
      },
    });
    expect(fine.tables.find((t) => t.name === 'c')!.references.map((r) => [r.columns[0], r.parentColumns[0]])).toEqual([
      ['p_code', 'code'],
      ['p_id', 'id'],
    ]);
  });

  test('selected tables pull in the parents whose ids they carry, as reference tables', async () => {
    const plan = await planFor(crearisSchemaSql, undefined, ['events']);
    expect(table(plan, 'events').role).toBe('data');
    for (const parent of ['projects', 'instructors', 'locations', 'status', 'images', 'users']) {
      expect(table(plan, parent).role, parent).toBe('reference');
    }
    // Left out are the others only, each "not selected" (before, the reference tables were listed too).
    expect(plan.excluded.filter((e) => plan.tables.some((t) => t.name === e.table))).toEqual([]);
    expect(plan.excluded.find((e) => e.table === 'posts')).toEqual({ table: 'posts', reason: 'not selected' });
  });
});

describe('row estimates', () => {
  test('are -1 for a table never analysed (so progress shows no total), the planner’s count once analysed', async () => {
    const plan = await planFor(`
      CREATE TABLE fresh (id serial PRIMARY KEY, n int);
      INSERT INTO fresh (n) SELECT g FROM generate_series(1, 4) g;
      CREATE TABLE counted (id serial PRIMARY KEY, n int);
      INSERT INTO counted (n) SELECT g FROM generate_series(1, 1000) g;
      ANALYZE counted;`);
    expect(table(plan, 'fresh').rowEstimate).toBe(-1);
    expect(table(plan, 'counted').rowEstimate).toBe(1000);
  });
});
