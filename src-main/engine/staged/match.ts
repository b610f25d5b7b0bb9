// Match: for one table, rewrite its foreign keys from source ids to target ids through the parents'
// maps, recognise which archived rows already exist in the target (by natural key, or by content as a
// multiset), and give every new row its target id. Everything is set-based over temporary tables:
//
//   r  (view) archived rows with foreign keys rewritten (self and late references keep source ids)
//   k  which target row each archived row is (key match, level by level for self-referencing keys,
//      then content match), one row per matched archived row
//   w  (view) r joined with k
//   x  refused rows and why
//   a  target id per row (matched, kept, or drawn) for tables with a surrogate key
//   n  a new row's numbered columns (kept, or drawn) for tables with any
// Only the staged rows (s) and the rows to write (f, see final.ts) are materialised in full.
import {
  declarePolymorphic,
  derivedReference,
  drawsNewIds,
  lateFilledColumns,
  noneOrNull,
  noneValue,
  type NumberedColumn,
  type PlannedReference,
  pointsAtNoRow,
  identifiesBy,
  type PolymorphicReference,
  tableNamedByValue,
  type TypeValue,
  typeValuesSql,
} from '../plan';
import { buildPairs, type LineageSide } from './lineage';
import { stagedKeyJson } from './keys';
import type { RunContext } from '../run-context';
import { ident, literal, qualified } from '../sql';
import { type StagedTable, temp } from './types';

export type IdStrategy = 'real' | 'virtual';

export interface MatchContext {
  ctx: RunContext;
  schema: string;
  mode: 'skip' | 'merge';
  ids: IdStrategy;
  /** Refuse a row a trigger rejects and go on, instead of stopping the run. */
  allowFailures?: boolean;
  /** Per table, the classification (diff/classify.ts) that says which rows and fields may be written. */
  verdicts?: Map<string, string>;
  /** Temp map (src, tgt) per table already matched. */
  maps: Map<string, string>;
  /** What rows are paired by besides natural keys and content. */
  identity: RowIdentity;
  /** Where matching says what the user should know (the run's warnings). */
  warnings?: string[];
  tables: Map<string, StagedTable>;
  /** Per table, the tables its polymorphic references name (polymorphicParents), once resolved. */
  polymorphic: Map<string, PolymorphicParent[]>;
  /** Per pair found by its names (table.column), whether the source's rows show it is a reference
   *  (judgePair); shared with a base archive's pass, which follows the source. */
  judgedPairs: Map<string, boolean>;
  /** The run disables the target's triggers (--disable-triggers): none of them fires. */
  triggersDisabled?: boolean;
}

/** Whether a user trigger of the table fires when this run writes it. */
export function triggersFire(m: MatchContext, t: StagedTable): boolean {
  return !m.triggersDisabled && t.catalog.triggers.some((tr) => tr.enabled);
}

/** Temporary tables of a table with fewer staged rows than this are not analysed: sampling them costs
 *  a statement each and the planner's guess from their size serves as well at that size. */
export const ANALYZE_MIN_ROWS = 1000;

/** ANALYZE a temporary table of t (optionally only some columns), unless t is small. */
export async function analyzeTemp(m: MatchContext, t: StagedTable, name: string, columns?: string): Promise<void> {
  if (t.rows < ANALYZE_MIN_ROWS) return;
  await m.ctx.query(`ANALYZE ${name}${columns ? ` (${columns})` : ''}`);
}

export function target(m: MatchContext, t: StagedTable): string {
  return qualified(m.schema, t.plan.name);
}

export function columnType(t: StagedTable, column: string): string {
  return t.plan.columns.find((c) => c.name === column)!.type;
}

/** SQL: the row `alias`'s value of a reference's column points at no row (NULL, or a "none" value). */
export function noRow(t: StagedTable, r: PlannedReference, alias: string): string {
  const c = r.columns[0];
  return pointsAtNoRow(r, `${alias}.${ident(c)}`, columnType(t, c));
}

/** SQL: a reference's value as rewritten to `tgt` (the parent's id in the target), or kept as it is
 *  where it is one of the reference's "none" values. */
export function keptOrRewritten(t: StagedTable, r: PlannedReference, alias: string, tgt: string): string {
  const c = r.columns[0];
  const type = columnType(t, c);
  const value = `${alias}.${ident(c)}`;
  return r.none ? `CASE WHEN ${noneValue(r, value, type)} THEN ${value} ELSE ${tgt}::${type} END` : `${tgt}::${type}`;
}

/** Remapped references of this table whose parent is matched in this run. */
export function remapRefs(m: MatchContext, t: StagedTable): PlannedReference[] {
  return t.plan.references.filter((r) => r.remap && !r.external && t.staged.includes(r.columns[0]) && (r.self || m.tables.has(r.parent)));
}

/** Rewritten references filled once every table is written, through the parent's map: a reference
 *  closing a cycle, or a column of a multi-column one that does (its own table's ids among them). */
export function lateRefs(m: MatchContext, t: StagedTable): PlannedReference[] {
  return remapRefs(m, t).filter((r) => r.late);
}

/** Columns written NULL first and filled once every table is written: those of rewritten late
 *  references, and of a late reference whose values are copied (a multi-column one under MATCH
 *  SIMPLE: only its nullable columns). */
export function lateColumns(m: MatchContext, t: StagedTable): string[] {
  const copied = t.plan.references.filter((r) => r.late && !r.remap && !r.external && r.columns.every((c) => t.staged.includes(c)));
  return [...new Set([...lateRefs(m, t).map((r) => r.columns[0]), ...copied.flatMap((r) => lateFilledColumns(t.plan, r))])];
}

/** References whose values are copied (not rewritten through one parent's map: multi-column ones
 *  among them) and hold a late column: no constraint checks them before the fill, so the fill does,
 *  against the target's rows once every table is written. */
export function checkedAfterFill(m: MatchContext, t: StagedTable): PlannedReference[] {
  const late = new Set(lateColumns(m, t));
  return t.plan.references.filter(
    (r) => !r.remap && !r.external && r.columns.every((c) => t.staged.includes(c)) && r.columns.some((c) => late.has(c)),
  );
}

/** References to the table's own rows, rewritten through the ids its rows are given as they are
 *  written; one filled late (a column of a multi-column reference that closes a cycle) is not. */
export function selfRefs(m: MatchContext, t: StagedTable): PlannedReference[] {
  return remapRefs(m, t).filter((r) => r.self && !r.late);
}

/** Columns an INSERT writes: the staged ones, plus the surrogate id the run assigned. */
export function writtenColumns(t: StagedTable): string[] {
  const sur = t.plan.surrogate;
  return sur && !t.staged.includes(sur) ? [sur, ...t.staged] : t.staged;
}

/** Columns compared to tell identical rows from changed ones (besides late and self references).
 *  Masked columns are not: their values say nothing about the row (and so are never updated). */
export function contentColumns(m: MatchContext, t: StagedTable): string[] {
  const late = new Set(lateColumns(m, t));
  const self = new Set(selfRefs(m, t).map((r) => r.columns[0]));
  const masked = new Set(t.masked);
  // A numbered column (an invoice number) is an id each database draws: it says nothing about the row.
  const numbered = new Set(t.plan.numbered.map((n) => n.column));
  return t.staged.filter((c) => c !== t.plan.surrogate && !late.has(c) && !self.has(c) && !masked.has(c) && !numbered.has(c));
}

/** The columns an update finds a target row by: its id, or its natural key where it has no id. An
 *  update never writes them (see updatableColumns), so they name the row before and after it. */
export function locatorColumns(t: StagedTable): string[] {
  if (t.plan.surrogate) return [t.plan.surrogate];
  return t.plan.key.kind === 'key' ? t.plan.key.columns : [];
}

/** A target row `g` is the final row `f` pairs it with (see final.ts): by the id the
 *  run assigned (f._loc), or the key. */
export function locates(t: StagedTable, g: string, f: string): string {
  return locatorColumns(t)
    .map((c) => `${g}.${ident(c)} = ${f}.${c === t.plan.surrogate ? '_loc' : ident(c)}`)
    .join(' AND ');
}

/** Columns an update compares and writes: everything but ids, late and insert-only columns, and keys
 *  where the key is what finds the row. */
export function updatableColumns(m: MatchContext, t: StagedTable): string[] {
  // A row found again by its id (a lineage) may have a renamed key: with an id to locate the row by,
  // key columns are values like any other. Without one, the key is how the row is found.
  const key = new Set(t.plan.key.kind === 'key' && !t.plan.surrogate ? t.plan.key.columns : []);
  const insertOnly = new Set(t.plan.insertOnly);
  const self = selfRefs(m, t).map((r) => r.columns[0]);
  return [...contentColumns(m, t), ...self].filter((c) => !key.has(c) && !insertOnly.has(c) && c !== t.plan.surrogate);
}

/**
 * A staged row's value of column `c` as the target would hold it: a rewritten reference as the
 * resolved view has it, a self or late reference (still a source id there) through the table's own
 * ids or its parent's map. `alias` is a row of the resolved (or work) view; joins it needs are pushed.
 */
