// What an import learns about row identity: rows it could only guess at (probable edits, for the user
// to decide), and the lineage of ids it leaves in the target for later runs.
import type { RowProblem } from '../report-types';
import { ident, literal } from '../sql';
import { stagedKeyJson } from '../staged/keys';
import { indexLineageStore, openLineageStore, recordPairs } from '../staged/lineage';
import { recordOriginMarks, recordSequenceMarks } from '../staged/sequence-marks';
import { contentColumns, distinct, type MatchContext, target, via } from '../staged/match';
import { type StagedTable, temp } from '../staged/types';

export class MaskedKeyError extends Error {
  override name = 'MaskedKeyError';
}

/**
 * Rows whose natural key the target itself masked (an archive of a database seeded from its masked
 * export, merged back) can only be recognised through the lineage of ids (or ids the user says are
 * shared): if nothing paired a single one of them while the target has rows, every archived row would
 * be taken for a new one — the target's own rows again, with masked keys. The import stops instead.
 * (Into any other database, rows with masked keys are new rows: that is what a masked pull is for.)
 */
export async function checkMaskedKeys(m: MatchContext, t: StagedTable, targetIdentity: string): Promise<void> {
  if (t.plan.role !== 'data' || t.plan.key.kind !== 'key') return;
  const own = new Set((t.archive.masked ?? []).filter((x) => x.origin && x.origin === targetIdentity).map((x) => x.column));
  const masked = t.plan.key.columns.filter((c) => t.masked.includes(c) && own.has(c));
  if (!masked.length) return;
  const res = await m.ctx.query<{ staged: boolean; paired: boolean; target: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${temp(t, 'staged')}) AS staged,
            EXISTS (SELECT 1 FROM ${temp(t, 'matched')} k WHERE k._via IN (${via('lineage')}, ${via('id')}, ${via('confirmed')})) AS paired,
            EXISTS (SELECT 1 FROM ${target(m, t)}) AS target`,
  );
  const r = res.rows[0];
  if (!r.staged || r.paired || !r.target) return;
  throw new MaskedKeyError(
    `${t.plan.name}'s natural key (${t.plan.key.columns.join(', ')}) holds values this database's own export masked (${masked.join(', ')}), and no row of it is paired with a target row by the lineage of ids: ` +
      `every archived row would be taken for a new one, the target's own rows again with masked keys. Nothing was written. ` +
      `Import into the database the masked archive was imported into (whose lineage knows its rows), keep the lineage (do not use --no-lineage), or, for two copies of one database, --same-ids.`,
  );
}

/** Rows of `t` matched only provisionally, because they look like edits of a target row. */
export async function openProbableEdits(m: MatchContext, t: StagedTable): Promise<RowProblem[]> {
  const sur = t.plan.surrogate;
  if (!sur || m.identity.probable !== 'ask') return [];
  const cols = contentColumns(m, t);
  const differing = cols.map((c) => `CASE WHEN ${distinct(t, c, `w.${ident(c)}`, `g.${ident(c)}`)} THEN ${literal(c)} END`).join(', ');
  // A row the user left out of the merge needs no answer: it is not written either way.
  const D = m.verdicts?.get(t.plan.name);
  const left = D ? ` AND NOT EXISTS (SELECT 1 FROM ${D} d WHERE d.srow = k._row AND d.excluded)` : '';
  const res = await m.ctx.query<{ row: string; tgt: string; key: Record<string, unknown> | null; cols: string[] }>(
    `SELECT k._row AS row, k._tgt::text AS tgt, ${stagedKeyJson(m, t, 's')} AS key, array_remove(ARRAY[${differing}]::text[], NULL) AS cols
     FROM ${temp(t, 'matched')} k JOIN ${temp(t, 'staged')} s ON s._row = k._row JOIN ${temp(t, 'resolved')} w ON w._row = k._row
     JOIN ${target(m, t)} g ON g.${ident(sur)} = k._tgt
     WHERE k._via = ${via('probable')}${left} ORDER BY k._row LIMIT 10000`,
  );
  return res.rows.map((r) => ({
    table: t.plan.name,
    key: r.key,
    row: Number(r.row),
    reason: `has the id of the target's row ${sur} = ${r.tgt} and ${cols.length - r.cols.length} of its ${cols.length} values; differs in ${r.cols.join(', ')}`,
  }));
}

/**
 * Records in the target which archived row became which target row, for every table with an id:
 * rows matched (also where skip mode left them as they were) and rows inserted; never refused rows or
 * rows a merge left out; and marks their sequences as they stand after it (staged/sequence-marks.ts).
 * Returns what was written, or a warning where the store cannot be created.
 */
export async function recordLineage(
  m: MatchContext,
  tables: StagedTable[],
  warnings: string[],
): Promise<{ recorded: number; stored: boolean }> {
  const source = m.identity.source;
  const withIds = tables.filter((t) => t.plan.surrogate && t.staged.includes(t.plan.surrogate));
  if (!source.identity || source.identity === m.identity.target.identity || withIds.length === 0)
    return { recorded: 0, stored: !!m.identity.target.lineage };
  const store = await openLineageStore(m.ctx);
  if (store === 'denied') {
    const warning = `the lineage of ids was not recorded: the user may not create schema _mr4 in this database (grant CREATE on the database, or import with --no-lineage); later imports from this source match rows without a natural key by content only`;
    warnings.push(warning);
    m.ctx.log(warning, 'warn');
    return { recorded: 0, stored: false };
  }
  let recorded = 0;
  for (const t of withIds) {
    const sur = ident(t.plan.surrogate!);
    const pairs = `(SELECT a._src::text AS src, a._tgt::text AS tgt FROM ${temp(t, 'ids')} a
                    WHERE a._src IS NOT NULL AND a._tgt IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = a._row)
                      AND (a._hit OR EXISTS (SELECT 1 FROM ${target(m, t)} g WHERE g.${sur} = a._tgt)))`;
    recorded += await recordPairs(m.ctx, store, m.schema, t, pairs, source, m.identity.target.identity!);
  }
  if (store === 'new') await indexLineageStore(m.ctx);
  const unmarked = await recordSequenceMarks(
    m.ctx,
    m.schema,
    withIds.map((t) => t.plan),
  );
  const generations = new Map(withIds.flatMap((t) => (t.archive.idsGeneration ? [[t.plan.name, t.archive.idsGeneration] as const] : [])));
  const unmarkedOrigin = await recordOriginMarks(m.ctx, m.schema, source.identity, generations);
  for (const warning of new Set([unmarked, unmarkedOrigin])) {
    if (!warning) continue;
    warnings.push(warning);
    m.ctx.log(warning, 'warn');
  }
  return { recorded, stored: true };
}
