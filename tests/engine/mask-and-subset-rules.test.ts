// Masking rules and subsets, rule by rule, on small schemas: what each rule writes, that one value masks
// alike in every table (and equals what JavaScript computes under the same seed), what is refused and
// why; which rows a subset takes (parents always, children on request), that it imports cleanly into an
// empty database, and that a diff never reads a row it lacks as deleted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { maskKey, hmacHex } from '../../src-main/engine/mask';
import { previewExport } from '../../src-main/engine/export';
import { checkCondition, parseWhere } from '../../src-main/engine/subset';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import { runDiff } from '../../src-main/services/diff-job';
import { walkArchive } from '../../src-main/engine/archive/reader';
import type { TestDb } from '../helpers/db';
import { rowsOnNamedParents } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const newDb = databasesForFile();

/** Every row of every table file in an archive, by table (values as the archive holds them). */
async function archiveRows(path: string): Promise<Record<string, (string | null)[][]>> {
  const out: Record<string, (string | null)[][]> = {};
  await walkArchive(path, async (name, body) => {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    if (name === 'index.json' || name === 'mr4-lineage.json') return;
    const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { tableName: string; rows: (string | null)[][] };
    out[doc.tableName] = doc.rows;
  });
  return out;
}

const PEOPLE = `
  CREATE TABLE person (id serial PRIMARY KEY, email text NOT NULL UNIQUE, phone varchar(20), name text, secret uuid, pin integer,
                       avatar bytea, born date, notes jsonb, nickname text, kind text NOT NULL DEFAULT 'a');
  CREATE TABLE contact (email text PRIMARY KEY REFERENCES person(email) ON UPDATE CASCADE, since date);
  CREATE TABLE message (id serial PRIMARY KEY, person_id int REFERENCES person(id), sender text, body text);
  INSERT INTO person (email, phone, name, secret, pin, avatar, born, notes, nickname) VALUES
    ('anna@real.example', '+49 170 1234567', 'Anna Real', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1234, '\\x0102', '1980-05-01', '{"cc": ["ben@real.example"], "n": 1}', 'ann'),
    ('ben@real.example', NULL, 'Ben Real', NULL, NULL, NULL, NULL, NULL, NULL);
  INSERT INTO contact VALUES ('anna@real.example', '2020-01-01'), ('ben@real.example', '2021-01-01');
  INSERT INTO message (person_id, sender, body) VALUES (1, 'ben@real.example', 'Hi anna@real.example, see you.'), (2, 'anna@real.example', NULL);`;

const RULES = {
  tables: {
    person: {
      mask: {
        email: 'email',
        phone: 'phone',
        name: 'name',
        secret: 'hash',
        pin: 'hash',
        avatar: 'hash',
        born: 'random',
        notes: 'emails-inside',
        nickname: { fixed: 'nick' },
      },
    },
    message: { mask: { sender: 'email', body: 'emails-inside' } },
  },
} as const;

