// The pre-write constraint check looks at the target as the merge leaves it: only rows that are
// written, with the values they are written with (rows left out, kept as the target has them or
// staying deleted are not checked), and unique values that rows trade among themselves (a swap, a
// rotation) are applied — with a repeated merge writing nothing and undo putting the values back. The
// diff shows a row refused for a taken unique value as the merge refuses it, in the same words, and
// leaving the row out or deciding it "target" lets the rest go in.
import { describe, expect, test } from 'vitest';
import type { DiffField, ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { emptyCounts, openDiff } from '../../src-main/engine/diff/index';
import { RefusedRowsError } from '../../src-main/engine/import/errors';
import { undoImport } from '../../src-main/engine/undo';
import type { Decisions } from '../../src-main/engine/compare/decisions';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, registry, archiveOf } = mergeWorkspace();

/** Seeds `to` from `from` (a merge that keeps what the two agree on). */
async function seed(from: TestDb, to: TestDb): Promise<void> {
  const report = await importInto(to, await archiveOf(from), 'merge', { agreement: agreementStore(dataDir) });
  await registry.record(report);
}

/** A three-way merge of `archive` into `to` against what the two last agreed on. */
function merge(to: TestDb, archive: string, options: Parameters<typeof importInto>[3] = {}): Promise<ImportReport> {
  return importInto(to, archive, 'merge', { agreement: agreementStore(dataDir), base: 'auto', ...options });
}

const decisions = (d: Partial<Decisions>): Decisions => ({ format: 'mr4-decisions', version: 1, decisions: [], exclude: [], ...d });

async function rows(d: TestDb, sql: string): Promise<Record<string, unknown>[]> {
  return (await d.client.query(sql)).rows;
}

const SCHEMA = `
  CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL UNIQUE, color text);
  CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);`;
const TAGS = `SELECT id, name, color FROM tags ORDER BY id`;
const NOTES = `SELECT id, body FROM notes ORDER BY id`;

/** Dev renames blue to red while production adds a red of its own; dev also edits the note. */
async function bothMadeRed(prodEdit = ''): Promise<{ prod: TestDb; archive: string }> {
  const prod = await db(
    `${SCHEMA} INSERT INTO tags (name, color) VALUES ('blue', '#00f'), ('green', '#0f0'); INSERT INTO notes (body) VALUES ('n1');`,
  );
  const dev = await db(SCHEMA);
  await seed(prod, dev);
  await prod.client.query(`INSERT INTO tags (name, color) VALUES ('red', '#f00'); ${prodEdit}`);
  await dev.client.query(`UPDATE tags SET name = 'red' WHERE name = 'blue'; UPDATE notes SET body = 'n1 edited by dev'`);
  return { prod, archive: await archiveOf(dev) };
}

/** A diff of `archive` against `to` (against what the two last agreed on, or two ways): its counts per
 *  table and the refused rows of `table` (without their fingerprints). */
async function diffOf(to: TestDb, archive: string, threeWay: boolean, table: string) {
  const diff = await openDiff({
    db: dbTarget(to.url),
    archive,
    ...(threeWay ? { base: 'auto', agreement: agreementStore(dataDir) } : {}),
  });
  try {
    const refused = (await diff.page({ table, kinds: ['refused'], offset: 0, limit: 10 })).rows;
    return {
      counts: Object.fromEntries(diff.summary.tables.map((t) => [t.table, t.counts])),
      refused: refused.map(({ kind, key, row, fields, reason }) => ({ kind, key, row, fields, reason })),
    };
  } finally {
    await diff.close();
  }
}

/** Why dev's rename of blue to red is refused where production added a red of its own. */
const RED_IS_TAKEN =
  'a different target row already has this name (unique tags_name_key): {"name": "red"}, which this merge does not change. ' +
  `Leave this row out, decide its name "target" to keep the target's value, or change one of the two rows`;

