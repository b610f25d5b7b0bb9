// What the target's BEFORE row triggers made of a table's writes: rows they did not store (RETURN
// NULL) and values they stored other than the ones written (`NEW.updated_at := now()`). Read back
// set-based once the table is written, only where such a trigger is enabled.
import { ident, literal } from '../sql';
import { stagedKeyJson, targetKeyJson } from '../staged/keys';
import { differs, locates, locatorColumns, type MatchContext, rowId, target, triggersFire, updatableColumns } from '../staged/match';
import { type StagedTable, temp } from '../staged/types';

/** How the written rows of a final table are told apart: the SQL conditions (over `f`, the final
 *  row, and `d`, its verdict where there is a classification) of an inserted row and of a column an
 *  update was asked to write. */
export interface WrittenRows {
  inserted: string;
  asked: (column: string) => string;
  columns: string[];
}

interface NotStoredAsWritten {
  col: string | null;
  n: string;
  keys: unknown[];
}

const NAMED_ROWS = 5;

/** The enabled BEFORE INSERT or UPDATE row triggers of the table (and its partitions), by name. */
async function beforeRowTriggers(m: MatchContext, t: StagedTable): Promise<string[]> {
  const res = await m.ctx.query<{ name: string }>(
    `SELECT DISTINCT tg.tgname AS name
     FROM (SELECT ${literal(target(m, t))}::regclass AS relid UNION SELECT relid FROM pg_partition_tree(${literal(target(m, t))}::regclass)) pt
     JOIN pg_trigger tg ON tg.tgrelid = pt.relid
     -- tgtype bits: 1 row, 2 before, 4 insert, 16 update
     WHERE NOT tg.tgisinternal AND tg.tgenabled <> 'D' AND tg.tgtype & 3 = 3 AND tg.tgtype & 20 <> 0
     ORDER BY 1`,
  );
  return res.rows.map((r) => r.name);
}

/**
 * Warns, naming the rows, where the target did not store what the run wrote: an inserted row that is
 * not there (col null), or a column whose stored value differs from the one written. The counts stay
 * as the statements reported them (such an insert is skipped, such an update unchanged); the warning
 * says why.
 */
export async function warnOfTriggerEffects(m: MatchContext, t: StagedTable, written: WrittenRows): Promise<void> {
  if (!m.warnings || !locatorColumns(t).length || !triggersFire(m, t)) return;
  const triggers = await beforeRowTriggers(m, t);
  if (!triggers.length) return;
  const D = m.verdicts?.get(t.plan.name);
  const verdict = D ? `LEFT JOIN ${D} d ON d.srow = f._row AND NOT d.excluded` : '';
  const present = `g.${ident(locatorColumns(t)[0])} IS NOT NULL`;
  const changedColumns = written.columns.map(
    (c) =>
      `CASE WHEN ${present} AND ((${written.inserted}) OR (f._hit AND ${written.asked(c)})) AND ${differs(t, c, 'g', 'f')} THEN ${literal(c)} END`,
  );
  const res = await m.ctx.query<NotStoredAsWritten>(
    `WITH checked AS (
       SELECT f._row, ${stagedKeyJson(m, t, 's')} AS key,
              CASE WHEN NOT ${present} AND ${written.inserted} THEN ARRAY[NULL::text]
                   ELSE array_remove(ARRAY[${changedColumns.length ? changedColumns.join(', ') : 'NULL::text'}], NULL) END AS cols
       FROM ${temp(t, 'final')} f JOIN ${temp(t, 'staged')} s ON s._row = f._row ${verdict}
       LEFT JOIN ${target(m, t)} g ON ${locates(t, 'g', 'f')}),
     each AS (SELECT col, key, row_number() OVER (PARTITION BY col ORDER BY _row) AS k FROM checked, unnest(cols) col)
     SELECT col, count(*) AS n, (array_agg(key ORDER BY k) FILTER (WHERE k <= ${NAMED_ROWS})) AS keys FROM each GROUP BY col ORDER BY col NULLS FIRST`,
  );
  for (const r of res.rows) m.warnings.push(triggerEffectWarning(t.plan.name, triggers, r));
}

function triggerEffectWarning(table: string, triggers: string[], r: NotStoredAsWritten): string {
  const n = Number(r.n);
  const named = r.keys.map((k) => JSON.stringify(k)).join(', ') + (n > r.keys.length ? ', …' : '');
  const by = `the target's trigger${triggers.length > 1 ? 's' : ''} ${triggers.join(', ')}`;
  if (r.col === null) {
    return `${table}: ${n} row(s) were not stored by ${by} (it returned NULL for them): ${named}. They are counted skipped, and the next merge proposes them again; run with --disable-triggers to write them, or leave them out.`;
  }
  return `${table}: ${by} kept or set other values than the ones written in ${r.col}, in ${n} row(s): ${named}. What the two databases agree on is what the target stored; if the trigger sets ${r.col} on every write, make it insert-only (tables.${table}.insertOnly in the configuration) so that merges neither write nor compare it.`;
}

