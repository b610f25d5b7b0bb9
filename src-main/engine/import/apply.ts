// Apply: write one table's final rows (INSERT the new, UPDATE the changed in merge mode; identical rows
// are never touched; late columns are filled by late-fill.ts), move sequences past new ids.
// A statement that fails on a row (a trigger, a deferred check) is retried on halves of its rows
// inside savepoints, to name the row that causes it or, with allowFailures, to leave out every such row.
import type { RowProblem } from '../report-types';
import { type Column, sequencePrefix } from '../catalog';
import { ident, literal, qualified } from '../sql';
import { describeRefused, refuseOrphans, uniqueUnchecked } from './constraints';
import { refuseTakenUniqueValues } from '../staged/final';
import {
  deferredPolymorphic,
  differs,
  lateColumns,
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
import { targetKeyJson } from '../staged/keys';
import { warnOfTriggerEffects } from './trigger-effects';

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
    if (e.code === '23505' && uniqueUnchecked.has(t)) throw new UniqueValueTaken();
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
      sql: `SELECT f._row AS _mr4_id, CASE WHEN f._hit THEN ${rowId('g')} END AS _mr4_rid, false AS _mr4_gone, ${columns.map((c) => `f.${ident(c)}`).join(', ')}
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
  // Only rows the target has are updated, and only an update can take a value another row gives up.
  const { moved, writeFirst } =
    updateStatement && rows > inserts ? await moveTakenValuesAside(m, t, undo) : { moved: [], writeFirst: null };
  if (updateStatement && writeFirst && chunks.length) {
    const update = updateStatement;
    const range: [number, number] = [chunks[0][0], chunks[chunks.length - 1][1]];
    t.counts.updated += await runAttributed(m, t, 'Updating', range, (r) =>
      update(`${r} AND f._row IN (SELECT _mr4_id FROM ${writeFirst})`),
    );
  }
  const writeRows = async () => {
    for (const [lo, hi] of chunks) {
      m.ctx.throwIfCancelled();
      if (inserts) t.counts.inserted += await runAttributed(m, t, 'Inserting into', [lo, hi], insert);
      if (updateStatement && rows > inserts) t.counts.updated += await runAttributed(m, t, 'Updating', [lo, hi], updateStatement);
      if (chunks.length > 1)
        m.ctx.progress({ type: 'table', table: t.plan.name, phase: 2, rowsDone: Math.min(hi, t.rows), rowsTotal: t.rows });
    }
  };
  if (uniqueUnchecked.has(t) && inserts) await writeCheckingUniqueOnViolation(m, t, chunks.length, writeRows);
  else await writeRows();
  await assertMovedRowsWritten(
    m.ctx,
    moved,
    (mv) =>
      `SELECT h._name::text AS name FROM ${mv.holders} h LEFT JOIN ${F} f ON f._row = h._mr4_id LEFT JOIN ${T} g ON ${locates(t, 'g', 'f')}
       WHERE f._row IS NULL OR NOT (${mv.columns.map((c) => `g.${ident(c)} IS NOT DISTINCT FROM f.${ident(c)}`).join(' AND ')}) ORDER BY h.n LIMIT 20`,
  );

  if (rows)
    await warnOfTriggerEffects(m, t, {
      inserted: `NOT f._hit${insertable}`,
      asked: (c) => (!update.includes(c) ? 'false' : D ? `${literal(c)} = ANY (d.apply)` : 'true'),
      columns: updatableColumns(m, t),
    });

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

/** A unique value left to the write to check (uniqueUnchecked) was taken. */
class UniqueValueTaken extends Error {
  override name = 'UniqueValueTaken';
}

/**
 * Writes a table whose unique values were not checked before: where the write finds one taken, its
 * rows are taken back, the rows refused by name with why (as a table checked first would have them),
 * and the rest written again. A table written in one statement needs no savepoint of its own: that
 * statement's was rolled back already.
 */
async function writeCheckingUniqueOnViolation(
  m: MatchContext,
  t: StagedTable,
  statements: number,
  writeRows: () => Promise<void>,
): Promise<void> {
  const savepoint = statements > 1;
  if (savepoint) await m.ctx.query('SAVEPOINT mr4_table');
  try {
    await writeRows();
    if (savepoint) await m.ctx.query('RELEASE SAVEPOINT mr4_table');
  } catch (error) {
    if (!(error instanceof UniqueValueTaken)) throw error;
    if (savepoint) await m.ctx.query('ROLLBACK TO SAVEPOINT mr4_table');
    uniqueUnchecked.delete(t);
    t.counts.inserted = 0;
    t.counts.updated = 0;
    await refuseTakenUniqueValues(m, t);
    await refuseOrphans(m, t);
    await writeRows();
  }
}

/** Moves every sequence of the tables written (and the one configured for its id) past the largest value now in its column: the number
 *  itself, or the number after the prefix of a text column drawn as `'INV-' || nextval(…)`. */
export async function advanceSequences(m: MatchContext, tables: StagedTable[]): Promise<void> {
  for (const t of tables) {
    if (t.plan.role !== 'data' || t.counts.inserted === 0) continue;
    for (const c of t.catalog.columns) {
      if (!t.staged.includes(c.name)) continue;
      const highest = highestDrawn(c);
      if (highest === null) continue;
      // A sequence the configuration says the application draws the ids from is no default's.
      const stated = c.name === t.plan.surrogate && t.plan.surrogateSequence ? [t.plan.surrogateSequence] : [];
      for (const seq of new Set([...c.sequences, ...stated])) {
        await m.ctx.query(
          `SELECT setval(${literal(seq)}, mx) FROM (SELECT max(${highest}) AS mx FROM ${qualified(m.schema, t.plan.name)}) x, ${seq} s
           WHERE mx IS NOT NULL AND mx > (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)`,
        );
      }
    }
  }
}

/** The SQL of the number a column's value holds from its sequence (NULL where it holds none), or
 *  null for a column not drawn from a sequence in a shape mr4 reads back. */
function highestDrawn(c: Column): string | null {
  if (/^(smallint|integer|bigint)$/.test(c.type)) return ident(c.name);
  const prefix = sequencePrefix(c);
  if (prefix === null) return null;
  const rest = `substr(${ident(c.name)}, ${prefix.length + 1})`;
  // 18 digits at most: every such number fits a bigint, and a longer one was not drawn from the sequence.
  return `CASE WHEN left(${ident(c.name)}, ${prefix.length}) = ${literal(prefix)} AND ${rest} ~ '^[0-9]{1,18}$' THEN ${rest}::bigint END`;
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
