// Late columns, filled once every table is written: a reference that closes a cycle (written NULL
// until its parent's rows exist) and a polymorphic value naming a table written after this one
// (written with the archive's id until then). Each fill is one UPDATE … FROM of the rows to fill, its
// old values kept in the undo log; a row it changes that the write left unchanged is counted updated.
import { type PlannedReference, pointsAtNoRow } from '../plan';
import type { RowProblem } from '../report-types';
import { ident, literal, qualified } from '../sql';
import { stagedKeyJson } from '../staged/keys';
import {
  checkedAfterFill,
  columnType,
  deferredPolymorphic,
  keptOrRewritten,
  lateColumns,
  lateRefs,
  type MatchContext,
  noRow,
  target,
} from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import { undoLogOf } from './undo-log';

/** Fills late columns now that every table's rows exist. Returns the references that could not be
 *  resolved; those are left as they were (NULL for new rows, or the archive's polymorphic id). */
export async function lateSeed(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  if (!t.plan.surrogate || t.rows === 0) return [];
  return [...(await seedLateReferences(m, t)), ...(await seedLatePolymorphic(m, t))];
}

/** The rows a fill may change, one per written row: `w` the work row, `a` its ids (a._tgt the target
 *  row's id), `d` its verdict where there is a classification, plus `joins`. A skip fills only the
 *  rows it inserted; with a classification, only rows written, and on an existing row only the fields
 *  it applies (`applies(column)`). */
function rowsToFill(m: MatchContext, t: StagedTable, select: string, joins: string, where = 'true'): string {
  const D = m.verdicts?.get(t.plan.name);
  const written = D ? `AND NOT COALESCE(d.excluded, false) AND (w._hit OR d.kind IN ('new', 'resurrect'))` : '';
  return `SELECT w._row, w._hit, a._tgt AS loc, ${select}
          FROM ${temp(t, 'work')} w JOIN ${temp(t, 'ids')} a ON a._row = w._row ${joins}
          ${D ? `LEFT JOIN ${D} d ON d.srow = w._row` : ''}
          WHERE ${m.mode === 'merge' ? 'true' : 'NOT w._hit'} ${written} AND ${where}
            AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`;
}

function applies(m: MatchContext, t: StagedTable, column: string): string {
  return m.verdicts?.get(t.plan.name) ? `(NOT w._hit OR ${literal(column)} = ANY (d.apply))` : 'true';
}

/**
 * One fill: `ctes` end in `v` (the rows to fill, from rowsToFill); the target row g of each is set by
 * `set` where `where` holds. The old values go to the undo log (a row this run inserted needs none:
 * the undo deletes it), and in a merge each row is counted updated once, whichever fill or the write
 * changed it. Returns what `missing` (a json array read from v) holds.
 */
async function fill<P>(m: MatchContext, t: StagedTable, f: { ctes: string; set: string; where: string; missing: string }): Promise<P[]> {
  const undo = await undoLogOf(m)?.forTable(t);
  const fresh = m.mode === 'merge' ? `NOT EXISTS (SELECT 1 FROM ${temp(t, 'updated')} u WHERE u._row = upd._row)` : 'false';
  const logged = undo ? `, ul AS (${undo.recordUpdated('upd', 'upd._hit')})` : '';
  const counted = m.mode === 'merge' ? `, counted AS (INSERT INTO ${temp(t, 'updated')} SELECT _row FROM upd WHERE _hit AND ${fresh})` : '';
  const res = await m.ctx.query<{ late_only: string; missing: P[] }>(
    `WITH ${f.ctes},
          upd AS (UPDATE ${target(m, t)} AS g SET ${f.set} FROM v WHERE g.${ident(t.plan.surrogate!)} = v.loc AND ${f.where}
                  RETURNING v._row, v._hit${undo ? `, ${undo.returning('g')}` : ''})${logged}${counted}
     SELECT (SELECT count(*) FILTER (WHERE _hit AND ${fresh}) FROM upd) AS late_only, (${f.missing}) AS missing`,
  );
  const lateOnly = Number(res.rows[0].late_only);
  t.counts.updated += lateOnly;
  t.counts.unchanged -= lateOnly;
  return res.rows[0].missing;
}

/**
 * Late columns of references: a rewritten reference through its parent's map, a copied one as the
 * archive has it. A reference whose values are copied (a multi-column one among them) is checked
 * against the target's rows as the fill leaves them: where it names no row, its late columns are left
 * as they are and the row named, as where a parent was not imported.
 */
