// Rows that trade unique values (two seats swapped, three rotated, a value given up by one row and
// taken by another) cannot be written by one UPDATE under a unique constraint that is not deferrable:
// PostgreSQL checks those row by row, so the first row to take a value finds it still held. Before
// such a write, the rows that give up a value another row takes are moved out of the way: under a
// DEFERRABLE constraint by deferring it to the end of the transaction, otherwise by giving each a
// temporary value in one statement (the write that follows gives every one of them its final value).
// Rows keep their ids and keys, so references, the undo log and the lineage of ids stay as they are.
import type { RunContext } from '../run-context';
import { ident } from '../sql';
import { rowId } from '../staged/match';

/** What the write changes: one row per written row, as `_mr4_id` (the caller's), `_mr4_rid` (rowId of the
 *  target row it changes, NULL for a row it inserts), `_mr4_gone` (the row is deleted) and the new value
 *  of every column it writes. */
export interface ValueMoves {
  sql: string;
  columns: string[];
}

export interface ValuesMovedAside {
  moved: MovedRows[];
  /** Temp table of the rows (_mr4_id, by the caller's id) to write before any other: each leaves a
   *  partial unique index with its value, which another written row takes. Null where none can. */
  writeFirst: string | null;
}

export interface MovedRows {
  /** Temp table of the rows given a temporary value (_mr4_id, by the caller's id). */
  holders: string;
  /** The columns of the unique key they were moved out of the way for. */
  columns: string[];
}

interface IndexColumn {
  name: string;
  nullable: boolean;
  type: string;
  /** confupdtype of each foreign key referencing the column: 'c' cascade, 'n' set null, 'd' set default, 'a'/'r' none. */
  onUpdate: string[];
}

interface UniqueIndex {
  name: string;
  constraint: string | null;
  deferrable: boolean;
  nullsNotDistinct: boolean;
  columns: IndexColumn[];
  /** A partial index's WHERE (over the table's columns, unqualified), or null. */
  predicate: string | null;
  /** Every column the index reads, its predicate's among them. */
  reads: string[];
}

export class UniqueSwapError extends Error {
  override name = 'UniqueSwapError';
}

async function uniqueIndexes(ctx: RunContext, table: string): Promise<UniqueIndex[]> {
  const res = await ctx.query<UniqueIndex>(
    `SELECT ix.indexrelid::regclass::text AS name, c.conname AS constraint, COALESCE(c.condeferrable, false) AS deferrable,
            COALESCE((to_jsonb(ix) ->> 'indnullsnotdistinct')::boolean, false) AS "nullsNotDistinct",
            json_agg(json_build_object('name', a.attname, 'nullable', NOT a.attnotnull, 'type', format_type(a.atttypid, NULL),
              'onUpdate', ARRAY(SELECT DISTINCT r.confupdtype::text FROM pg_constraint r WHERE r.contype = 'f' AND r.confrelid = ix.indrelid AND a.attnum = ANY (r.confkey)))
              ORDER BY k.ord) AS columns,
            pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
            ARRAY(SELECT p.attname::text FROM pg_depend d JOIN pg_attribute p ON p.attrelid = d.refobjid AND p.attnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = ix.indexrelid AND d.refobjid = ix.indrelid AND d.refobjsubid > 0) AS reads
     FROM pg_index ix
     LEFT JOIN pg_constraint c ON c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u')
     CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
     WHERE ix.indrelid = $1::regclass AND ix.indisunique AND ix.indexprs IS NULL AND k.ord <= ix.indnkeyatts
     GROUP BY ix.indexrelid, ix.indrelid, ix.indpred, c.conname, c.condeferrable, to_jsonb(ix) ->> 'indnullsnotdistinct'`,
    [table],
  );
  return res.rows;
}

/** Foreign keys that would carry a temporary value into other rows for good: ON UPDATE SET NULL or
 *  SET DEFAULT unlink the referencing rows, which the final value then cannot find again. */
const unlinksReferences = (column: IndexColumn) => column.onUpdate.some((a) => a === 'n' || a === 'd');

/** A value no row holds and no other temporary value repeats (n numbers the rows), or null where the
 *  type has none mr4 can make. NULL only where no foreign key references the column: under ON UPDATE
 *  CASCADE the referencing rows follow the temporary value and then the final one, but a NULL cascades
 *  into them and the final value no longer reaches them. */
function temporaryValue(table: string, column: IndexColumn, nullsDistinct: boolean): string | null {
  const c = ident(column.name);
  if (unlinksReferences(column)) return null;
  if (column.nullable && nullsDistinct && column.onUpdate.length === 0) return 'NULL';
  if (/^(smallint|integer|bigint|numeric|real|double precision|date)$/.test(column.type)) return `(SELECT min(${c}) FROM ${table}) - h.n`;
  if (/^timestamp/.test(column.type)) return `(SELECT min(${c}) FROM ${table}) - h.n * interval '1 microsecond'`;
  // Short, so that it fits a seat's varchar(4) or a code's char(3).
  if (/^(text|character varying|character|citext)$/.test(column.type)) return `'~' || h.n`;
  if (column.type === 'uuid') return `md5('mr4 moving ' || h.n)::uuid`;
  return null;
}

