// A schema built to trip a natural-key mover up, with a target that already holds other rows at the
// source's ids: quoted mixed-case names, a natural uuid key, a composite natural key referenced by a
// two-column foreign key, a foreign key to a unique non-key column, a key made of a foreign key and a
// name (a tree), an enum and a domain, a table whose only unique index is on an expression, a
// partitioned table whose primary key (id, date) is not what identifies its rows, a generated column,
// and a nullable key with NULL rows.
import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { compareDatabases, rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
  CREATE TYPE mood AS ENUM ('calm', 'busy');
  CREATE DOMAIN pos_int AS int CHECK (VALUE > 0);
  CREATE TABLE "Region" ("RegionId" serial PRIMARY KEY, "Code" text NOT NULL UNIQUE, "Name" text);
  CREATE TABLE site (id uuid PRIMARY KEY, "regionId" int NOT NULL REFERENCES "Region"("RegionId"), label text, m mood);
  CREATE TABLE shelf (site_id uuid REFERENCES site(id), shelf_no int, capacity pos_int, PRIMARY KEY (site_id, shelf_no));
  CREATE TABLE box (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, site_id uuid NOT NULL, shelf_no int NOT NULL,
                    region_code text REFERENCES "Region"("Code"), barcode text UNIQUE, weight numeric(8,3),
                    heavy boolean GENERATED ALWAYS AS (weight > 10) STORED,
                    FOREIGN KEY (site_id, shelf_no) REFERENCES shelf(site_id, shelf_no));
  CREATE TABLE folder (id serial PRIMARY KEY, parent_id int REFERENCES folder(id), name text NOT NULL, UNIQUE (parent_id, name));
  CREATE TABLE contact (id serial PRIMARY KEY, email text NOT NULL, box_id bigint REFERENCES box(id));
  CREATE UNIQUE INDEX contact_email_lower ON contact (lower(email));
  CREATE TABLE reading (id serial, taken date NOT NULL, box_id bigint REFERENCES box(id), value numeric,
                        PRIMARY KEY (id, taken), UNIQUE (box_id, taken)) PARTITION BY RANGE (taken);
  CREATE TABLE reading_2024 PARTITION OF reading FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE reading_2025 PARTITION OF reading FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;

const TABLES = ['Region', 'site', 'shelf', 'box', 'folder', 'contact', 'reading'];

async function seed(d: Awaited<ReturnType<typeof db>>, side: 'a' | 'b'): Promise<void> {
  // Side b first creates rows of its own, so the shared rows land at other ids than on side a.
  if (side === 'b') {
    await d.client.query(`
      INSERT INTO "Region" ("Code", "Name") VALUES ('zz', 'Only in b'), ('yy', 'Also only in b');
      INSERT INTO folder (parent_id, name) VALUES (NULL, 'b-root');
      INSERT INTO folder (parent_id, name) VALUES (1, 'b-child');
      INSERT INTO site (id, "regionId", label) VALUES ('99999999-9999-9999-9999-999999999999', 1, 'b site');
      INSERT INTO shelf VALUES ('99999999-9999-9999-9999-999999999999', 1, 1);
      INSERT INTO box (site_id, shelf_no, barcode, weight) VALUES ('99999999-9999-9999-9999-999999999999', 1, 'B-9', 1);
      -- (id 1, 2024-05-01): the primary key a's reading of box B-1 has too.
      INSERT INTO reading (taken, box_id, value) VALUES ('2024-05-01', 1, 99);`);
  }
  await d.client.query(`
    INSERT INTO "Region" ("Code", "Name") VALUES ('n', 'North'), ('s', 'South');
    INSERT INTO site (id, "regionId", label, m) SELECT '11111111-1111-1111-1111-111111111111', "RegionId", 'Depot', 'calm' FROM "Region" WHERE "Code" = 'n';
    INSERT INTO site (id, "regionId", label, m) SELECT '22222222-2222-2222-2222-222222222222', "RegionId", 'Yard', 'busy' FROM "Region" WHERE "Code" = 's';
    INSERT INTO shelf VALUES ('11111111-1111-1111-1111-111111111111', 1, 10), ('11111111-1111-1111-1111-111111111111', 2, 20),
                             ('22222222-2222-2222-2222-222222222222', 1, 5);
    INSERT INTO box (site_id, shelf_no, region_code, barcode, weight) VALUES
      ('11111111-1111-1111-1111-111111111111', 1, 'n', 'B-1', 12.5),
      ('11111111-1111-1111-1111-111111111111', 2, 's', 'B-2', 1.25),
      ('22222222-2222-2222-2222-222222222222', 1, NULL, NULL, 3),
      ('22222222-2222-2222-2222-222222222222', 1, NULL, NULL, 3);
    WITH r AS (INSERT INTO folder (parent_id, name) VALUES (NULL, 'docs') RETURNING id),
         c AS (INSERT INTO folder (parent_id, name) SELECT id, 'specs' FROM r RETURNING id)
    INSERT INTO folder (parent_id, name) SELECT id, 'v1' FROM c;
    INSERT INTO contact (email, box_id) SELECT 'Ann@Example.org', id FROM box WHERE barcode = 'B-1';
    INSERT INTO contact (email, box_id) VALUES ('bob@example.org', NULL);
    INSERT INTO reading (taken, box_id, value) SELECT '2024-05-01', id, 1.5 FROM box WHERE barcode = 'B-1';
    INSERT INTO reading (taken, box_id, value) SELECT '2025-05-01', id, 2.5 FROM box WHERE barcode = 'B-2';`);
}

describe('an unusual schema, into a target whose ids are taken by other rows', () => {
  test('new rows and edits merge in by natural key; a second merge rewrites nothing', async () => {
    const a = await db(SCHEMA);
    const b = await db(SCHEMA);
    await seed(a, 'a');
    await seed(b, 'b');
    // Side a moves on: new rows everywhere, and edits to rows both sides have.
    await a.client.query(`
      INSERT INTO "Region" ("Code", "Name") VALUES ('e', 'East');
      UPDATE "Region" SET "Name" = 'Northern' WHERE "Code" = 'n';
      INSERT INTO site (id, "regionId", label, m) SELECT '33333333-3333-3333-3333-333333333333', "RegionId", 'Annex', 'busy' FROM "Region" WHERE "Code" = 'e';
      INSERT INTO shelf VALUES ('33333333-3333-3333-3333-333333333333', 7, 70);
      UPDATE shelf SET capacity = 11 WHERE shelf_no = 1 AND site_id = '11111111-1111-1111-1111-111111111111';
      INSERT INTO box (site_id, shelf_no, region_code, barcode, weight) VALUES ('33333333-3333-3333-3333-333333333333', 7, 'e', 'B-3', 40);
      UPDATE box SET weight = 9.999, region_code = 'e' WHERE barcode = 'B-1';
      INSERT INTO folder (parent_id, name) SELECT id, 'v2' FROM folder WHERE name = 'specs';
      INSERT INTO contact (email, box_id) SELECT 'cy@example.org', id FROM box WHERE barcode = 'B-3';
      INSERT INTO reading (taken, box_id, value) SELECT '2025-06-01', id, 9 FROM box WHERE barcode = 'B-3';
      UPDATE reading SET value = 1.75 WHERE taken = '2024-05-01';`);
    const archive = join(dir, 'unusual-a.tar.gz');
    await exportDb(a, archive);

    const merged = await importInto(b, archive, 'merge');
    expect(merged.failures).toEqual([]);
    // Every row of a is in b, compared with ids replaced by what they point at; b keeps its own rows.
    expect(await compareDatabases(a.client, b.client, { targetMayHaveMore: true })).toEqual([]);
    const regions = await b.client.query(`SELECT "Code", "Name" FROM "Region" ORDER BY "Code"`);
    expect(regions.rows).toEqual([
      { Code: 'e', Name: 'East' },
      { Code: 'n', Name: 'Northern' },
      { Code: 's', Name: 'South' },
      { Code: 'yy', Name: 'Also only in b' },
      { Code: 'zz', Name: 'Only in b' },
    ]);
    const b1 = await b.client.query(`SELECT weight::text, region_code, heavy FROM box WHERE barcode = 'B-1'`);
    expect(b1.rows).toEqual([{ weight: '9.999', region_code: 'e', heavy: false }]);
    // The keyless boxes (barcode NULL) are matched by content: two equal rows stay two.
    expect((await b.client.query(`SELECT count(*)::int AS n FROM box WHERE barcode IS NULL`)).rows[0].n).toBe(2);
    const tree = await b.client.query(
      `SELECT f.name, p.name AS parent FROM folder f LEFT JOIN folder p ON p.id = f.parent_id ORDER BY f.name`,
    );
    expect(tree.rows).toEqual([
      { name: 'b-child', parent: 'b-root' },
      { name: 'b-root', parent: null },
      { name: 'docs', parent: null },
      { name: 'specs', parent: 'docs' },
      { name: 'v1', parent: 'specs' },
      { name: 'v2', parent: 'specs' },
    ]);
    // A partitioned table's (id, taken) primary key numbers rows per database: its rows are matched by
    // (box_id, taken), and b's own reading at a's (id, taken) is left alone.
    const readings = await b.client.query(
      `SELECT r.taken::text, x.barcode, r.value::text FROM reading r JOIN box x ON x.id = r.box_id ORDER BY 1, 2`,
    );
    expect(readings.rows).toEqual([
      { taken: '2024-05-01', barcode: 'B-1', value: '1.75' },
      { taken: '2024-05-01', barcode: 'B-9', value: '99' },
      { taken: '2025-05-01', barcode: 'B-2', value: '2.5' },
      { taken: '2025-06-01', barcode: 'B-3', value: '9' },
    ]);

    const versions = await rowVersions(b.client, TABLES.filter((t) => t !== 'reading').concat(['reading_2024', 'reading_2025']));
    const again = await importInto(b, archive, 'merge');
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(b.client, TABLES.filter((t) => t !== 'reading').concat(['reading_2024', 'reading_2025']))).toEqual(versions);
  });

  test('into an empty database: an exact copy', async () => {
    const a = await db(SCHEMA);
    const empty = await db(SCHEMA);
    await seed(a, 'a');
    const archive = join(dir, 'unusual-copy.tar.gz');
    await exportDb(a, archive);
    const report = await importInto(empty, archive, 'skip');
    expect(report.failures).toEqual([]);
    expect(await compareDatabases(a.client, empty.client)).toEqual([]);
    expect(totals(await importInto(empty, archive, 'skip'))).toMatchObject({ inserted: 0, failed: 0 });
  });
});
