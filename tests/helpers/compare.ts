// Compares databases the way a careful reviewer does: every row of every table, with surrogate ids
// removed and each rewritten foreign key replaced by the natural identity of the row it points at.
import type pg from 'pg';
import { readCatalog } from '../../src-main/engine/catalog';
import type { Mr4Config } from '../../src-main/engine/config';
import { buildPlan, idColumn, type Plan, type TablePlan } from '../../src-main/engine/plan';
import { applySessionSettings } from '../../src-main/engine/session';
import { ident, literal, qualified } from '../../src-main/engine/sql';

/** One field of every table's plan, by table name. */
export function perTable<K extends keyof TablePlan>(plan: Plan, field: K): Record<string, TablePlan[K]> {
  return Object.fromEntries(plan.tables.map((t) => [t.name, t[field]]));
}

export async function planOf(client: pg.ClientBase, config?: Mr4Config, schema = 'public'): Promise<Plan> {
  await applySessionSettings(client);
  return buildPlan(await readCatalog(client, schema), { config });
}

function identity(plan: Plan, tp: TablePlan, alias: string, path: string[]): string {
  const cols = tp.key.kind === 'key' ? tp.key.columns : tp.matchColumns;
  return `json_build_array(${cols.map((c) => value(plan, tp, alias, c, path)).join(', ') || "'row'"})`;
}

/** A column's value, a rewritten reference replaced by the identity of the row it points at. Where
 *  following it would go round a cycle (store ↔ staff), the row it points at is shown by its own
 *  values instead, without following its references again. */
function value(plan: Plan, tp: TablePlan, alias: string, column: string, path: string[]): string {
  const ref = tp.references.find((r) => r.remap && !r.external && r.columns.length === 1 && r.columns[0] === column);
  const parent = ref && plan.tables.find((t) => t.name === ref.parent);
  if (!ref || !parent) return `${alias}.${ident(column)}::text`;
  const p = `p${path.length}`;
  const where = `FROM ${qualified(plan.schema, parent.name)} ${p} WHERE ${p}.${ident(idColumn(parent)!)} = ${alias}.${ident(column)}`;
  const identityColumns = parent.key.kind === 'key' ? parent.key.columns : parent.matchColumns;
  const recurses = parent.references.some((r) => r.remap && r.columns.some((c) => identityColumns.includes(c)));
  if (path.includes(parent.name) && recurses) {
    const own = parent.columns
      .map((c) => c.name)
      .filter((c) => c !== idColumn(parent) && !parent.references.some((r) => r.columns.includes(c)));
    return `(SELECT json_build_array(${own.map((c) => `${p}.${ident(c)}::text`).join(', ') || "'row'"}) ${where})`;
  }
  return `(SELECT ${identity(plan, parent, p, [...path, parent.name])} ${where})`;
}

/** Every row of `table` as text, ids replaced by natural identities, sorted. */
export async function naturalRows(client: pg.ClientBase, plan: Plan, table: string, ignore: string[] = []): Promise<string[]> {
  const tp = plan.tables.find((t) => t.name === table);
  if (!tp) throw new Error(`no table ${table} in plan`);
  const cols = tp.columns.map((c) => c.name).filter((c) => c !== tp.surrogate && !ignore.includes(`${table}.${c}`));
  const res = await client.query<{ r: string }>(
    `SELECT json_build_array(${cols.map((c) => value(plan, tp, 'a', c, [table])).join(', ')})::text AS r FROM ${qualified(plan.schema, table)} a`,
  );
  return res.rows.map((r) => r.r).sort();
}

export interface Difference {
  table: string;
  onlySource: string[];
  onlyTarget: string[];
}

/** Tables whose rows differ between the two databases (as multisets of natural rows). */
export async function compareDatabases(
  source: pg.ClientBase,
  target: pg.ClientBase,
  options: { config?: Mr4Config; ignore?: string[]; tables?: string[]; targetMayHaveMore?: boolean } = {},
): Promise<Difference[]> {
  const sp = await planOf(source, options.config);
  const tp = await planOf(target, options.config);
  const out: Difference[] = [];
  for (const t of sp.tables) {
    if (options.tables && !options.tables.includes(t.name)) continue;
    const a = await naturalRows(source, sp, t.name, options.ignore);
    const b = await naturalRows(target, tp, t.name, options.ignore);
    const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
    const ca = count(a);
    const cb = count(b);
    const onlySource: string[] = [];
    const onlyTarget: string[] = [];
    for (const [k, n] of ca) for (let i = cb.get(k) ?? 0; i < n; i++) onlySource.push(k);
    if (!options.targetMayHaveMore) for (const [k, n] of cb) for (let i = ca.get(k) ?? 0; i < n; i++) onlyTarget.push(k);
    if (onlySource.length || onlyTarget.length) out.push({ table: t.name, onlySource, onlyTarget });
  }
  return out;
}

/** xmin of every row of the given tables: unchanged xmins mean no row was rewritten. */
export async function rowVersions(client: pg.ClientBase, tables: string[], schema = 'public'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of tables) {
    const res = await client.query<{ c: string; x: string }>(`SELECT ctid::text AS c, xmin::text AS x FROM ${qualified(schema, t)}`);
    for (const r of res.rows) out.set(`${t}:${r.c}`, r.x);
  }
  return out;
}

/** A parent a polymorphic reference may name: its type value, its table, and the column that tells
 *  its rows apart for a reader. */
export interface NamedParent {
  type: string;
  table: string;
  label: string;
}

/**
 * What each row of a table with a polymorphic reference (`type` names the table, `id` the row) is on,
 * by `body`: the label of the row it names, NULL where it names none — in its own database's ids.
 */
export async function rowsOnNamedParents(
  client: pg.ClientBase,
  table: string,
  ref: { body: string; type: string; id: string },
  parents: NamedParent[],
): Promise<{ body: string; on: string | null }[]> {
  const joins = parents.map(
    (p, i) => `LEFT JOIN ${ident(p.table)} p${i} ON c.${ident(ref.type)} = ${literal(p.type)} AND p${i}.id = c.${ident(ref.id)}`,
  );
  const on =
    parents.length > 1 ? `COALESCE(${parents.map((p, i) => `p${i}.${ident(p.label)}`).join(', ')})` : `p0.${ident(parents[0].label)}`;
  const res = await client.query(
    `SELECT c.${ident(ref.body)} AS body, ${on} AS "on" FROM ${ident(table)} c ${joins.join(' ')} ORDER BY c.${ident(ref.body)}`,
  );
  return res.rows;
}

export async function rowCounts(client: pg.ClientBase, tables: string[], schema = 'public'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await client.query(`SELECT count(*) AS n FROM ${qualified(schema, t)}`)).rows[0].n);
  return out;
}

/** A whole-database fingerprint: every row of every table in text form. Equal before/after means
 *  the database is exactly as it was. */
export async function fingerprint(client: pg.ClientBase, schema = 'public'): Promise<string> {
  const tables = await client.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
    [schema],
  );
  const parts: string[] = [];
  for (const { t } of tables.rows) {
    const rows = await client.query<{ r: string }>(
      `SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS r FROM ${qualified(schema, t)} x`,
    );
    parts.push(`${t}:${rows.rows[0].r}`);
  }
  return parts.join('\n');
}
