// Rails-style polymorphic references (journals.journalized_type + journalized_id, as Redmine's journals,
// attachments and watchers): the id column names a row of whichever table the type names by class. A
// run that gives those rows other ids in the target rewrites the id column through the named table's
// ids, row by row; values it cannot follow are copied and named in the run's warnings, never silently.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { counts, databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { planWith } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const schema = `
  CREATE TABLE projects (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE issues (id serial PRIMARY KEY, subject text NOT NULL);
  CREATE TABLE wiki_pages (id serial PRIMARY KEY, title text NOT NULL);
  CREATE TABLE journals (id serial PRIMARY KEY, journalized_type text NOT NULL, journalized_id int NOT NULL, notes text NOT NULL);`;

/** Each journal with what it is on, by content: ids replaced by what they point at. */
async function journals(d: TestDb) {
  const { rows } = await d.client.query(
    `SELECT j.notes, j.journalized_type AS type,
            COALESCE(i.subject, p.name, w.title, '(nothing: ' || j.journalized_id || ')') AS "on"
       FROM journals j
       LEFT JOIN issues i ON j.journalized_type = 'Issue' AND i.id = j.journalized_id
       LEFT JOIN projects p ON j.journalized_type = 'Project' AND p.id = j.journalized_id
       LEFT JOIN wiki_pages w ON j.journalized_type = 'WikiPage' AND w.id = j.journalized_id
      ORDER BY 1, 2`,
  );
  return rows;
}

describe('a polymorphic reference', () => {
  test('is rewritten through the ids of the table its type names, in a target that holds other rows at those ids', async () => {
    const src = await db(
      schema +
        `INSERT INTO projects VALUES (1, 'Platform'); INSERT INTO issues VALUES (1, 'Outage'), (2, 'Feature');
         INSERT INTO wiki_pages VALUES (1, 'Home');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES
           ('Issue', 1, 'on outage'), ('Issue', 2, 'on feature'), ('Project', 1, 'on platform'), ('WikiPage', 1, 'on home');`,
    );
    // The target already holds its own rows at the source's ids, its sequences far ahead.
    const dst = await db(
      schema +
        `INSERT INTO projects VALUES (1, 'Dev sandbox'); INSERT INTO issues VALUES (1, 'Dev task'), (2, 'Dev bug');
         INSERT INTO wiki_pages VALUES (1, 'Dev notes');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 2, 'on dev bug');
         SELECT setval('projects_id_seq', 500), setval('issues_id_seq', 500), setval('wiki_pages_id_seq', 500);`,
    );
    const file = join(dir, 'poly.tar.gz');
    await exportDb(src, file);
    for (const mode of ['skip', 'merge'] as const) {
      const before = mode === 'merge' ? await rowVersions(dst.client, ['journals']) : null;
      const report = await importInto(dst, file, mode);
      expect(report.warnings.filter((w) => /copied as it is in rows/.test(w))).toEqual([]);
      if (before) {
        // The second run matches every row: nothing rewritten.
        expect(totals(report)).toMatchObject({ inserted: 0, updated: 0 });
        expect(await rowVersions(dst.client, ['journals'])).toEqual(before);
      } else expect(counts(report).journals).toMatchObject({ inserted: 4 });
    }
    expect(await journals(dst)).toEqual([
      { notes: 'on dev bug', type: 'Issue', on: 'Dev bug' },
      { notes: 'on feature', type: 'Issue', on: 'Feature' },
      { notes: 'on home', type: 'WikiPage', on: 'Home' },
      { notes: 'on outage', type: 'Issue', on: 'Outage' },
      { notes: 'on platform', type: 'Project', on: 'Platform' },
    ]);
  });

  test("dev's new comment on dev's new issue lands on that issue in production, not on production's own new issue", async () => {
    const seed = `INSERT INTO issues (subject) VALUES ('seeded'); INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', 1, 'on seeded');`;
    const prod = await db(schema + seed);
    const dev = await db(schema);
    const seedFile = join(dir, 'poly-seed.tar.gz');
    await exportDb(prod, seedFile);
    await importInto(dev, seedFile, 'merge');
    await prod.client.query(`INSERT INTO issues (subject) VALUES ('PROD: outage report')`);
    await dev.client.query(
      `INSERT INTO issues (subject) VALUES ('DEV: feature idea');
       INSERT INTO journals (journalized_type, journalized_id, notes) VALUES ('Issue', currval('issues_id_seq'), 'comment on the feature idea')`,
    );
    const devFile = join(dir, 'poly-dev.tar.gz');
    await exportDb(dev, devFile);
    // The seed is what the two last agreed on.
    const report = await importInto(prod, devFile, 'merge', { base: seedFile });
    expect(counts(report)).toMatchObject({ issues: { inserted: 1 }, journals: { inserted: 1 } });
    expect(await journals(prod)).toEqual([
      { notes: 'comment on the feature idea', type: 'Issue', on: 'DEV: feature idea' },
      { notes: 'on seeded', type: 'Issue', on: 'seeded' },
    ]);
  });

  test('values it cannot follow are copied and named with their count: an unknown type, a row the archive lacks', async () => {
    const src = await db(
      schema +
        `INSERT INTO issues VALUES (1, 'Outage');
         INSERT INTO journals (journalized_type, journalized_id, notes) VALUES
           ('Issue', 1, 'on outage'), ('Issue', 77, 'on a deleted issue'), ('Board', 3, 'on a board'), ('Board', 4, 'on another board');`,
    );
    const dst = await db(schema + `INSERT INTO issues VALUES (1, 'Dev task'); SELECT setval('issues_id_seq', 500);`);
    const file = join(dir, 'poly-unknown.tar.gz');
    await exportDb(src, file);
    const report = await importInto(dst, file, 'skip');
    const said = report.warnings.filter((w) => w.startsWith('journals.journalized_id is copied as it is'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`2 with journalized_type = 'Board' (names no table of the run)`);
    expect(said[0]).toContain(`1 with journalized_type = 'Issue' (name issues rows the archive does not have)`);
    const { rows } = await dst.client.query(`SELECT notes, journalized_id AS id FROM journals ORDER BY notes`);
    expect(rows).toEqual([
      { notes: 'on a board', id: 3 },
      { notes: 'on a deleted issue', id: 77 },
      { notes: 'on another board', id: 4 },
      { notes: 'on outage', id: 501 },
    ]);
  });

  test('is named in the plan with what mr4 does with it; notReferences makes it a plain column', async () => {
    const src = await db(schema);
    const plan = await planWith(src.client);
    const journalsPlan = plan.tables.find((t) => t.name === 'journals')!;
    expect(journalsPlan.polymorphic).toEqual([{ column: 'journalized_id', typeColumn: 'journalized_type' }]);
    // Written after every table with ids it may name.
    expect(plan.tables.map((t) => t.name).indexOf('journals')).toBe(3);
    expect(plan.warnings.join('\n')).toContain('journals.journalized_id is a polymorphic reference (journalized_type names the table');
    const plain = await planWith(src.client, { config: { tables: { journals: { notReferences: ['journalized_id'] } } } });
    expect(plain.tables.find((t) => t.name === 'journals')!.polymorphic).toEqual([]);
  });
});