describe('rows the merge does not write are not checked', () => {
  test('the rename onto a name the target has is refused, naming the target row', async () => {
    const { prod, archive } = await bothMadeRed();
    await expect(merge(prod, archive)).rejects.toThrow(`tags {"name":"red"} (row 1): ${RED_IS_TAKEN}`);
  });

  test('a whole table left out: the rest is merged, the table untouched', async () => {
    const { prod, archive } = await bothMadeRed();
    const report = await merge(prod, archive, { decisions: decisions({ exclude: [{ table: 'tags' }] }) });
    expect(counts(report)).toEqual({
      tags: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      notes: { inserted: 0, updated: 1, unchanged: 0, skipped: 0, failed: 0 },
    });
    expect(report.failures).toEqual([]);
    expect(await rows(prod, TAGS)).toEqual([
      { id: 1, name: 'blue', color: '#00f' },
      { id: 2, name: 'green', color: '#0f0' },
      { id: 3, name: 'red', color: '#f00' },
    ]);
    expect(await rows(prod, NOTES)).toEqual([{ id: 1, body: 'n1 edited by dev' }]);
  });

  test('one row left out: the same', async () => {
    const { prod, archive } = await bothMadeRed();
    const report = await merge(prod, archive, { decisions: decisions({ exclude: [{ table: 'tags', key: { name: 'red' } }] }) });
    expect(report.failures).toEqual([]);
    expect(await rows(prod, TAGS)).toEqual([
      { id: 1, name: 'blue', color: '#00f' },
      { id: 2, name: 'green', color: '#0f0' },
      { id: 3, name: 'red', color: '#f00' },
    ]);
    expect(await rows(prod, NOTES)).toEqual([{ id: 1, body: 'n1 edited by dev' }]);
  });

  test('--on-conflict target: the row kept as the target has it is not checked with the source name', async () => {
    // Production renamed blue too (to navy): a conflict, decided for the target.
    const { prod, archive } = await bothMadeRed(`UPDATE tags SET name = 'navy' WHERE name = 'blue';`);
    const report = await merge(prod, archive, { onConflict: 'target' });
    expect(report.failures).toEqual([]);
    expect(await rows(prod, TAGS)).toEqual([
      { id: 1, name: 'navy', color: '#00f' },
      { id: 2, name: 'green', color: '#0f0' },
      { id: 3, name: 'red', color: '#f00' },
    ]);
    expect(await rows(prod, NOTES)).toEqual([{ id: 1, body: 'n1 edited by dev' }]);
  });

  test('a row that stays deleted is not refused for its deleted parent; the new child of that parent is', async () => {
    const S = `
      CREATE TABLE bookings (book_ref text PRIMARY KEY, total int NOT NULL);
      CREATE TABLE tickets (ticket_no text PRIMARY KEY, book_ref text NOT NULL REFERENCES bookings, passenger text NOT NULL);`;
    const prod = await db(`${S} INSERT INTO bookings VALUES ('AAA001', 10), ('AAA002', 20);
      INSERT INTO tickets VALUES ('T1', 'AAA001', 'Ann'), ('T2', 'AAA002', 'Bob');`);
    const dev = await db(S);
    await seed(prod, dev);
    await prod.client.query(`DELETE FROM tickets WHERE ticket_no = 'T2'; DELETE FROM bookings WHERE book_ref = 'AAA002'`);
    await dev.client.query(`INSERT INTO tickets VALUES ('T3', 'AAA002', 'Cy')`);
    const archive = await archiveOf(dev);
    const report = await merge(prod, archive, { allowFailures: true });
    expect(report.failures.map((f) => [f.table, f.key, f.reason])).toEqual([
      [
        'tickets',
        { ticket_no: 'T3' },
        'book_ref refers to bookings {"book_ref": "AAA002"}, which was deleted in the target since the base (a decision "source" for it brings it back)',
      ],
    ]);
    expect(await rows(prod, `SELECT * FROM tickets ORDER BY ticket_no`)).toEqual([
      { ticket_no: 'T1', book_ref: 'AAA001', passenger: 'Ann' },
    ]);
  });
});

