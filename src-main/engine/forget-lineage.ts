// Forgetting a table's lineage of ids: the way out where its ids were reused (staged/reused-ids.ts).
// Its rows are then matched as a database never synced would match them — by natural key and content,
// probable edits asked about — and rows nothing identifies are new rows; the next import records the
// lineage afresh. Nothing but the pairing is lost.
import type { DbTarget } from '../db/connect';
import { readIdentity } from './catalog';
import { type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { hasLineageStore, LINEAGE_STORE } from './staged/lineage';

export interface ForgetLineageOptions {
  db: DbTarget;
  schema?: string;
  tables: string[];
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

export interface ForgetLineageReport {
  database: string;
  schema: string;
  /** Per table asked for, the pairs forgotten (0 where the lineage held none). */
  tables: { table: string; pairs: number }[];
}

export async function forgetLineage(options: ForgetLineageOptions): Promise<ForgetLineageReport> {
  const schema = options.schema ?? 'public';
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  try {
    await applySessionSettings(ctx.client);
    const { database } = await readIdentity(ctx.client);
    const forgotten = new Map<string, number>();
    if (await hasLineageStore(ctx)) {
      const res = await ctx.query<{ table_name: string; n: string }>(
        `WITH gone AS (DELETE FROM ${LINEAGE_STORE} WHERE schema_name = $1 AND table_name = ANY ($2::text[]) RETURNING table_name)
         SELECT table_name, count(*) AS n FROM gone GROUP BY table_name`,
        [schema, options.tables],
      );
      for (const r of res.rows) forgotten.set(r.table_name, Number(r.n));
    }
    return { database, schema, tables: options.tables.map((table) => ({ table, pairs: forgotten.get(table) ?? 0 })) };
  } finally {
    await ctx.close();
  }
}
