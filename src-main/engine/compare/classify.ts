// Classification: for one table, what the archive would do to the target, in a temp table (d) of one
// row per archived row and per target row the archive does not have.
//
// Two ways (no base): new · changed · identical · target_only (and refused).
// Three ways (with the base the source was seeded from), per field:
//   source = target                      nothing to do
//   source = base,   target ≠ base        keep the target's value (edited there since)
//   target = base,   source ≠ base        apply the source's value (edited in the source)
//   all three differ                     conflict
// and per row: added on both sides and different → conflict; in base and source but not in the
// target → deleted there: a conflict if the source edited it since (never a silent resurrection),
// else nothing; in base and target but not in the source → reported as deleted in the source. A row
// to write whose parent will not be there (deleted in the target, refused, left out), or whose unique
// value will be taken, is refused (refuseUnwritable), as the import refuses it.
import {
  columnType,
  deferredPolymorphic,
  distinct,
  keptOrRewritten,
  lateColumns,
  type MatchContext,
  polymorphicTargetValue,
  refuseAsClassified,
  remapRefs,
  rowId,
  selfRefs,
  target,
  targetSpaceValue,
  updatableColumns,
  via,
} from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import { noneOrNull } from '../plan';
import { ident, literal } from '../sql';
import type { Analysis } from './analyze';
import { shownValue } from './shown-value';
import { indexKeyLookups, referenceLabel, stagedKeyJson, targetKeyJson } from '../staged/keys';
import { buildFinal, refuseTakenUniqueValues, uniqueCheckColumns } from '../staged/final';

/** Columns a merge compares (and may write) for this table: what an update writes, plus late ones. */
export function comparedColumns(m: MatchContext, t: StagedTable): string[] {
  if (t.plan.key.kind !== 'key' && !t.plan.surrogate) return [];
  return [...updatableColumns(m, t), ...lateColumns(m, t)];
}

/** `fingerprints`: record the md5 of each target row compared (for a diff's review, or a merge given
 *  the fingerprints of one): every target row's text hashed, which a merge without them never reads. */