describe('the diff shows a taken unique value refused, as the merge refuses it', () => {
  const TAGS_BEFORE = [
    { id: 1, name: 'blue', color: '#00f' },
    { id: 2, name: 'green', color: '#0f0' },
    { id: 3, name: 'red', color: '#f00' },
  ];
  const renamed = (base: string | null): DiffField => ({ column: 'name', source: 'red', target: 'blue', base, verdict: 'apply' });

  /** The merge refuses the row with the diff's reason, and writes nothing. */
  async function refusesAsTheDiffSays(prod: TestDb, run: () => Promise<ImportReport>): Promise<void> {
    const notesBefore = await rows(prod, NOTES);
    const error = await run().catch((e: Error) => e);
    expect(error).toBeInstanceOf(RefusedRowsError);
    expect((error as RefusedRowsError).rows).toEqual([{ table: 'tags', key: { name: 'red' }, row: 1, reason: RED_IS_TAKEN }]);
    expect(await rows(prod, TAGS)).toEqual(TAGS_BEFORE);
    expect(await rows(prod, NOTES)).toEqual(notesBefore);
  }

  /** The merge writes the note and nothing else. */
  async function writesOnlyTheNote(prod: TestDb, report: ImportReport): Promise<void> {
    expect(counts(report)).toEqual({
      tags: { inserted: 0, updated: 0, unchanged: 2, skipped: 0, failed: 0 },
      notes: { inserted: 0, updated: 1, unchanged: 0, skipped: 0, failed: 0 },
    });
    expect(report.failures).toEqual([]);
    expect(await rows(prod, TAGS)).toEqual(TAGS_BEFORE);
    expect(await rows(prod, NOTES)).toEqual([{ id: 1, body: 'n1 edited by dev' }]);
  }

  test('three ways: the diff refuses the rename with the reason the merge gives, and the merge writes nothing', async () => {
    const { prod, archive } = await bothMadeRed();
    expect(await diffOf(prod, archive, true, 'tags')).toEqual({
      counts: {
        tags: { ...emptyCounts(), identical: 1, target_only: 1, refused: 1 },
        notes: { ...emptyCounts(), changed: 1 },
      },
      refused: [{ kind: 'refused', key: { name: 'red' }, row: 1, fields: [renamed('blue')], reason: RED_IS_TAKEN }],
    });
    await refusesAsTheDiffSays(prod, () => merge(prod, archive));
    // Deciding the other conflicts does not decide this row: it is no conflict.
    await refusesAsTheDiffSays(prod, () => merge(prod, archive, { onConflict: 'target' }));
  });

  for (const [way, chosen] of [
    ['the row left out', decisions({ exclude: [{ table: 'tags', key: { name: 'red' } }] })],
    ['its name decided "target"', decisions({ decisions: [{ table: 'tags', key: { name: 'red' }, field: 'name', choice: 'target' }] })],
    ['the row decided "target"', decisions({ decisions: [{ table: 'tags', key: { name: 'red' }, choice: 'target' }] })],
  ] as const) {
    test(`three ways, ${way}: the merge goes through and writes exactly the rest`, async () => {
      const { prod, archive } = await bothMadeRed();
      await writesOnlyTheNote(prod, await merge(prod, archive, { decisions: chosen }));
    });
  }

  test('two ways: the diff refuses the rename as the two-way merge does; its name decided "target", the rest is merged', async () => {
    const { prod, archive } = await bothMadeRed();
    expect(await diffOf(prod, archive, false, 'tags')).toEqual({
      counts: {
        tags: { ...emptyCounts(), identical: 1, target_only: 1, refused: 1 },
        notes: { ...emptyCounts(), changed: 1 },
      },
      refused: [{ kind: 'refused', key: { name: 'red' }, row: 1, fields: [renamed(null)], reason: RED_IS_TAKEN }],
    });
    await refusesAsTheDiffSays(prod, () => importInto(prod, archive, 'merge'));
    const keepName = decisions({ decisions: [{ table: 'tags', key: { name: 'red' }, field: 'name', choice: 'target' }] });
    await writesOnlyTheNote(prod, await importInto(prod, archive, 'merge', { decisions: keepName }));
  });
});