/**
 * Rows the classification calls new that the target has by the time their table is written: a
 * trigger of a table written before made them during this run (`handle_new_user` inserting the new
 * user's profile). Left as they were, the archive's row would count "unchanged" and never be
 * written; it is written over the trigger's row instead (every field applied), and named.
 */
export async function adoptRowsMadeDuringRun(m: MatchContext, t: StagedTable): Promise<void> {
  const D = m.verdicts?.get(t.plan.name);
  // Only a trigger makes rows during the run, and only one of a table the run writes fires.
  if (!D || m.mode !== 'merge' || ![...m.tables.values()].some((w) => w.plan.role === 'data' && triggersFire(m, w))) return;
  const columns = updatableColumns(m, t);
  const res = await m.ctx.query<{ key: unknown }>(
    `WITH adopted AS (
       UPDATE ${D} d SET apply = ARRAY[${columns.map((c) => literal(c)).join(', ')}]::text[]
       FROM ${temp(t, 'work')} w JOIN ${temp(t, 'matched')} k ON k._row = w._row JOIN ${target(m, t)} g ON ${rowId('g')} = k._ctid
       WHERE d.srow = w._row AND w._hit AND d.kind IN ('new', 'resurrect') AND NOT d.excluded
         -- Only a row this transaction wrote (its xid or a later one: a savepoint's): a row the target
         -- had before is not the trigger's, and is left as the classification says.
         AND age(g.xmin) <= 0
       RETURNING d.srow)
     SELECT ${stagedKeyJson(m, t, 's')} AS key FROM adopted a JOIN ${temp(t, 'staged')} s ON s._row = a.srow ORDER BY a.srow`,
  );
  if (!res.rows.length || !m.warnings) return;
  const named = res.rows.slice(0, NAMED_ROWS).map((r) => JSON.stringify(r.key));
  m.warnings.push(
    `${t.plan.name}: ${res.rows.length} row(s) new in the archive were in the target by the time ${t.plan.name} was written — made during this import, by a trigger of a table written before it: ${named.join(', ')}${res.rows.length > NAMED_ROWS ? ', …' : ''}. They were written with the archive's values; import with --disable-triggers if the trigger should not make them.`,
  );
}

/** Per table with an integer id, the largest id the target held before the run wrote anything. */
export type IdsBeforeWrite = Map<StagedTable, string | null>;

function integerSurrogate(t: StagedTable): string | null {
  const sur = t.plan.surrogate;
  const type = sur ? t.catalog.columns.find((c) => c.name === sur)?.type : undefined;
  return sur && type && /^(smallint|integer|bigint)$/.test(type) ? sur : null;
}

export async function idsBeforeWrite(m: MatchContext, tables: StagedTable[]): Promise<IdsBeforeWrite> {
  const counted = tables.filter((t) => t.plan.role === 'data' && integerSurrogate(t));
  // Only a trigger makes rows during the run, and only one of a table the run writes fires.
  if (!counted.length || !tables.some((t) => t.plan.role === 'data' && triggersFire(m, t))) return new Map();
  const res = await m.ctx.query<{ tag: string; mx: string | null }>(
    counted
      .map((t) => `SELECT ${literal(t.tag)} AS tag, (SELECT max(${ident(integerSurrogate(t)!)}) FROM ${target(m, t)})::text AS mx`)
      .join(' UNION ALL '),
  );
  const byTag = new Map(res.rows.map((r) => [r.tag, r.mx]));
  return new Map(counted.map((t) => [t, byTag.get(t.tag) ?? null]));
}

/**
 * Warns of the rows a table gained during the run that the run did not write: the target's triggers
 * made them (a `handle_new_user` making a `settings` row for each new user). In a table without a
 * natural key they stay beside the archive's rows, which nothing pairs them with.
 */
export async function warnOfRowsMadeDuringRun(m: MatchContext, t: StagedTable, before: string | null): Promise<void> {
  const sur = integerSurrogate(t);
  if (!sur || !m.warnings) return;
  const res = await m.ctx.query<{ n: string; keys: unknown[] | null }>(
    `SELECT count(*) AS n, (array_agg(key ORDER BY id) FILTER (WHERE k <= ${NAMED_ROWS})) AS keys
     FROM (SELECT g.${ident(sur)} AS id, ${targetKeyJson(m, t, 'g')} AS key, row_number() OVER (ORDER BY g.${ident(sur)}) AS k
           FROM ${target(m, t)} g
           WHERE ${before === null ? 'true' : `g.${ident(sur)} > ${literal(before)}`}
             AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'ids')} a WHERE a._tgt = g.${ident(sur)})) made`,
  );
  const n = Number(res.rows[0].n);
  if (!n) return;
  const named = res.rows[0].keys!.map((k) => JSON.stringify(k)).join(', ') + (n > NAMED_ROWS ? ', …' : '');
  m.warnings.push(
    `${t.plan.name}: ${n} row(s) were made in the target during this import by its triggers, not taken from the archive: ${named}. ${t.plan.key.kind === 'key' ? 'They hold keys the archive does not have' : "Nothing pairs them with the archive's rows, which were written beside them"}; import with --disable-triggers if the archive's rows should be the only ones.`,
  );
}
