// `mr4 plan` for people: the profile, then the tables in write order by level with their natural key,
// id column, references and exclusions, then cycles, excluded tables and warnings.
import { describePairingIndex, drawsNewIds, lateFilledColumns, type PlannedReference, type TablePlan } from '../engine/plan';
import type { PlanResult } from '../services/engine-jobs';
import { num } from './format';

export interface PlanTextContext {
  /** The profile the configuration file forces, if any ("none", "crearis", …). */
  configProfile?: string;
  configPath?: string;
}

export function describeKey(tp: TablePlan): string {
  if (tp.key.kind === 'content') {
    const how =
      tp.surrogate || tp.inheritedId
        ? 'content: a row the lineage of ids pairs is updated, others are matched by whole content'
        : 'content: matched by whole content, never updated';
    const paired = tp.pairingIndexes.map((p) => `; paired by unique index ${p.name} (${describePairingIndex(p)}), then updated`).join('');
    return tp.key.source === 'configuration' ? `${how} (configuration)` : `${how}${paired}`;
  }
  const source = tp.key.source === 'primary key' || tp.key.source === 'configuration' ? tp.key.source : `constraint ${tp.key.source}`;
  return `(${tp.key.columns.join(', ')}) from ${source}${tp.key.nullable ? ', nullable' : ''}`;
}

function describeId(tp: TablePlan): string {
  const shared = tp.sharedIds.length
    ? `; ${tp.surrogateSequence} also numbers ${tp.sharedIds.map((h) => `${h.table}.${h.column}`).join(', ')}, so an id held there is taken too`
    : '';
  if (tp.surrogate && tp.surrogateSequence && !tp.columns.find((c) => c.name === tp.surrogate)?.hasDefault)
    return `${tp.surrogate} (drawn by the application from ${tp.surrogateSequence}, as configured; new ids in the target where the source's are taken${shared})`;
  if (tp.surrogate && !drawsNewIds(tp, tp.columns.find((c) => c.name === tp.surrogate)?.type ?? ''))
    return `${tp.surrogate} (each database's own: rows are found by the configured key and keep the target's id, references follow it; a new row whose id another target row holds is refused, as there is nothing to draw a new one from)`;
  if (tp.surrogate) return `${tp.surrogate} (new ids in the target where the source's are taken${shared})`;
  if (tp.inheritedId) return `${tp.inheritedId.column} (the id of its ${tp.inheritedId.parent} row, rewritten with it)`;
  return 'none';
}

function describeReference(r: PlannedReference, tp: TablePlan): string {
  const notes: string[] = [];
  if (r.self) notes.push('self');
  const inside = r.columns.length > 1 ? tp.references.filter((d) => d.via && r.columns.includes(d.columns[0])) : [];
  if (r.external) notes.push(`outside the schema (${r.parentSchema}), copied as is`);
  else if (r.remap) notes.push('rewritten');
  else if (inside.length) notes.push(...inside.map((d) => describeColumnRewritten(d, r)), ...copiedAsIs(r, inside));
  else notes.push('copied as is');
  if (r.late) notes.push(describeLate(r, tp));
  if (r.declared) notes.push('declared in configuration');
  if (r.none) notes.push(`${r.none.map((v) => JSON.stringify(v)).join(', ')} point${r.none.length > 1 ? '' : 's'} at no row, kept as is`);
  if (r.partitions) notes.push(`declared on partition${r.partitions.length > 1 ? 's' : ''} ${r.partitions.join(', ')}`);
  const parent = r.external ? `${r.parentSchema}.${r.parent}` : r.parent;
  return `${r.columns.join(', ')} → ${parent}(${r.parentColumns.join(', ')}) (${notes.join(', ')})`;
}

/** A column of a multi-column reference rewritten on its own, through the table whose ids it holds
 *  (filled late with the reference, or on its own). */
function describeColumnRewritten(d: PlannedReference, r: PlannedReference): string {
  return `${d.columns[0]} rewritten through ${d.parent}${d.self ? ' (its own rows)' : ''}${d.late && !r.late ? ' filled late' : ''}`;
}

/** A multi-column reference under MATCH SIMPLE breaks a cycle with only its nullable columns NULL first. */
function describeLate(r: PlannedReference, tp: TablePlan): string {
  const late = lateFilledColumns(tp, r);
  return late.length === r.columns.length ? 'filled late' : `filled late: ${late.join(', ')} (NULL until then)`;
}

function copiedAsIs(r: PlannedReference, rewritten: PlannedReference[]): string[] {
  const rest = r.columns.filter((c) => !rewritten.some((d) => d.columns[0] === c));
  return rest.length ? [`${rest.join(', ')} copied as is`] : [];
}

function profileLine(result: PlanResult, ctx: PlanTextContext): string {
  const p = result.plan.profile;
  if (!p) return ctx.configProfile === 'none' ? 'none (turned off in the configuration)' : 'none';
  return ctx.configProfile && ctx.configProfile !== 'auto' ? `${p} (set in the configuration)` : `${p} (recognised)`;
}