async function seedLateReferences(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  const columns = lateColumns(m, t);
  if (columns.length === 0) return [];
  const rewritten = lateRefs(m, t);
  const checked = checkedAfterFill(m, t);
  const joins: string[] = [];
  const values = columns.map((c, i) => {
    const r = rewritten.find((x) => x.columns[0] === c);
    const col = `w.${ident(c)}`;
    const ok = applies(m, t, c);
    if (!r) return `${col} AS v${i}, false AS gone${i}, false AS miss${i}, ${ok} AS ok${i}`;
    // A "none" value (WordPress's 0) names no row: kept as it is, never missing.
    joins.push(`LEFT JOIN ${m.maps.get(r.parent)} p${i} ON p${i}.src = ${col}${r.none ? ` AND NOT ${noRow(t, r, 'w')}` : ''}`);
    return `${keptOrRewritten(t, r, 'w', `p${i}.tgt`)} AS v${i}, (p${i}.tgt IS NOT NULL AND NOT p${i}.live AND ${ok}) AS gone${i},
         (NOT ${noRow(t, r, 'w')} AND (p${i}.tgt IS NULL OR (NOT p${i}.live AND ${ok}))) AS miss${i}, ${ok} AS ok${i}`;
  });
  // The target row as it is, for the columns of checked references.
  const now = (c: string) => ident(`g:${c}`);
  const held = [...new Set(checked.flatMap((r) => r.columns))];
  if (checked.length) joins.push(`LEFT JOIN ${target(m, t)} g ON g.${ident(t.plan.surrogate!)} = a._tgt`);
  const v0 = rowsToFill(m, t, [...values, ...held.map((c) => `g.${ident(c)} AS ${now(c)}`)].join(', '), joins.join(' '));
  const after = (c: string) => {
    const i = columns.indexOf(c);
    return i === -1 ? `v0.${now(c)}` : `CASE WHEN v0.miss${i} OR NOT v0.ok${i} THEN v0.${now(c)} ELSE v0.v${i} END`;
  };
  const bad = checked.map((r, j) => `, ${namesNoRow(t, r, r.columns.map(after))} AS bad${j}`).join('');
  const hold = (c: string, i: number) =>
    [`v.miss${i}`, `NOT v.ok${i}`, ...checked.flatMap((r, j) => (r.columns.includes(c) ? [`v.bad${j}`] : []))].join(' OR ');
  const flags = (name: string, n: number) => `ARRAY[${Array.from({ length: n }, (_, i) => `${name}${i}`).join(', ') || 'NULL::boolean'}]`;
  const anyProblem = [...columns.map((_, i) => `miss${i}`), ...checked.map((_, j) => `bad${j}`)].join(' OR ');
  const missing = await fill<LateProblemRow>(m, t, {
    // v is read twice (the update, the unresolved rows), so it is computed once.
    ctes: `v0 AS MATERIALIZED (${v0}), v AS MATERIALIZED (SELECT v0.*${bad} FROM v0)`,
    set: columns.map((c, i) => `${ident(c)} = CASE WHEN ${hold(c, i)} THEN g.${ident(c)} ELSE v.v${i} END`).join(', '),
    where: `(${columns.map((c, i) => `(NOT (${hold(c, i)}) AND g.${ident(c)} IS DISTINCT FROM v.v${i})`).join(' OR ')})`,
    missing: `SELECT COALESCE(json_agg(json_build_object('row', q._row, 'key', ${stagedKeyJson(m, t, 's')},
                'miss', ${flags('q.miss', columns.length)}, 'gone', ${flags('q.gone', columns.length)}, 'bad', ${flags('q.bad', checked.length)}) ORDER BY q._row), '[]')
              FROM (SELECT * FROM v WHERE ${anyProblem} ORDER BY _row LIMIT 10000) q JOIN ${temp(t, 'staged')} s ON s._row = q._row`,
  });
  return missing.flatMap((row) => lateProblems(t, row, columns, rewritten, checked));
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
function namesNoRow(t: StagedTable, r: PlannedReference, values: string[]): string {
  // A "none" value (WordPress's 0) names no row, as a NULL does.
  const all = r.none
    ? `NOT ${pointsAtNoRow(r, values[0], columnType(t, r.columns[0]))}`
    : values.map((v) => `${v} IS NOT NULL`).join(' AND ');
  const none = values.map((v) => `${v} IS NULL`).join(' AND ');
  const eq = values.map((v, i) => `p.${ident(r.parentColumns[i])} = ${v}`).join(' AND ');
  const absent = `(${all} AND NOT EXISTS (SELECT 1 FROM ${qualified(r.parentSchema, r.parent)} p WHERE ${eq}))`;
  return r.matchFull ? `(${absent} OR NOT (${all} OR ${none}))` : absent;
}

/**
 * Polymorphic values naming a table written after this one (a cycle through a declared foreign key),
 * through that table's ids now that it is written: in the rows this run inserted, and in a merge the
 * rows it updates. A value naming a row the run did not write is left as it is and returned; with a
 * classification such rows were refused before writing.
 */
async function seedLatePolymorphic(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  const links = deferredPolymorphic(m, t, 'late');
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
    const v = rowsToFill(
      m,
      t,
      `CASE ${value} END AS v, CASE ${missing} END || CASE WHEN w._hit THEN '; left unchanged' ELSE '; left as the archive has it' END AS missing`,
      joins.join(' '),
      `${applies(m, t, c)} AND (${named.map((n) => n.whenTarget('w')).join(' OR ')})`,
    );
    const unresolved = await fill<{ row: number; reason: string }>(m, t, {
      ctes: `v AS MATERIALIZED (${v})`,
      set: `${ident(c)} = v.v`,
      where: `v.v IS NOT NULL AND g.${ident(c)} IS DISTINCT FROM v.v`,
      missing: `SELECT COALESCE(json_agg(json_build_object('row', _row, 'reason', missing) ORDER BY _row), '[]')
                FROM (SELECT _row, missing FROM v WHERE missing IS NOT NULL ORDER BY _row LIMIT 10000) q`,
    });
    for (const r of unresolved) problems.push({ table: t.plan.name, key: null, row: Number(r.row), column: c, reason: r.reason });
  }
  return problems;
}