describe('unique values traded between rows', () => {
  const SCHEMA = (deferrable = '') => `
    CREATE TABLE passes (ticket_no text PRIMARY KEY, flight int NOT NULL, seat_no text NOT NULL, UNIQUE (flight, seat_no) ${deferrable});`;
  const PASSES = `SELECT ticket_no, flight, seat_no FROM passes ORDER BY ticket_no`;
  const XMIN = `SELECT ticket_no, xmin::text AS xmin FROM passes ORDER BY ticket_no`;

  async function seeded(rowsSql: string, deferrable = ''): Promise<{ prod: TestDb; dev: TestDb }> {
    const prod = await db(`${SCHEMA(deferrable)} INSERT INTO passes VALUES ${rowsSql};`);
    const dev = await db(SCHEMA(deferrable));
    await seed(prod, dev);
    return { prod, dev };
  }

  /** Merges, checks the result, merges again (nothing rewritten), undoes both: the rows as before. */
  async function appliesAndUndoes(prod: TestDb, archive: string, expected: Record<string, unknown>[], updated: number): Promise<void> {
    const before = await rows(prod, PASSES);
    const report = await merge(prod, archive);
    expect(counts(report).passes).toEqual({ inserted: 0, updated, unchanged: before.length - updated, skipped: 0, failed: 0 });
    await registry.record(report);
    expect(await rows(prod, PASSES)).toEqual(expected);
    const xmin = await rows(prod, XMIN);
    const again = await merge(prod, archive);
    expect(counts(again).passes).toEqual({ inserted: 0, updated: 0, unchanged: before.length, skipped: 0, failed: 0 });
    expect(await rows(prod, XMIN)).toEqual(xmin);
    await undoImport({ db: dbTarget(prod.url) }); // the repeated merge (it wrote nothing)
    const undone = await undoImport({ db: dbTarget(prod.url) });
    expect(undone.changed).toEqual([]);
    expect(undone.tables).toEqual([{ table: 'passes', deleted: 0, restored: updated, kept: 0 }]);
    expect(await rows(prod, PASSES)).toEqual(before);
  }

  test('two rows swap their seats: applied, not rewritten again, undone', async () => {
    const { prod, dev } = await seeded(`('T1', 1, '1A'), ('T2', 1, '1B'), ('T9', 2, '1A')`);
    await dev.client
      .query(`BEGIN; UPDATE passes SET seat_no = 'X' WHERE ticket_no = 'T1'; UPDATE passes SET seat_no = '1A' WHERE ticket_no = 'T2';
      UPDATE passes SET seat_no = '1B' WHERE ticket_no = 'T1'; COMMIT`);
    const archive = await archiveOf(dev);
    expect(await diffOf(prod, archive, true, 'passes')).toEqual({
      counts: { passes: { ...emptyCounts(), changed: 2, identical: 1 } },
      refused: [],
    });
    await appliesAndUndoes(
      prod,
      archive,
      [
        { ticket_no: 'T1', flight: 1, seat_no: '1B' },
        { ticket_no: 'T2', flight: 1, seat_no: '1A' },
        { ticket_no: 'T9', flight: 2, seat_no: '1A' },
      ],
      2,
    );
  });

  test('a swap under a unique key that holds a column the rows are found by, in a varchar(4) seat', async () => {
    // The airlines demo: a boarding pass is found by its natural key (flight_id, boarding_no); its seat
    // is unique per flight too.
    const bp = `CREATE TABLE bp (ticket_no text, flight_id int, boarding_no int NOT NULL, seat_no varchar(4) NOT NULL,
                  PRIMARY KEY (ticket_no, flight_id), UNIQUE (flight_id, boarding_no), UNIQUE (flight_id, seat_no));`;
    const BP = `SELECT ticket_no, flight_id, boarding_no, seat_no FROM bp ORDER BY 1`;
    const prod = await db(`${bp} INSERT INTO bp VALUES ('T1', 1, 1, '1A'), ('T2', 1, 2, '1B'), ('T3', 2, 1, '1A');`);
    const dev = await db(bp);
    await seed(prod, dev);
    const before = await rows(prod, BP);
    await dev.client.query(`UPDATE bp SET seat_no = 'X' WHERE ticket_no = 'T1';
      UPDATE bp SET seat_no = '1A' WHERE ticket_no = 'T2'; UPDATE bp SET seat_no = '1B' WHERE ticket_no = 'T1';`);
    const report = await merge(prod, await archiveOf(dev));
    expect(counts(report).bp).toMatchObject({ updated: 2, unchanged: 1, failed: 0 });
    expect(await rows(prod, BP)).toEqual([
      { ticket_no: 'T1', flight_id: 1, boarding_no: 1, seat_no: '1B' },
      { ticket_no: 'T2', flight_id: 1, boarding_no: 2, seat_no: '1A' },
      { ticket_no: 'T3', flight_id: 2, boarding_no: 1, seat_no: '1A' },
    ]);
    await registry.record(report);
    await undoImport({ db: dbTarget(prod.url) });
    expect(await rows(prod, BP)).toEqual(before);
  });

  test('three rows rotate their seats', async () => {
    const { prod, dev } = await seeded(`('T1', 1, '1A'), ('T2', 1, '1B'), ('T3', 1, '1C')`);
    await dev.client
      .query(`BEGIN; UPDATE passes SET seat_no = 'X' WHERE ticket_no = 'T1'; UPDATE passes SET seat_no = '1A' WHERE ticket_no = 'T2';
      UPDATE passes SET seat_no = '1B' WHERE ticket_no = 'T3'; UPDATE passes SET seat_no = '1C' WHERE ticket_no = 'T1'; COMMIT`);
    await appliesAndUndoes(
      prod,
      await archiveOf(dev),
      [
        { ticket_no: 'T1', flight: 1, seat_no: '1C' },
        { ticket_no: 'T2', flight: 1, seat_no: '1A' },
        { ticket_no: 'T3', flight: 1, seat_no: '1B' },
      ],
      3,
    );
  });

  test('a swap under a DEFERRABLE constraint', async () => {
    const { prod, dev } = await seeded(`('T1', 1, '1A'), ('T2', 1, '1B')`, 'DEFERRABLE INITIALLY IMMEDIATE');
    await dev.client.query(`UPDATE passes SET seat_no = CASE ticket_no WHEN 'T1' THEN '1B' ELSE '1A' END`);
    await appliesAndUndoes(
      prod,
      await archiveOf(dev),
      [
        { ticket_no: 'T1', flight: 1, seat_no: '1B' },
        { ticket_no: 'T2', flight: 1, seat_no: '1A' },
      ],
      2,
    );
  });

  test('a move onto a seat a third row holds is still refused, and so is the row that needed the freed seat', async () => {
    const { prod, dev } = await seeded(`('T1', 1, '1A'), ('T2', 1, '1B')`);
    // Dev moves T2 to 1C and T1 into 1B; production meanwhile seated a new passenger in 1C.
    await dev.client.query(
      `BEGIN; UPDATE passes SET seat_no = '1C' WHERE ticket_no = 'T2'; UPDATE passes SET seat_no = '1B' WHERE ticket_no = 'T1'; COMMIT`,
    );
    await prod.client.query(`INSERT INTO passes VALUES ('T3', 1, '1C')`);
    const archive = await archiveOf(dev);
    const taken = (by: string) =>
      `a different target row already has this flight, seat_no (unique passes_flight_seat_no_key): {"ticket_no": "${by}"}, ${by === 'T3' ? 'which this merge does not change' : 'which is refused and keeps it'}. ` +
      `Leave this row out, decide its flight, seat_no "target" to keep the target's value, or change one of the two rows`;
    const seat = (from: string, to: string): DiffField => ({ column: 'seat_no', source: to, target: from, base: from, verdict: 'apply' });
    expect(await diffOf(prod, archive, true, 'passes')).toEqual({
      counts: { passes: { ...emptyCounts(), refused: 2, target_only: 1 } },
      refused: [
        { kind: 'refused', key: { ticket_no: 'T1' }, row: 1, fields: [seat('1A', '1B')], reason: taken('T2') },
        { kind: 'refused', key: { ticket_no: 'T2' }, row: 2, fields: [seat('1B', '1C')], reason: taken('T3') },
      ],
    });
    const error = await merge(prod, archive).catch((e: Error) => e);
    expect((error as RefusedRowsError).rows).toEqual([
      { table: 'passes', key: { ticket_no: 'T1' }, row: 1, reason: taken('T2') },
      { table: 'passes', key: { ticket_no: 'T2' }, row: 2, reason: taken('T3') },
    ]);
    const report = await merge(prod, archive, { allowFailures: true });
    expect(counts(report).passes).toEqual({ inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 2 });
    expect(await rows(prod, PASSES)).toEqual([
      { ticket_no: 'T1', flight: 1, seat_no: '1A' },
      { ticket_no: 'T2', flight: 1, seat_no: '1B' },
      { ticket_no: 'T3', flight: 1, seat_no: '1C' },
    ]);
  });
});