export async function classifyTable(a: Analysis, t: StagedTable, { fingerprints = true } = {}): Promise<void> {
  const m = a.m;
  await indexKeyLookups(m, t);
  const T = target(m, t);
  const tb = a.base?.tables.get(t.plan.name);
  const mb = a.base?.m;
  const threeWay = !!a.base;
  const joins: string[] = [];
  const alias = (prefix: string) => `${prefix}${joins.length}`;
  const late = new Set(lateColumns(m, t));
  const refOf = (c: string) => remapRefs(m, t).find((r) => r.columns[0] === c && !r.external);

  const sourceValue = (c: string): string => targetSpaceValue(m, t, c, 'w', joins);
  const baseValue = (c: string): string | null => {
    if (!tb || !mb || !tb.staged.includes(c)) return null;
    const type = columnType(t, c);
    const ref = refOf(c);
    if (ref && (ref.self || late.has(c))) {
      const map = mb.maps.get(ref.parent);
      // A "none" value (WordPress's 0) is kept as it is, as the archive's side is (targetSpaceValue).
      if (!map) return noneOrNull(ref, `rb.${ident(c)}`, type);
      const bm = alias('bm');
      joins.push(`LEFT JOIN ${map} ${bm} ON ${bm}.src = rb.${ident(c)}`);
      return keptOrRewritten(t, ref, 'rb', `${bm}.tgt`);
    }
    return ref ? `rb.${ident(c)}` : polymorphicTargetValue(mb, tb, c, 'rb', joins);
  };
  const label = (c: string, expr: string) => {
    const ref = refOf(c);
    return ref ? referenceLabel(m, ref.parent, expr) : shownValue(expr, columnType(t, c));
  };

  const detached = tb && mb ? detachedByDeletion(a, t, baseValue, label) : new Map<string, Detachment>();
  const fields: string[] = [];
  const editedSinceBase: string[] = [];
  for (const c of comparedColumns(m, t)) {
    const s = sourceValue(c);
    const g = `g.${ident(c)}`;
    const b = baseValue(c);
    const sd = distinct(t, c, s, g);
    const d = detached.get(c);
    const verdict = !threeWay
      ? `'apply'`
      : b === null
        ? `'conflict'`
        : `CASE WHEN kb.brow IS NULL THEN 'conflict' ${d ? `WHEN ${d.when} THEN 'keep'` : ''} WHEN NOT (${distinct(t, c, s, b)}) THEN 'keep' WHEN NOT (${distinct(t, c, g, b)}) THEN 'apply' ELSE 'conflict' END`;
    const show = (expr: string | null) => (expr === null ? 'NULL::text' : label(c, expr));
    const reason = d ? ` || CASE WHEN ${d.when} THEN jsonb_build_object('reason', ${d.reason}) ELSE '{}'::jsonb END` : '';
    fields.push(
      `CASE WHEN ${sd} THEN jsonb_build_object('column', ${literal(c)}, 'source', ${show(s)}, 'target', ${show(g)}, 'base', ${show(b)}, 'verdict', ${verdict})${reason} END`,
    );
    if (b !== null) {
      editedSinceBase.push(
        `CASE WHEN ${distinct(t, c, s, b)}${d ? ` AND NOT ${d.when}` : ''} THEN jsonb_build_object('column', ${literal(c)}, 'source', ${show(s)}, 'target', NULL, 'base', ${show(b)}, 'verdict', 'conflict') END`,
      );
    }
  }
  const baseJoin = tb
    ? `LEFT JOIN (SELECT DISTINCT ON (_tgt) _row AS brow, _tgt FROM ${temp(tb, 'baseInSource')} ORDER BY _tgt, _row) kb ON kb._tgt = w._row
       LEFT JOIN ${temp(tb, 'resolved')} rb ON rb._row = kb.brow`
    : `LEFT JOIN (SELECT NULL::bigint AS brow) kb ON false`;
  const D = temp(t, 'classified');
  const classified = `
     WITH src AS (
       SELECT w._row AS srow, kb.brow, k._ctid AS tctid, k._tgt::text AS tloc, x.reason AS refused,
              (k._row IS NOT NULL) AS in_target, (kb.brow IS NOT NULL) AS in_base, COALESCE(k._via = ${via('probable')}, false) AS probable,
              ARRAY[${fields.join(', ') || 'NULL'}]::jsonb[] AS f,
              ARRAY[${editedSinceBase.join(', ') || 'NULL'}]::jsonb[] AS fd,
              CASE WHEN k._row IS NOT NULL AND ${fingerprints} THEN md5(g::text) END AS fingerprint,
              ${stagedKeyJson(m, t, 's')} AS key
       FROM ${temp(t, 'work')} w
       JOIN ${temp(t, 'staged')} s ON s._row = w._row
       LEFT JOIN ${temp(t, 'refused')} x ON x._row = w._row
       LEFT JOIN ${temp(t, 'matched')} k ON k._row = w._row
       LEFT JOIN ${T} g ON ${rowId('g')} = k._ctid
       ${baseJoin}
       ${joins.join('\n       ')}
     ), cut AS (
       SELECT *, array_remove(f, NULL) AS fs, array_remove(fd, NULL) AS fds FROM src
     )
     SELECT srow, brow, tctid, tloc, key, fingerprint, refused AS reason,
            CASE WHEN refused IS NOT NULL THEN 'refused'
                 WHEN probable THEN 'probable_edit'
                 WHEN NOT in_target AND NOT in_base THEN 'new'
                 WHEN NOT in_target THEN CASE WHEN cardinality(fds) > 0 THEN 'conflict' ELSE 'deleted_in_target' END
                 WHEN cardinality(fs) = 0 THEN 'identical'
                 WHEN EXISTS (SELECT 1 FROM unnest(fs) e WHERE e->>'verdict' = 'conflict') THEN 'conflict'
                 WHEN EXISTS (SELECT 1 FROM unnest(fs) e WHERE e->>'verdict' = 'apply') THEN 'changed'
                 ELSE 'kept' END AS kind,
            (NOT in_target AND in_base) AS gone_from_target,
            to_jsonb(CASE WHEN in_target THEN fs WHEN in_base THEN fds ELSE '{}'::jsonb[] END) AS fields,
            ARRAY(SELECT e->>'column' FROM unnest(fs) e WHERE e->>'verdict' = 'apply') AS apply,
            false AS excluded, '{}'::text[] AS left_out, NULL::text AS hint
     FROM cut`;
  await m.ctx.query(`CREATE TEMP TABLE ${D} ON COMMIT DROP AS ${classified}`);
  const sur = t.plan.surrogate;
  // A subset archive (index.json says which tables it holds only some rows of) does not say a row it
  // lacks was deleted: it was not exported.
  const subset = !!t.archive.subset;
  // IN, not a correlated EXISTS: one hash of the base's rows rather than a scan of them per target row.
  const gone = tb && !subset ? `${rowId('g')} IN (SELECT kt._ctid FROM ${temp(tb, 'baseInTarget')} kt)` : 'false';
  const hint = subset ? literal('not exported: the archive holds a subset of this table, so a row it lacks says nothing') : 'NULL';
  await m.ctx.query(
    `INSERT INTO ${D} (srow, brow, tctid, tloc, key, fingerprint, reason, kind, gone_from_target, fields, apply, excluded, left_out, hint)
     SELECT NULL, NULL, ${rowId('g')}, ${sur ? `g.${ident(sur)}::text` : 'NULL'}, ${targetKeyJson(m, t, 'g')}, ${fingerprints ? 'md5(g::text)' : 'NULL'}, NULL,
            CASE WHEN ${gone} THEN 'deleted_in_source' ELSE 'target_only' END, false, '[]'::jsonb, '{}', false, '{}', ${hint}
     FROM ${T} g WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'matched')} k WHERE k._ctid = ${rowId('g')})`,
  );
  await m.ctx.query(`CREATE INDEX ON ${D} (kind, srow)`);
  await m.ctx.query(`ANALYZE ${D}`);
  await hintRenamedKeys(m, t, tb);
}