/**
 * Moves the rows that give up a unique value another written row takes out of the way (see above).
 * `fixed`: columns never given a temporary value (what the row is found again by). `name`: the SQL
 * naming a target row `g` in an error. `wrap`: turns the temporary UPDATE … RETURNING into the
 * statement to run (an undo log records the old values). Returns the rows given temporary values;
 * every one of them must be written with its final value afterwards.
 */
export async function moveUniqueValuesAside(
  ctx: RunContext,
  opts: {
    table: string;
    tag: string;
    moves: ValueMoves;
    fixed: string[];
    name: (g: string) => string;
    wrap?: (update: string) => string;
    /** Whether the caller writes the rows that only leave a partial index before the others (see
     *  ValuesMovedAside.writeFirst); otherwise they are given a temporary value, which a write
     *  rewriting every column of theirs replaces. */
    leaversFirst?: boolean;
  },
): Promise<ValuesMovedAside> {
  const { table, moves } = opts;
  const written = new Set(moves.columns);
  const fixed = new Set(opts.fixed);
  // An index holding a column the row is found by (a seat's flight, in its natural key) takes a
  // temporary value in its other columns: the found-by ones never change. Where it has no other, rows
  // trading its values are refused, named, before anything is written.
  // A partial index (UNIQUE (email) WHERE deleted_at IS NULL) counts where the write holds every
  // column its WHERE reads, so that the rows inside it before and after are both known.
  const indexes = (await uniqueIndexes(ctx, table)).filter(
    (ix) => ix.columns.every((c) => written.has(c.name)) && ix.reads.every((c) => written.has(c)),
  );
  if (!indexes.length) return { moved: [], writeFirst: null };
  const M = `pg_temp.${ident(`mr4_${opts.tag}_moves`)}`;
  await ctx.query(`DROP TABLE IF EXISTS ${M}`);
  await ctx.query(`CREATE TEMP TABLE ${M} ON COMMIT DROP AS ${moves.sql}`);
  const first = opts.leaversFirst && indexes.some((ix) => ix.predicate) ? `pg_temp.${ident(`mr4_${opts.tag}_first`)}` : null;
  if (first) await ctx.query(`CREATE TEMP TABLE ${first} (_mr4_id bigint) ON COMMIT DROP`);
  const moved: MovedRows[] = [];
  for (const [i, ix] of indexes.entries()) {
    const cols = ix.columns.map((c) => c.name);
    const same = (a: string, b: string) =>
      cols
        .map((c) =>
          ix.nullsNotDistinct ? `${a}.${ident(c)} IS NOT DISTINCT FROM ${b}.${ident(c)}` : `${a}.${ident(c)} = ${b}.${ident(c)}`,
        )
        .join(' AND ');
    // Whether row `a` (the target's, or as the write leaves it) is in the index: a partial index
    // holds only the rows its WHERE admits, read here over the row's own columns.
    const inIndex = (a: string) => (ix.predicate ? `EXISTS (SELECT FROM (SELECT ${a}.*) AS x WHERE ${ix.predicate})` : 'true');
    // Rows that keep their values but are written out of a partial index (deleted_at set).
    const leaves = ix.predicate ? `(NOT mv._mr4_gone AND ${same('mv', 'g')} AND NOT ${inIndex('mv')})` : 'false';
    const H = `pg_temp.${ident(`mr4_${opts.tag}_holders${i}`)}`;
    // A row gives up its value where it is deleted, written with another, or written out of a
    // partial index; a holder is one whose value another written row takes.
    const found = await ctx.query(
      `CREATE TEMP TABLE ${H} ON COMMIT DROP AS
       SELECT mv._mr4_id, mv._mr4_rid, row_number() OVER (ORDER BY mv._mr4_id) AS n, ${leaves} AS _leaves,
              ${ix.columns.map((c, k) => `(mv._mr4_gone OR mv.${ident(c.name)} IS DISTINCT FROM g.${ident(c.name)} OR ${leaves}) AS _moves${k}`).join(', ')},
              ${opts.name('g')} AS _name
       FROM ${M} mv JOIN ${table} g ON ${rowId('g')} = mv._mr4_rid
       WHERE (mv._mr4_gone OR NOT (${same('mv', 'g')}) OR ${leaves}) AND ${inIndex('g')}
         AND EXISTS (SELECT 1 FROM ${M} m2 WHERE NOT m2._mr4_gone AND m2._mr4_rid IS DISTINCT FROM mv._mr4_rid AND ${same('m2', 'g')} AND ${inIndex('m2')})`,
    );
    if (!found.rowCount) continue;
    if (first) {
      // Written before every other row instead: their write frees the value, and needs no temporary one.
      const left = await ctx.query(
        `WITH l AS (DELETE FROM ${H} WHERE _leaves RETURNING _mr4_id) INSERT INTO ${first} SELECT _mr4_id FROM l`,
      );
      if (left.rowCount === found.rowCount) continue;
    }
    if (ix.deferrable) {
      // Checked once the transaction has written every row (the import sets all constraints immediate before it commits).
      await ctx.query(`SET CONSTRAINTS ${ident(ix.constraint!)} DEFERRED`);
      continue;
    }
    const nullsDistinct = !ix.nullsNotDistinct;
    // Each row's temporary value goes into the first column it is written with another value in:
    // the write that follows rewrites that column.
    const usable = ix.columns
      .map((c, k) => ({ c, flag: `h._moves${k}`, tmp: fixed.has(c.name) ? null : temporaryValue(table, c, nullsDistinct) }))
      .filter((u): u is { c: IndexColumn; flag: string; tmp: string } => u.tmp !== null);
    const pick = (k: number) => [usable[k].flag, ...usable.slice(0, k).map((u) => `NOT ${u.flag}`)].join(' AND ');
    const stuck = await ctx.query(`SELECT 1 FROM ${H} h WHERE NOT (${usable.map((u) => u.flag).join(' OR ') || 'false'}) LIMIT 1`);
    const unlinking = ix.columns.filter(unlinksReferences).map((c) => c.name);
    const none = unlinking.length
      ? `a temporary value in ${unlinking.join(', ')} would unlink the rows that reference it (a foreign key ON UPDATE SET NULL or SET DEFAULT)`
      : `mr4 has no temporary value for ${cols.join(', ')} of these rows`;
    if (stuck.rowCount) throw await swapError(ctx, H, ix, none);
    const set = usable.map((u, k) => `${ident(u.c.name)} = CASE WHEN ${pick(k)} THEN ${u.tmp} ELSE g.${ident(u.c.name)} END`).join(', ');
    const update = `UPDATE ${table} AS g SET ${set} FROM ${H} h WHERE ${rowId('g')} = h._mr4_rid`;
    await ctx.query('SAVEPOINT mr4_move_aside');
    try {
      await ctx.query(opts.wrap ? opts.wrap(update) : update);
      await ctx.query('RELEASE SAVEPOINT mr4_move_aside');
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (!/^(22|23|P0|27|44)/.test(e.code ?? '')) throw error;
      await ctx.query('ROLLBACK TO SAVEPOINT mr4_move_aside');
      throw await swapError(ctx, H, ix, `a temporary value for them was refused: ${e.message}`);
    }
    moved.push({ holders: H, columns: cols });
  }
  return { moved, writeFirst: first };
}