function describeSubset(t: NonNullable<PlanResult['subset']>['tables'][number]): string {
  const parts: string[] = [];
  if (t.byCondition !== undefined) parts.push(`${num(t.byCondition)} meet the condition`);
  if (t.asChildren) parts.push(`${num(t.asChildren)} as children of kept rows`);
  if (t.asParents) parts.push(`${num(t.asParents)} as parents kept rows need`);
  if (t.unnamed) parts.push(`${num(t.unnamed)} naming no table with a condition`);
  const how =
    t.role === 'dependent' && !t.asChildren && !t.asParents && !t.unnamed
      ? ' (it points at rows the subset leaves out; --with-children brings those of kept rows)'
      : '';
  return `${num(t.rows ?? 0)} rows${parts.length ? `: ${parts.join(', ')}` : ''}${how}`;
}

export function formatPlan(result: PlanResult, ctx: PlanTextContext = {}): string {
  const { plan } = result;
  const out: string[] = [];
  out.push(`Plan for schema "${plan.schema}" of database "${plan.database}" (PostgreSQL ${result.server.version})`);
  out.push(`Profile: ${profileLine(result, ctx)}`);
  if (ctx.configPath) out.push(`Configuration: ${ctx.configPath}`);
  out.push('');

  if (plan.tables.length === 0) {
    out.push('No tables to move.');
  } else {
    out.push(`Tables in write order (${plan.tables.length}):`);
    let level = -1;
    for (const tp of plan.tables) {
      if (tp.level !== level) {
        level = tp.level;
        out.push(`  Level ${level}`);
      }
      const role = tp.role === 'reference' ? ', reference only: its rows identify parents and are not written' : '';
      const estimate = tp.rowEstimate > 0 ? `, about ${num(tp.rowEstimate)} rows` : '';
      out.push(`    ${tp.name}${estimate}${role}`);
      out.push(`      key: ${describeKey(tp)}`);
      out.push(`      id column: ${describeId(tp)}`);
      for (const r of tp.references.filter((x) => !x.via)) out.push(`      reference: ${describeReference(r, tp)}`);
      if (tp.insertOnly.length) out.push(`      insert-only: ${tp.insertOnly.join(', ')}`);
      for (const n of tp.numbered)
        out.push(`      numbered: ${n.column} (from ${n.sequence}; drawn afresh in the target where the source's is taken)`);
      if (tp.masked?.length)
        out.push(
          `      masked on export: ${tp.masked.map((m) => `${m.column} (${m.rule === 'fixed' ? `fixed ${JSON.stringify(m.value)}` : m.rule}${m.source === 'configuration' ? '' : m.source === 'profile' ? ', profile default' : `, ${m.source}`})`).join(', ')}`,
        );
      const received = (result.inherited ?? []).filter((m) => m.table === tp.name && !tp.masked?.some((x) => x.column === m.column));
      if (received.length)
        out.push(`      holds masked values (received masked; its exports say so): ${received.map((m) => m.column).join(', ')}`);
      const kept = result.subset?.tables.find((t) => t.table === tp.name);
      if (kept && kept.role !== 'full') out.push(`      subset: ${describeSubset(kept)}`);
      for (const c of tp.excludedColumns) out.push(`      excluded column: ${c.name} (${c.reason})`);
      if (tp.triggers.length) out.push(`      triggers: ${tp.triggers.join(', ')}`);
      if (tp.note) out.push(`      note: ${tp.note}`);
      for (const w of tp.warnings) out.push(`      warning: ${w}`);
    }
  }

  if (plan.cycles.length) {
    out.push('');
    out.push('Cycles broken:');
    for (const c of plan.cycles) out.push(`  ${c.tables.join(' ↔ ')}: filled late: ${c.lateColumns.join('; ')}`);
  }
  if (plan.excluded.length) {
    out.push('');
    out.push('Excluded tables:');
    for (const e of plan.excluded) out.push(`  ${e.table}: ${e.reason}`);
  }
  if (result.subset) {
    out.push('');
    out.push(
      `Subset (${result.subset.where.map((w) => `${w.table}: ${w.where}`).join('; ')}${result.subset.withChildren ? ', with the children of kept rows' : ''}):`,
    );
    for (const t of result.subset.tables) if (t.role !== 'full') out.push(`  ${t.table}: ${describeSubset(t)}`);
    const full = result.subset.tables.filter((t) => t.role === 'full').map((t) => t.table);
    if (full.length) out.push(`  in full (they point at no table of the subset): ${full.join(', ')}`);
  }
  if (result.importForeignKeys && result.importForeignKeys.path !== 'none') {
    out.push('');
    out.push(
      `Foreign keys on import into this database: ${result.importForeignKeys.path === 'reloaded' ? 'reloaded' : 'checked by their triggers'} (${result.importForeignKeys.reason}).`,
    );
  }
  if (plan.warnings.length) {
    out.push('');
    out.push('Warnings:');
    for (const w of plan.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n') + '\n';
}