export function targetSpaceValue(m: MatchContext, t: StagedTable, c: string, alias: string, joins: string[]): string {
  const type = columnType(t, c);
  const ref = remapRefs(m, t).find((r) => r.columns[0] === c && !r.external);
  if (ref?.self) {
    const a = `so${joins.length}`;
    joins.push(`LEFT JOIN ${temp(t, 'ids')} ${a} ON ${a}._src = ${alias}.${ident(c)}`);
    return keptOrRewritten(t, ref, alias, `${a}._tgt`);
  }
  if (ref?.late) {
    const map = m.maps.get(ref.parent);
    if (!map) return noneOrNull(ref, `${alias}.${ident(c)}`, type);
    const a = `sl${joins.length}`;
    joins.push(`LEFT JOIN ${map} ${a} ON ${a}.src = ${alias}.${ident(c)}`);
    return keptOrRewritten(t, ref, alias, `${a}.tgt`);
  }
  return polymorphicTargetValue(m, t, c, alias, joins);
}

/** A polymorphic reference's value (alias: a row of the resolved or work view) as the target would
 *  hold it: where it names its own table or one written after it, through that table's map (once
 *  published: after the table is matched). */
export function polymorphicTargetValue(m: MatchContext, t: StagedTable, c: string, alias: string, joins: string[]): string {
  const links = deferredPolymorphic(m, t).filter((n) => n.ref.columns[0] === c);
  if (!links.length) return `${alias}.${ident(c)}`;
  const cases = links.map((n) => {
    const a = `sp${joins.length}`;
    const map = m.maps.get(n.ref.parent);
    if (!map) return `WHEN ${n.whenTarget(alias)} THEN ${alias}.${ident(c)}`;
    joins.push(`LEFT JOIN ${map} ${a} ON ${n.whenTarget(alias)} AND ${n.equal(`${a}.src`, `${alias}.${ident(c)}`)}`);
    return `WHEN ${n.whenTarget(alias)} THEN COALESCE(${n.asColumn(`${a}.tgt`)}, ${alias}.${ident(c)})`;
  });
  return `CASE ${cases.join(' ')} ELSE ${alias}.${ident(c)} END`;
}

/** The values of a table's polymorphic references that name rows whose target ids are not known when
 *  its rows are resolved: its own table's (drawn as it is written, as a self reference's are), or a
 *  table written after it (filled once every table is written, as a late foreign key is). */
export function deferredPolymorphic(m: MatchContext, t: StagedTable, kind?: 'self' | 'late'): PolymorphicParent[] {
  return (m.polymorphic.get(t.plan.name) ?? []).filter((n) => (kind ? n.kind === kind : n.kind !== 'now'));
}

/** Text comparison is exact for every type; plain equality is used only where it means the same. */
const EXACT_EQUALITY = new Set(['smallint', 'integer', 'bigint', 'boolean', 'uuid', 'date', 'bytea', 'oid']);

export function differs(t: StagedTable, column: string, left: string, right: string): string {
  return distinct(t, column, `${left}.${ident(column)}`, `${right}.${ident(column)}`);
}

/** `a IS DISTINCT FROM b` for two values of a column's type, exact to the text they export as. */
export function distinct(t: StagedTable, column: string, a: string, b: string): string {
  const type = columnType(t, column);
  // Text compares under "C": under a nondeterministic collation (case-insensitive email) 'Ann@x' and
  // 'ann@x' are equal, and an edit of the case alone would never be written.
  if (/^(text|character varying(\(\d+\))?)$/.test(type)) return `(${a}) COLLATE "C" IS DISTINCT FROM (${b}) COLLATE "C"`;
  // Equal timestamps print the same under the session's fixed TimeZone.
  if (EXACT_EQUALITY.has(type) || /^timestamp(\(\d+\))?( with(out)? time zone)?$/.test(type)) {
    return `${a} IS DISTINCT FROM ${b}`;
  }
  return `${a}::text COLLATE "C" IS DISTINCT FROM ${b}::text COLLATE "C"`;
}

export async function buildResolved(m: MatchContext, t: StagedTable): Promise<PlannedReference[]> {
  // A reference table is only matched, after the parents that identify its rows (plan.ts orders it by
  // those alone): another reference of it may name a table matched later, and nothing reads it rewritten.
  const direct = remapRefs(m, t).filter((r) => !r.late && !r.self && (t.plan.role === 'data' || identifiesBy(t.plan, r)));
  const parents = await polymorphicParents(m, t);
  m.polymorphic.set(t.plan.name, parents);
  // Values naming the table itself or one written after it keep the archive's id here, as a self or
  // late reference does; they are rewritten when those ids are known.
  const named = parents.filter((n) => n.kind === 'now');
  const joins: string[] = [];
  const select = ['s._row'];
  for (const c of t.staged) {
    const i = direct.findIndex((r) => r.columns[0] === c);
    const poly = named.filter((n) => n.ref.columns[0] === c);
    if (i !== -1) select.push(`${keptOrRewritten(t, direct[i], 's', `p${i}.tgt`)} AS ${ident(c)}`);
    else if (poly.length) {
      // A value whose named row is not in the archive is copied as it is (and said, polymorphicParents).
      // A value naming a table resolved later keeps the archive's id for now.
      const cases = poly.map((n) => `WHEN ${n.when('s')} THEN COALESCE(${n.asColumn(`${n.alias}.tgt`)}, s.${ident(c)})`);
      select.push(`CASE ${cases.join(' ')} ELSE s.${ident(c)} END AS ${ident(c)}`);
    } else select.push(`s.${ident(c)}`);
  }
  direct.forEach((r, i) => {
    joins.push(`LEFT JOIN ${m.maps.get(r.parent)} p${i} ON p${i}.src = s.${ident(r.columns[0])}`);
    select.push(`(NOT ${noRow(t, r, 's')} AND p${i}.tgt IS NULL) AS _miss${i}`);
  });
  named.forEach((n, j) => {
    const i = direct.length + j;
    const c = `s.${ident(n.ref.columns[0])}`;
    joins.push(`LEFT JOIN ${m.maps.get(n.ref.parent)} ${n.alias} ON ${n.when('s')} AND ${n.equal(`${n.alias}.src`, c)}`);
    // A named row the archive has but the run does not write (refused, left out, deleted in the target
    // since the base: with a classification the map says whether it is there after the write): the
    // row is refused too, as a child through a foreign key is.
    const gone = m.verdicts?.has(n.ref.parent) ? ` OR ${n.alias}.live IS FALSE` : '';
    // Joined, not an EXISTS per row: the ids may compare as text, which no index serves, and a
    // correlated EXISTS scanned the whole parent table once for every row (5 s for 4,000 tasks).
    const held = `${n.alias}a`;
    joins.push(
      `LEFT JOIN (SELECT DISTINCT ${ident(n.parentId)} AS id FROM ${temp(m.tables.get(n.ref.parent)!, 'staged')}) ${held} ON ${n.when('s')} AND ${n.equal(`${held}.id`, c)}`,
    );
    select.push(`(${n.when('s')} AND ((${n.alias}.tgt IS NULL AND ${held}.id IS NOT NULL)${gone})) AS _miss${i}`);
  });
  await m.ctx.query(
    `CREATE TEMP VIEW ${temp(t, 'resolved')} AS SELECT ${select.join(', ')} FROM ${temp(t, 'staged')} s ${joins.join(' ')}`,
  );
  return [...direct, ...named.map((n) => n.ref)];
}

export interface PolymorphicParent {
  /** The reference as a plain one to the named table, for the refusals that name it. */
  ref: PlannedReference;
  parentId: string;
  alias: string;
  /** When the named table's ids are known: before this table is matched ('now'), as its own rows
   *  get theirs ('self'), or once every table is written ('late'). */
  kind: 'now' | 'self' | 'late';
  /** The row names this table: its type column holds this value and its id column a value. */
  when: (alias: string) => string;
  /** The same of a row whose type column holds the target's value (resolved, work, final or target
   *  rows: a content type is rewritten through the content types' ids). */
  whenTarget: (alias: string) => string;
  /** An id of the named table equal to the id column's value, and one as the id column's type (a
   *  text column may hold integer ids: compared as text). */
  equal: (parentId: string, value: string) => string;
  asColumn: (parentId: string) => string;
}

/**
 * The tables the type values of a table's polymorphic references name, each rewritten through its ids:
 * its map where it was matched before this table, the table's own ids as they are drawn, or a later
 * table's map once every table is written. Values naming a table outside the run or a row the archive
 * does not have are copied as they are, and said with their count. A pair found by its columns' names
 * alone is followed only where its rows show it is a reference (judgePair).
 */
