// The rows a merge writes (f), with the values it writes them with, and their unique values checked
// against the target as the merge leaves it. The import builds f to check and write it
// (import/constraints.ts); the classification builds it to refuse what the import would refuse for a
// taken unique value (compare/classify.ts), so the diff and the merge agree.
import type { Column, UniqueKey } from '../catalog';
import { noneOrNull } from '../plan';
import { ident, literal } from '../sql';
import { stagedKeyJson, targetKeyJson } from './keys';
import {
  analyzeTemp,
  columnType,
  deferredPolymorphic,
  differs,
  keptOrRewritten,
  lateColumns,
  lateRefs,
  locates,
  locatorColumns,
  type MatchContext,
  noRow,
  rowId,
  selfRefs,
  stagedNumbered,
  target,
  updatableColumns,
  writtenColumns,
} from './match';
import { type StagedTable, temp } from './types';

/**
 * The rows to write, with the values they are written with: target ids, self references resolved,
 * late columns NULL, and on a row the target has, its own value wherever the update keeps it
 * (insert-only columns, and with a classification every field it does not apply). Only rows that are
 * written: with a classification, an excluded row, one it keeps as the target has it, or one deleted
 * in the target since the base is not there. `columns` narrows the written columns it holds.
 */
export async function buildFinal(m: MatchContext, t: StagedTable, columns: string[] = writtenColumns(t)): Promise<void> {
  const sur = t.plan.surrogate;
  const D = m.verdicts?.get(t.plan.name);
  const late = new Set(lateColumns(m, t));
  const self = selfRefs(m, t);
  const polySelf = deferredPolymorphic(m, t, 'self');
  const polyLate = deferredPolymorphic(m, t, 'late');
  const updates = m.mode === 'merge' && (t.plan.key.kind === 'key' || !!sur);
  const updatable = new Set(updates ? updatableColumns(m, t) : []);
  const select = ['w._row', 'w._hit', sur ? 'a._tgt AS _loc' : 'NULL::int AS _loc'];
  const joins = [sur ? `JOIN ${temp(t, 'ids')} a ON a._row = w._row` : ''];
  if (D) joins.push(`LEFT JOIN ${D} d ON d.srow = w._row`);
  // The key a row without an id was matched by is the target row's already.
  const matchedBy = new Set(t.plan.key.kind === 'key' && !sur ? t.plan.key.columns : []);
  const fromSource = (c: string) => (updatable.has(c) ? (D ? `(NOT w._hit OR ${literal(c)} = ANY (d.apply))` : 'true') : 'NOT w._hit');
  const keepsOwn = (c: string) => updates && c !== sur && !late.has(c) && !matchedBy.has(c) && fromSource(c) !== 'true';
  // A row the target has is found again where matching found it (and keeps a late polymorphic value
  // until it is filled).
  if (columns.some(keepsOwn) || (updates && polyLate.length)) {
    joins.push(`LEFT JOIN ${temp(t, 'matched')} k ON w._hit AND k._row = w._row LEFT JOIN ${target(m, t)} g ON ${rowId('g')} = k._ctid`);
  }
  const written = (c: string, value: string) => (keepsOwn(c) ? `CASE WHEN ${fromSource(c)} THEN ${value} ELSE g.${ident(c)} END` : value);
  const numbered = stagedNumbered(t).map((n) => n.column);
  if (numbered.some((c) => columns.includes(c))) joins.push(`LEFT JOIN ${temp(t, 'numbers')} nb ON nb._row = w._row`);
  for (const c of writtenColumns(t).filter((w) => columns.includes(w))) {
    const si = self.findIndex((r) => r.columns[0] === c);
    const ni = numbered.indexOf(c);
    if (c === sur) select.push(`a._tgt AS ${ident(c)}`);
    else if (ni !== -1) select.push(`${written(c, `nb.n${ni}`)} AS ${ident(c)}`);
    else if (si !== -1) select.push(`${written(c, keptOrRewritten(t, self[si], 'w', `o${si}._tgt`))} AS ${ident(c)}`);
    else if (late.has(c)) select.push(`${lateFirst(m, t, c)} AS ${ident(c)}`);
    else select.push(`${written(c, polymorphicValue(m, t, c, updates))} AS ${ident(c)}`);
  }
  self.forEach((r, i) => {
    const c = r.columns[0];
    joins.push(`LEFT JOIN ${temp(t, 'ids')} o${i} ON o${i}._src = w.${ident(c)}`);
    select.push(`(${fromSource(c)} AND NOT ${noRow(t, r, 'w')} AND o${i}._tgt IS NULL) AS _selfmiss${i}`);
  });
  polySelf.forEach((n, i) => {
    const c = `w.${ident(n.ref.columns[0])}`;
    joins.push(`LEFT JOIN ${temp(t, 'ids')} q${i} ON ${n.whenTarget('w')} AND ${n.equal(`q${i}._src`, c)}`);
    joins.push(
      `LEFT JOIN (SELECT DISTINCT ${ident(n.parentId)} AS id FROM ${temp(t, 'staged')}) qh${i} ON ${n.whenTarget('w')} AND ${n.equal(`qh${i}.id`, c)}`,
    );
    const fromArchive = fromSource(n.ref.columns[0]);
    // The archive has the named row but it gets no id (refused): the row is refused too. Where the
    // archive lacks it, the value is copied as it is (said in the run's warnings).
    select.push(`(${fromArchive} AND q${i}._tgt IS NULL AND qh${i}.id IS NOT NULL) AS _polymiss${i}`);
    select.push(`(${fromArchive} AND q${i}._tgt IS NOT NULL) AS _polyself${i}`);
  });
  const inserted = D ? `(NOT w._hit AND d.kind IN ('new', 'resurrect') AND NOT d.excluded)` : 'NOT w._hit';
  const updated = !updates ? 'false' : D ? `(w._hit AND NOT d.excluded AND cardinality(d.apply) > 0)` : 'w._hit';
  const rows = `SELECT ${select.join(', ')} FROM ${temp(t, 'work')} w ${joins.join(' ')}
     WHERE (${inserted} OR ${updated}) AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`;
  // A two-way merge leaves out the rows the target has with the same values: its update would not
  // change them, and every later pass (checks, swaps, the write) reads only what it writes. A row
  // left out keeps its values, as any row the merge does not write. (Late values are filled into the
  // rows of f: a table with any keeps them all.)
  const onlyChanged = updates && !D && !late.size && !polyLate.length;
  const changed = [...updatable].map((c) => differs(t, c, 'g2', 'f0'));
  await m.ctx.query(
    `CREATE TEMP TABLE ${temp(t, 'final')} ON COMMIT DROP AS ${
      onlyChanged
        ? `SELECT f0.* FROM (${rows}) f0 LEFT JOIN ${target(m, t)} g2 ON f0._hit AND ${locates(t, 'g2', 'f0')}
           WHERE NOT f0._hit OR ${changed.length ? `(${changed.join(' OR ')})` : 'false'}`
        : rows
    }`,
  );
  // Statistics only for what f is joined or filtered on: sampling every wide column of a big table
  // costs more than the plans gain from it.
  const joined = new Set(['_row', '_loc', '_hit']);
  for (const k of [...(t.catalog.primaryKey ? [t.catalog.primaryKey] : []), ...t.catalog.uniqueKeys])
    k.columns.forEach((c) => joined.add(c));
  for (const r of t.plan.references) r.columns.forEach((c) => joined.add(c));
  if (t.plan.key.kind === 'key') t.plan.key.columns.forEach((c) => joined.add(c));
  const present = new Set(['_row', '_loc', '_hit', ...columns]);
  for (const g of generatedKeyColumns(m, t).filter((c) => c.generatedFrom.every((i) => present.has(i)))) {
    await addGeneratedValue(m, t, g);
    present.add(g.name);
  }
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

/** A late column's value until it is filled: NULL, or a "none" value (WordPress's 0) as it is. */
function lateFirst(m: MatchContext, t: StagedTable, c: string): string {
  const type = columnType(t, c);
  return noneOrNull(
    lateRefs(m, t).find((x) => x.columns[0] === c),
    `w.${ident(c)}`,
    type,
  );
}

/** A polymorphic reference's value as written: one naming a row of the table through the ids its rows
 *  are given (buildFinal's joins q<i>); one naming a row of a table written later as the target row g
 *  has it, or in a new row as the archive has it, until every table is written (lateSeed). */
function polymorphicValue(m: MatchContext, t: StagedTable, c: string, updates: boolean): string {
  const col = `w.${ident(c)}`;
  const cases = [
    ...deferredPolymorphic(m, t, 'self')
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => n.ref.columns[0] === c)
      .map(({ n, i }) => `WHEN ${n.whenTarget('w')} AND q${i}._tgt IS NOT NULL THEN ${n.asColumn(`q${i}._tgt`)}`),
    ...deferredPolymorphic(m, t, 'late')
      .filter((n) => updates && n.ref.columns[0] === c)
      .map((n) => `WHEN ${n.whenTarget('w')} AND w._hit THEN g.${ident(c)}`),
  ];
  return cases.length ? `CASE ${cases.join(' ')} ELSE ${col} END` : col;
}

