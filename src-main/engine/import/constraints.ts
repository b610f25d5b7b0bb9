// Before a table is written: the rows exactly as they will be written (f) are checked set-wise against
// the target's NOT NULL, CHECK and UNIQUE constraints and the foreign keys that are not rewritten, so a
// bad row is named with its reason instead of failing the whole statement.
import type { RowProblem } from '../report-types';
import { ident, literal, qualified } from '../sql';
import {
  analyzeTemp,
  columnType,
  insertRefusals,
  lateColumns,
  locates,
  type MatchContext,
  type RefusalCheck,
  remapRefs,
  rowId,
  selfRefs,
  target,
  updatableColumns,
  writtenColumns,
} from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import { stagedKeyJson, targetKeyJson } from '../staged/keys';
import type { UniqueKey } from '../catalog';

/**
 * The rows to write, with the values they are written with: target ids, self references resolved,
 * late columns NULL, and on a row the target has, its own value wherever the update keeps it
 * (insert-only columns, and with a classification every field it does not apply). Only rows that are
 * written: with a classification, an excluded row, one it keeps as the target has it, or one deleted
 * in the target since the base is not there.
 */
export async function buildFinal(m: MatchContext, t: StagedTable): Promise<void> {
  const sur = t.plan.surrogate;
  const D = m.verdicts?.get(t.plan.name);
  const late = new Set(lateColumns(m, t));
  const self = selfRefs(m, t);
  const updates = m.mode === 'merge' && (t.plan.key.kind === 'key' || !!sur);
  const updatable = new Set(updates ? updatableColumns(m, t) : []);
  const select = ['w._row', 'w._hit', sur ? 'a._tgt AS _loc' : 'NULL::int AS _loc'];
  const joins = [sur ? `JOIN ${temp(t, 'ids')} a ON a._row = w._row` : ''];
  if (D) joins.push(`LEFT JOIN ${D} d ON d.srow = w._row`);
  // The key a row without an id was matched by is the target row's already.
  const matchedBy = new Set(t.plan.key.kind === 'key' && !sur ? t.plan.key.columns : []);
  const fromSource = (c: string) => (updatable.has(c) ? (D ? `(NOT w._hit OR ${literal(c)} = ANY (d.apply))` : 'true') : 'NOT w._hit');
  const keepsOwn = (c: string) => updates && c !== sur && !late.has(c) && !matchedBy.has(c) && fromSource(c) !== 'true';
  // A row the target has is found again where matching found it.
  if (writtenColumns(t).some(keepsOwn)) {
    joins.push(`LEFT JOIN ${temp(t, 'matched')} k ON w._hit AND k._row = w._row LEFT JOIN ${target(m, t)} g ON ${rowId('g')} = k._ctid`);
  }
  const written = (c: string, value: string) => (keepsOwn(c) ? `CASE WHEN ${fromSource(c)} THEN ${value} ELSE g.${ident(c)} END` : value);
  for (const c of writtenColumns(t)) {
    const si = self.findIndex((r) => r.columns[0] === c);
    if (c === sur) select.push(`a._tgt AS ${ident(c)}`);
    else if (si !== -1) select.push(`${written(c, `o${si}._tgt::${columnType(t, c)}`)} AS ${ident(c)}`);
    else if (late.has(c)) select.push(`NULL::${columnType(t, c)} AS ${ident(c)}`);
    else select.push(`${written(c, `w.${ident(c)}`)} AS ${ident(c)}`);
  }
  self.forEach((r, i) => {
    const c = r.columns[0];
    joins.push(`LEFT JOIN ${temp(t, 'ids')} o${i} ON o${i}._src = w.${ident(c)}`);
    select.push(`(${fromSource(c)} AND w.${ident(c)} IS NOT NULL AND o${i}._tgt IS NULL) AS _selfmiss${i}`);
  });
  const inserted = D ? `(NOT w._hit AND d.kind IN ('new', 'resurrect') AND NOT d.excluded)` : 'NOT w._hit';
  const updated = !updates ? 'false' : D ? `(w._hit AND NOT d.excluded AND cardinality(d.apply) > 0)` : 'w._hit';
  await m.ctx.query(
    `CREATE TEMP TABLE ${temp(t, 'final')} ON COMMIT DROP AS SELECT ${select.join(', ')}
     FROM ${temp(t, 'work')} w ${joins.join(' ')}
     WHERE (${inserted} OR ${updated}) AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`,
  );
  // Statistics only for what f is joined or filtered on: sampling every wide column of a big table
  // costs more than the plans gain from it.
  const joined = new Set(['_row', '_loc', '_hit']);
  for (const k of [...(t.catalog.primaryKey ? [t.catalog.primaryKey] : []), ...t.catalog.uniqueKeys])
    k.columns.forEach((c) => joined.add(c));
  for (const r of t.plan.references) r.columns.forEach((c) => joined.add(c));
  if (t.plan.key.kind === 'key') t.plan.key.columns.forEach((c) => joined.add(c));
  const present = new Set(['_row', '_loc', '_hit', ...writtenColumns(t)]);
  await analyzeTemp(
    m,
    t,
    temp(t, 'final'),
    [...joined]
      .filter((c) => present.has(c))
      .map((c) => ident(c))
      .join(', '),
  );
}