async function polymorphicParents(m: MatchContext, t: StagedTable): Promise<PolymorphicParent[]> {
  const out: PolymorphicParent[] = [];
  for (const p of t.plan.polymorphic) {
    if (!t.staged.includes(p.column) || !t.staged.includes(p.typeColumn)) continue;
    const copied: string[] = [];
    let values = await typeValues(m, t, p);
    if (!values) {
      copied.push(`every row (its content types, ${p.contentTypes!.table}, are not in the archive)`);
      values = [];
    }
    const followed: NamedTable[] = [];
    for (const value of values) {
      const named = namedTable(m, t, value);
      if (typeof named === 'string') copied.push(`${value.n} with ${p.typeColumn} = ${label(value.v, value.name)} (names ${named})`);
      else followed.push(named);
    }
    const found = await idsFound(m, t, p, followed);
    if (!judgePair(m, t, p, followed, found)) continue;
    for (const named of followed) {
      out.push(await followedParent(m, t, p, named, `pm${out.length}`));
      const orphans = Number(named.value.n) - (found.get(named.value.v) ?? 0);
      if (orphans)
        copied.push(
          `${orphans} with ${p.typeColumn} = ${label(named.value.v, named.value.name)} (name ${named.parent} rows the archive does not have)`,
        );
    }
    if (copied.length)
      sayOnce(
        m,
        `${t.plan.name}.${p.column} is copied as it is in rows`,
        ` that name no row mr4 can follow, so in a target whose ids differ they point at other rows: ${copied.join('; ')}.`,
      );
  }
  return out;
}

/** A type value with the table of the run it names, whose ids the value's rows are rewritten through. */
interface NamedTable {
  value: TypeValue;
  parent: string;
  pt: StagedTable;
  parentId: string;
  kind: PolymorphicParent['kind'];
}

/** The table a type value names and can be followed into, or why it cannot be. */
function namedTable(m: MatchContext, t: StagedTable, value: TypeValue): NamedTable | string {
  const parent = tableNamedByValue(value, m.tables.keys());
  if (!parent) return 'no table of the run';
  const pt = m.tables.get(parent)!;
  const parentId = pt.plan.surrogate ?? pt.plan.inheritedId?.column ?? null;
  if (!parentId || !pt.staged.includes(parentId)) return `${parent}, which has no id column in the archive`;
  const kind = parent === t.plan.name ? 'self' : m.maps.has(parent) ? 'now' : 'late';
  // Ids drawn as the table is written are a surrogate's; a late value finds its row again by it.
  if (kind === 'self' && parentId !== t.plan.surrogate) return 'its own table, which has no id drawn as it is written';
  if (kind === 'late' && !t.plan.surrogate)
    return `${parent}, which is written after ${t.plan.name}, whose rows have no id to find them again by`;
  return { value, parent, pt, parentId, kind };
}

/** Per type value followed, how many of its rows' ids name a row of its table the archive has: one
 *  statement for the pair, its rows joined to the ids of every table its type values name. */
async function idsFound(m: MatchContext, t: StagedTable, p: PolymorphicReference, followed: NamedTable[]): Promise<Map<string, number>> {
  if (!followed.length) return new Map();
  const [id, type] = [ident(p.column), ident(p.typeColumn)];
  // Compared as text: the id column may hold another type than the named table's ids (Django's object_id).
  const ids = followed
    .map((f) => `SELECT ${literal(f.value.v)} AS v, ${ident(f.parentId)}::text AS id FROM ${temp(f.pt, 'staged')}`)
    .join(' UNION ');
  const res = await m.ctx.query<{ v: string; found: string }>(
    `SELECT s.${type}::text AS v, count(*) AS found FROM ${temp(t, 'staged')} s JOIN (${ids}) p ON p.v = s.${type}::text AND p.id = s.${id}::text
     GROUP BY 1`,
  );
  return new Map(res.rows.map((r) => [r.v, Number(r.found)]));
}

/** Rows whose parent was deleted are a real reference's usual residue (Rails cascades nothing unless
 *  told to): up to 1 in 100 of a type value's rows may name no row and the pair is still taken for a
 *  reference (those rows copied and named). Below 100 rows, none may. */
const ORPHANS_TOLERATED = 0.01;

/**
 * Whether a pair's ids are rewritten. Declared ones (the configuration, or a foreign key to Django's
 * content types) are. One found by its names alone is where the ids beside each type value name rows
 * of the table it names (all, or all but ORPHANS_TOLERATED); where none do it is copied as it is and
 * said once; anything between (some resolve, some do not) is refused, as either answer could
 * overwrite production's rows with wrong values. The source's rows decide: a base archive follows.
 */
function judgePair(m: MatchContext, t: StagedTable, p: PolymorphicReference, followed: NamedTable[], found: Map<string, number>): boolean {
  if (p.contentTypes || p.declared) return true;
  const key = `${t.plan.name}.${p.column}`;
  const judged = m.judgedPairs.get(key);
  if (judged !== undefined) return judged;
  if (!followed.length) {
    m.judgedPairs.set(key, true);
    return true;
  }
  const counts = followed.map((f) => ({ f, n: Number(f.value.n), found: found.get(f.value.v) ?? 0 }));
  const held = (c: (typeof counts)[number]) => c.n - c.found <= Math.floor(c.n * ORPHANS_TOLERATED);
  const [rows, named] = [counts.reduce((a, c) => a + c.n, 0), counts.reduce((a, c) => a + c.found, 0)];
  const tables = [...new Set(followed.map((f) => f.parent))].join('/');
  const pair = `${t.plan.name}.${p.typeColumn}/${p.column}`;
  if (counts.every(held)) {
    m.judgedPairs.set(key, true);
    return true;
  }
  if (named === 0) {
    m.judgedPairs.set(key, false);
    sayOnce(
      m,
      `${pair} looks like a polymorphic reference`,
      ` but ${rows} of ${rows} ids name no row of ${tables} in the archive: copied as they are. ${declarePolymorphic(t.plan.name, p)}`,
    );
    return false;
  }
  const each = counts.map((c) => `${label(c.f.value.v, c.f.value.name)}: ${c.found} of ${c.n} name a ${c.f.parent} row`).join('; ');
  throw new UnclearPolymorphicError(
    `${pair} looks like a polymorphic reference, but only ${named} of its ${rows} ids name a row of the table their ${p.typeColumn} names (${each}): mr4 cannot tell a reference whose parents were deleted from other numbers that happen to match some ids, and either guess could write wrong values, so nothing was written. ${declarePolymorphic(t.plan.name, p)} Declared, the ids that name a row are rewritten and the others copied and named; under "notReferences" every id is copied as it is.`,
  );
}

/** A pair found by its names whose rows neither show that it is a reference nor that it is not. */
class UnclearPolymorphicError extends Error {
  override name = 'UnclearPolymorphicError';
}

/** A type value's rows, rewritten through the ids of the table it names. */
async function followedParent(
  m: MatchContext,
  t: StagedTable,
  p: PolymorphicReference,
  { value, parent, pt, parentId, kind }: NamedTable,
  alias: string,
): Promise<PolymorphicParent> {
  const [id, type] = [ident(p.column), ident(p.typeColumn)];
  const when = (a: string) => `${a}.${type}::text = ${literal(value.v)} AND ${a}.${id} IS NOT NULL`;
  const targetType = p.contentTypes ? await targetContentType(m, p, value.v) : value.v;
  const whenTarget = (a: string) =>
    targetType === null ? 'false' : `${a}.${type}::text = ${literal(targetType)} AND ${a}.${id} IS NOT NULL`;
  const ref = derivedReference(parent, [p.column], [parentId], {
    name: `${p.typeColumn} = ${label(value.v, value.name)}`,
    parentSchema: m.schema,
    self: kind === 'self',
    late: kind === 'late',
  });
  const [own, theirs] = [columnType(t, p.column), columnType(pt, parentId)];
  const equal = (a: string, b: string) => (own === theirs ? `${a} = ${b}` : `${a}::text = ${b}::text`);
  const asColumn = (a: string) => (own === theirs ? a : `${a}::text::${own}`);
  return { ref, parentId, alias, kind, when, whenTarget, equal, asColumn };
}

/** Says a warning once per run, though the analysis and the write each resolve the table: the later
 *  one says it (a base archive's pass says nothing). */
function sayOnce(m: MatchContext, start: string, rest: string): void {
  const earlier = m.warnings?.findIndex((w) => w.startsWith(start)) ?? -1;
  if (earlier !== -1) m.warnings!.splice(earlier, 1);
  m.warnings?.push(start + rest);
}

/** The values a polymorphic reference's type column holds, with the name each gives its table: the
 *  class itself, or a content type's app_label_model; null where the content types are not staged. */
async function typeValues(m: MatchContext, t: StagedTable, p: PolymorphicReference): Promise<TypeValue[] | null> {
  const ct = p.contentTypes ? m.tables.get(p.contentTypes.table) : undefined;
  if (p.contentTypes && (!ct || !['app_label', 'model', p.contentTypes.id].every((c) => ct.staged.includes(c)))) return null;
  return (await m.ctx.query<TypeValue>(typeValuesSql(p, temp(t, 'staged'), ct ? temp(ct, 'staged') : null))).rows;
}

/** The target's id of the content type the archive's value `v` is (its content types were matched
 *  before this table, which references them); null where the target has none. */
async function targetContentType(m: MatchContext, p: PolymorphicReference, v: string): Promise<string | null> {
  const map = m.maps.get(p.contentTypes!.table);
  if (!map) return v;
  const res = await m.ctx.query<{ tgt: string }>(`SELECT tgt::text AS tgt FROM ${map} WHERE src::text = $1`, [v]);
  return res.rows[0]?.tgt ?? null;
}

