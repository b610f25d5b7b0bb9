// Multi-column references that hold a renumbered id: boarding_passes (ticket_no, flight_id) →
// ticket_flights, whose flight_id is rewritten through flights; notes (tenant_id, doc_id) → docs
// (tenant_id, id), the parent's own id. The id column of such a reference is rewritten through the
// table whose ids it holds, like ticket_flights' own, so a row lands on the same parent in a target
// whose ids differ, is matched by a natural key holding that id, and dev's new rows merge back.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatPlan } from '../../src-main/cli/format-plan';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { planWith } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const airline = `
  CREATE TABLE flights (flight_id serial PRIMARY KEY, flight_no text NOT NULL UNIQUE);
  CREATE TABLE tickets (ticket_no text PRIMARY KEY, passenger_name text NOT NULL);
  CREATE TABLE ticket_flights (ticket_no text REFERENCES tickets, flight_id int REFERENCES flights, amount numeric NOT NULL,
    PRIMARY KEY (ticket_no, flight_id));
  CREATE TABLE boarding_passes (ticket_no text NOT NULL, flight_id int NOT NULL, boarding_no int NOT NULL, seat_no text NOT NULL,
    PRIMARY KEY (ticket_no, flight_id), FOREIGN KEY (ticket_no, flight_id) REFERENCES ticket_flights,
    UNIQUE (flight_id, boarding_no), UNIQUE (flight_id, seat_no));`;

const tenancy = `
  CREATE TABLE docs (id serial PRIMARY KEY, tenant_id int NOT NULL, title text NOT NULL, UNIQUE (tenant_id, id), UNIQUE (tenant_id, title));
  CREATE TABLE comments (id serial PRIMARY KEY, tenant_id int NOT NULL, doc_id int NOT NULL, body text NOT NULL,
    FOREIGN KEY (tenant_id, doc_id) REFERENCES docs (tenant_id, id));`;

/** Every ticket_flights and boarding_passes row, its flight named by flight_no instead of its id. */
async function travel(d: TestDb) {
  const tf = await d.client.query(
    `SELECT tf.ticket_no, f.flight_no, tf.amount::text FROM ticket_flights tf JOIN flights f USING (flight_id) ORDER BY 1, 2`,
  );
  const bp = await d.client.query(
    `SELECT bp.ticket_no, f.flight_no, bp.boarding_no, bp.seat_no FROM boarding_passes bp JOIN flights f USING (flight_id) ORDER BY 1, 2`,
  );
  return { ticketFlights: tf.rows, boardingPasses: bp.rows };
}

describe('the plan', () => {
  test('rewrites the id column of a multi-column reference through the table whose ids it holds, and says so', async () => {
    const d = await db(airline + tenancy);
    const plan = await planWith(d.client);
    const refs = (table: string) => plan.tables.find((t) => t.name === table)!.references;
    expect(refs('boarding_passes').filter((r) => r.via)).toEqual([
      expect.objectContaining({
        columns: ['flight_id'],
        parent: 'flights',
        parentColumns: ['flight_id'],
        remap: true,
        self: false,
        via: { columns: ['ticket_no', 'flight_id'], parent: 'ticket_flights', parentColumn: 'flight_id' },
      }),
    ]);
    expect(refs('comments').filter((r) => r.via)).toEqual([
      expect.objectContaining({
        columns: ['doc_id'],
        parent: 'docs',
        parentColumns: ['id'],
        remap: true,
        via: { columns: ['tenant_id', 'doc_id'], parent: 'docs', parentColumn: 'id' },
      }),
    ]);
    expect(plan.warnings).toEqual([]);
    const text = formatPlan({ plan, server: { version: '16', database: 'x', systemIdentifier: null } });
    expect(text.split('\n').filter((l) => /^\s+reference: .*\(ticket_no, flight_id\)|reference: tenant_id, doc_id/.test(l))).toEqual([
      '      reference: tenant_id, doc_id → docs(tenant_id, id) (doc_id rewritten through docs, tenant_id copied as is)',
      '      reference: ticket_no, flight_id → ticket_flights(ticket_no, flight_id) (flight_id rewritten through flights, ticket_no copied as is)',
    ]);
  });

  test("warns where the column cannot be rewritten: it is the child's own id, or rewritten through another table already", async () => {
    const d = await db(
      tenancy +
        `CREATE TABLE doc_meta (id serial PRIMARY KEY, tenant_id int NOT NULL, FOREIGN KEY (tenant_id, id) REFERENCES docs (tenant_id, id));
         CREATE TABLE pages (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
         CREATE TABLE links (tenant_id int NOT NULL, page_id int NOT NULL REFERENCES pages, PRIMARY KEY (tenant_id, page_id),
           FOREIGN KEY (tenant_id, page_id) REFERENCES docs (tenant_id, id));`,
    );
    const plan = await planWith(d.client);
    expect(plan.warnings).toEqual([
      "doc_meta(tenant_id, id) references docs(tenant_id, id), which includes its id column id: mr4 cannot rewrite id through those ids (id is doc_meta's own id), so its values are copied as they are, and in a target whose ids differ they point at other rows. Reference the id alone, or exclude the table.",
      'links(tenant_id, page_id) references docs(tenant_id, id), which includes its id column id: mr4 cannot rewrite page_id through those ids (page_id is rewritten through pages already), so its values are copied as they are, and in a target whose ids differ they point at other rows. Reference the id alone, or exclude the table.',
    ]);
  });
});

describe('an import into a target that holds its own rows at the source ids', () => {
  test("production's boarding pass lands on production's flight, not on dev's flight at the same id", async () => {
    const prod = await db(
      airline +
        `INSERT INTO flights VALUES (1, 'PG0001'), (2, 'PG0002'); INSERT INTO tickets VALUES ('T1', 'ANNA'), ('T2', 'BORIS');
         INSERT INTO ticket_flights VALUES ('T1', 1, 100), ('T2', 1, 120), ('T2', 2, 80);
         INSERT INTO boarding_passes VALUES ('T1', 1, 7, '7A'), ('T2', 1, 8, '8B'), ('T2', 2, 1, '1C');
         SELECT setval('flights_flight_id_seq', 2);`,
    );
    // Dev's own flight at id 1, with its own boarding pass 7 on it: a raw (flight_id, boarding_no) would match it.
    const dev = await db(
      airline +
        `INSERT INTO flights VALUES (1, 'DV0001'); INSERT INTO tickets VALUES ('T1', 'ANNA'), ('T9', 'DEV');
         INSERT INTO ticket_flights VALUES ('T1', 1, 5), ('T9', 1, 9); INSERT INTO boarding_passes VALUES ('T9', 1, 7, '9C');
         SELECT setval('flights_flight_id_seq', 1000);`,
    );
    const file = join(dir, 'airline.tar.gz');
    await exportDb(prod, file);
    const report = await importInto(dev, file, 'skip');
    expect(report.warnings).toEqual([]);
    expect(counts(report)).toMatchObject({
      flights: { inserted: 2 },
      ticket_flights: { inserted: 3 },
      boarding_passes: { inserted: 3, skipped: 0, failed: 0 },
    });
    expect(await travel(dev)).toEqual({
      ticketFlights: [
        { ticket_no: 'T1', flight_no: 'DV0001', amount: '5' },
        { ticket_no: 'T1', flight_no: 'PG0001', amount: '100' },
        { ticket_no: 'T2', flight_no: 'PG0001', amount: '120' },
        { ticket_no: 'T2', flight_no: 'PG0002', amount: '80' },
        { ticket_no: 'T9', flight_no: 'DV0001', amount: '9' },
      ],
      boardingPasses: [
        { ticket_no: 'T1', flight_no: 'PG0001', boarding_no: 7, seat_no: '7A' },
        { ticket_no: 'T2', flight_no: 'PG0001', boarding_no: 8, seat_no: '8B' },
        { ticket_no: 'T2', flight_no: 'PG0002', boarding_no: 1, seat_no: '1C' },
        { ticket_no: 'T9', flight_no: 'DV0001', boarding_no: 7, seat_no: '9C' },
      ],
    });
    // A second run recognises every row by its rewritten key: nothing written.
    const before = await rowVersions(dev.client, ['flights', 'ticket_flights', 'boarding_passes']);
    const again = await importInto(dev, file, 'merge');
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(dev.client, ['flights', 'ticket_flights', 'boarding_passes'])).toEqual(before);
  });

  test("a comment referencing (tenant_id, doc_id) lands on its own document, not on the target's at that id", async () => {
    const src = await db(
      tenancy +
        `INSERT INTO docs VALUES (1, 10, 'Handbook'), (2, 20, 'Roadmap');
         INSERT INTO comments (tenant_id, doc_id, body) VALUES (10, 1, 'on handbook'), (20, 2, 'on roadmap');`,
    );
    const dst = await db(
      tenancy +
        `INSERT INTO docs VALUES (1, 10, 'Dev notes'), (2, 20, 'Dev plan');
         INSERT INTO comments VALUES (900, 10, 1, 'on dev notes');
         SELECT setval('docs_id_seq', 500), setval('comments_id_seq', 500);`,
    );
    const file = join(dir, 'tenancy.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'skip');
    expect(report.warnings).toEqual([]);
    expect(counts(report)).toMatchObject({ docs: { inserted: 2 }, comments: { inserted: 2, failed: 0 } });
    const { rows } = await dst.client.query(
      `SELECT c.body, c.tenant_id, d.title, d.id FROM comments c JOIN docs d ON d.id = c.doc_id AND d.tenant_id = c.tenant_id ORDER BY 1`,
    );
    expect(rows).toEqual([
      { body: 'on dev notes', tenant_id: 10, title: 'Dev notes', id: 1 },
      { body: 'on handbook', tenant_id: 10, title: 'Handbook', id: 501 },
      { body: 'on roadmap', tenant_id: 20, title: 'Roadmap', id: 502 },
    ]);
  });
  test("a multi-column reference to the same table (a tenant's folder tree) follows the rows' new ids", async () => {
    const folders = `
      CREATE TABLE folders (id serial PRIMARY KEY, tenant_id int NOT NULL, parent_id int, name text NOT NULL,
        UNIQUE (tenant_id, id), UNIQUE NULLS NOT DISTINCT (tenant_id, parent_id, name),
        FOREIGN KEY (tenant_id, parent_id) REFERENCES folders (tenant_id, id));`;
    const src = await db(
      folders + `INSERT INTO folders VALUES (1, 10, NULL, 'root'), (2, 10, 1, 'docs'), (3, 10, 2, 'drafts'), (4, 20, NULL, 'root');`,
    );
    const dst = await db(
      folders + `INSERT INTO folders VALUES (1, 30, NULL, 'dev'), (2, 30, 1, 'scratch'); SELECT setval('folders_id_seq', 700);`,
    );
    const plan = await planWith(src.client);
    expect(plan.tables[0].references.filter((r) => r.via).map((r) => [r.columns[0], r.parent, r.self])).toEqual([
      ['parent_id', 'folders', true],
    ]);
    const file = join(dir, 'folders.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'skip');
    expect(counts(report)).toMatchObject({ folders: { inserted: 4, failed: 0 } });
    const { rows } = await dst.client.query(
      `SELECT f.tenant_id, f.name, p.name AS parent FROM folders f LEFT JOIN folders p ON p.id = f.parent_id AND p.tenant_id = f.tenant_id ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { tenant_id: 10, name: 'docs', parent: 'root' },
      { tenant_id: 10, name: 'drafts', parent: 'docs' },
      { tenant_id: 10, name: 'root', parent: null },
      { tenant_id: 20, name: 'root', parent: null },
      { tenant_id: 30, name: 'dev', parent: null },
      { tenant_id: 30, name: 'scratch', parent: 'dev' },
    ]);
    const before = await rowVersions(dst.client, ['folders']);
    expect(totals(await importInto(dst, file, 'merge'))).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(dst.client, ['folders'])).toEqual(before);
  });
});