async function refuse(m: MatchContext, t: StagedTable, selectRows: string, reason: string, column: string | null): Promise<number> {
  const res = await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT DISTINCT q._row, ${literal(reason)}, ${column ? literal(column) : 'NULL'} FROM (${selectRows}) q
     WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = q._row)`,
  );
  return res.rowCount ?? 0;
}

/** Refuses the rows `selectRows` names (_row, reason), each with its first reason. */
async function refuseWith(m: MatchContext, t: StagedTable, selectRows: string): Promise<number> {
  const res = await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT DISTINCT ON (q._row) q._row, q.reason, NULL FROM (${selectRows}) q
     WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = q._row) ORDER BY q._row, q.reason`,
  );
  return res.rowCount ?? 0;
}

async function dropRefused(m: MatchContext, t: StagedTable): Promise<void> {
  await m.ctx.query(`DELETE FROM ${temp(t, 'final')} f USING ${temp(t, 'refused')} x WHERE f._row = x._row`);
  if (t.plan.surrogate) await m.ctx.query(`DELETE FROM ${temp(t, 'ids')} a USING ${temp(t, 'refused')} x WHERE a._row = x._row`);
}

/** Unique keys mr4 checks before writing: whole columns, all written with their final values. */
function checkedKeys(m: MatchContext, t: StagedTable): UniqueKey[] {
  const staged = new Set(t.staged);
  const late = new Set(lateColumns(m, t));
  return [...(t.catalog.primaryKey ? [t.catalog.primaryKey] : []), ...t.catalog.uniqueKeys].filter(
    (k) =>
      !k.partial &&
      !k.expression &&
      k.columns.every((c) => staged.has(c) && !late.has(c)) &&
      !(k.columns.length === 1 && k.columns[0] === t.plan.surrogate),
  );
}

/**
 * Unique keys, checked against the target as it will be after the merge: a row it updates gives up
 * its old values (two rows may swap theirs), a row it does not write (left out, kept as the target
 * has it, refused) keeps its own. A written row is refused where its new value is held then by a row
 * that keeps it, or taken by another written row too. Refusing a row makes it keep its old value, so
 * this runs until no row is refused.
 */