describe('masking rules', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await newDb(PEOPLE);
  });

  test('each rule writes what it says; one value masks alike in every table; JavaScript agrees with the server', async () => {
    const seed = 'a seed of sixteen bytes or more';
    const archive = join(dir, 'people.tar.gz');
    const report = await exportDb(db, archive, { config: RULES as never, maskSeed: seed });
    // contact.email points at person.email: it is masked alike without being named.
    expect(report.masked!.find((m) => m.table === 'contact')).toEqual({
      table: 'contact',
      column: 'email',
      rule: 'email',
      inherited: false,
    });
    const rows = await archiveRows(archive);
    const [anna, ben] = rows.person;
    const k = maskKey(seed);
    const h = hmacHex(k, 'anna@real.example');
    // id, email, phone, name, secret, pin, avatar, born, notes, nickname, kind
    expect(anna[1]).toMatch(new RegExp(`^[a-z]+\\.[a-z]+-${h.slice(4, 20)}@example\\.invalid$`));
    expect(anna[2]).toBe(`+999${String(BigInt(`0x${hmacHex(k, '+49 170 1234567').slice(4, 19)}`) % 1000000000000n).padStart(12, '0')}`);
    expect(ben[2]).toBeNull();
    expect(anna[3]).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(anna[4]).toBe(
      hmacHex(k, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
        .slice(0, 32)
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
    );
    expect(anna[5]).toBe(String(parseInt(hmacHex(k, '1234').slice(0, 8), 16) & 0x7fffffff));
    expect(anna[6]).toBe(`\\x${readHmacBytes(k, '\\x0102')}`);
    expect(anna[7]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(anna[7]).not.toBe('1980-05-01');
    expect(JSON.parse(anna[8]!)).toEqual({ cc: [ben[1]], n: 1 });
    expect(anna[9]).toBe('nick');
    expect(ben[9]).toBeNull();
    expect(anna[10]).toBe('a');
    // The same address masks alike everywhere: the contact, the sender, inside a message's text.
    // (Rows keyed by a masked column are in the order of what the archive holds of it.)
    expect(rows.contact.map((r) => r[0]).sort()).toEqual([anna[1], ben[1]].sort());
    expect(rows.message[0][2]).toBe(ben[1]);
    expect(rows.message[0][3]).toBe(`Hi ${anna[1]}, see you.`);
    const text = readFileSync(archive);
    expect(text.includes(Buffer.from('real.example'))).toBe(false);

    // It imports cleanly into an empty copy (the masked references still point at their rows).
    const empty = await newDb(PEOPLE.replace(/INSERT[\s\S]*$/, ''));
    const imported = await importInto(empty, archive, 'merge');
    expect(imported.failures).toEqual([]);
    expect(imported.tables.find((t) => t.table === 'contact')!.inserted).toBe(2);
  });

  test('the same seed masks alike in two archives; without one, every export masks differently', async () => {
    const a = await archiveRows(
      (await exportDb(db, join(dir, 'a.tar.gz'), { config: RULES as never, maskSeed: 'one seed, sixteen+' })).file,
    );
    const b = await archiveRows(
      (await exportDb(db, join(dir, 'b.tar.gz'), { config: RULES as never, maskSeed: 'one seed, sixteen+' })).file,
    );
    const c = await archiveRows((await exportDb(db, join(dir, 'c.tar.gz'), { config: RULES as never })).file);
    expect(a.person[0][1]).toBe(b.person[0][1]);
    expect(c.person[0][1]).not.toBe(a.person[0][1]);
  });

  test('a masked table can be a subset too: its kept rows, masked', async () => {
    const { file } = await exportDb(db, join(dir, 'masked-subset.tar.gz'), {
      config: RULES as never,
      subset: { where: [{ table: 'person', where: "name = 'Ben Real'" }], withChildren: true },
    });
    const rows = await archiveRows(file);
    expect(rows.person).toHaveLength(1);
    expect(rows.person[0][1]).not.toBe('ben@real.example');
    expect(rows.message.map((m) => m[1])).toEqual(['2']);
  });

  test('--no-mask (mask "off") writes clear values; "config" applies the configuration’s rules', async () => {
    const off = await archiveRows((await exportDb(db, join(dir, 'off.tar.gz'), { config: RULES as never, mask: 'off' })).file);
    expect(off.person[0][1]).toBe('anna@real.example');
  });

  test('refused before anything is copied: ids, NULL into NOT NULL, a rule with no form for the type, too long for the column, a unique column that would collide', async () => {
    const out = join(dir, 'refused.tar.gz');
    const tryRules = (mask: Record<string, unknown>, table = 'person') =>
      exportDb(db, out, { config: { tables: { [table]: { mask } } } as never });
    await expect(tryRules({ id: 'hash' })).rejects.toThrow(/Cannot mask person\.id: it holds ids/);
    await expect(tryRules({ person_id: 'hash' }, 'message')).rejects.toThrow(/Cannot mask message\.person_id: it holds ids/);
    await expect(tryRules({ email: 'null' })).rejects.toThrow(/Cannot mask person\.email with null: it is NOT NULL/);
    await expect(tryRules({ pin: 'phone' })).rejects.toThrow(/phone writes text, and the column is integer/);
    await expect(tryRules({ phone: 'email' })).rejects.toThrow(/email writes up to \d+ characters, and the column holds 20/);
    await expect(tryRules({ pin: { fixed: 'not a number' } })).rejects.toThrow(/The fixed value for person\.pin is not a integer/);
    await expect(tryRules({ email: { fixed: 'same@example.invalid' } })).rejects.toThrow(
      /Masking would give two rows of person the same email, which must stay unique/,
    );
    await expect(tryRules({ email: 'random' })).rejects.toThrow(
      /joined to other columns by a foreign key; random would leave them pointing at nothing/,
    );
    await expect(tryRules({ nosuch: 'null' })).rejects.toThrow(/names column "person\.nosuch", which does not exist/);
    expect(() => parseWhere('nocolon')).toThrow(/not TABLE:CONDITION/);
  });
});