/** Refuses the rows `selectRows` names (_row, reason), each with its first reason. */
async function refuseWith(m: MatchContext, t: StagedTable, selectRows: string): Promise<number> {
  const res = await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT DISTINCT ON (q._row) q._row, q.reason, NULL FROM (${selectRows}) q
     WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = q._row) ORDER BY q._row, q.reason`,
  );
  return res.rowCount ?? 0;
}

export async function dropRefused(m: MatchContext, t: StagedTable): Promise<void> {
  await m.ctx.query(`DELETE FROM ${temp(t, 'final')} f USING ${temp(t, 'refused')} x WHERE f._row = x._row`);
  if (t.plan.surrogate) await m.ctx.query(`DELETE FROM ${temp(t, 'ids')} a USING ${temp(t, 'refused')} x WHERE a._row = x._row`);
}

/** Unique keys mr4 checks before writing: whole columns, all written with their final values, or
 *  stored generated columns computed from such columns (the database enforces those keys just the same). */
export function checkedKeys(m: MatchContext, t: StagedTable): UniqueKey[] {
  const staged = new Set(t.staged);
  // A late polymorphic value is written only once every table is: not checked, as a late reference is not.
  const late = new Set([...lateColumns(m, t), ...deferredPolymorphic(m, t, 'late').map((n) => n.ref.columns[0])]);
  const final = (c: string) => staged.has(c) && !late.has(c);
  const computable = (c: string) => {
    const column = t.catalog.columns.find((tc) => tc.name === c);
    return column?.generated === 's' && column.generatedFrom.length > 0 && column.generatedFrom.every(final);
  };
  return [...(t.catalog.primaryKey ? [t.catalog.primaryKey] : []), ...t.catalog.uniqueKeys].filter(
    (k) =>
      !k.partial &&
      !k.expression &&
      k.columns.every((c) => final(c) || computable(c)) &&
      !(k.columns.length === 1 && k.columns[0] === t.plan.surrogate),
  );
}

/** The stored generated columns of the keys checked before writing. */
function generatedKeyColumns(m: MatchContext, t: StagedTable): Column[] {
  const inKeys = new Set(checkedKeys(m, t).flatMap((k) => k.columns));
  return t.catalog.columns.filter((c) => c.generated === 's' && inKeys.has(c.name));
}

/** Gives f a generated column's value as the database will compute it from the written values: its
 *  expression, whose column names are f's own there. */
async function addGeneratedValue(m: MatchContext, t: StagedTable, column: Column): Promise<void> {
  const F = temp(t, 'final');
  await m.ctx.query(`ALTER TABLE ${F} ADD COLUMN ${ident(column.name)} ${column.type}`);
  await m.ctx.query(`UPDATE ${F} SET ${ident(column.name)} = (${column.default})`);
}

/** The columns of f that refuseTakenUniqueValues reads (a generated column through the columns it is
 *  computed from); none where no unique key is checked. */
export function uniqueCheckColumns(m: MatchContext, t: StagedTable): string[] {
  const keys = checkedKeys(m, t);
  const generated = new Map(generatedKeyColumns(m, t).map((c) => [c.name, c.generatedFrom]));
  const read = keys.flatMap((k) => k.columns).flatMap((c) => generated.get(c) ?? [c]);
  return keys.length ? [...new Set([...read, ...locatorColumns(t)])] : [];
}

/**
 * Unique keys, checked against the target as it will be after the merge: a row it updates gives up
 * its old values (two rows may swap theirs), a row it does not write (left out, kept as the target
 * has it, refused) keeps its own. A written row is refused where its new value is held then by a row
 * that keeps it, or taken by another written row too. Refusing a row makes it keep its old value, so
 * this runs until no row is refused. The classification runs it too, over the rows it would write
 * (compare/classify.ts), so the diff shows these refusals and the merge refuses them before matching.
 * Returns how many rows it refused.
 */
export async function refuseTakenUniqueValues(m: MatchContext, t: StagedTable): Promise<number> {
  const keys = checkedKeys(m, t);
  const F = temp(t, 'final');
  const T = target(m, t);
  const matchKey = t.plan.key.kind === 'key' && !t.plan.surrogate ? t.plan.key.columns.join('\u0000') : null;
  // A generated value is kept by keeping the columns it is computed from.
  const generated = new Map(generatedKeyColumns(m, t).map((c) => [c.name, c.generatedFrom]));
  const decided = (k: UniqueKey) => [...new Set(k.columns.flatMap((c) => generated.get(c) ?? [c]))].join(', ');
  let refused = 0;
  for (;;) {
    let added = 0;
    for (const k of keys) {
      const on = (a: string, b: string) =>
        k.columns
          .map((c) =>
            k.nullsNotDistinct ? `${a}.${ident(c)} IS NOT DISTINCT FROM ${b}.${ident(c)}` : `${a}.${ident(c)} = ${b}.${ident(c)}`,
          )
          .join(' AND ');
      const presentIn = (a: string) => (k.nullsNotDistinct ? 'true' : k.columns.map((c) => `${a}.${ident(c)} IS NOT NULL`).join(' AND '));
      const present = presentIn('f');
      const what = `${k.columns.join(', ')} (unique ${k.name})`;
      // The ways out: a row the target has can also keep the target's value (its update gives up the new one).
      const wayOut = `CASE WHEN f._hit THEN ${literal(`. Leave this row out, decide its ${decided(k)} "target" to keep the target's value, or change one of the two rows`)}
           ELSE ${literal('. Leave this row out, or change one of the two rows')} END`;
      // Whether a final row changes the key's value: an insert, or an update of it.
      const moves = (f: string, g: string) => `(NOT ${f}._hit OR NOT (${on(g, f)}))`;
      const own = (f: string, g: string) => `LEFT JOIN ${T} ${g} ON ${f}._hit AND ${locates(t, g, f)}`;
      const keeper = `SELECT f._row, ${literal(`a different target row already has this ${what}: `)} || ${targetKeyJson(m, t, 'g')}::text
           || CASE WHEN ${rowId('g')} IN (SELECT km._ctid FROM ${temp(t, 'matched')} km JOIN ${temp(t, 'refused')} x ON x._row = km._row)
                   THEN ', which is refused and keeps it' ELSE ', which this merge does not change' END || ${wayOut} AS reason
         FROM ${F} f JOIN ${T} g ON ${on('g', 'f')}
         WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${F} f2 WHERE f2._hit AND ${locates(t, 'g', 'f2')})`;
      // Rows sharing a value are grouped by a window, not paired by a join: n archived rows with one
      // value (a legacy archive's repeated name) would make n² pairs. Each names one other of its group.
      const cols = k.columns.map((c) => `f0.${ident(c)}`).join(', ');
      const sharer = `SELECT f._row, CASE WHEN ${moves('f2', 'g2')}
             THEN ${literal(`another archived row would get the same ${what}: `)} || ${stagedKeyJson(m, t, 's2')}::text
             ELSE ${literal(`a different target row already has this ${what}: `)} || ${stagedKeyJson(m, t, 's2')}::text || ', which keeps it' END
           || ${wayOut} AS reason
         FROM (SELECT f0.*, count(*) OVER w AS _mr4_sharing, min(f0._row) OVER w AS _mr4_first, max(f0._row) OVER w AS _mr4_last
               FROM ${F} f0 WHERE ${presentIn('f0')} WINDOW w AS (PARTITION BY ${cols})) f
         JOIN ${F} f2 ON f2._row = CASE WHEN f._row = f._mr4_first THEN f._mr4_last ELSE f._mr4_first END
         JOIN ${temp(t, 'staged')} s2 ON s2._row = f2._row ${own('f', 'g')} ${own('f2', 'g2')}
         WHERE f._mr4_sharing > 1 AND ${moves('f', 'g')}`;
      // A row without an id that was matched by this key has it already; an inserted one has no match.
      const parts = k.columns.join('\u0000') === matchKey ? [sharer] : [keeper, sharer];
      added += await refuseWith(m, t, parts.join(' UNION ALL '));
    }
    if (added === 0) return refused;
    refused += added;
    await dropRefused(m, t);
  }
}
