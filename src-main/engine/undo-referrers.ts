// Rows the undo would reach through a foreign key without having written them: rows added or
// re-pointed after the import that refer to a row the undo deletes (every ON DELETE action: NO ACTION
// would fail, CASCADE would delete them, SET NULL / SET DEFAULT would unlink them), or to a key value
// the undo puts back (ON UPDATE NO ACTION, RESTRICT, SET NULL, SET DEFAULT). Found set-based, one
// statement per foreign key, before anything is deleted, so the undo can stop and name them.
// ON UPDATE CASCADE is left to PostgreSQL: the referring rows follow the row they refer to, which is
// also how the import's own cascade into rows it did not log is put back.
import type { RunTable } from './import/undo-log';
import type { RunContext } from './run-context';
import { ident, literal, qualified } from './sql';

/** pg_constraint's confdeltype / confupdtype. */
type FkAction = 'a' | 'r' | 'c' | 'n' | 'd';

interface ForeignKey {
  name: string;
  childSchema: string;
  child: string;
  parent: string;
  cols: string[];
  pcols: string[];
  /** The child's primary key, to name its rows by; null: named by all their values. */
  pk: string[] | null;
  onDelete: FkAction;
  onUpdate: FkAction;
}

/** What the undo does to the parent row that reaches the referring rows. */
type Reach = 'delete' | 'update';

interface Referrers {
  fk: ForeignKey;
  reach: Reach;
  rows: Record<string, unknown>[];
  total: number;
}

/** Where the log names the rows the undo acts on. */
export interface UndoLogTables {
  schema: string;
  written: RunTable[];
  /** The undo log of the run. */
  log: string;
  /** Log entries the undo leaves alone (rows changed since, kept). */
  keep: string;
}

const SHOWN = 20;

/** Key columns of a run's table, as a join between a target row `g` and the log's key `k` (a record of
 *  the table's type made from the key's JSON). */
export function keyJoin(t: RunTable, g: string, k: string): string {
  if (!t.key) return `to_jsonb(${g}) = u.key`;
  return t.key.map((c) => `${g}.${ident(c)} ${t.nullable ? 'IS NOT DISTINCT FROM' : '='} ${k}.${ident(c)}`).join(' AND ');
}

/** Every foreign key (of any schema, partitions through their partitioned table) into a table the run wrote. */
async function foreignKeysInto(ctx: RunContext, a: UndoLogTables): Promise<ForeignKey[]> {
  const res = await ctx.query<Omit<ForeignKey, 'onDelete' | 'onUpdate'> & { on_delete: FkAction; on_update: FkAction }>(
    `SELECT c.conname AS name, n.nspname AS "childSchema", ch.relname AS child, pa.relname AS parent,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY x(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = x.n ORDER BY x.o) AS cols,
            array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY x(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = x.n ORDER BY x.o) AS pcols,
            (SELECT array(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY x(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.n WHERE x.o <= i.indnkeyatts ORDER BY x.o)
               FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indisprimary) AS pk,
            c.confdeltype AS on_delete, c.confupdtype AS on_update
     FROM pg_constraint c JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid
     JOIN pg_namespace n ON n.oid = ch.relnamespace JOIN pg_namespace pn ON pn.oid = pa.relnamespace
     WHERE c.contype = 'f' AND c.conparentid = 0 AND pn.nspname = $1 AND pa.relname = ANY ($2)
     ORDER BY ch.relname, c.conname`,
    [a.schema, a.written.map((t) => t.name)],
  );
  return res.rows.map(({ on_delete, on_update, ...fk }) => ({ ...fk, onDelete: on_delete, onUpdate: on_update }));
}

/** The child's rows (as `r`) that the undo itself neither deletes nor restores (`ops` of the log): only
 *  those can be reached without the import having written them. */
function untouchedChildRows(fk: ForeignKey, a: UndoLogTables, ops: string[]): { from: string; where: string; name: string } {
  const C = qualified(fk.childSchema, fk.child);
  const child = fk.childSchema === a.schema ? a.written.find((t) => t.name === fk.child) : undefined;
  const byPk = fk.pk?.length ? `jsonb_build_object(${fk.pk.map((c) => `${literal(c)}, r.${ident(c)}`).join(', ')})` : null;
  if (!child) return { from: `${C} r`, where: 'true', name: byPk ?? 'to_jsonb(r)' };
  const entries = `u2.table_name = ${literal(fk.child)} AND u2.op IN (${ops.map(literal).join(', ')}) AND NOT EXISTS (SELECT 1 FROM ${a.keep} x WHERE x.n = u2.n)`;
  if (child.key)
    return {
      from: `${C} r`,
      where: `NOT EXISTS (SELECT 1 FROM ${a.log} u2 CROSS JOIN LATERAL jsonb_populate_record(NULL::${C}, u2.key) k2 WHERE ${entries} AND ${keyJoin(child, 'r', 'k2')})`,
      name: byPk ?? 'to_jsonb(r)',
    };
  // Rows without any key are their content: the undo deletes as many rows of each content as the
  // import inserted, so only the ones beyond that count stay.
  const row = `(to_jsonb(r) - '_mr4_rn')`;
  return {
    from: `(SELECT x.*, row_number() OVER (PARTITION BY to_jsonb(x)) AS _mr4_rn FROM ${C} x) r`,
    where: `r._mr4_rn > (SELECT count(*) FROM ${a.log} u2 WHERE ${entries} AND u2.key = ${row})`,
    name: byPk ?? row,
  };
}

