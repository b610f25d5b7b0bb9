// Before a table is written: the rows exactly as they will be written (f) are checked set-wise against
// the target's NOT NULL, CHECK and UNIQUE constraints and the foreign keys that are not rewritten, so a
// bad row is named with its reason instead of failing the whole statement.
import type { RowProblem } from '../report-types';
import { ident, literal, qualified } from '../sql';
import { checkedKeys, dropRefused, refuseTakenUniqueValues } from '../staged/final';
import {
  deferredPolymorphic,
  insertRefusals,
  lateColumns,
  type MatchContext,
  noRow,
  type RefusalCheck,
  remapRefs,
  selfRefs,
  target,
} from '../staged/match';
import { type StagedTable, temp } from '../staged/types';

async function refuse(m: MatchContext, t: StagedTable, selectRows: string, reason: string, column: string | null): Promise<number> {
  const res = await m.ctx.query(
    `INSERT INTO ${temp(t, 'refused')} SELECT DISTINCT q._row, ${literal(reason)}, ${column ? literal(column) : 'NULL'} FROM (${selectRows}) q
     WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = q._row)`,
  );
  return res.rowCount ?? 0;
}

export async function checkConstraints(m: MatchContext, t: StagedTable): Promise<void> {
  if (t.rows === 0) return;
  const F = temp(t, 'final');
  const T = target(m, t);
  const staged = new Set(t.staged);
  // A late polymorphic value is written as the archive has it until every table is: not checked.
  const late = new Set([...lateColumns(m, t), ...deferredPolymorphic(m, t, 'late').map((n) => n.ref.columns[0])]);
  const self = selfRefs(m, t);
  const polySelf = deferredPolymorphic(m, t, 'self');

  // Per-row checks in one pass: self references that cannot resolve, NOT NULL, CHECK constraints.
  const rowChecks: RefusalCheck[] = [
    ...self.map((r, i) => ({ bad: `q._selfmiss${i}`, column: r.columns[0] })),
    ...polySelf.map((n, i) => ({ bad: `q._polymiss${i}`, column: n.ref.columns[0] })),
  ].map(({ bad, column }) => ({
    bad,
    reason: literal(`${column} refers to a ${t.plan.name} row that is not imported`),
    col: literal(column),
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
    const present = r.none ? `NOT ${noRow(t, r, 'f')}` : r.columns.map((c) => `f.${ident(c)} IS NOT NULL`).join(' AND ');
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
         WHERE NOT ${noRow(t, r, 'f')} AND (CASE WHEN f._hit THEN ${literal(c)} = ANY (d.apply) ELSE d.kind IN ('new', 'resurrect') END)
           AND NOT EXISTS (SELECT 1 FROM ${P} p WHERE p.${ident(r.parentColumns[0])} = f.${ident(c)}) ${alongside}`,
        `${c} refers to a ${r.self ? t.plan.name : r.parent} row that does not exist in the target`,
        c,
      );
    }
  }
  await dropRefused(m, t);
  if (await uniqueLeftToTheWrite(m, t)) uniqueUnchecked.add(t);
  else await refuseTakenUniqueValues(m, t);
  await refuseOrphans(m, t);
}

/**
 * Tables whose taken unique values are left to the write to find (writeTable): every row is an
 * insert, and PostgreSQL checks every unique key mr4 would as each statement ends. A run where no
 * value is taken then pays no check; where one is, the table's writes are rolled back and the rows
 * refused by name (refuseTakenUniqueValues) before it is written again.
 */
export const uniqueUnchecked = new WeakSet<StagedTable>();

async function uniqueLeftToTheWrite(m: MatchContext, t: StagedTable): Promise<boolean> {
  const keys = checkedKeys(m, t);
  if (!keys.length || !keys.every((k) => k.immediate)) return false;
  if (m.mode === 'skip') return true;
  const updates = await m.ctx.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${temp(t, 'final')} WHERE _hit) AS any`);
  return !updates.rows[0].any;
}

/** Refuses the rows whose parent in the same table was refused: they cannot be written either. */
export async function refuseOrphans(m: MatchContext, t: StagedTable): Promise<void> {
  const F = temp(t, 'final');
  const T = target(m, t);
  const self = selfRefs(m, t);
  const polySelf = deferredPolymorphic(m, t, 'self');
  if (!self.length && !polySelf.length) return;
  const sur = ident(t.plan.surrogate!);
  const orphans = [
    ...self.map((r) => ({
      column: r.columns[0],
      named: `NOT ${noRow(t, r, 'f')}`,
      equal: (a: string, b: string) => `${a} = ${b}`,
    })),
    ...polySelf.map((n, i) => ({ column: n.ref.columns[0], named: `f._polyself${i}`, equal: n.equal })),
  ];
  for (;;) {
    let added = 0;
    for (const o of orphans) {
      const value = `f.${ident(o.column)}`;
      added += await refuse(
        m,
        t,
        `SELECT f._row FROM ${F} f WHERE ${o.named}
           AND NOT EXISTS (SELECT 1 FROM ${F} p WHERE ${o.equal('p._loc', value)})
           AND NOT EXISTS (SELECT 1 FROM ${T} p WHERE ${o.equal(`p.${sur}`, value)})`,
        `${o.column} refers to a ${t.plan.name} row that was refused`,
        o.column,
      );
    }
    if (added === 0) break;
    await dropRefused(m, t);
  }
}

/** Refused rows of a table, each named by its natural key (source values; a foreign key in the key
 *  is shown as the parent's key). */
export async function describeRefused(m: MatchContext, t: StagedTable, limit = 10_000): Promise<RowProblem[]> {
  if (t.rows === 0) return [];
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