/** A field the source did not edit: its parent's deletion there set it (ON DELETE SET NULL / SET
 *  DEFAULT). `when` holds for such a row, `reason` says so. */
interface Detachment {
  when: string;
  reason: string;
}

/**
 * The columns a parent's deletion in the source may have set, per column: the row's reference is
 * what its ON DELETE SET NULL / SET DEFAULT writes in the source, its base named a parent, and that
 * parent is deleted in the source while the target still has it (as the classification of the
 * parent's table finds a row "deleted in source"). A merge never deletes that parent, so the
 * deletion's effect on its children is no edit either: the target's value is kept. Where the target
 * deleted the parent too, the reference is classified as any other.
 */
function detachedByDeletion(
  a: Analysis,
  t: StagedTable,
  baseValue: (c: string) => string | null,
  label: (c: string, expr: string) => string,
): Map<string, Detachment> {
  const m = a.m;
  const out = new Map<string, Detachment>();
  for (const ref of t.plan.references) {
    const parent = ref.self ? t : m.tables.get(ref.parent);
    const parentBase = a.base?.tables.get(ref.parent);
    if (!ref.deletionSets || ref.external || ref.via || parent?.plan.role !== 'data' || !parentBase || parent.archive.subset) continue;
    const base = ref.columns.map((c) => baseValue(c));
    if (base.some((b) => b === null)) continue;
    // The archive's own value (the source's ids): what the source's key wrote there.
    const set = ref.deletionSets.map(({ column, value }) => `s.${ident(column)} IS NOT DISTINCT FROM ${value}::${columnType(t, column)}`);
    const parentRow = ref.parentColumns.map((pc, i) => `gp.${ident(pc)} = ${base[i]}`).join(' AND ');
    const deletedInSource =
      `EXISTS (SELECT 1 FROM ${target(m, parent)} gp WHERE ${parentRow}` +
      ` AND ${rowId('gp')} IN (SELECT kt._ctid FROM ${temp(parentBase, 'baseInTarget')} kt)` +
      ` AND NOT EXISTS (SELECT 1 FROM ${temp(parent, 'matched')} k WHERE k._ctid = ${rowId('gp')}))`;
    const when = `(${[...set, ...base.map((b) => `${b} IS NOT NULL`), deletedInSource].join(' AND ')})`;
    const named =
      ref.columns.length === 1
        ? label(ref.columns[0], base[0]!)
        : `'(' || concat_ws(', ', ${base.map((b) => `${b}::text`).join(', ')}) || ')'`;
    const action = ref.onDelete === 'n' ? 'ON DELETE SET NULL' : 'ON DELETE SET DEFAULT';
    const reason = `${literal(`detached in the source by ${action} (${ref.name}) when ${ref.parent} `)} || ${named} || ${literal(
      ` was deleted there; kept as the target has it, as the merge keeps ${ref.parent}`,
    )}`;
    for (const { column } of ref.deletionSets) if (!out.has(column)) out.set(column, { when, reason });
  }
  return out;
}

/** A changed natural key makes a row look new: pair a new row with a row gone from the archive whose
 *  every other value is equal — as the target has it, or as the base had it where the target edited it
 *  since — and say so on both. */
