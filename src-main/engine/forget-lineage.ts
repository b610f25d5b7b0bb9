// Forgetting a table's lineage of ids: the way out where its ids were reused (staged/reused-ids.ts).
// Its rows are then matched as a database never synced would match them — by natural key and content,
// probable edits asked about — and rows nothing identifies are new rows; the next import records the
// lineage afresh (and marks the table's id sequence afresh: its restart is then no longer news). Nothing
// but the pairing is lost.
import type { DbTarget } from '../db/connect';
import type { ForgetLineageReport } from './report-types';
import { readIdentity } from './catalog';
import { type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { hasLineageStore, LINEAGE_STORE } from './staged/lineage';
import { forgetSequenceMarks } from './staged/sequence-marks';

export type { ForgetLineageReport } from './report-types';

export interface ForgetLineageOptions {
  db: DbTarget;
  schema?: string;
  tables: string[];
  signal?: AbortSignal;
  onEvent?: EmitEvent;
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

export async function forgetLineage(options: ForgetLineageOptions): Promise<ForgetLineageReport> {
  const schema = options.schema ?? 'public';
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  try {
    await applySessionSettings(ctx.client);
    const { database } = await readIdentity(ctx.client);
    const stored = await hasLineageStore(ctx);
    await refuseUnknownTables(ctx, { database, schema, tables: options.tables, stored });
    const forgotten = new Map<string, number>();
    await ctx.query('BEGIN');
    await forgetSequenceMarks(ctx, schema, options.tables);
    if (stored) {
      const res = await ctx.query<{ table_name: string; n: string }>(
        `WITH gone AS (DELETE FROM ${LINEAGE_STORE} WHERE schema_name = $1 AND table_name = ANY ($2::text[]) RETURNING table_name)
         SELECT table_name, count(*) AS n FROM gone GROUP BY table_name`,
        [schema, options.tables],
      );
      for (const r of res.rows) forgotten.set(r.table_name, Number(r.n));
    }
    await ctx.query('COMMIT');
    return { database, schema, tables: options.tables.map((table) => ({ table, pairs: forgotten.get(table) ?? 0 })) };
  } finally {
    await ctx.close();
  }
}