/** The rows of fk's child that refer to a row of its parent the undo deletes (`reach` delete) or whose
 *  referenced values it puts back (`reach` update), and that the undo does not write itself. */
async function referrersThrough(ctx: RunContext, a: UndoLogTables, fk: ForeignKey, reach: Reach): Promise<Referrers | null> {
  const parent = a.written.find((t) => t.name === fk.parent)!;
  const P = qualified(a.schema, fk.parent);
  const refers = fk.cols.map((c, i) => `r.${ident(c)} = p.${ident(fk.pcols[i])}`).join(' AND ');
  const parentRows =
    reach === 'delete'
      ? `u.op = 'i'`
      : `u.op = 'u' AND ROW(${fk.pcols.map((c) => `p.${ident(c)}`).join(', ')}) IS DISTINCT FROM ROW(${fk.pcols.map((c) => `b.${ident(c)}`).join(', ')})`;
  const before = reach === 'update' ? `CROSS JOIN LATERAL jsonb_populate_record(NULL::${P}, u.before) b` : '';
  const child = untouchedChildRows(fk, a, reach === 'delete' ? ['i'] : ['i', 'u']);
  const res = await ctx.query<{ row: Record<string, unknown>; total: string }>(
    `SELECT ${child.name} AS row, count(*) OVER () AS total FROM ${child.from}
     WHERE EXISTS (SELECT 1 FROM ${P} p JOIN ${a.log} u ON u.table_name = ${literal(fk.parent)}
                   CROSS JOIN LATERAL jsonb_populate_record(NULL::${P}, u.key) k ${before}
                   WHERE ${keyJoin(parent, 'p', 'k')} AND ${parentRows} AND NOT EXISTS (SELECT 1 FROM ${a.keep} x WHERE x.n = u.n) AND ${refers})
       AND ${child.where}
     ORDER BY 1 LIMIT ${SHOWN}`,
  );
  if (!res.rows.length) return null;
  return { fk, reach, rows: res.rows.map((r) => r.row), total: Number(res.rows[0].total) };
}

/** Rows not written by the import that deleting its inserted rows (run after the old values are
 *  back) would fail on, delete or unlink, through any foreign key. */
export async function referrersOfDeleted(ctx: RunContext, a: UndoLogTables): Promise<Referrers[]> {
  const found: Referrers[] = [];
  for (const fk of await foreignKeysInto(ctx, a)) {
    const r = await referrersThrough(ctx, a, fk, 'delete');
    if (r) found.push(r);
  }
  return found;
}

/** Rows not written by the import that putting back the old key values of the rows it updated (run
 *  before that) would fail on or unlink (ON UPDATE NO ACTION, RESTRICT, SET NULL, SET DEFAULT). */
export async function referrersOfRestored(ctx: RunContext, a: UndoLogTables): Promise<Referrers[]> {
  const found: Referrers[] = [];
  for (const fk of await foreignKeysInto(ctx, a)) {
    if (fk.onUpdate === 'c') continue;
    const r = await referrersThrough(ctx, a, fk, 'update');
    if (r) found.push(r);
  }
  return found;
}

const ACTION: Record<FkAction, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** What the undo would do to the referring rows, in words (the first line of a finding). */
function consequence(r: Referrers, cycleOf: (table: string) => string[]): string {
  const { fk } = r;
  const action = r.reach === 'delete' ? fk.onDelete : fk.onUpdate;
  const cause =
    r.reach === 'delete'
      ? `deleting the rows of ${fk.parent} the import inserted`
      : `putting back ${fk.parent}.${fk.pcols.join(', ')} as they were before the import`;
  const how = `(${fk.name}, ON ${r.reach.toUpperCase()} ${ACTION[action]})`;
  const cycle = cycleOf(fk.parent);
  const inCycle =
    r.reach === 'delete' && cycle.length > 1
      ? ` ${cycle.join(', ')} refer to each other in a cycle; the undo deletes the rows the import inserted into them together.`
      : '';
  if (action === 'c')
    return `Undoing the import would delete rows it did not insert: ${cause} deletes rows of ${fk.child} too ${how}.${inCycle}`;
  if (action === 'n' || action === 'd')
    return `Undoing the import would change rows it did not write: ${cause} sets ${fk.child}.${fk.cols.join(', ')} to ${action === 'n' ? 'NULL' : 'the default'} in the rows that refer to them ${how}.${inCycle}`;
  return `Undoing the import would break a constraint: ${fk.name} (${cause} leaves rows of ${fk.child} referring to nothing).${inCycle}`;
}

/** The refusal: each foreign key's referring rows named (by primary key, or their values), and the way out. */
export function referrersMessage(found: Referrers[], cycleOf: (table: string) => string[]): string {
  const parts = found.map((r) => {
    const what = r.reach === 'delete' ? 'the import inserted' : 'whose key the undo puts back';
    return (
      `${consequence(r, cycleOf)}\n${r.total} row(s) of ${r.fk.child} refer through ${r.fk.name} to rows of ${r.fk.parent} ${what}:\n` +
      r.rows.map((row) => `  ${r.fk.child} ${JSON.stringify(row)}`).join('\n') +
      (r.total > r.rows.length ? `\n  … and ${r.total - r.rows.length} more` : '')
    );
  });
  return (
    `${parts.join('\n')}\n` +
    `Nothing was changed. Point those rows elsewhere or delete them (they were added or changed after the import), then undo again; ` +
    `or, if they belong with what the import wrote, leave the import in place and correct it with another merge or by hand.`
  );
}
