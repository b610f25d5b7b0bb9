// How a diff names rows and shows references: a row by its natural key as a JSON object (a foreign
// key in the key written as the parent's natural key), a foreign-key value by the key of the row it
// points at. The same form is used by decision files, so a person can write one by hand.
import { ident, literal, qualified } from '../sql';
import { type MatchContext, remapRefs } from './match';
import { type StagedTable, temp } from './types';

function keyColumns(t: StagedTable): string[] {
  return (t.plan.key.kind === 'key' ? t.plan.key.columns : t.plan.primaryKey).filter((c) => t.staged.includes(c));
}

/** The key of an archived row (alias over the staged table `s`), as jsonb. */
export function stagedKeyJson(m: MatchContext, t: StagedTable, alias: string): string {
  const parts = keyColumns(t).map((c) => {
    const ref = remapRefs(m, t).find((r) => r.columns[0] === c && !r.self);
    const parent = ref ? m.tables.get(ref.parent) : undefined;
    if (parent?.plan.surrogate && parent.plan.key.kind === 'key') {
      const obj = parent.plan.key.columns
        .filter((pc) => parent.staged.includes(pc))
        .map((pc) => `${literal(pc)}, p.${ident(pc)}::text`)
        .join(', ');
      const found = `(SELECT jsonb_build_object(${obj}) FROM ${temp(parent, 'staged')} p WHERE p.${ident(parent.plan.surrogate)} = ${alias}.${ident(c)} LIMIT 1)`;
      return `${literal(c)}, COALESCE(${found}, to_jsonb(${alias}.${ident(c)}::text))`;
    }
    return `${literal(c)}, ${alias}.${ident(c)}::text`;
  });
  return parts.length ? `jsonb_build_object(${parts.join(', ')})` : `NULL::jsonb`;
}

/** The key of a target row (alias over the target table), as jsonb. */
export function targetKeyJson(m: MatchContext, t: StagedTable, alias: string): string {
  const cols = t.plan.key.kind === 'key' ? t.plan.key.columns : t.plan.primaryKey;
  const parts = cols.map((c) => {
    const ref = t.plan.references.find((r) => r.remap && !r.self && !r.external && r.columns[0] === c);
    const parent = ref ? m.tables.get(ref.parent) : undefined;
    if (parent?.plan.surrogate && parent.plan.key.kind === 'key') {
      const obj = parent.plan.key.columns.map((pc) => `${literal(pc)}, p.${ident(pc)}::text`).join(', ');
      const found = `(SELECT jsonb_build_object(${obj}) FROM ${qualified(m.schema, parent.plan.name)} p WHERE p.${ident(parent.plan.surrogate)} = ${alias}.${ident(c)})`;
      return `${literal(c)}, COALESCE(${found}, to_jsonb(${alias}.${ident(c)}::text))`;
    }
    return `${literal(c)}, ${alias}.${ident(c)}::text`;
  });
  return parts.length ? `jsonb_build_object(${parts.join(', ')})` : `NULL::jsonb`;
}

/**
 * A readable label for a reference value in the target's id space: the key of the target row it
 * points at, or (for a row the archive brings, known only by its assigned id) the archived row's key.
 */
export function referenceLabel(m: MatchContext, parentName: string, idExpr: string): string {
  const parent = m.tables.get(parentName);
  if (!parent?.plan.surrogate || parent.plan.key.kind !== 'key') return `${idExpr}::text`;
  const sur = ident(parent.plan.surrogate);
  const inTarget = `(SELECT jsonb_build_object(${parent.plan.key.columns.map((c) => `${literal(c)}, p.${ident(c)}::text`).join(', ')})::text
                     FROM ${qualified(m.schema, parent.plan.name)} p WHERE p.${sur} = ${idExpr})`;
  const staged = parent.plan.key.columns.filter((c) => parent.staged.includes(c));
  const inArchive = staged.length
    ? `(SELECT jsonb_build_object(${staged.map((c) => `${literal(c)}, s.${ident(c)}::text`).join(', ')})::text
        FROM ${temp(parent, 'ids')} a JOIN ${temp(parent, 'staged')} s ON s._row = a._row WHERE a._tgt = ${idExpr} LIMIT 1)`
    : 'NULL';
  return `CASE WHEN ${idExpr} IS NULL THEN NULL ELSE COALESCE(${inTarget}, ${inArchive}, ${idExpr}::text) END`;
}

/**
 * Indexes the lookups the key and label expressions above make per row (a parent's staged row by its
 * source id, a parent's archived row by its target id), so a table of many rows naming its parents
 * is not a scan of each parent per row. Built once, where first needed.
 */
export async function indexKeyLookups(m: MatchContext, t: StagedTable): Promise<void> {
  for (const ref of remapRefs(m, t)) {
    const parent = m.tables.get(ref.parent);
    const sur = parent?.plan.surrogate;
    if (!parent || !sur || !parent.staged.includes(sur)) continue;
    await m.ctx.query(`CREATE INDEX IF NOT EXISTS ${ident(`mr4_${parent.stage}_s_sur`)} ON ${temp(parent, 'staged')} (${ident(sur)})`);
    await m.ctx.query(`CREATE INDEX IF NOT EXISTS ${ident(`mr4_${parent.tag}_a_tgt`)} ON ${temp(parent, 'ids')} (_tgt)`);
    await m.ctx.query(`CREATE INDEX IF NOT EXISTS ${ident(`mr4_${parent.stage}_s_row`)} ON ${temp(parent, 'staged')} (_row)`);
  }
}