describe('the merge workflow', () => {
  test("dev's new boarding pass arrives on dev's new flight; production's, on the flight with the same id, is untouched", async () => {
    const seed = `INSERT INTO flights (flight_no) VALUES ('PG0001'); INSERT INTO tickets VALUES ('T1', 'ANNA');
                  INSERT INTO ticket_flights VALUES ('T1', 1, 100); INSERT INTO boarding_passes VALUES ('T1', 1, 1, '1A');`;
    const prod = await db(airline + seed);
    const dev = await db(airline);
    const seedFile = join(dir, 'airline-seed.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    // Both sides add a flight (id 2 on each) with a ticket and a boarding pass numbered 1 on it.
    const add = (flight: string, ticket: string, seat: string) =>
      `INSERT INTO flights (flight_no) VALUES ('${flight}'); INSERT INTO tickets VALUES ('${ticket}', 'NEW');
       INSERT INTO ticket_flights VALUES ('${ticket}', currval('flights_flight_id_seq'), 50);
       INSERT INTO boarding_passes VALUES ('${ticket}', currval('flights_flight_id_seq'), 1, '${seat}');`;
    await prod.client.query(add('PG0002', 'TP', '2P'));
    await dev.client.query(add('DV0002', 'TD', '2D'));
    const devFile = join(dir, 'airline-dev.tar.gz');
    await exportDb(dev, devFile);

    const diff = await openDiff({ db: dbTarget(prod.url), archive: devFile, base: seedFile });
    try {
      expect(Object.fromEntries(diff.summary.tables.map((t) => [t.table, [t.counts.new, t.counts.conflict, t.counts.refused]]))).toEqual({
        flights: [1, 0, 0],
        tickets: [1, 0, 0],
        ticket_flights: [1, 0, 0],
        boarding_passes: [1, 0, 0],
      });
      const { rows } = await diff.page({ table: 'boarding_passes', kinds: ['new'], offset: 0, limit: 10 });
      expect(rows.map((r) => r.key)).toEqual([{ flight_id: { flight_no: 'DV0002' }, boarding_no: '1' }]);
    } finally {
      await diff.close();
    }

    const report = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(report.warnings).toEqual([]);
    expect(counts(report)).toMatchObject({
      flights: { inserted: 1, failed: 0 },
      ticket_flights: { inserted: 1, failed: 0 },
      boarding_passes: { inserted: 1, updated: 0, failed: 0 },
    });
    expect(await travel(prod)).toEqual({
      ticketFlights: [
        { ticket_no: 'T1', flight_no: 'PG0001', amount: '100' },
        { ticket_no: 'TD', flight_no: 'DV0002', amount: '50' },
        { ticket_no: 'TP', flight_no: 'PG0002', amount: '50' },
      ],
      boardingPasses: [
        { ticket_no: 'T1', flight_no: 'PG0001', boarding_no: 1, seat_no: '1A' },
        { ticket_no: 'TD', flight_no: 'DV0002', boarding_no: 1, seat_no: '2D' },
        { ticket_no: 'TP', flight_no: 'PG0002', boarding_no: 1, seat_no: '2P' },
      ],
    });

    // Merging the same archive again rewrites no row.
    const tables = ['flights', 'tickets', 'ticket_flights', 'boarding_passes'];
    const before = await rowVersions(prod.client, tables);
    const again = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, tables)).toEqual(before);
  });
});