async function swapError(ctx: RunContext, holders: string, ix: UniqueIndex, why: string): Promise<UniqueSwapError> {
  const rows = await ctx.query<{ name: string }>(`SELECT _name::text AS name FROM ${holders} ORDER BY n LIMIT 20`);
  const what = `${ix.columns.map((c) => c.name).join(', ')} (unique ${ix.constraint ?? ix.name}, not deferrable)`;
  // PostgreSQL refuses a foreign key onto a deferrable constraint: only the exchange by hand is left.
  const referenced = ix.columns.some((c) => c.onUpdate.length > 0);
  return new UniqueSwapError(
    `${rows.rows.map((r) => r.name).join(', ')} give up their ${what} to other rows of the same write (a swap or a rotation of values), ` +
      `which mr4 cannot apply here: ${why}. Nothing was written. ` +
      (referenced
        ? 'Apply this exchange of values by hand (foreign keys reference these columns, so the constraint cannot be made DEFERRABLE) and run again.'
        : 'Declare the constraint DEFERRABLE (it is then checked once every row is written), or apply this exchange of values by hand and run again.'),
  );
}

/** Throws if a row given a temporary value was not written with its final value (a row the write
 *  left out). `check` names the SQL that finds such rows of one MovedRows. */
export async function assertMovedRowsWritten(ctx: RunContext, moved: MovedRows[], check: (m: MovedRows) => string): Promise<void> {
  for (const m of moved) {
    const left = await ctx.query<{ name: string }>(check(m));
    if (left.rowCount)
      throw new UniqueSwapError(
        `${left.rows.map((r) => r.name).join(', ')} gave up their ${m.columns.join(', ')} to other rows, but were not written with their own new values (they were refused while writing); nothing was written. Leave them out together with the rows that take their values, or fix the rows that were refused.`,
      );
  }
}