async function hintRenamedKeys(m: MatchContext, t: StagedTable, tb: StagedTable | undefined): Promise<void> {
  if (t.plan.key.kind !== 'key') return;
  const key = new Set(t.plan.key.columns);
  const cols = updatableColumns(m, t).filter((c) => !key.has(c) && !selfRefs(m, t).some((r) => r.columns[0] === c));
  if (!cols.length) return;
  const D = temp(t, 'classified');
  const row = (alias: string) => `md5(ROW(${cols.map((c) => `${alias}.${ident(c)}`).join(', ')})::text)`;
  // The base's rows are resolved into the target's ids like the archive's (base rows the target holds: kt).
  const asBaseHad =
    tb && cols.every((c) => tb.staged.includes(c))
      ? ` UNION ALL SELECT d.tctid, d.key, ${row('rb')} FROM ${D} d JOIN ${temp(tb, 'baseInTarget')} kt ON kt._ctid = d.tctid
          JOIN ${temp(tb, 'resolved')} rb ON rb._row = kt._row WHERE d.kind = 'deleted_in_source'`
      : '';
  await m.ctx.query(
    `WITH n AS (SELECT d.srow, d.key, ${row('w')} AS h FROM ${D} d JOIN ${temp(t, 'work')} w ON w._row = d.srow WHERE d.kind = 'new'),
          o AS (SELECT d.tctid, d.key, ${row('g')} AS h FROM ${D} d JOIN ${target(m, t)} g ON ${rowId('g')} = d.tctid WHERE d.kind IN ('deleted_in_source', 'target_only')${asBaseHad}),
          pairs AS (SELECT DISTINCT ON (n.srow) n.srow, n.key AS new_key, o.tctid, o.key AS old_key FROM n JOIN o USING (h) ORDER BY n.srow),
          hn AS (UPDATE ${D} d SET hint = 'same values as ' || p.old_key::text || ', which the archive no longer has: was its key renamed?'
                 FROM pairs p WHERE d.srow = p.srow RETURNING 1)
     UPDATE ${D} d SET hint = 'same values as ' || p.new_key::text || ' in the archive: was its key renamed there?'
     FROM pairs p WHERE d.srow IS NULL AND d.tctid = p.tctid`,
  );
}

/**
 * Refuses every row the merge could not write, with the reason the import gives: a row whose parent
 * will not be there (refuseGoneParents), or whose unique value will be taken (refuseTakenUniques).
 * Run after the decisions, which may leave a row out or keep the target's value. A new row refused
 * for its unique value takes its children in the same table with it, which may free a value in turn.
 */
export async function refuseUnwritable(a: Analysis, t: StagedTable, mode: 'skip' | 'merge' = 'merge'): Promise<void> {
  await refuseGoneParents(a, t, mode);
  while ((await refuseTakenUniques(a, t, mode)) > 0) {
    if (!selfRefs(a.m, t).length || (await refuseGoneParents(a, t, mode)) === 0) return;
  }
}

/**
 * A row the merge would write whose new unique value a target row it leaves alone holds, or another
 * row it writes takes too: refused, naming that row, by the import's own check
 * (staged/final.ts refuseTakenUniqueValues) over the rows this classification writes, built as
 * the import builds them (buildFinal), so a swap of values between rows is no refusal here either.
 */
async function refuseTakenUniques(a: Analysis, t: StagedTable, mode: 'skip' | 'merge'): Promise<number> {
  const D = temp(t, 'classified');
  const m: MatchContext = { ...a.m, mode, verdicts: new Map([[t.plan.name, D]]) };
  const columns = uniqueCheckColumns(m, t);
  if (!columns.length) return 0;
  // The check reads the refused rows of this pass: those the classification refused are among them.
  await refuseAsClassified(m, t);
  await buildFinal(m, t, columns);
  const refused = await refuseTakenUniqueValues(m, t);
  await m.ctx.query(`DROP TABLE ${temp(t, 'final')}`);
  if (refused) {
    await m.ctx.query(
      `UPDATE ${D} d SET kind = 'refused', reason = x.reason FROM ${temp(t, 'refused')} x WHERE x._row = d.srow AND d.kind <> 'refused'`,
    );
  }
  return refused;
}

