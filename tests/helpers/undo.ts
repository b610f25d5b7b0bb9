// For the undo tests: a database's every row (every table of a schema, and the lineage of ids in
// _mr4.lineage), as sorted JSON text, to compare a target before an import and after its undo.
import type pg from 'pg';

export async function snapshot(client: pg.ClientBase, schema = 'public'): Promise<Record<string, string[]>> {
  const tables = (
    await client.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
      [schema],
    )
  ).rows.map((r) => r.t);
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const rows = await client.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM "${schema}"."${t}" x`);
    out[t] = rows.rows.map((r) => r.r).sort();
  }
  const lineage = await client.query<{ ok: boolean }>(`SELECT to_regclass('_mr4.lineage') IS NOT NULL AS ok`);
  if (lineage.rows[0].ok) {
    const rows = await client.query<{ r: string }>(
      `SELECT jsonb_build_array(schema_name, table_name, origin, origin_key, local_key)::text AS r FROM _mr4.lineage`,
    );
    out['_mr4.lineage'] = rows.rows.map((r) => r.r).sort();
  }
  return out;
}