/** A type value as the run's warnings name it: a class in quotes, a content type with its name. */
const label = (v: string, name: string) => (v === name ? `'${v}'` : `${v} (${name || 'no such content type'})`);

const missAny = (direct: PlannedReference[], alias: string) =>
  direct.length ? direct.map((_, i) => `${alias}._miss${i}`).join(' OR ') : 'false';

/** What archived rows are matched against: the target table, or (for a base archive) the rows of
 *  the source archive already matched. */
export interface MatchAgainst {
  /** A FROM item, aliased t. */
  rel: string;
  /** What its rows are known by across databases: their database and lineage. */
  side: LineageSide;
  /** A row's id (the value lineage keys name), from alias t; null where rows have none. */
  id: ((alias: string) => string) | null;
  /** The locator recorded for a matched row, from alias t. */
  loc: (alias: string) => string;
  locType: string;
  /** Also record the matched row's id in the table (the diff finds target rows again by it). */
  ctid: boolean;
  /** Whether a key that names a parent in the same table can be followed level by level. */
  followsSelfKeys: boolean;
  /** The target's rows (a pass over another archive never pairs by shared ids or asks). */
  isTarget: boolean;
}

/** A target row's physical id: ctid, with tableoid because a partitioned table's partitions each
 *  number their rows from the start. */
export function rowId(alias: string): string {
  return `(${alias}.tableoid::text || ':' || ${alias}.ctid::text)`;
}

export function againstTarget(m: MatchContext, t: StagedTable): MatchAgainst {
  const sur = t.plan.surrogate;
  return {
    rel: `${target(m, t)} t`,
    side: m.identity.target,
    id: sur ? (alias) => `${alias}.${ident(sur)}` : null,
    loc: (alias) => (sur ? `${alias}.${ident(sur)}` : 'NULL::int'),
    locType: sur ? columnType(t, sur) : 'integer',
    ctid: true,
    followsSelfKeys: true,
    isTarget: true,
  };
}

/** What the identity passes of matchRows pair rows by, besides natural keys and content. */
export interface RowIdentity {
  /** The staged rows' database and lineage, and the target's. */
  source: LineageSide;
  target: LineageSide;
  /** The user states the two databases are copies: the same id is the same row (pgsync's model),
   *  for rows no lineage or natural key identifies. */
  sameIds: boolean;
  /** A row that only looks like an edit of the target row with its id: 'same' matches it, 'new'
   *  leaves it a new row, 'ask' matches it provisionally and marks it for the user to decide. */
  probable: ProbableEdits;
  /** Per-row answers (a temp table of tbl, key, choice), or null. */
  decisions: string | null;
}

export type ProbableEdits = 'same' | 'new' | 'ask';

/** How a match was found (the matched table's _via). 'probable' is a match nothing but likeness
 *  supports, that the user has not confirmed. */
export type MatchedVia = 'lineage' | 'id' | 'content' | 'key' | 'probable' | 'confirmed';
export const via = (how: MatchedVia) => literal(how);