async function refuseTakenUniqueValues(m: MatchContext, t: StagedTable): Promise<void> {
  const keys = checkedKeys(m, t);
  if (!keys.length) return;
  const F = temp(t, 'final');
  const T = target(m, t);
  const matchKey = t.plan.key.kind === 'key' && !t.plan.surrogate ? t.plan.key.columns.join('\u0000') : null;
  for (;;) {
    let added = 0;
    for (const k of keys) {
      const on = (a: string, b: string) =>
        k.columns
          .map((c) =>
            k.nullsNotDistinct ? `${a}.${ident(c)} IS NOT DISTINCT FROM ${b}.${ident(c)}` : `${a}.${ident(c)} = ${b}.${ident(c)}`,
          )
          .join(' AND ');
      const present = k.nullsNotDistinct ? 'true' : k.columns.map((c) => `f.${ident(c)} IS NOT NULL`).join(' AND ');
      const what = `${k.columns.join(', ')} (unique ${k.name})`;
      // Whether a final row changes the key's value: an insert, or an update of it.
      const moves = (f: string, g: string) => `(NOT ${f}._hit OR NOT (${on(g, f)}))`;
      const own = (f: string, g: string) => `LEFT JOIN ${T} ${g} ON ${f}._hit AND ${locates(t, g, f)}`;
      const keeper = `SELECT f._row, ${literal(`a different target row already has this ${what}: `)} || ${targetKeyJson(m, t, 'g')}::text
           || CASE WHEN EXISTS (SELECT 1 FROM ${temp(t, 'matched')} km JOIN ${temp(t, 'refused')} x ON x._row = km._row WHERE km._ctid = ${rowId('g')})
                   THEN ', which is refused and keeps it' ELSE ', which this merge does not change' END AS reason
         FROM ${F} f JOIN ${T} g ON ${on('g', 'f')}
         WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${F} f2 WHERE f2._hit AND ${locates(t, 'g', 'f2')})`;
      const sharer = `SELECT f._row, CASE WHEN ${moves('f2', 'g2')}
             THEN ${literal(`another archived row would get the same ${what}: `)} || ${stagedKeyJson(m, t, 's2')}::text
             ELSE ${literal(`a different target row already has this ${what}: `)} || ${stagedKeyJson(m, t, 's2')}::text || ', which keeps it' END AS reason
         FROM ${F} f JOIN ${F} f2 ON ${on('f2', 'f')} AND f2._row <> f._row
         JOIN ${temp(t, 'staged')} s2 ON s2._row = f2._row ${own('f', 'g')} ${own('f2', 'g2')}
         WHERE ${present} AND ${moves('f', 'g')}`;
      // A row without an id that was matched by this key has it already; an inserted one has no match.
      const parts = k.columns.join('\u0000') === matchKey ? [sharer] : [keeper, sharer];
      added += await refuseWith(m, t, parts.join(' UNION ALL '));
    }
    if (added === 0) return;
    await dropRefused(m, t);
  }
}

export async function checkConstraints(m: MatchContext, t: StagedTable): Promise<void> {
  const F = temp(t, 'final');
  const T = target(m, t);
  const staged = new Set(t.staged);
  const late = new Set(lateColumns(m, t));
  const self = selfRefs(m, t);

  // Per-row checks in one pass: self references that cannot resolve, NOT NULL, CHECK constraints.
  const rowChecks: RefusalCheck[] = self.map((r, i) => ({
    bad: `q._selfmiss${i}`,
    reason: literal(`${r.columns[0]} refers to a ${t.plan.name} row that is not imported`),
    col: literal(r.columns[0]),
  }));
  for (const c of t.plan.columns) {
    if (!c.notNull || !staged.has(c.name) || c.name === t.plan.surrogate) continue;
    rowChecks.push({
      bad: `q.${ident(c.name)} IS NULL`,
      reason: literal(`${c.name} is NULL, but the target requires a value`),
      col: literal(c.name),
    });
  }
  for (const check of t.catalog.checks) {
    if (!check.columns.every((c) => staged.has(c) && !late.has(c))) continue;
    // The expression names F's columns unqualified; q is the only relation in its scope.
    rowChecks.push({ bad: `(${check.expression}) IS FALSE`, reason: literal(`violates check constraint ${check.name}`), col: 'NULL' });
  }
  if (rowChecks.length) await m.ctx.query(insertRefusals(temp(t, 'refused'), F, rowChecks));
  const remapped = new Set(remapRefs(m, t).map((r) => r));
  for (const r of t.plan.references) {
    if (remapped.has(r) || !r.columns.every((c) => staged.has(c) && !late.has(c))) continue;
    if (r.remap && !r.external && !m.tables.has(r.parent) && !r.self) continue;
    const P = qualified(r.parentSchema, r.parent);
    const present = r.columns.map((c) => `f.${ident(c)} IS NOT NULL`).join(' AND ');
    const eq = (alias: string) => r.columns.map((c, i) => `${alias}.${ident(r.parentColumns[i])} = f.${ident(c)}`).join(' AND ');
    const inRun = r.self ? ` AND NOT EXISTS (SELECT 1 FROM ${F} p2 WHERE ${eq('p2')})` : '';
    await refuse(
      m,
      t,
      `SELECT f._row FROM ${F} f WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${P} p WHERE ${eq('p')})${inRun}`,
      `${r.columns.join(', ')} refers to a ${r.parent} row that does not exist in the target`,
      r.columns.join(', '),
    );
  }
  // With a classification, a parent row this run matched may not be written (deleted in the target
  // since the base, left out): classify.ts refuses its children already. A last check all the same,
  // since it decides what a run with triggers disabled commits: every rewritten reference a row is
  // written with names a row the target now has (its parent table was written before this one).
  const D = m.verdicts?.get(t.plan.name);
  if (D) {
    const inserted = (alias: string, d: string) => `NOT ${alias}._hit AND ${d}.kind IN ('new', 'resurrect')`;
    for (const r of remapRefs(m, t)) {
      if (r.late || (!r.self && !m.tables.get(r.parent))) continue;
      const c = r.columns[0];
      const P = r.self ? T : target(m, m.tables.get(r.parent)!);
      // A reference to the same table may also name a row inserted by the same statement.
      const alongside = r.self
        ? `AND NOT EXISTS (SELECT 1 FROM ${F} p JOIN ${D} dp ON dp.srow = p._row AND NOT dp.excluded WHERE p._loc = f.${ident(c)} AND ${inserted('p', 'dp')})`
        : '';
      await refuse(
        m,
        t,
        `SELECT f._row FROM ${F} f JOIN ${D} d ON d.srow = f._row AND NOT d.excluded
         WHERE f.${ident(c)} IS NOT NULL AND (CASE WHEN f._hit THEN ${literal(c)} = ANY (d.apply) ELSE d.kind IN ('new', 'resurrect') END)
           AND NOT EXISTS (SELECT 1 FROM ${P} p WHERE p.${ident(r.parentColumns[0])} = f.${ident(c)}) ${alongside}`,
        `${c} refers to a ${r.self ? t.plan.name : r.parent} row that does not exist in the target`,
        c,
      );
    }
  }
  await dropRefused(m, t);
  await refuseTakenUniqueValues(m, t);
  // Rows whose parent in the same table was just refused cannot be written either.
  if (self.length) {
    for (;;) {
      let added = 0;
      for (const r of self) {
        added += await refuse(
          m,
          t,
          `SELECT f._row FROM ${F} f WHERE f.${ident(r.columns[0])} IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM ${F} p WHERE p._loc = f.${ident(r.columns[0])})
             AND NOT EXISTS (SELECT 1 FROM ${T} p WHERE p.${ident(t.plan.surrogate!)} = f.${ident(r.columns[0])})`,
          `${r.columns[0]} refers to a ${t.plan.name} row that was refused`,
          r.columns[0],
        );
      }
      if (added === 0) break;
      await dropRefused(m, t);
    }
  }
}

