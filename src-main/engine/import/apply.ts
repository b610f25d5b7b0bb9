// Apply: write one table's final rows (INSERT the new, UPDATE the changed in merge mode; identical rows
// are never touched), fill late columns once every table is written, move sequences past new ids.
// A statement that fails on a row (a trigger, a deferred check) is retried on halves of its rows
// inside savepoints, to name the row that causes it or, with allowFailures, to leave out every such row.
import type { RowProblem } from '../report-types';
import { ident, literal, qualified } from '../sql';
import { describeRefused } from './constraints';
import type { PlannedReference } from '../plan';
import {
  checkedAfterFill,
  columnType,
  deferredPolymorphic,
  differs,
  lateColumns,
  lateRefs,
  locates,
  locatorColumns,
  type MatchContext,
  rowId,
  selfRefs,
  target,
  updatableColumns,
  writtenColumns,
} from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import { WriteError } from './errors';
import { type TableUndo, undoKeyOf, undoLogOf } from './undo-log';
import { assertMovedRowsWritten, moveUniqueValuesAside, type ValuesMovedAside } from './unique-moves';
import { stagedKeyJson, targetKeyJson } from '../staged/keys';

async function firstFailingRow(
  m: MatchContext,
  t: StagedTable,
  chunk: string,
  statement: (range: string) => string,
): Promise<number | null> {
  const bounds = await m.ctx.query<{ lo: string | null; hi: string | null }>(
    `SELECT min(_row) AS lo, max(_row) AS hi FROM ${temp(t, 'final')} f WHERE ${chunk}`,
  );
  let lo = Number(bounds.rows[0].lo);
  let hi = Number(bounds.rows[0].hi);
  if (!bounds.rows[0].lo) return null;
  const fails = async (a: number, b: number) => {
    await m.ctx.query('SAVEPOINT mr4_probe');
    try {
      await m.ctx.query(statement(`f._row BETWEEN ${a} AND ${b}`));
      return false;
    } catch {
      return true;
    } finally {
      await m.ctx.query('ROLLBACK TO SAVEPOINT mr4_probe');
    }
  };
  if (!(await fails(lo, hi))) return null;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails(lo, mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Errors that depend on the data a row holds (classes 22 and 23, and what triggers raise): they
 *  point at a row. Anything else (a lock, a permission, a cancel) stops the run as it is. */
const DATA_DEPENDENT = /^(22|23|P0|27|44)/;

// Writes a range of the final rows; where that fails on the data, writes each half, down to single
// rows, which are refused with the error they raised. Server-side, so refusing many rows costs no
// round trip each: the statement reads its range from the session settings mr4.lo and mr4.hi.
const WRITE_EACH_FUNCTION = `
CREATE OR REPLACE FUNCTION pg_temp.mr4_write_each(stmt text, final text, refused text, lo bigint, hi bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint; c bigint; r bigint; mid bigint; msg text; det text;
BEGIN
  IF lo > hi THEN RETURN 0; END IF;
  BEGIN
    PERFORM set_config('mr4.lo', lo::text, true), set_config('mr4.hi', hi::text, true);
    EXECUTE stmt;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE !~ '^(22|23|P0|27|44)' THEN RAISE; END IF;
  END;
  -- Halves by the rows there are, so a sparse range does not split into empty ones for long; a short
  -- range that fails is written row by row.
  EXECUTE format('SELECT min(_row), max(_row) FROM %s WHERE _row BETWEEN $1 AND $2', final) INTO lo, hi USING lo, hi;
  IF lo IS NULL THEN RETURN 0; END IF;
  IF hi - lo < 64 THEN
    n := 0;
    FOR r IN EXECUTE format('SELECT _row FROM %s WHERE _row BETWEEN $1 AND $2 ORDER BY _row', final) USING lo, hi LOOP
      BEGIN
        PERFORM set_config('mr4.lo', r::text, true), set_config('mr4.hi', r::text, true);
        EXECUTE stmt;
        GET DIAGNOSTICS c = ROW_COUNT;
        n := n + c;
      EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE !~ '^(22|23|P0|27|44)' THEN RAISE; END IF;
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
        EXECUTE format('INSERT INTO %s VALUES ($1, $2, NULL)', refused) USING r, msg || COALESCE(' (' || NULLIF(det, '') || ')', '');
      END;
    END LOOP;
    RETURN n;
  END IF;
  mid := lo + (hi - lo) / 2;
  RETURN pg_temp.mr4_write_each(stmt, final, refused, lo, mid) + pg_temp.mr4_write_each(stmt, final, refused, mid + 1, hi);
END $$`;

const SETTINGS_RANGE = `f._row BETWEEN current_setting('mr4.lo')::bigint AND current_setting('mr4.hi')::bigint`;

/**
 * Runs one write statement over a range of the table's final rows. When it fails on the data (a
 * trigger, a deferred check): with allowFailures, every row that fails is found server-side, refused
 * with its error, and the rest written; otherwise the first failing row is found by bisection and the
 * run stops naming it.
 */
async function runAttributed(
  m: MatchContext,
  t: StagedTable,
  what: string,
  range: [number, number],
  statement: (range: string) => string,
): Promise<number> {
  const chunk = `f._row BETWEEN ${range[0]} AND ${range[1]}`;
  try {
    // The savepoint, the statement and its release in one round trip (no parameters: a simple query
    // of three statements, inside the run's transaction; on an error the ones after it do not run).
    const res = (await m.ctx.query(`SAVEPOINT mr4_write; ${statement(chunk)}; RELEASE SAVEPOINT mr4_write`)) as unknown as {
      rowCount: number | null;
    }[];
    return res[1].rowCount ?? 0;
  } catch (error) {
    if (m.ctx.cancelled) throw error;
    const e = error as { message?: string; code?: string; detail?: string };
    await m.ctx.query('ROLLBACK TO SAVEPOINT mr4_write');
    const dataDependent = DATA_DEPENDENT.test(e.code ?? '');
    if (dataDependent && m.allowFailures) return writeEach(m, t, range, statement);
    const row = dataDependent ? await firstFailingRow(m, t, chunk, statement) : null;
    let problem: RowProblem | null = null;
    if (row !== null) {
      await m.ctx.query(`INSERT INTO ${temp(t, 'refused')} VALUES (${row}, ${literal(e.message ?? 'error')}, NULL)`);
      problem = (await describeRefused(m, t)).find((p) => p.row === row) ?? null;
    }
    const who = problem ? ` at row ${problem.row}${problem.key ? ` ${JSON.stringify(problem.key)}` : ''}` : '';
    throw new WriteError(`${what} ${t.plan.name} failed${who}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`, problem, e.code);
  }
}

async function writeEach(m: MatchContext, t: StagedTable, range: [number, number], statement: (range: string) => string): Promise<number> {
  const F = temp(t, 'final');
  await m.ctx.query(WRITE_EACH_FUNCTION);
  await m.ctx.query(`CREATE INDEX IF NOT EXISTS ${ident(`mr4_${t.tag}_f_row`)} ON ${F} (_row)`);
  const before = Number((await m.ctx.query(`SELECT count(*) AS n FROM ${temp(t, 'refused')}`)).rows[0].n);
  const res = await m.ctx.query<{ n: string }>(`SELECT pg_temp.mr4_write_each($1, $2, $3, $4, $5) AS n`, [
    statement(SETTINGS_RANGE),
    F,
    temp(t, 'refused'),
    range[0],
    range[1],
  ]);
  const refused = Number((await m.ctx.query(`SELECT count(*) AS n FROM ${temp(t, 'refused')}`)).rows[0].n) - before;
  if (refused) {
    await m.ctx.query(`DELETE FROM ${F} f USING ${temp(t, 'refused')} x WHERE f._row = x._row`);
    if (t.plan.surrogate) await m.ctx.query(`DELETE FROM ${temp(t, 'ids')} a USING ${temp(t, 'refused')} x WHERE a._row = x._row`);
  }
  return Number(res.rows[0].n);
}

/**
 * The final rows' archive-row ranges a table is written in. A big table is written a range at a time,
 * so progress moves and cancel is heard while it is written; one with references to its own rows is
 * written in one statement, since a row may point at a row further on (checked when the statement ends).
 */
async function writeChunks(m: MatchContext, t: StagedTable): Promise<{ chunks: [number, number][]; rows: number; inserts: number }> {
  const F = temp(t, 'final');
  const { n, ins, lo, hi } = (
    await m.ctx.query<{ n: string; ins: string; lo: string | null; hi: string | null }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE NOT _hit) AS ins, min(_row) AS lo, max(_row) AS hi FROM ${F}`,
    )
  ).rows[0];
  const [first, last] = [Number(lo ?? 0), Number(hi ?? 0)];
  const rows = Number(n);
  const inserts = Number(ins);
  if (rows === 0) return { chunks: [], rows, inserts };
  if (rows <= 2 * MIN_CHUNK_ROWS || selfRefs(m, t).length) return { chunks: [[first, last]], rows, inserts };
  await m.ctx.query(`CREATE INDEX ON ${F} (_row)`);
  const size = Math.max(MIN_CHUNK_ROWS, Math.ceil((last - first + 1) / PROGRESS_STEPS));
  const chunks: [number, number][] = [];
  for (let from = first; from <= last; from += size) chunks.push([from, Math.min(last, from + size - 1)]);
  return { chunks, rows, inserts };
}

const MIN_CHUNK_ROWS = 20_000;
const PROGRESS_STEPS = 50;

/** Rows the update gives another row's unique value (a swap) get out of its way first (unique-moves.ts). */
async function moveTakenValuesAside(m: MatchContext, t: StagedTable, undo: TableUndo | undefined): Promise<ValuesMovedAside> {
  const T = target(m, t);
  const F = temp(t, 'final');
  const columns = writtenColumns(t);
  return moveUniqueValuesAside(m.ctx, {
    table: T,
    tag: t.tag,
    moves: {
      sql: `SELECT f._row AS _id, CASE WHEN f._hit THEN ${rowId('g')} END AS _rid, false AS _gone, ${columns.map((c) => `f.${ident(c)}`).join(', ')}
            FROM ${F} f LEFT JOIN ${T} g ON f._hit AND ${locates(t, 'g', 'f')}`,
      columns,
    },
    fixed: [...locatorColumns(t), ...(undoKeyOf(t).columns ?? [])],
    name: (g) => `${literal(`${t.plan.name} `)} || ${targetKeyJson(m, t, g)}::text`,
    wrap: undo ? (update) => `WITH u AS (${update} RETURNING ${undo.returning('g')}) ${undo.recordUpdated('u')}` : undefined,
    leaversFirst: true,
  });
}

/** Writes one table's final rows; `beforeWrite` hears how many it may insert before the first is
 *  written (an update fires a foreign key's check only where it changes the key's columns). */
export async function writeTable(m: MatchContext, t: StagedTable, beforeWrite?: (rows: number) => Promise<void>): Promise<void> {
  const T = target(m, t);
  const F = temp(t, 'final');
  const D = m.verdicts?.get(t.plan.name);
  const written = writtenColumns(t);
  const cols = written.map((c) => ident(c)).join(', ');
  const overriding = t.catalog.columns.some((c) => c.identity === 'a' && written.includes(c.name)) ? ' OVERRIDING SYSTEM VALUE' : '';
  // With a classification, only rows it calls new (or brought back by a decision) are inserted: a
  // row deleted in the target since the base stays deleted, an excluded row stays out.
  const insertable = D
    ? ` AND EXISTS (SELECT 1 FROM ${D} d WHERE d.srow = f._row AND d.kind IN ('new', 'resurrect') AND NOT d.excluded)`
    : '';
  // A real run keeps an undo log: each statement also records the keys of the rows it wrote (and an
  // update their old values), in the same statement.
  // Its final rows counted first: a table with nothing to write runs no write statement and keeps no log.
  const { chunks, rows, inserts } = await writeChunks(m, t);
  const undo = rows ? await undoLogOf(m)?.forTable(t) : undefined;
  const plainInsert = (range: string) =>
    `INSERT INTO ${T} (${cols})${overriding} SELECT ${cols} FROM ${F} f WHERE NOT f._hit${insertable} AND ${range}`;
  const insert = (range: string) => (undo ? undo.insert(plainInsert(range)) : plainInsert(range));

  // Rows recognised by content are identical by definition; rows of a keyless table paired by their
  // lineage (or ids) are updated in place like any other, found again by their id.
  const update = m.mode === 'merge' && (t.plan.key.kind === 'key' || t.plan.surrogate) ? updatableColumns(m, t) : [];
  const trackLate = m.mode === 'merge' && (lateColumns(m, t).length > 0 || deferredPolymorphic(m, t, 'late').length > 0);
  if (trackLate) await m.ctx.query(`CREATE TEMP TABLE ${temp(t, 'updated')} (_row bigint) ON COMMIT DROP`);
  let updateStatement: ((range: string) => string) | null = null;
  if (update.length) {
    // With a classification, a field is written only where it says "apply" (or a decision chose the
    // source); every other field keeps the target's value.
    const allowed = (c: string) => (D ? `${literal(c)} = ANY (d.apply)` : 'true');
    const set = update
      .map((c) => (D ? `${ident(c)} = CASE WHEN ${allowed(c)} THEN f.${ident(c)} ELSE g.${ident(c)} END` : `${ident(c)} = f.${ident(c)}`))
      .join(', ');
    const changed = update.map((c) => (D ? `(${allowed(c)} AND ${differs(t, c, 'g', 'f')})` : differs(t, c, 'g', 'f'))).join(' OR ');
    const from = D ? `${F} f JOIN ${D} d ON d.srow = f._row AND NOT d.excluded` : `${F} f`;
    const base = (range: string) =>
      `UPDATE ${T} AS g SET ${set} FROM ${from} WHERE f._hit AND ${locates(t, 'g', 'f')} AND (${changed}) AND ${range}`;
    updateStatement = (range) => {
      if (undo) {
        const late = trackLate ? `, l AS (INSERT INTO ${temp(t, 'updated')} SELECT _row FROM u)` : '';
        return `WITH u AS (${base(range)} RETURNING f._row, ${undo.returning('g')})${late} ${undo.recordUpdated('u')}`;
      }
      return trackLate ? `WITH u AS (${base(range)} RETURNING f._row) INSERT INTO ${temp(t, 'updated')} SELECT _row FROM u` : base(range);
    };
  }

  if (rows && beforeWrite) await beforeWrite(inserts);
  const { moved, writeFirst } = updateStatement ? await moveTakenValuesAside(m, t, undo) : { moved: [], writeFirst: null };
  if (updateStatement && writeFirst && chunks.length) {
    const update = updateStatement;
    const range: [number, number] = [chunks[0][0], chunks[chunks.length - 1][1]];
    t.counts.updated += await runAttributed(m, t, 'Updating', range, (r) => update(`${r} AND f._row IN (SELECT _id FROM ${writeFirst})`));
  }
  for (const [lo, hi] of chunks) {
    m.ctx.throwIfCancelled();
    t.counts.inserted += await runAttributed(m, t, 'Inserting into', [lo, hi], insert);
    if (updateStatement) t.counts.updated += await runAttributed(m, t, 'Updating', [lo, hi], updateStatement);
    if (chunks.length > 1)
      m.ctx.progress({ type: 'table', table: t.plan.name, phase: 2, rowsDone: Math.min(hi, t.rows), rowsTotal: t.rows });
  }
  await assertMovedRowsWritten(
    m.ctx,
    moved,
    (mv) =>
      `SELECT h._name::text AS name FROM ${mv.holders} h LEFT JOIN ${F} f ON f._row = h._id LEFT JOIN ${T} g ON ${locates(t, 'g', 'f')}
       WHERE f._row IS NULL OR NOT (${mv.columns.map((c) => `g.${ident(c)} IS NOT DISTINCT FROM f.${ident(c)}`).join(' AND ')}) ORDER BY h.n LIMIT 20`,
  );

  const counts = await m.ctx.query<{ hits: string; misses: string }>(
    `SELECT count(*) FILTER (WHERE w._hit) AS hits, count(*) FILTER (WHERE NOT w._hit) AS misses
     FROM ${temp(t, 'work')} w WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`,
  );
  const hits = Number(counts.rows[0].hits);
  // Archived rows the target does not have and that were not written: excluded, or deleted there.
  const notWritten = Number(counts.rows[0].misses) - t.counts.inserted;
  if (m.mode === 'skip') {
    t.counts.skipped = hits + notWritten;
    return;
  }
  t.counts.skipped = notWritten;
  t.counts.unchanged = hits - t.counts.updated;
}

/** Fills late columns (references that close a cycle, polymorphic values naming a table written
 *  after this one) now that every table's rows exist. Returns the references that could not be
 *  resolved; those are left as they were (NULL for new rows, or the archive's polymorphic id). */
export async function lateSeed(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  return [...(await seedLateReferences(m, t)), ...(await seedLatePolymorphic(m, t))];
}

/**
 * Late columns, now that every table is written: a rewritten reference through its parent's map, a
 * copied one as the archive has it. A reference whose values are copied (a multi-column one among
 * them) is checked against the target's rows as the fill leaves them: where it names no row, its
 * late columns are left as they are and the row named, as where a parent was not imported.
 */
async function seedLateReferences(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  const sur = t.plan.surrogate;
  const columns = lateColumns(m, t);
  if (columns.length === 0 || !sur) return [];
  const rewritten = lateRefs(m, t);
  const checked = checkedAfterFill(m, t);
  const T = target(m, t);
  const D = m.verdicts?.get(t.plan.name);
  // With a classification: only rows that were written, and on existing rows only fields it applies.
  const allowed = (c: string) => (D ? `(NOT w._hit OR ${literal(c)} = ANY (d.apply))` : 'true');
  const joins: string[] = [];
  const values = columns.map((c, i) => {
    const r = rewritten.find((x) => x.columns[0] === c);
    const col = `w.${ident(c)}`;
    if (!r) return `${col} AS v${i}, false AS gone${i}, false AS miss${i}, ${allowed(c)} AS ok${i}`;
    joins.push(`LEFT JOIN ${m.maps.get(r.parent)} p${i} ON p${i}.src = ${col}`);
    return `p${i}.tgt::${columnType(t, c)} AS v${i}, (p${i}.tgt IS NOT NULL AND NOT p${i}.live AND ${allowed(c)}) AS gone${i},
         (${col} IS NOT NULL AND (p${i}.tgt IS NULL OR (NOT p${i}.live AND ${allowed(c)}))) AS miss${i}, ${allowed(c)} AS ok${i}`;
  });
  // The target row as it is, for the columns of checked references.
  const now = (c: string) => ident(`g:${c}`);
  const held = [...new Set(checked.flatMap((r) => r.columns))];
  if (checked.length) joins.push(`LEFT JOIN ${T} g ON g.${ident(sur)} = a._tgt`);
  const scope = m.mode === 'merge' ? 'true' : 'NOT w._hit';
  const written = D ? `AND NOT COALESCE(d.excluded, false) AND (w._hit OR d.kind IN ('new', 'resurrect'))` : '';
  const v0 = `SELECT w._row, w._hit, a._tgt AS loc, ${[...values, ...held.map((c) => `g.${ident(c)} AS ${now(c)}`)].join(', ')}
             FROM ${temp(t, 'work')} w JOIN ${temp(t, 'ids')} a ON a._row = w._row ${joins.join(' ')}
             ${D ? `LEFT JOIN ${D} d ON d.srow = w._row` : ''}
             WHERE ${scope} ${written} AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`;
  const after = (c: string) => {
    const i = columns.indexOf(c);
    return i === -1 ? `v0.${now(c)}` : `CASE WHEN v0.miss${i} OR NOT v0.ok${i} THEN v0.${now(c)} ELSE v0.v${i} END`;
  };
  const bad = checked.map((r, j) => `${namesNoRow(r, r.columns.map(after))} AS bad${j}`);
  const hold = (c: string, i: number) =>
    [`v.miss${i}`, `NOT v.ok${i}`, ...checked.flatMap((r, j) => (r.columns.includes(c) ? [`v.bad${j}`] : []))].join(' OR ');
  const set = columns.map((c, i) => `${ident(c)} = CASE WHEN ${hold(c, i)} THEN g.${ident(c)} ELSE v.v${i} END`).join(', ');
  const changed = columns.map((c, i) => `(NOT (${hold(c, i)}) AND g.${ident(c)} IS DISTINCT FROM v.v${i})`).join(' OR ');
  const alreadyUpdated = m.mode === 'merge' ? `NOT EXISTS (SELECT 1 FROM ${temp(t, 'updated')} u WHERE u._row = upd._row)` : 'false';
  // Counted once: a row this fills is not counted again by the polymorphic values' pass.
  const counted =
    m.mode === 'merge' ? `, counted AS (INSERT INTO ${temp(t, 'updated')} SELECT _row FROM upd WHERE _hit AND ${alreadyUpdated})` : '';
  const flags = (name: string, n: number) => `ARRAY[${Array.from({ length: n }, (_, i) => `${name}${i}`).join(', ') || 'NULL::boolean'}]`;
  const anyProblem = [...columns.map((_, i) => `miss${i}`), ...checked.map((_, j) => `bad${j}`)].join(' OR ');
  // An existing row given a late column keeps its old value in the undo log (a row this run inserted
  // needs none: the undo deletes it).
  const undo = await undoLogOf(m)?.forTable(t);
  // v is read twice (the update, the unresolved rows), so it is computed once.
  const res = await m.ctx.query<{ late_only: string; missing: LateProblemRow[] }>(
    `WITH v0 AS MATERIALIZED (${v0}),
          v AS MATERIALIZED (SELECT v0.*${bad.map((b) => `, ${b}`).join('')} FROM v0),
          upd AS (UPDATE ${T} AS g SET ${set} FROM v WHERE g.${ident(sur)} = v.loc AND (${changed}) RETURNING v._row, v._hit${undo ? `, ${undo.returning('g')}` : ''})${
            undo
              ? `,
          ul AS (${undo.recordUpdated('upd', 'upd._hit')})`
              : ''
          }${counted}
     SELECT (SELECT count(*) FILTER (WHERE _hit AND ${alreadyUpdated}) FROM upd) AS late_only,
            (SELECT COALESCE(json_agg(json_build_object('row', q._row, 'key', ${stagedKeyJson(m, t, 's')},
                      'miss', ${flags('q.miss', columns.length)}, 'gone', ${flags('q.gone', columns.length)}, 'bad', ${flags('q.bad', checked.length)}) ORDER BY q._row), '[]')
               FROM (SELECT * FROM v WHERE ${anyProblem} ORDER BY _row LIMIT 10000) q JOIN ${temp(t, 'staged')} s ON s._row = q._row) AS missing`,
  );
  const lateOnly = Number(res.rows[0].late_only);
  t.counts.updated += lateOnly;
  t.counts.unchanged -= lateOnly;
  return res.rows[0].missing.flatMap((row) => lateProblems(t, row, columns, rewritten, checked));
}

/** A row whose late values name no row, as the fill reports it: per late column whether its parent
 *  is missing or deleted in the target since the base, per checked reference whether it names no row. */
interface LateProblemRow {
  row: number;
  key: Record<string, unknown> | null;
  miss: boolean[];
  gone: boolean[];
  bad: (boolean | null)[];
}

function lateProblems(
  t: StagedTable,
  row: LateProblemRow,
  columns: string[],
  rewritten: PlannedReference[],
  checked: PlannedReference[],
): RowProblem[] {
  const at = { table: t.plan.name, key: row.key, row: Number(row.row) };
  const missing = columns.flatMap((c, i) => {
    const parent = rewritten.find((r) => r.columns[0] === c)?.parent;
    if (!row.miss[i] || !parent) return [];
    const what = row.gone[i] ? 'was deleted in the target since the base' : 'was not imported';
    return [{ ...at, column: c, reason: `${c} refers to a ${parent} row that ${what}; left unchanged` }];
  });
  const named = checked.flatMap((r, j) => {
    if (!row.bad[j]) return [];
    const cols = r.columns.join(', ');
    return [{ ...at, column: cols, reason: `${cols} refers to a ${r.parent} row that does not exist in the target; left unchanged` }];
  });
  return [...missing, ...named];
}

/** Whether `values` (the columns of copied reference r, as the fill leaves them) name no row of its
 *  parent: under MATCH SIMPLE a NULL among them names none and is no error, under MATCH FULL only
 *  all of them NULL is. */
function namesNoRow(r: PlannedReference, values: string[]): string {
  const all = values.map((v) => `${v} IS NOT NULL`).join(' AND ');
  const none = values.map((v) => `${v} IS NULL`).join(' AND ');
  const eq = values.map((v, i) => `p.${ident(r.parentColumns[i])} = ${v}`).join(' AND ');
  const absent = `(${all} AND NOT EXISTS (SELECT 1 FROM ${qualified(r.parentSchema, r.parent)} p WHERE ${eq}))`;
  return r.matchFull ? `(${absent} OR NOT (${all} OR ${none}))` : absent;
}

/**
 * Polymorphic values naming a table written after this one (a cycle through a declared foreign key),
 * through that table's ids now that it is written: in the rows this run inserted (written with the
 * archive's id until now), and in a merge the rows it updates. A value naming a row the run did not
 * write is left as it is and returned; with a classification such rows were refused before writing.
 */
async function seedLatePolymorphic(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  const links = deferredPolymorphic(m, t, 'late');
  const sur = t.plan.surrogate;
  if (!links.length || !sur) return [];
  const D = m.verdicts?.get(t.plan.name);
  const undo = await undoLogOf(m)?.forTable(t);
  const problems: RowProblem[] = [];
  for (const c of [...new Set(links.map((n) => n.ref.columns[0]))]) {
    const named = links.filter((n) => n.ref.columns[0] === c);
    const col = `w.${ident(c)}`;
    const joins = named.map(
      (n, i) =>
        `LEFT JOIN ${m.maps.get(n.ref.parent)} p${i} ON ${n.whenTarget('w')} AND ${n.equal(`p${i}.src`, col)}
         LEFT JOIN (SELECT DISTINCT ${ident(n.parentId)} AS id FROM ${temp(m.tables.get(n.ref.parent)!, 'staged')}) h${i}
           ON ${n.whenTarget('w')} AND ${n.equal(`h${i}.id`, col)}`,
    );
    const value = named.map((n, i) => `WHEN p${i}.tgt IS NOT NULL AND p${i}.live THEN ${n.asColumn(`p${i}.tgt`)}`).join(' ');
    // The archive has the named row, but the run did not write it (refused, left out, deleted in the target since the base).
    const missing = named
      .map(
        (n, i) =>
          `WHEN h${i}.id IS NOT NULL AND (p${i}.tgt IS NULL OR NOT p${i}.live) THEN ${literal(`${c} refers to a ${n.ref.parent} row that `)}
             || CASE WHEN p${i}.tgt IS NULL THEN 'was not imported' ELSE 'was deleted in the target since the base' END`,
      )
      .join(' ');
    // With a classification: only rows that were written, and on existing rows only if it applies the field.
    const applies = D ? `(NOT w._hit OR ${literal(c)} = ANY (d.apply))` : 'true';
    const written = D ? `AND NOT COALESCE(d.excluded, false) AND (w._hit OR d.kind IN ('new', 'resurrect'))` : '';
    const v = `SELECT w._row, w._hit, a._tgt AS loc, CASE ${value} END AS v,
                 CASE ${missing} END || CASE WHEN w._hit THEN '; left unchanged' ELSE '; left as the archive has it' END AS missing
               FROM ${temp(t, 'work')} w JOIN ${temp(t, 'ids')} a ON a._row = w._row ${joins.join(' ')}
               ${D ? `LEFT JOIN ${D} d ON d.srow = w._row` : ''}
               WHERE ${m.mode === 'merge' ? 'true' : 'NOT w._hit'} ${written} AND ${applies}
                 AND (${named.map((n) => n.whenTarget('w')).join(' OR ')})
                 AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`;
    const fresh = m.mode === 'merge' ? `NOT EXISTS (SELECT 1 FROM ${temp(t, 'updated')} u WHERE u._row = upd._row)` : 'false';
    const res = await m.ctx.query<{ late_only: string; missing: { row: number; reason: string }[] }>(
      `WITH v AS MATERIALIZED (${v}),
            upd AS (UPDATE ${target(m, t)} AS g SET ${ident(c)} = v.v FROM v
                    WHERE g.${ident(sur)} = v.loc AND v.v IS NOT NULL AND g.${ident(c)} IS DISTINCT FROM v.v
                    RETURNING v._row, v._hit${undo ? `, ${undo.returning('g')}` : ''})${undo ? `, ul AS (${undo.recordUpdated('upd', 'upd._hit')})` : ''}${
                      m.mode === 'merge'
                        ? `, counted AS (INSERT INTO ${temp(t, 'updated')} SELECT _row FROM upd WHERE _hit AND ${fresh})`
                        : ''
                    }
       SELECT (SELECT count(*) FILTER (WHERE _hit AND ${fresh}) FROM upd) AS late_only,
              (SELECT COALESCE(json_agg(json_build_object('row', _row, 'reason', missing) ORDER BY _row), '[]')
                 FROM (SELECT _row, missing FROM v WHERE missing IS NOT NULL ORDER BY _row LIMIT 10000) q) AS missing`,
    );
    const lateOnly = Number(res.rows[0].late_only);
    t.counts.updated += lateOnly;
    t.counts.unchanged -= lateOnly;
    for (const r of res.rows[0].missing) problems.push({ table: t.plan.name, key: null, row: Number(r.row), column: c, reason: r.reason });
  }
  return problems;
}

/** Moves every sequence of the written tables past the largest value now in its column. */
export async function advanceSequences(m: MatchContext, tables: StagedTable[]): Promise<void> {
  for (const t of tables) {
    if (t.plan.role !== 'data' || t.counts.inserted === 0) continue;
    for (const c of t.catalog.columns) {
      if (!t.staged.includes(c.name) || !/^(smallint|integer|bigint)$/.test(c.type)) continue;
      for (const seq of c.sequences) {
        await m.ctx.query(
          `SELECT setval(${literal(seq)}, mx) FROM (SELECT max(${ident(c.name)}) AS mx FROM ${qualified(m.schema, t.plan.name)}) x, ${seq} s
           WHERE mx IS NOT NULL AND mx > (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)`,
        );
      }
    }
  }
}

/**
 * Disables the triggers of the tables the run writes (and of their partitions, each on its own
 * relation), and later enables exactly those again. A superuser also disables the foreign-key
 * triggers, as pg_restore --disable-triggers does: every reference was already checked set-wise before
 * writing. Returns what it disabled.
 */
export async function disableTriggers(m: MatchContext, tables: StagedTable[]): Promise<{ table: string; trigger: string }[]> {
  const superuser =
    (await m.ctx.query<{ s: boolean }>(`SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user`)).rows[0]?.s ?? false;
  const disabled: { table: string; trigger: string }[] = [];
  for (const t of tables) {
    if (t.plan.role !== 'data') continue;
    const triggers = await m.ctx.query<{ rel: string; name: string }>(
      `SELECT tg.tgrelid::regclass::text AS rel, tg.tgname AS name
       FROM (SELECT ${literal(target(m, t))}::regclass AS relid, 0 AS level
             UNION SELECT relid, level FROM pg_partition_tree(${literal(target(m, t))}::regclass)) pt
       JOIN pg_trigger tg ON tg.tgrelid = pt.relid
       WHERE tg.tgenabled <> 'D'
         AND (NOT tg.tgisinternal OR ($1 AND tg.tgconstraint <> 0 AND tg.tgfoid IN ('"RI_FKey_check_ins"'::regproc, '"RI_FKey_check_upd"'::regproc)))
       ORDER BY pt.level, 1, 2`,
      [superuser],
    );
    for (const { rel, name } of triggers.rows) {
      // ONLY: a partitioned table's trigger is disabled on each partition by its own row here.
      await m.ctx.query(`ALTER TABLE ONLY ${rel} DISABLE TRIGGER ${ident(name)}`);
      disabled.push({ table: rel, trigger: name });
    }
  }
  return disabled;
}

export async function enableTriggers(m: MatchContext, disabled: { table: string; trigger: string }[]): Promise<void> {
  for (const { table, trigger } of disabled) await m.ctx.query(`ALTER TABLE ONLY ${table} ENABLE TRIGGER ${ident(trigger)}`);
}