function readHmacBytes(k: ReturnType<typeof maskKey>, text: string): string {
  return hmacHex(k, text);
}

// ── subsets ─────────────────────────────────────────────────────────────────────────────────────────

const SHOP = `
  CREATE TABLE region (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
  CREATE TABLE customer (id serial PRIMARY KEY, email text NOT NULL UNIQUE, region_id int NOT NULL REFERENCES region(id), referred_by int REFERENCES customer(id));
  CREATE TABLE product (id serial PRIMARY KEY, sku text NOT NULL UNIQUE);
  CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), placed date NOT NULL);
  CREATE TABLE order_line (order_id int NOT NULL REFERENCES orders(id) ON DELETE CASCADE, product_id int NOT NULL REFERENCES product(id), qty int NOT NULL, PRIMARY KEY (order_id, product_id));
  CREATE TABLE note (id serial PRIMARY KEY, order_id int REFERENCES orders(id), text text);
  INSERT INTO region (name) SELECT 'r' || g FROM generate_series(1, 5) g;
  INSERT INTO customer (email, region_id) SELECT 'c' || g || '@x.example', 1 + g % 5 FROM generate_series(1, 50) g;
  UPDATE customer SET referred_by = id - 1 WHERE id % 10 = 0;
  INSERT INTO product (sku) SELECT 'p' || g FROM generate_series(1, 20) g;
  INSERT INTO orders (customer_id, placed) SELECT 1 + g % 50, DATE '2025-01-01' + g FROM generate_series(1, 200) g;
  INSERT INTO order_line SELECT o.id, 1 + (o.id + k) % 20, k FROM orders o, generate_series(1, 3) k;
  INSERT INTO note (order_id, text) SELECT id, 'note ' || id FROM orders WHERE id % 4 = 0;
  INSERT INTO note (order_id, text) VALUES (NULL, 'loose note');`;

