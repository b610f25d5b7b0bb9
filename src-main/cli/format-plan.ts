// `mr4 plan` for people: the profile, then the tables in write order by level with their natural key,
// id column, references and exclusions, then cycles, excluded tables and warnings.
import type { PlannedReference, TablePlan } from '../engine/plan';
import type { PlanResult } from '../services/engine-jobs';
import { num } from './format';

export interface PlanTextContext {
  /** The profile the configuration file forces, if any ("none", "crearis", …). */
  configProfile?: string;
  configPath?: string;
}

export function describeKey(tp: TablePlan): string {
  if (tp.key.kind === 'content') {
    const how = 'content: matched by whole content, never updated';
    return tp.key.source === 'configuration' ? `${how} (configuration)` : how;
  }
  const source = tp.key.source === 'primary key' || tp.key.source === 'configuration' ? tp.key.source : `constraint ${tp.key.source}`;
  return `(${tp.key.columns.join(', ')}) from ${source}${tp.key.nullable ? ', nullable' : ''}`;
}

function describeId(tp: TablePlan): string {
  if (tp.surrogate) return `${tp.surrogate} (new ids in the target where the source's are taken)`;
  if (tp.inheritedId) return `${tp.inheritedId.column} (the id of its ${tp.inheritedId.parent} row, rewritten with it)`;
  return 'none';
}

function describeReference(r: PlannedReference): string {
  const notes: string[] = [];
  if (r.self) notes.push('self');
  if (r.external) notes.push(`outside the schema (${r.parentSchema}), copied as is`);
  else if (r.remap) notes.push('rewritten');
  else notes.push('copied as is');
  if (r.late) notes.push('filled late');
  if (r.declared) notes.push('declared in configuration');
  if (r.partitions) notes.push(`declared on partition${r.partitions.length > 1 ? 's' : ''} ${r.partitions.join(', ')}`);
  const parent = r.external ? `${r.parentSchema}.${r.parent}` : r.parent;
  return `${r.columns.join(', ')} → ${parent}(${r.parentColumns.join(', ')}) (${notes.join(', ')})`;
}

function profileLine(result: PlanResult, ctx: PlanTextContext): string {
  const p = result.plan.profile;
  if (!p) return ctx.configProfile === 'none' ? 'none (turned off in the configuration)' : 'none';
  return ctx.configProfile && ctx.configProfile !== 'auto' ? `${p} (set in the configuration)` : `${p} (recognised)`;
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
      for (const r of tp.references) out.push(`      reference: ${describeReference(r)}`);
      if (tp.insertOnly.length) out.push(`      insert-only: ${tp.insertOnly.join(', ')}`);
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
  if (plan.warnings.length) {
    out.push('');
    out.push('Warnings:');
    for (const w of plan.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n') + '\n';
}