/** Refused rows of a table, each named by its natural key (source values; a foreign key in the key
 *  is shown as the parent's key). */
export async function describeRefused(m: MatchContext, t: StagedTable, limit = 10_000): Promise<RowProblem[]> {
  const keyCols = (t.plan.key.kind === 'key' ? t.plan.key.columns : t.plan.primaryKey).filter((c) => t.staged.includes(c));
  const parts = keyCols.map((c) => {
    const ref = remapRefs(m, t).find((r) => r.columns[0] === c && !r.self);
    const parent = ref ? m.tables.get(ref.parent) : undefined;
    if (ref && parent && parent.plan.surrogate && parent.plan.key.kind === 'key') {
      const pk = parent.plan.key.columns.filter((pc) => parent.staged.includes(pc));
      const obj = pk.map((pc) => `${literal(pc)}, p.${ident(pc)}::text`).join(', ');
      const found = `(SELECT json_build_object(${obj}) FROM ${temp(parent, 'staged')} p WHERE p.${ident(parent.plan.surrogate)} = s.${ident(c)} LIMIT 1)`;
      // A parent that could not be staged is shown by its id in the archive.
      return `${literal(c)}, COALESCE(${found}, to_json(s.${ident(c)}::text))`;
    }
    return `${literal(c)}, s.${ident(c)}::text`;
  });
  const key = parts.length ? `json_build_object(${parts.join(', ')})` : 'NULL::json';
  const res = await m.ctx.query<{ row: string; reason: string; col: string | null; key: Record<string, unknown> | null }>(
    `SELECT x._row AS row, x.reason, x.col, ${key} AS key FROM ${temp(t, 'refused')} x JOIN ${temp(t, 'staged')} s ON s._row = x._row ORDER BY x._row LIMIT ${limit}`,
  );
  return res.rows.map((r) => ({
    table: t.plan.name,
    key: r.key,
    row: Number(r.row),
    ...(r.col ? { column: r.col } : {}),
    reason: r.reason,
  }));
}