describe('subsets', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await newDb(SHOP);
  });
  const count = async (d: TestDb, sql: string) => Number((await d.client.query(sql)).rows[0].n);

  test('the rows meeting the condition, every parent they need (recursively), and with --with-children their children', async () => {
    const where = [{ table: 'orders', where: "placed >= DATE '2025-07-01'" }];
    const without = await previewExport({ db: dbTarget(db.url), subset: { where } });
    const by = (name: string) => without.subset!.tables.find((t) => t.table === name)!;
    const recent = await count(db, `SELECT count(*) AS n FROM orders WHERE placed >= DATE '2025-07-01'`);
    expect(by('orders')).toMatchObject({ role: 'filtered', rows: recent, byCondition: recent });
    // order_line and note point at orders: without --with-children they take nothing of their own.
    expect(by('order_line')).toMatchObject({ role: 'dependent', rows: 0 });
    expect(by('note')).toMatchObject({ role: 'dependent', rows: 0 });
    // Customers and regions do not point at orders: exported in full.
    expect(by('customer')).toMatchObject({ role: 'full', rows: null });

    const withChildren = await previewExport({ db: dbTarget(db.url), subset: { where, withChildren: true } });
    const c = (name: string) => withChildren.subset!.tables.find((t) => t.table === name)!;
    expect(c('order_line').rows).toBe(
      await count(db, `SELECT count(*) AS n FROM order_line l JOIN orders o ON o.id = l.order_id WHERE o.placed >= DATE '2025-07-01'`),
    );
    expect(c('note').rows).toBe(
      await count(db, `SELECT count(*) AS n FROM note n JOIN orders o ON o.id = n.order_id WHERE o.placed >= DATE '2025-07-01'`),
    );
  });

  test('a filtered table keeps the parents a kept row needs, along self references too', async () => {
    const { subset } = await previewExport({ db: dbTarget(db.url), subset: { where: [{ table: 'customer', where: 'id = 30' }] } });
    const customers = subset!.tables.find((t) => t.table === 'customer')!;
    // 30 was referred by 29 (its parent through referred_by); 29 by no one.
    expect(customers).toMatchObject({ rows: 2, byCondition: 1, asParents: 1 });
    // Orders point at customers: dependent, and without children they take none.
    expect(subset!.tables.find((t) => t.table === 'orders')).toMatchObject({ role: 'dependent', rows: 0 });
  });

  test('it imports cleanly into an empty database; a later diff never reads the rows it lacks as deleted', async () => {
    const archive = join(dir, 'subset.tar.gz');
    const where = [{ table: 'orders', where: "placed >= DATE '2025-07-01'" }];
    const report = await exportDb(db, archive, { subset: { where, withChildren: true } });
    expect(report.subset!.where).toEqual(where);
    const empty = await newDb(SHOP.replace(/INSERT[\s\S]*$/, '').replace(/UPDATE[\s\S]*$/, ''));
    const imported = await importInto(empty, archive, 'merge');
    expect(imported.failures).toEqual([]);
    expect(await count(empty, `SELECT count(*) AS n FROM orders`)).toBe(report.subset!.tables.find((t) => t.table === 'orders')!.rows);

    // A full copy kept as the agreement, then a subset compared three ways: the rows it lacks are
    // only in the target, never "gone in the source".
    const dataDir = scratchDir();
    const copy = await newDb(SHOP.replace(/INSERT[\s\S]*$/, '').replace(/UPDATE[\s\S]*$/, ''));
    const full = join(dir, 'full.tar.gz');
    await exportDb(db, full);
    await new BaseRegistry(dataDir).record(await importInto(copy, full, 'merge', { agreement: agreementStore(dataDir) }));
    // Exported after that agreement (an archive older than it is refused as its counterpart).
    const later = join(dir, 'subset-later.tar.gz');
    await exportDb(db, later, { subset: { where, withChildren: true } });
    const diff = await runDiff(
      dbTarget(copy.url),
      { archive: later, base: 'auto', dataDir, rowsPerKind: 5 },
      undefined,
      new AbortController().signal,
      () => undefined,
    );
    expect(diff.summary.threeWay).toBe(true);
    const orders = diff.summary.tables.find((t) => t.table === 'orders')!.counts;
    expect(orders.deleted_in_source).toBe(0);
    expect(orders.target_only).toBe(200 - report.subset!.tables.find((t) => t.table === 'orders')!.rows!);
    expect(diff.rows.find((r) => r.table === 'orders' && r.kind === 'target_only')!.hint).toMatch(
      /not exported: the archive holds a subset/,
    );
    expect(diff.summary.warnings.some((w) => /the archive is a subset \(orders: placed >= DATE '2025-07-01'\)/.test(w))).toBe(true);
    // A merge of it deletes nothing and changes nothing.
    const merged = await importInto(copy, later, 'merge', { base: 'auto', agreement: agreementStore(dataDir) });
    expect(merged.tables.every((t) => t.inserted === 0 && t.updated === 0)).toBe(true);
    expect(await count(copy, `SELECT count(*) AS n FROM orders`)).toBe(200);
  });

  test('a polymorphic reference is followed like a foreign key: notes on the kept orders come with them, notes on customers in full, none on an order left out', async () => {
    const odoo = `
      CREATE TABLE res_partner (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE sale_order (id serial PRIMARY KEY, name text NOT NULL UNIQUE, partner_id int NOT NULL REFERENCES res_partner);
      CREATE TABLE mail_message (id serial PRIMARY KEY, model varchar, res_id int, body text NOT NULL);`;
    const data = `
      INSERT INTO res_partner (name) VALUES ('Azure'), ('Deco');
      INSERT INTO sale_order (name, partner_id) VALUES ('S1', 1), ('S2', 2), ('S3', 1);
      INSERT INTO mail_message (model, res_id, body) VALUES ('sale.order', 1, 'on S1'), ('sale.order', 3, 'on S3'),
        ('res.partner', 2, 'on Deco'), (NULL, NULL, 'on nothing');`;
    const source = await newDb(odoo + data);
    const where = [{ table: 'sale_order', where: "name = 'S3'" }];
    const without = await previewExport({ db: dbTarget(source.url), subset: { where } });
    expect(without.subset!.tables.find((t) => t.table === 'mail_message')).toMatchObject({ role: 'dependent', rows: 2, unnamed: 2 });
    const archive = join(dir, 'subset-polymorphic.tar.gz');
    const report = await exportDb(source, archive, { subset: { where, withChildren: true } });
    expect(report.subset!.tables.find((t) => t.table === 'mail_message')).toMatchObject({ role: 'dependent', rows: 3, asChildren: 1 });
    expect((await archiveRows(archive)).mail_message.map((r) => r[3]).sort()).toEqual(['on Deco', 'on S3', 'on nothing']);
    // Into a target holding other rows at those ids: the note on S3 lands on S3, nothing is refused.
    const target = await newDb(
      odoo +
        `INSERT INTO res_partner (name) VALUES ('Other'); INSERT INTO sale_order (name, partner_id) VALUES ('X1', 1), ('X2', 1), ('X3', 1);`,
    );
    const imported = await importInto(target, archive, 'merge');
    expect(imported.failures).toEqual([]);
    const rows = await rowsOnNamedParents(target.client, 'mail_message', { body: 'body', type: 'model', id: 'res_id' }, [
      { type: 'sale.order', table: 'sale_order', label: 'name' },
      { type: 'res.partner', table: 'res_partner', label: 'name' },
    ]);
    expect(rows).toEqual([
      { body: 'on Deco', on: 'Deco' },
      { body: 'on S3', on: 'S3' },
      { body: 'on nothing', on: null },
    ]);
  });

  test('conditions: one expression, checked in the read-only snapshot, with clear errors', async () => {
    for (const bad of ['1=1; DROP TABLE customer', 'true -- comment', 'true /* x */', '1=1) OR (true', '(1=1', "name = 'unclosed"]) {
      expect(() => checkCondition('orders', bad), bad).toThrow(/not a single SQL expression/);
    }
    // Quotes, dollar quotes and E-strings may hold any of those characters.
    for (const ok of ["text = 'a;b -- c /* d'", 'text = $$x;y$$', "text = E'it\\'s; fine'", '"weird;name" IS NULL']) {
      expect(() => checkCondition('note', ok), ok).not.toThrow();
    }
    const preview = (where: string) => previewExport({ db: dbTarget(db.url), subset: { where: [{ table: 'orders', where }] } });
    await expect(preview('nosuch > 1')).rejects.toThrow(/The condition for orders is not valid: column "nosuch" does not exist/);
    await expect(preview('placed')).rejects.toThrow(/argument of WHERE must be type boolean/);
    // A condition that would write is stopped by the snapshot's READ ONLY.
    await expect(preview(`nextval('public.orders_id_seq') > 0`)).rejects.toThrow(/read-only transaction/);
    const seq = await count(db, `SELECT last_value AS n FROM orders_id_seq`);
    expect(seq).toBe(200);
    // Other tables are named through the schema; the table's own columns bare.
    const ok = await preview(`customer_id IN (SELECT id FROM customer WHERE region_id = 1)`);
    expect(ok.subset!.tables.find((t) => t.table === 'orders')!.rows).toBeGreaterThan(0);
    await expect(previewExport({ db: dbTarget(db.url), subset: { where: [{ table: 'nosuch', where: 'true' }] } })).rejects.toThrow(
      /--where names table "nosuch", which is not in schema/,
    );
  });
});