/**
 * A row the merge would write (new, brought back, or an existing row given a reference) whose
 * reference names a parent row that will not be there: deleted in the target since the base (and not
 * brought back), refused, or left out. It is refused, with the parent named, as the import then
 * refuses it — never written to point at nothing. Parents are classified first (the plan's order), so
 * a refused row's children are refused in turn; a reference to the same table is followed until no
 * more rows are refused. Late references (cycles), and references with a column filled late, are left
 * to the late pass, which leaves them as they are.
 * Skip mode never updates a row the target has, so only rows it inserts are refused there. Returns
 * how many rows it refused.
 */
async function refuseGoneParents(a: Analysis, t: StagedTable, mode: 'skip' | 'merge'): Promise<number> {
  const m = a.m;
  let refused = 0;
  const D = temp(t, 'classified');
  const staged = new Set(t.staged);
  /** Refuses the rows whose `columns` name, by `on` (over the staged row s and the parent's ps), a
   *  parent row that will not be there; `work` joins what `elsewhere` reads. */
  const refuseNaming = async (parent: StagedTable, columns: string[], on: string, work = '', elsewhere = '') => {
    const cols = `ARRAY[${columns.map((c) => literal(c)).join(', ')}]`;
    const reason =
      `${literal(`${columns.join(', ')} refers to ${parent.plan.name} `)} || COALESCE(dp.key::text, '(row ' || dp.srow || ')') || ` +
      `CASE WHEN dp.kind = 'refused' THEN ', which is refused' WHEN dp.excluded THEN ', which is left out' ` +
      `ELSE ${literal(', which was deleted in the target since the base (a decision "source" for it brings it back)')} END`;
    const statement = `
      UPDATE ${D} d SET kind = 'refused', reason = q.reason FROM (
        SELECT DISTINCT ON (dc.srow) dc.srow, ${reason} AS reason
        FROM ${D} dc
        JOIN ${temp(t, 'staged')} s ON s._row = dc.srow
        ${work}
        JOIN ${temp(parent, 'staged')} ps ON ${on}
        JOIN ${temp(parent, 'classified')} dp ON dp.srow = ps._row
        WHERE NOT dc.excluded AND (dc.kind IN ('new', 'resurrect')${mode === 'merge' ? ` OR (dc.tctid IS NOT NULL AND dc.apply && ${cols})` : ''})
          AND dp.tctid IS NULL AND (dp.kind IN ('deleted_in_target', 'refused') OR dp.excluded) ${elsewhere}
        ORDER BY dc.srow) q
      WHERE d.srow = q.srow`;
    for (;;) {
      const res = await m.ctx.query(statement);
      refused += res.rowCount ?? 0;
      if (parent !== t || !res.rowCount) break;
    }
  };
  const late = new Set(lateColumns(m, t));
  for (const ref of t.plan.references) {
    if (ref.external || ref.late || ref.columns.some((c) => late.has(c)) || !ref.columns.every((c) => staged.has(c))) continue;
    const parent = ref.self ? t : m.tables.get(ref.parent);
    if (!parent || parent.plan.role !== 'data' || !ref.parentColumns.every((c) => parent.staged.includes(c))) continue;
    // Source values against the parent's source values: the archived parent row it names.
    const eq = ref.columns.map((c, i) => `ps.${ident(ref.parentColumns[i])} = s.${ident(c)}`).join(' AND ');
    // A reference copied as it is (not an id rewritten through the parent's map) also finds any
    // target row holding those values: the row's values as the target would hold them (a column of a
    // multi-column reference may hold ids rewritten on their own).
    const joins: string[] = [];
    const elsewhere = ref.remap
      ? ''
      : `AND NOT EXISTS (SELECT 1 FROM ${target(m, parent)} g WHERE ${ref.columns.map((c, i) => `g.${ident(ref.parentColumns[i])} = ${targetSpaceValue(m, t, c, 'w', joins)}`).join(' AND ')})`;
    const work = ref.remap ? '' : `JOIN ${temp(t, 'work')} w ON w._row = dc.srow ${joins.join(' ')}`;
    await refuseNaming(parent, ref.columns, eq, work, elsewhere);
  }
  // Polymorphic values naming a row of this table, or of a table written after it (filled late, but
  // never left pointing at another row): the named row is the archive's row with that id.
  for (const n of deferredPolymorphic(m, t)) {
    const parent = m.tables.get(n.ref.parent);
    if (!parent || parent.plan.role !== 'data') continue;
    await refuseNaming(parent, n.ref.columns, `${n.when('s')} AND ${n.equal(`ps.${ident(n.parentId)}`, `s.${ident(n.ref.columns[0])}`)}`);
  }
  return refused;
}
