// Forgetting a table's lineage of ids: the way out where its ids were reused (staged/reused-ids.ts).
// Its rows are then matched as a database never synced would match them — by natural key and content,
// probable edits asked about — and rows nothing identifies are new rows; the next import records the
// lineage afresh (and marks the table's id sequence afresh: its restart is then no longer news). Nothing
// but the pairing is lost.
//
// Where the ids only went back (the newest rows deleted and the sequence set back to the highest left,
// as Django's sqlsequencereset or Rails' reset_pk_sequence! do), the narrower way forgets only the pairs
// naming those ids above the ceiling — rows that are gone — in whichever database's lineage names them:
// that database's own (its local ids) or another's (its ids as origin keys). The rows up to the ceiling
// stay paired, and the sequence mark is kept: a restart is still seen.
import { type ForgetLineageScope, forgetLineageScopeProblems } from '../../src-common/forget-lineage';
import type { DbTarget } from '../db/connect';
import type { ForgetLineageReport } from './report-types';
import { readIdentity } from './catalog';
import { type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { castableKey, hasLineageStore, LINEAGE_STORE } from './staged/lineage';
import { forgetSequenceMarks } from './staged/sequence-marks';

export type { ForgetLineageReport } from './report-types';

export interface ForgetLineageOptions extends ForgetLineageScope {
  db: DbTarget;
  schema?: string;
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

/** A scope that says nothing clear (a ceiling that is not an integer id, …): refused before connecting. */
export class ForgetLineageScopeError extends Error {
  override name = 'ForgetLineageScopeError';
  constructor(readonly problems: string[]) {
    super(`Nothing was forgotten: ${problems.join('; ')}. Give the ceiling the refusal named, e.g. --ids-above 2.`);
  }
}

/** A table named that neither exists nor has a lineage: most likely a typo, refused before anything is forgotten. */
export class ForgetLineageError extends Error {
  override name = 'ForgetLineageError';
  constructor(
    readonly unknown: string[],
    database: string,
    schema: string,
  ) {
    super(
      `${database} has no table ${unknown.join(', ')} in schema ${schema}, and its lineage of ids names ${unknown.length === 1 ? 'no such table' : 'none of them'}. ` +
        'Nothing was forgotten: check the table names (as the refused run named them).',
    );
  }
}

async function refuseUnknownTables(
  ctx: RunContext,
  o: { database: string; schema: string; tables: string[]; stored: boolean },
): Promise<void> {
  // A table dropped since still has a lineage to forget; a name that is neither is a mistake.
  const inLineage = o.stored ? `OR EXISTS (SELECT 1 FROM ${LINEAGE_STORE} l WHERE l.schema_name = $1 AND l.table_name = t.name)` : '';
  const res = await ctx.query<{ name: string }>(
    `SELECT t.name FROM unnest($2::text[]) WITH ORDINALITY AS t (name, n)
     WHERE NOT (EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                        WHERE s.nspname = $1 AND c.relname = t.name AND c.relkind IN ('r', 'p')) ${inLineage})
     ORDER BY t.n`,
    [o.schema, o.tables],
  );
  if (res.rows.length)
    throw new ForgetLineageError(
      res.rows.map((r) => r.name),
      o.database,
      o.schema,
    );
}

/** The pairs of `tables` the scope names, deleted from the store; per table, how many. */
async function deletePairs(ctx: RunContext, schema: string, scope: ForgetLineageScope, identity: string): Promise<Map<string, number>> {
  let sql = `DELETE FROM ${LINEAGE_STORE} WHERE schema_name = $1 AND table_name = ANY ($2::text[]) RETURNING table_name`;
  let params: unknown[] = [schema, scope.tables];
  if (scope.idsAbove) {
    const own = !scope.of || scope.of === identity;
    const key = own ? 'l.local_key' : 'l.origin_key';
    sql = `DELETE FROM ${LINEAGE_STORE} l USING unnest($2::text[], $3::numeric[]) AS c (table_name, above)
       WHERE l.schema_name = $1 AND l.table_name = c.table_name COLLATE "C"${own ? '' : ' AND l.origin = $4::uuid'}
         AND (CASE WHEN ${castableKey(key, 'bigint')} THEN ${key}::numeric END) > c.above
       RETURNING l.table_name`;
    params = [schema, scope.tables, scope.tables.map((t) => scope.idsAbove![t]), ...(own ? [] : [scope.of])];
  }
  const res = await ctx.query<{ table_name: string; n: string }>(
    `WITH gone AS (${sql}) SELECT table_name, count(*) AS n FROM gone GROUP BY table_name`,
    params,
  );
  return new Map(res.rows.map((r) => [r.table_name, Number(r.n)]));
}

export async function forgetLineage(options: ForgetLineageOptions): Promise<ForgetLineageReport> {
  const problems = forgetLineageScopeProblems(options);
  if (problems.length) throw new ForgetLineageScopeError(problems);
  const schema = options.schema ?? 'public';
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  try {
    await applySessionSettings(ctx.client);
    const { database, identity } = await readIdentity(ctx.client, schema);
    const stored = await hasLineageStore(ctx);
    await refuseUnknownTables(ctx, { database, schema, tables: options.tables, stored });
    await ctx.query('BEGIN');
    // Only a whole table forgotten loses its mark: above a ceiling, a restart must still be seen.
    if (!options.idsAbove) await forgetSequenceMarks(ctx, schema, options.tables);
    const forgotten = stored ? await deletePairs(ctx, schema, options, identity) : new Map<string, number>();
    await ctx.query('COMMIT');
    const above = options.idsAbove;
    return {
      database,
      schema,
      tables: options.tables.map((table) => ({ table, pairs: forgotten.get(table) ?? 0, ...(above ? { idsAbove: above[table] } : {}) })),
      ...(above ? { idsOf: { identity: options.of ?? identity, own: !options.of || options.of === identity } } : {}),
    };
  } finally {
    await ctx.close();
  }
}