export async function matchRows(
  m: MatchContext,
  t: StagedTable,
  direct: PlannedReference[],
  into = temp(t, 'matched'),
  against = againstTarget(m, t),
  own: LineageSide = m.identity.source,
): Promise<void> {
  const sur = t.plan.surrogate;
  const { loc } = against;
  const ctid = (alias: string) => (against.ctid ? `, ${rowId(alias)}` : '');
  await m.ctx.query(
    `CREATE TEMP TABLE ${into} (_row bigint, _tgt ${against.locType}, _n bigint${against.ctid ? ', _ctid text' : ''}, _via text) ON COMMIT DROP`,
  );
  const usable = `NOT (${missAny(direct, 'r')})`;
  const unmatched = `NOT EXISTS (SELECT 1 FROM ${into} d WHERE d._row = r._row)`;
  const unclaimed = (alias: string) => `NOT EXISTS (SELECT 1 FROM ${into} d WHERE d._tgt = ${loc(alias)})`;
  const key = t.plan.key.kind === 'key' ? t.plan.key.columns : [];
  const self = selfRefs(m, t);
  const selfInKey = self.filter((r) => key.includes(r.columns[0]));
  const byContentOnly = selfInKey.length > 0 && !against.followsSelfKeys;
  const nullKey = (alias: string) =>
    key.length && !byContentOnly ? `(${key.map((c) => `${alias}.${ident(c)} IS NULL`).join(' OR ')})` : 'true';
  const ids =
    sur && t.staged.includes(sur) && against.id ? { mine: `r.${ident(sur)}`, theirs: against.id('t'), type: columnType(t, sur) } : null;
  let claimed = false;

  // The lineage of ids first: a row one side got from the other (or both from a third) is that row,
  // whatever its key or content say now.
  let paired = false;
  if (ids) {
    const sameDatabase = !!own.identity && own.identity === against.side.identity;
    const pairs = sameDatabase ? null : await buildPairs(m.ctx, own, against.side, t, ids.type, into.replace(/"$/, '_pairs"'));
    const join = sameDatabase
      ? `JOIN ${against.rel} ON ${ids.theirs} = ${ids.mine}`
      : pairs
        ? `JOIN ${pairs} p ON p.xk = ${ids.mine} JOIN ${against.rel} ON ${ids.theirs} = p.yk`
        : null;
    if (join) {
      const res = await m.ctx.query(
        `INSERT INTO ${into} SELECT r._row, ${loc('t')}, 1${ctid('t')}, ${via('lineage')} FROM ${temp(t, 'resolved')} r ${join} WHERE ${usable}`,
      );
      paired = sameDatabase || !!(await m.ctx.query(`SELECT 1 FROM ${pairs} LIMIT 1`)).rowCount;
      claimed = (res.rowCount ?? 0) > 0;
      if (claimed) await analyzeTemp(m, t, into);
      // Every row paired: no key or content is asked (the usual case between two synced databases).
      if (res.rowCount === t.rows) return;
    }
  }
  const sameIds = ids && m.identity.sameIds && against.isTarget ? ids : null;
  const sameIdPass = async () => {
    if (!sameIds) return;
    const res = await m.ctx.query(
      `INSERT INTO ${into} SELECT r._row, ${loc('t')}, 1${ctid('t')}, ${via('id')} FROM ${temp(t, 'resolved')} r JOIN ${against.rel} ON ${sameIds.theirs} = ${sameIds.mine}
       WHERE ${usable} AND ${unmatched} AND ${unclaimed('t')}`,
    );
    if (res.rowCount) {
      claimed = true;
      await analyzeTemp(m, t, into);
    }
  };
  if (key.length === 0) await sameIdPass();

  // Rows without a (complete) key are recognised by their content, as a multiset: n equal archived
  // rows match at most n equal target rows. Before keys, so that a key naming a parent in the same
  // table finds the roots of its tree already matched.
  const content = contentColumns(m, t);
  const byContent = content.length > 0 && (key.length === 0 || t.plan.key.nullable || byContentOnly);
  // A row's parent in the same table is part of what it is: rows are matched level by level, a row
  // only once its parent is (a child of a new parent is new), and equal only under the same parent.
  const followsOwnRows = !!sur && t.staged.includes(sur) && against.followsSelfKeys;
  const parents = followsOwnRows ? self.map((r) => r.columns[0]) : [];
  // So are the rows a polymorphic reference names in the same table; one naming a table written
  // later is compared without it, as a late reference is.
  const polySelf = followsOwnRows ? deferredPolymorphic(m, t, 'self') : [];
  const polyLate = deferredPolymorphic(m, t, 'late');
  const selfRef = (c: string) => self.find((r) => r.columns[0] === c)!;
  // A "none" value (WordPress's 0) is compared as it is, on both sides.
  const parentOf = (alias: string, c: string, matched: string) =>
    `CASE WHEN ${alias}.${ident(c)} IS NULL THEN NULL${
      selfRef(c).none ? ` WHEN ${noneValue(selfRef(c), `${alias}.${ident(c)}`, columnType(t, c))} THEN ${alias}.${ident(c)}::text` : ''
    } WHEN ${alias}.${ident(c)} = ${alias}.${ident(sur!)} THEN 'itself' ELSE ${matched}::text END`;
  // A polymorphic value as compared: a row of the same table as the target row its parent matched, a
  // row of a later table not at all; the source side when `matched` gives the parents' matches (the
  // content pass's joins cq/cl).
  const polymorphicValue = (alias: string, c: string, matched?: (i: number) => string) => {
    const late = polyLate.filter((n) => n.ref.columns[0] === c);
    const own = polySelf.map((n, i) => ({ n, i })).filter(({ n }) => n.ref.columns[0] === c);
    if (!late.length && !own.length) return `${alias}.${ident(c)}`;
    const itself = (n: PolymorphicParent) => `${n.whenTarget(alias)} AND ${n.equal(`${alias}.${ident(sur!)}`, `${alias}.${ident(c)}`)}`;
    const cases = [
      ...late.map((n) => `WHEN ${n.whenTarget(alias)} THEN NULL`),
      ...own.map(({ n }) => `WHEN ${itself(n)} THEN 'itself'`),
      ...(matched ? own.map(({ n, i }) => `WHEN ${n.whenTarget(alias)} AND cq${i}._row IS NOT NULL THEN ${matched(i)}::text`) : []),
    ];
    return `CASE ${cases.join(' ')} ELSE ${alias}.${ident(c)}::text END`;
  };
  const row = (alias: string, extra: string[], matched?: (i: number) => string) =>
    `md5(ROW(${[...content.map((c) => polymorphicValue(alias, c, matched)), ...extra].join(', ')})::text)`;
  // What a row's children in the same table look like (their content, sorted), per parent column:
  // equal siblings under one parent (two "New folder") are paired with the one holding the same
  // children first. Made once per side, on first use: it does not change while rows are matched.
  let sigs: { source: string; target: string } | null = null;
  const childSignatures = async () => {
    if (sigs) return sigs;
    const made = { source: into.replace(/"$/, '_sig_s"'), target: into.replace(/"$/, '_sig_t"') };
    const of = (rel: string, alias: string) =>
      parents
        .map(
          (c, i) =>
            `SELECT ${i} AS i, ${alias}.${ident(c)} AS pid, string_agg(${row(alias, [])}, ',' ORDER BY ${row(alias, [])}) AS sig
             FROM ${rel} WHERE ${alias}.${ident(c)} IS DISTINCT FROM ${alias}.${ident(sur!)} GROUP BY 2`,
        )
        .join(' UNION ALL ');
    for (const [name, sql] of [
      [made.source, of(`${temp(t, 'resolved')} r`, 'r')],
      [made.target, of(against.rel, 't')],
    ]) {
      await m.ctx.query(`DROP TABLE IF EXISTS ${name}`);
      await m.ctx.query(`CREATE TEMP TABLE ${name} ON COMMIT DROP AS ${sql}`);
      await m.ctx.query(`ANALYZE ${name}`);
    }
    sigs = made;
    return made;
  };
  const childrenOf = (table: string, id: string) =>
    parents.map((_, i) => `LEFT JOIN ${table} ch${i} ON ch${i}.i = ${i} AND ch${i}.pid = ${id}`).join(' ');
  const children = parents.length ? `concat_ws('|', ${parents.map((_, i) => `ch${i}.sig`).join(', ')})` : `''`;
  /** Pairs equal rows: by their hash h, or by h and the children's sig (siblings holding the same
   *  children paired first). Each side: the source's rows r, the target's t, with joins and a filter. */
  type Side = { h: string; sig?: string; joins: string; where: string };
  const pairEqual = async (into: string, by: 'h' | 'h, sig', source: Side, target: Side): Promise<number> => {
    const s0 = `SELECT r._row, ${source.h} AS h, ${source.sig ?? `''`} AS sig FROM ${temp(t, 'resolved')} r ${source.joins} WHERE ${source.where}`;
    const g0 = `SELECT ${loc('t')} AS loc, ${target.h} AS h, ${target.sig ?? `''`} AS sig${against.ctid ? `, ${rowId('t')} AS tid` : ''}
                FROM ${against.rel} ${target.joins} WHERE ${target.where}`;
    const res = await m.ctx.query(
      `INSERT INTO ${into}
       SELECT s._row, g.loc, 1${against.ctid ? ', g.tid' : ''}, ${via('content')} FROM
         (SELECT _row, ${by}, row_number() OVER (PARTITION BY ${by} ORDER BY _row) AS rn FROM (${s0}) s0) s
       JOIN
         (SELECT loc, ${by}, row_number() OVER (PARTITION BY ${by} ORDER BY loc) AS rn${against.ctid ? ', tid' : ''} FROM (${g0}) g0) g
       USING (${by}, rn)`,
    );
    return res.rowCount ?? 0;
  };
  /** Each source row's parents in its own table (cp<i>) and the target rows they are paired with (ck<i>). */
  const pairedParents = () =>
    parents.map(
      (c, i) =>
        `LEFT JOIN ${temp(t, 'resolved')} cp${i} ON cp${i}.${ident(sur!)} = r.${ident(c)} AND r.${ident(c)} IS DISTINCT FROM r.${ident(sur!)}
         LEFT JOIN ${into} ck${i} ON ck${i}._row = cp${i}._row`,
    );
  const contentPass = async (by: 'h' | 'h, sig'): Promise<number> => {
    if (!byContent) return 0;
    const joins = [
      ...pairedParents(),
      ...polySelf.map((n, i) => {
        const c = `r.${ident(n.ref.columns[0])}`;
        return `LEFT JOIN ${temp(t, 'resolved')} cq${i} ON ${n.whenTarget('r')} AND ${n.equal(`cq${i}.${ident(sur!)}`, c)} AND NOT (${n.equal(`r.${ident(sur!)}`, c)})
           LEFT JOIN ${into} cl${i} ON cl${i}._row = cq${i}._row`;
      }),
    ].join(' ');
    const sourceParents = parents.map((c, i) => parentOf('r', c, `ck${i}._tgt`));
    const targetParents = parents.map((c) => parentOf('t', c, `t.${ident(c)}`));
    const parentKnown = [
      ...parents.map((c, i) => `(${noRow(t, selfRef(c), 'r')} OR r.${ident(c)} = r.${ident(sur!)} OR ck${i}._tgt IS NOT NULL)`),
      // A row naming a row of its table the archive does not have is compared by the value it copies.
      ...polySelf.map((_, i) => `(cq${i}._row IS NULL OR cl${i}._tgt IS NOT NULL)`),
    ];
    const sig = parents.length && by === 'h, sig' ? await childSignatures() : null;
    const added = await pairEqual(
      into,
      by,
      {
        h: row('r', sourceParents, (i) => `cl${i}._tgt`),
        sig: sig ? children : undefined,
        joins: `${joins} ${sig ? childrenOf(sig.source, `r.${ident(sur!)}`) : ''}`,
        where: [nullKey('r'), usable, ...(claimed ? [unmatched] : []), ...parentKnown].join(' AND '),
      },
      {
        h: row('t', targetParents),
        sig: sig ? children : undefined,
        joins: sig ? childrenOf(sig.target, loc('t')) : '',
        where: `${nullKey('t')}${claimed ? ` AND ${unclaimed('t')}` : ''}`,
      },
    );
    if (added) claimed = true;
    return added;
  };
  /**
   * Rows that wait for each other through their parents in the same table (a doubly linked list's
   * prev and next, replaces/replaced_by) are never matched level by level. Paired instead where their
   * content is equal and so is each unmatched parent's, then kept only where every parent agrees with
   * the pairs: a pair whose source parent is paired with another target row than the target row's
   * parent is dropped, until none is.
   */
  const cyclePass = async (): Promise<number> => {
    if (!byContent || !parents.length) return 0;
    const id = ident(sur!);
    // Only rows still waiting for a parent of their table that is itself unmatched can be such rows.
    const waiting = parents
      .map(
        (
          c,
        ) => `EXISTS (SELECT 1 FROM ${temp(t, 'resolved')} r JOIN ${temp(t, 'resolved')} p ON p.${id} = r.${ident(c)} AND r.${ident(c)} <> r.${id}
                        WHERE ${unmatched} AND NOT EXISTS (SELECT 1 FROM ${into} d WHERE d._row = p._row))`,
      )
      .join(' OR ');
    if (!(await m.ctx.query<{ any: boolean }>(`SELECT ${waiting} AS any`)).rows[0].any) return 0;
    const pending = temp(t, 'matched').replace(/"$/, '_cyc"');
    await m.ctx.query(`DROP TABLE IF EXISTS ${pending}`);
    await m.ctx.query(`CREATE TEMP TABLE ${pending} ON COMMIT DROP AS SELECT * FROM ${into} WITH NO DATA`);
    const claimedTargets = `(SELECT DISTINCT _tgt FROM ${into})`;
    const targetJoins = parents
      .map(
        (c, i) =>
          `LEFT JOIN (SELECT ${loc('t')} AS pid, ${row('t', [])} AS ph FROM ${against.rel}) tp${i} ON tp${i}.pid = t.${ident(c)}
           LEFT JOIN ${claimedTargets} tk${i} ON tk${i}._tgt = t.${ident(c)}`,
      )
      .join(' ');
    const sourceParents = parents.map((c, i) => parentOf('r', c, `COALESCE(ck${i}._tgt::text, 'like ' || ${row(`cp${i}`, [])})`));
    const targetParents = parents.map((c, i) =>
      parentOf('t', c, `CASE WHEN tk${i}._tgt IS NULL THEN 'like ' || tp${i}.ph ELSE t.${ident(c)}::text END`),
    );
    const found = await pairEqual(
      pending,
      'h',
      { h: row('r', sourceParents), joins: pairedParents().join(' '), where: [nullKey('r'), usable, unmatched].join(' AND ') },
      { h: row('t', targetParents), joins: targetJoins, where: `${nullKey('t')} AND ${unclaimed('t')}` },
    );
    if (!found) return 0;
    const pairsNow = `(SELECT _row, _tgt FROM ${into} UNION ALL SELECT _row, _tgt FROM ${pending})`;
    const parentPairs = parents
      .map(
        (c, i) =>
          `LEFT JOIN ${temp(t, 'resolved')} rp${i} ON rp${i}.${id} = r.${ident(c)} AND r.${ident(c)} IS DISTINCT FROM r.${id}
           LEFT JOIN ${pairsNow} mp${i} ON mp${i}._row = rp${i}._row`,
      )
      .join(' ');
    const agrees = parents.map(
      (c, i) =>
        `COALESCE((${noRow(t, selfRef(c), 'r')} AND r.${ident(c)} IS NOT DISTINCT FROM g.${ident(c)}) OR (r.${ident(c)} = r.${id} AND g.${ident(c)} = g.${id})
                  OR (r.${ident(c)} <> r.${id} AND g.${ident(c)} <> g.${id} AND mp${i}._tgt = g.${ident(c)}), false)`,
    );
    for (;;) {
      const dropped = await m.ctx.query(
        `DELETE FROM ${pending} WHERE _row IN (
           SELECT p._row FROM ${pending} p JOIN ${temp(t, 'resolved')} r ON r._row = p._row JOIN ${target(m, t)} g ON g.${id} = p._tgt ${parentPairs}
           WHERE NOT (${agrees.join(' AND ')}))`,
      );
      if (!dropped.rowCount) break;
    }
    const kept = await m.ctx.query(`INSERT INTO ${into} SELECT * FROM ${pending}`);
    if (kept.rowCount) claimed = true;
    return kept.rowCount ?? 0;
  };
  const keyPass = async (): Promise<number> => {
    if (byContentOnly || key.length === 0) return 0;
    // A key from a unique constraint matches at most one target row; a key from the configuration may
    // match several, which the row is then refused for.
    const unique = t.plan.key.source !== 'configuration';
    const found = (from: string, where: string) =>
      unique
        ? `SELECT r._row, ${loc('t')}, 1${ctid('t')}, ${via('key')} FROM ${from} WHERE ${where}`
        : `SELECT r._row, (array_agg(${loc('t')}))[1], count(*)${against.ctid ? `, (array_agg(${rowId('t')}))[1]` : ''}, ${via('key')} FROM ${from} WHERE ${where} GROUP BY r._row`;
    const nonNull = key.map((c) => `r.${ident(c)} IS NOT NULL`).join(' AND ');
    const free = claimed ? ` AND ${unmatched} AND ${unclaimed('t')}` : '';
    const plainKey = key.filter((c) => !selfInKey.some((r) => r.columns[0] === c));
    const eq = plainKey.map((c) => `t.${ident(c)} = r.${ident(c)}`);
    let added = 0;
    if (selfInKey.length === 0) {
      const res = await m.ctx.query(
        `INSERT INTO ${into} ${found(`${temp(t, 'resolved')} r JOIN ${against.rel} ON ${eq.join(' AND ')}`, `${nonNull} AND ${usable}${free}`)}`,
      );
      added = res.rowCount ?? 0;
    } else {
      // The key names the row's parent in the same table: match parents first, then their children.
      const parentJoins = selfInKey
        .map((r, i) =>
          // A "none" value (WordPress's 0) names no parent: the key matches it as it is.
          r.none
            ? `LEFT JOIN (${temp(t, 'resolved')} pr${i} JOIN ${into} pk${i} ON pk${i}._row = pr${i}._row) ON pr${i}.${ident(sur!)} = r.${ident(r.columns[0])}`
            : `JOIN ${temp(t, 'resolved')} pr${i} ON pr${i}.${ident(sur!)} = r.${ident(r.columns[0])} JOIN ${into} pk${i} ON pk${i}._row = pr${i}._row`,
        )
        .join(' ');
      const parentEq = selfInKey.map((r, i) => {
        const c = ident(r.columns[0]);
        return r.none
          ? `(t.${c} = pk${i}._tgt OR (${noneValue(r, `r.${c}`, columnType(t, r.columns[0]))} AND t.${c} = r.${c}))`
          : `t.${c} = pk${i}._tgt`;
      });
      for (;;) {
        const res = await m.ctx.query(
          `INSERT INTO ${into} ${found(
            `${temp(t, 'resolved')} r ${parentJoins} JOIN ${against.rel} ON ${[...eq, ...parentEq].join(' AND ')}`,
            `${nonNull} AND ${usable} AND NOT EXISTS (SELECT 1 FROM ${into} d WHERE d._row = r._row)${claimed ? ` AND ${unclaimed('t')}` : ''}`,
          )}`,
        );
        if (!res.rowCount) break;
        added += res.rowCount;
      }
    }
    if (added) claimed = true;
    return added;
  };
  // With a parent in the same table either pass may match parents the other's rows wait for: they take
  // turns until neither finds another row.
  // Siblings with the same children are paired first, level by level; equal rows left at a level are
  // paired in their order only once no sibling pairs so.
  const contentRounds = async () => {
    let added = 0;
    for (;;) {
      let n = await contentPass('h, sig');
      if (!n && parents.length) n = await contentPass('h');
      added += n;
      if (!n || !(parents.length || polySelf.length)) return added;
    }
  };
  const settle = async () => {
    for (let round = 0; ; round++) {
      if ((await contentRounds()) === 0 && round > 0) break;
      if ((await keyPass()) === 0 || parents.length === 0) break;
    }
  };
  /**
   * A unique index on expressions or with a condition (lower(username); email WHERE deleted_at IS NULL)
   * is no natural key, but the target cannot hold two rows equal there: an archived row left unmatched
   * whose values there equal an unclaimed target row's is that row. The index's SQL names the table's
   * columns unqualified: each side evaluates it over its own row alone (the target's through the
   * index itself).
   */
  const indexPass = async (): Promise<void> => {
    const indexes = key.length ? [] : t.plan.pairingIndexes.filter((x) => x.reads.every((c) => t.staged.includes(c)));
    // A target row is told apart by its ctid, or by its id where it has no ctid (rows of a view).
    const row = against.ctid ? { as: rowId('t'), claimed: '_ctid' } : sur ? { as: loc('t'), claimed: '_tgt' } : null;
    if (!indexes.length || !row || !(await m.ctx.query(`SELECT 1 FROM ${against.rel} LIMIT 1`)).rowCount) return;
    for (const p of indexes) {
      const applies = p.predicate ? `(${p.predicate})` : 'true';
      const values = [...p.terms.map((e, i) => `(${e}) AS _mr4_k${i}`), `${applies} AS _mr4_applies`];
      const paired = `SELECT DISTINCT ON (g.tid) s._row, g.loc, g.tid
         FROM (SELECT r._row, k.* FROM ${temp(t, 'resolved')} r
               CROSS JOIN LATERAL (SELECT ${values.join(', ')} FROM (SELECT r.*) x) k
               WHERE ${usable} AND ${unmatched}) s
         JOIN LATERAL (SELECT ${loc('t')} AS loc, ${row.as} AS tid FROM ${against.rel}
                       WHERE ${p.terms.map((e, i) => `(${e}) = s._mr4_k${i}`).join(' AND ')} AND ${applies}) g ON true
         WHERE s._mr4_applies AND NOT EXISTS (SELECT 1 FROM ${into} d WHERE d.${row.claimed} = g.tid)
         ORDER BY g.tid, s._row`;
      const res = await m.ctx.query(
        `INSERT INTO ${into} SELECT DISTINCT ON (q._row) q._row, q.loc, 1${against.ctid ? ', q.tid' : ''}, ${via('key')}
         FROM (${paired}) q ORDER BY q._row, q.loc`,
      );
      if (res.rowCount) claimed = true;
    }
  };
  await settle();
  while ((await cyclePass()) > 0) await settle();
  await indexPass();
  if (key.length && !byContentOnly) await sameIdPass();
  // Where neither a lineage nor a key nor the whole content identifies a row, a row with the target
  // row's id and most of its values is probably that row, edited; or a new row that happens to look
  // alike. Only asked where the two databases have no lineage for this table: once they do, a row
  // without one was created on its side after they last met.
  if (ids && against.isTarget && !paired && !sameIds && (m.identity.probable !== 'new' || m.identity.decisions) && content.length >= 3) {
    await findProbableEdits(m, t, into, against, content, nullKey('r'), usable, unmatched, unclaimed('t'), ids);
  }
  await analyzeTemp(m, t, into);
}

/**
 * Source rows that share their id with an unclaimed target row, and agree with it on telling values
 * while differing in at least one: a value is telling where few target rows hold it (at most 1 %, so a
 * constant last_update, a flag or a store number never counts). A row is a probable edit where at
 * least two of its values tell, however many others changed (a person whose names stay and whose
 * title, mail and phone changed is asked about, never inserted as a second person); anything less is
 * a row that only shares an id (new, as far as anyone can know, and said in the run's warnings). Per-row answers
 * (same / new) decide; the rest follow the run's setting: matched, or matched provisionally
 * ('probable') for the user to decide.
 */
async function findProbableEdits(
  m: MatchContext,
  t: StagedTable,
  into: string,
  against: MatchAgainst,
  content: string[],
  nullKey: string,
  usable: string,
  unmatched: string,
  unclaimed: string,
  ids: { mine: string; theirs: string },
): Promise<void> {
  const T = target(m, t);
  const cols = content.map((c, i) => ({ c, s: `s${i}`, t: `t${i}`, f: `f${i}` }));
  const candidates = `pg_temp."mr4_${t.tag}_pc"`;
  const found = await m.ctx.query(
    `CREATE TEMP TABLE ${candidates} ON COMMIT DROP AS
     SELECT r._row, ${against.loc('t')} AS loc, ${rowId('t')} AS tid, ${cols.map((x) => `r.${ident(x.c)}::text AS ${x.s}, t.${ident(x.c)}::text AS ${x.t}`).join(', ')}
     FROM ${temp(t, 'resolved')} r JOIN ${against.rel} ON ${ids.theirs} = ${ids.mine}
     WHERE ${nullKey} AND ${usable} AND ${unmatched} AND ${unclaimed}
       AND (${cols.map((x) => distinct(t, x.c, `r.${ident(x.c)}`, `t.${ident(x.c)}`)).join(' OR ')})`,
  );
  if (!found.rowCount) return;
  const rows = Number((await m.ctx.query(`SELECT count(*) AS n FROM ${T}`)).rows[0].n);
  const rare = Math.max(1, Math.floor(rows / 100));
  // How many target rows hold each value a candidate shares with its target row.
  const freq = cols
    .map(
      (x) =>
        `${x.f} AS (SELECT g.${ident(x.c)}::text AS v, count(*) AS n FROM ${T} g WHERE g.${ident(x.c)}::text IN (SELECT ${x.t} FROM ${candidates} WHERE ${x.s} = ${x.t}) GROUP BY 1)`,
    )
    .join(', ');
  const joins = cols.map((x) => `LEFT JOIN ${x.f} ON ${x.f}.v = c.${x.t} AND c.${x.s} = c.${x.t}`).join(' ');
  // A yes/no value tells nothing, however few rows hold it (the one task marked done).
  const telling =
    cols
      .filter((x) => columnType(t, x.c) !== 'boolean')
      .map((x) => `(CASE WHEN ${x.f}.n <= ${rare} THEN 1 ELSE 0 END)`)
      .join(' + ') || '0';
  const decided = m.identity.decisions
    ? `(SELECT x.choice FROM ${m.identity.decisions} x WHERE x.tbl = ${literal(t.plan.name)} AND x.key = ${stagedKeyJson(m, t, 's')} LIMIT 1)`
    : 'NULL::text';
  // Unanswered rows follow the run's setting; with "new" only rows answered "same" are matched.
  const fallback = m.identity.probable === 'new' ? 'NULL' : via(m.identity.probable === 'same' ? 'confirmed' : 'probable');
  const asked = await m.ctx.query(
    `WITH ${freq},
     scored AS (SELECT c._row, c.loc, c.tid, ${telling} AS telling FROM ${candidates} c ${joins})
     INSERT INTO ${into}
     SELECT _row, loc, 1, tid, CASE choice WHEN 'same' THEN ${via('confirmed')} ELSE ${fallback} END FROM (
       SELECT sc._row, sc.loc, sc.tid, ${decided} AS choice FROM scored sc JOIN ${temp(t, 'staged')} s ON s._row = sc._row
       WHERE sc.telling >= 2) p
     WHERE choice IS DISTINCT FROM 'new'${m.identity.probable === 'new' ? ` AND choice = 'same'` : ''}`,
  );
  const alike = (found.rowCount ?? 0) - (asked.rowCount ?? 0);
  if (alike > 0) {
    const warning =
      `${t.plan.name}: ${alike} row(s) have the ids of target rows that nothing says they are (no lineage of ids between these databases for this table, no natural key, too few equal values): taken for new rows. ` +
      'If the two databases are copies of each other, --same-ids pairs them by id; a comparison key ("key" in the configuration) pairs them by columns you choose.';
    if (m.warnings && !m.warnings.includes(warning)) {
      m.warnings.push(warning);
      m.ctx.log(warning, 'warn');
    }
  }
}

async function buildWork(m: MatchContext, t: StagedTable): Promise<void> {
  await m.ctx.query(
    `CREATE TEMP VIEW ${temp(t, 'work')} AS
     SELECT r.*, k._tgt, (k._row IS NOT NULL) AS _hit, COALESCE(k._n, 0) AS _n
     FROM ${temp(t, 'resolved')} r LEFT JOIN ${temp(t, 'matched')} k USING (_row)`,
  );
}

/** A reason to refuse a row: the condition, the reason, the column it is about (SQL expressions). */
export interface RefusalCheck {
  bad: string;
  reason: string;
  col: string;
}

/** Records, for every row of `from` that fails any check, the first failing one. Each row is tested
 *  once; only failing rows are expanded into one row per check. */
export function insertRefusals(x: string, from: string, checks: RefusalCheck[]): string {
  const values = checks.map((c) => `(${c.bad}, ${c.reason}, ${c.col})`).join(', ');
  return `INSERT INTO ${x} SELECT DISTINCT ON (q._row) q._row, v.reason, v.col
          FROM (SELECT * FROM ${from} q WHERE ${checks.map((c) => `(${c.bad})`).join(' OR ')}) q
          CROSS JOIN LATERAL (VALUES ${values}) v(bad, reason, col) WHERE v.bad ORDER BY q._row`;
}

/** Refusals known from matching alone: unresolved parents, ambiguous or duplicate keys. */
async function refuseUnmatchable(m: MatchContext, t: StagedTable, direct: PlannedReference[]): Promise<void> {
  await m.ctx.query(`CREATE TEMP TABLE ${temp(t, 'refused')} (_row bigint, reason text, col text) ON COMMIT DROP`);
  if (t.rows === 0) return;
  const checks: RefusalCheck[] = direct.map((r, i) => {
    const parent = m.tables.get(r.parent)!;
    const c = r.columns[0];
    if (parent.plan.role === 'reference')
      return { bad: `q._miss${i}`, reason: literal(`${c} refers to a ${r.parent} row that does not exist in the target`), col: literal(c) };
    // The archive may hold the parent row, refused by this run (its reason is given with it); the
    // staged columns may be typed apart (a column the target types otherwise), so compared as text.
    // IN, not a correlated EXISTS: the children of refused parents are listed once, not searched
    // for every refused row.
    const refused = `q._row IN (SELECT s._row FROM ${temp(t, 'staged')} s JOIN ${temp(parent, 'staged')} ps ON ps.${ident(r.parentColumns[0])}::text = s.${ident(c)}::text
                       JOIN ${temp(parent, 'refused')} px ON px._row = ps._row)`;
    const reason = `CASE WHEN ${refused} THEN ${literal(`${c} refers to a ${r.parent} row that is refused`)} ELSE ${literal(`${c} refers to a ${r.parent} row that is not imported`)} END`;
    return { bad: `q._miss${i}`, reason, col: literal(c) };
  });
  // Only a key from the configuration can match several target rows (see matchRows).
  const configuredKey = t.plan.key.kind === 'key' && t.plan.key.source === 'configuration';
  if (configuredKey) {
    checks.push({
      bad: 'q._n > 1',
      reason: `'matches ' || q._n || ' rows of the target by its key (${t.plan.key.columns.join(', ').replace(/'/g, "''")})'`,
      col: 'NULL',
    });
  }
  if (checks.length) await m.ctx.query(insertRefusals(temp(t, 'refused'), temp(t, configuredKey ? 'work' : 'resolved'), checks));
  if (configuredKey) {
    const cols = t.plan.key.columns.map((c) => ident(c)).join(', ');
    await m.ctx.query(
      `INSERT INTO ${temp(t, 'refused')} SELECT _row, 'the archive holds ' || n || ' rows with this key', NULL FROM
       (SELECT _row, count(*) OVER (PARTITION BY ${cols}) AS n FROM ${temp(t, 'work')} WHERE ${t.plan.key.columns.map((c) => `${ident(c)} IS NOT NULL`).join(' AND ')}) d
       WHERE n > 1 AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = d._row)`,
    );
  }
}

/** Rows the classification refused (compare/classify.ts: one whose parent will not be there, or
 *  whose unique value will be taken) are refused here too, with its reason, before ids are drawn and
 *  anything is written. */
export async function refuseAsClassified(m: MatchContext, t: StagedTable): Promise<void> {
  const D = m.verdicts?.get(t.plan.name);
  if (!D) return;
  // A row refused here already says it as the diff does (its parent named, and why).
  await m.ctx.query(
    `UPDATE ${temp(t, 'refused')} x SET reason = d.reason FROM ${D} d
     WHERE d.srow = x._row AND d.kind = 'refused' AND d.reason IS NOT NULL AND d.reason IS DISTINCT FROM x.reason`,
  );
  await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT d.srow, d.reason, NULL FROM ${D} d
     WHERE d.kind = 'refused' AND d.srow IS NOT NULL AND NOT d.excluded
       AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = d.srow)`,
  );
}

const INTEGER = /^(smallint|integer|bigint)$/;

/** Target ids for every usable row: the matched row's, the source id where the target has none, else
 *  a new one drawn after the sequence was moved past every id present. */
async function assignIds(m: MatchContext, t: StagedTable): Promise<void> {
  const sur = t.plan.surrogate!;
  const type = columnType(t, sur);
  // An archive may lack the id column of a table nothing points at: its new rows all draw ids.
  const src = t.staged.includes(sur) ? `w.${ident(sur)}` : `NULL::${type}`;
  // Where the id's sequence also numbers other tables, an id must be free in all of them.
  const holders = [{ table: t.plan.name, column: sur }, ...t.plan.sharedIds];
  const free = holders
    .map((h) => `NOT EXISTS (SELECT 1 FROM ${qualified(m.schema, h.table)} x WHERE x.${ident(h.column)} = ${src})`)
    .join(' AND ');
  const keep = t.plan.role === 'data' ? `WHEN ${src} IS NOT NULL AND ${free} THEN ${src}` : '';
  await m.ctx.query(
    `CREATE TEMP TABLE ${temp(t, 'ids')} ON COMMIT DROP AS
     SELECT w._row, ${src} AS _src, w._hit,
            CASE WHEN w._hit THEN w._tgt ${keep} END AS _tgt
     FROM ${temp(t, 'work')} w WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`,
  );
  // Rows of a reference table only identify parents; they are never written, so never get ids.
  if (t.plan.role === 'data' && !drawsNewIds(t.plan, type)) {
    await refuseUndrawableIds(m, t);
  } else if (t.plan.role === 'data') {
    const source = { sequence: t.plan.surrogateSequence, default: t.plan.surrogateDefault };
    await drawNew(m, t, {
      column: sur,
      into: temp(t, 'ids'),
      slot: '_tgt',
      pending: '_tgt IS NULL',
      ...source,
      tag: 'seq',
      shared: t.plan.sharedIds,
    });
  }
  await analyzeTemp(m, t, temp(t, 'ids'));
}

/** New rows whose id another target row holds, of a table with nothing to draw a new id from (an id
 *  each database draws on its own, beside a configured key): refused, naming the id. */
async function refuseUndrawableIds(m: MatchContext, t: StagedTable): Promise<void> {
  const sur = t.plan.surrogate!;
  const ids = temp(t, 'ids');
  const why = `${t.plan.name} has nothing to draw a new one from (no sequence, no default): change it in the source, or leave the row out`;
  await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT _row, CASE WHEN _src IS NULL THEN ${literal(`it has no ${sur}, and ${why}`)}
       ELSE ${literal(`its ${sur} `)} || _src::text || ${literal(` is another target row's, and ${why}`)} END, ${literal(sur)}
     FROM ${ids} WHERE _tgt IS NULL`,
  );
  await m.ctx.query(`DELETE FROM ${ids} WHERE _tgt IS NULL`);
}

/** Where new values of `column` go (`slot` of the rows of `into` that `pending` names), and what they
 *  are drawn from. */
interface NewValues {
  column: string;
  into: string;
  slot: string;
  pending: string;
  sequence: string | null;
  default: string | null;
  /** Names the temporary sequence a run that writes nothing draws from. */
  tag: string;
  /** Other tables' columns the sequence also numbers: it is moved past their values too. */
  shared?: { table: string; column: string }[];
}

/** Draws a new value for every pending row: from the sequence once it was moved past every value the
 *  target and the rows already hold (a run that writes nothing draws from a copy), else the default. */
async function drawNew(m: MatchContext, t: StagedTable, v: NewValues): Promise<void> {
  const needs = await m.ctx.query(`SELECT count(*)::bigint AS n FROM ${v.into} WHERE ${v.pending}`);
  if (Number(needs.rows[0].n) === 0) return;
  const type = columnType(t, v.column);
  const seq = v.sequence;
  let draw: string;
  if (seq && INTEGER.test(type)) {
    const others = (v.shared ?? []).map((h) => `, (SELECT max(${ident(h.column)}) FROM ${qualified(m.schema, h.table)})`).join('');
    const highest = `GREATEST((SELECT max(${ident(v.column)}) FROM ${target(m, t)}), (SELECT max(${v.slot}) FROM ${v.into})${others})`;
    if (m.ids === 'real') {
      await m.ctx.query(
        `SELECT setval(${literal(seq)}, ${highest}) FROM ${seq} s
         WHERE ${highest} IS NOT NULL AND ${highest} > (CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END)`,
      );
      draw = `nextval(${literal(seq)})`;
    } else {
      const start = (await m.ctx.query(`SELECT GREATEST(COALESCE(${highest}, 0), (SELECT last_value FROM ${seq})) + 1 AS s`)).rows[0].s;
      await m.ctx.query(`CREATE TEMP SEQUENCE "mr4_${t.tag}_${v.tag}" START WITH ${Number(start)}`);
      draw = `nextval('pg_temp."mr4_${t.tag}_${v.tag}"')`;
    }
  } else {
    if (!v.default) throw new Error(`Table ${t.plan.name} has no default to draw new values for ${v.column} from.`);
    draw = `(${v.default})`;
  }
  await m.ctx.query(
    `UPDATE ${v.into} a SET ${v.slot} = d.v FROM
       (SELECT _row, ${draw}::${type} AS v FROM (SELECT _row FROM ${v.into} WHERE ${v.pending} ORDER BY _row) o) d
     WHERE a._row = d._row`,
  );
}

/**
 * The values a new row is written with in the table's numbered columns (an invoice number): its own
 * where no target row holds it, else the next one from the target's sequence, as a new id. Rows the
 * target has keep theirs (final.ts), so these are only for new rows: column n<i> per numbered column.
 */
async function assignNumbers(m: MatchContext, t: StagedTable): Promise<void> {
  const numbered = stagedNumbered(t);
  if (!numbered.length || t.plan.role !== 'data') return;
  const T = target(m, t);
  const kept = numbered.map(({ column }, i) => {
    const c = ident(column);
    return `CASE WHEN w.${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${T} x WHERE x.${c} = w.${c}) THEN w.${c} END AS n${i}, w.${c} IS NOT NULL AS has${i}`;
  });
  await m.ctx.query(
    `CREATE TEMP TABLE ${temp(t, 'numbers')} ON COMMIT DROP AS SELECT w._row, ${kept.join(', ')}
     FROM ${temp(t, 'work')} w WHERE NOT w._hit AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`,
  );
  for (const [i, n] of numbered.entries()) {
    const pending = `n${i} IS NULL AND has${i}`;
    await drawNew(m, t, {
      column: n.column,
      into: temp(t, 'numbers'),
      slot: `n${i}`,
      pending,
      sequence: n.sequence,
      default: null,
      tag: `n${i}`,
    });
  }
}

/** The table's numbered columns the archive holds. */
export function stagedNumbered(t: StagedTable): NumberedColumn[] {
  return t.plan.numbered.filter((n) => t.staged.includes(n.column));
}

export async function matchTable(m: MatchContext, t: StagedTable): Promise<void> {
  const direct = await buildResolved(m, t);
  await matchRows(m, t, direct);
  await buildWork(m, t);
  await refuseUnmatchable(m, t, direct);
  await refuseAsClassified(m, t);
  if (t.plan.surrogate) await assignIds(m, t);
  await assignNumbers(m, t);
}

/** The table's id map for its children: every row that is matched or written, never refused ones. A
 *  table whose id is its parent's maps the archive's value to the value rewritten through the parent. */
export async function publishMap(m: MatchContext, t: StagedTable): Promise<void> {
  const sur = t.plan.surrogate;
  const inherited = t.plan.inheritedId && t.staged.includes(t.plan.inheritedId.column) ? ident(t.plan.inheritedId.column) : null;
  if (!sur && !inherited) return;
  const name = temp(t, 'idMap');
  const notRefused = (alias: string) => `NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = ${alias}._row)`;
  // Whether the row is in the target after this table's write: matched, or inserted. With a
  // classification a row it does not call new (deleted in the target since the base, left out) is
  // neither: its children are refused before (classify.ts), a late reference to it is left unresolved.
  const D = m.verdicts?.get(t.plan.name);
  const live = (alias: string) =>
    D
      ? `(${alias}._hit OR EXISTS (SELECT 1 FROM ${D} d WHERE d.srow = ${alias}._row AND d.kind IN ('new', 'resurrect') AND NOT d.excluded)) AS live`
      : 'true AS live';
  if (sur) {
    const onlyMatched = t.plan.role === 'reference' ? ' AND a._hit' : '';
    await m.ctx.query(
      `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT a._src AS src, a._tgt AS tgt, ${live('a')} FROM ${temp(t, 'ids')} a
       WHERE a._src IS NOT NULL${onlyMatched} AND ${notRefused('a')}`,
    );
  } else {
    const onlyMatched = t.plan.role === 'reference' ? ' AND w._hit' : '';
    await m.ctx.query(
      `CREATE TEMP TABLE ${name} ON COMMIT DROP AS SELECT DISTINCT ON (s.${inherited}) s.${inherited} AS src, w.${inherited} AS tgt, ${live('w')}
       FROM ${temp(t, 'work')} w JOIN ${temp(t, 'staged')} s ON s._row = w._row
       WHERE s.${inherited} IS NOT NULL AND w.${inherited} IS NOT NULL${onlyMatched} AND ${notRefused('w')} ORDER BY s.${inherited}, w._row`,
    );
  }
  // Unique, so a LEFT JOIN on it that no column uses is removed by the planner.
  await m.ctx.query(`CREATE UNIQUE INDEX ON ${name} (src)`);
  await analyzeTemp(m, t, name);
  m.maps.set(t.plan.name, name);
}
