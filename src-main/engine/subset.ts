// Subsets: an export of only some rows, chosen by conditions on some tables and closed over foreign keys
// so that the archive imports cleanly.
//
//   --where "events:start_date > now() - interval '90 days'"
//
// Tables fall in three groups:
//   filtered  a table with a condition: the rows that meet it;
//   dependent a table without one whose rows point (directly or through other dependent tables) at a
//             filtered table — by a foreign key, or by a polymorphic reference whose type may name it
//             (mail_message.model = 'sale.order' beside res_id) —: only rows that come along (below);
//             its other rows would point at rows the archive leaves out;
//   full      every other table: all its rows (it points only at full tables).
// Then, set-based, in the export's own READ ONLY snapshot:
//   1. children (--with-children): rows of dependent tables that point at kept rows, recursively;
//   2. parents: every row a kept row points at, recursively (also into filtered tables: a kept row
//      never loses its parent to a condition).
// Children of rows kept only as parents are not taken (that would grow back to the whole database).
//
// Kept rows are remembered by (tableoid, ctid) — which names a row version exactly within one snapshot,
// whatever keys the table has — in a temporary table created before the snapshot's transaction begins
// (a READ ONLY transaction may write temporary tables but not create them). A standby server cannot
// create one at all; a subset is then refused with that reason.
//
// Conditions are the user's SQL: each must be one expression (no statement separators or comments,
// parentheses balanced), names the table through the catalog, is checked first as
// SELECT 1 FROM <table> WHERE (<condition>) LIMIT 0, and runs only inside the READ ONLY transaction.
import type { RunContext } from './run-context';
import type { Plan, PlannedReference, PolymorphicReference, TablePlan, TypeValue } from './plan';
import { derivedReference, noneValue, PlanError, tableNamedByValue, typeValuesSql } from './plan';
import { ident, literal, qualified } from './sql';

export interface SubsetCondition {
  table: string;
  where: string;
}

export interface SubsetOptions {
  where: SubsetCondition[];
  /** Also the rows of dependent tables that point at kept rows (recursively). */
  withChildren?: boolean;
}

export type SubsetRole = 'filtered' | 'dependent' | 'full';

export interface SubsetTable {
  table: string;
  role: SubsetRole;
  /** Rows exported (exact for filtered and dependent tables; null for full ones: all of them). */
  rows: number | null;
  /** Of those, rows that meet the table's condition, came as children, came as parents. */
  byCondition?: number;
  asChildren?: number;
  asParents?: number;
  /** Rows naming no row of a table with a condition through their polymorphic reference: whole. */
  unnamed?: number;
}

export interface SubsetSummary {
  where: SubsetCondition[];
  withChildren: boolean;
  tables: SubsetTable[];
}

export class SubsetError extends Error {
  override name = 'SubsetError';
}

export const KEEP_TABLE = 'pg_temp.mr4_keep';
const MAX_CONDITION = 10_000;

/** "table:condition" → its parts. */
export function parseWhere(text: string): SubsetCondition {
  const at = text.indexOf(':');
  const table = at === -1 ? '' : text.slice(0, at).trim();
  const where = at === -1 ? '' : text.slice(at + 1).trim();
  if (!table || !where) throw new SubsetError(`"${text}" is not TABLE:CONDITION, e.g. "events:start_date > now() - interval '90 days'"`);
  checkCondition(table, where);
  return { table, where };
}

/**
 * Refuses a condition that is not one SQL expression: a statement separator or a comment outside
 * string literals and quoted names, or a parenthesis closed before it opens (which would end the
 * WHERE clause it is put in). What is left is checked by the server as an expression.
 */
export function checkCondition(table: string, where: string): void {
  const fail = (why: string) => {
    throw new SubsetError(
      `The condition for ${table} is not a single SQL expression: ${why}. Write one boolean expression over ${table}'s columns, e.g. "created_at > now() - interval '90 days'".`,
    );
  };
  if (!where.trim()) fail('it is empty');
  if (where.length > MAX_CONDITION) fail(`it is longer than ${MAX_CONDITION} characters`);
  if (where.includes('\u0000')) fail('it contains a NUL character');
  let depth = 0;
  for (let i = 0; i < where.length; i++) {
    const c = where[i];
    if (c === "'") {
      // A string literal; E'…' strings take backslash escapes, others double their quotes.
      const escapes = i > 0 && /[eE]/.test(where[i - 1]) && (i < 2 || !/[A-Za-z0-9_]/.test(where[i - 2]));
      let j = i + 1;
      for (; j < where.length; j++) {
        if (escapes && where[j] === '\\') j++;
        else if (where[j] === "'") {
          if (where[j + 1] === "'") j++;
          else break;
        }
      }
      if (j >= where.length) fail('a string literal is not closed');
      i = j;
    } else if (c === '"') {
      const j = where.indexOf('"', i + 1);
      if (j === -1) fail('a quoted name is not closed');
      i = j;
      while (where[i + 1] === '"') {
        const k = where.indexOf('"', i + 2);
        if (k === -1) fail('a quoted name is not closed');
        i = k;
      }
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(where.slice(i));
      if (m && !(i > 0 && /[A-Za-z0-9_]/.test(where[i - 1]))) {
        const end = where.indexOf(m[0], i + m[0].length);
        if (end === -1) fail('a dollar-quoted string is not closed');
        i = end + m[0].length - 1;
      }
    } else if (c === ';') fail('it contains ";"');
    else if (c === '-' && where[i + 1] === '-') fail('it contains a comment ("--")');
    else if (c === '/' && where[i + 1] === '*') fail('it contains a comment ("/*")');
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) fail('a parenthesis is closed that was never opened');
    }
  }
  if (depth !== 0) fail('a parenthesis is not closed');
}

interface Edge {
  child: TablePlan;
  parent: TablePlan;
  ref: PlannedReference;
  /** A polymorphic reference's rows that name the parent (child alias c): its type value, the ids
   *  compared as text (Django's object_id is text beside integer ids). */
  named?: { when: string; column: string; parentId: string };
}

/** The id column a polymorphic reference names a row of the table by: its surrogate, or the id it
 *  shares with its parent. */
const idOf = (t: TablePlan) => t.surrogate ?? t.inheritedId?.column ?? null;

export interface SubsetShape {
  roles: Map<string, SubsetRole>;
  conditions: Map<string, string>;
  /** References between restricted tables (filtered or dependent) of the plan's data tables: foreign
   *  keys here, polymorphic ones added once their type values are read (computeSubset). */
  edges: Edge[];
  /** Dependent tables whose rows name restricted rows only through a polymorphic reference: a row
   *  naming none (a note on a customer in a subset of orders) comes in full. */
  namedOnly: Set<string>;
  withChildren: boolean;
}

/** Which tables are filtered, dependent or full (no database needed). */
export function subsetShape(plan: Plan, options: SubsetOptions): SubsetShape {
  const data = plan.tables.filter((t) => t.role === 'data');
  const byName = new Map(data.map((t) => [t.name, t]));
  const conditions = new Map<string, string>();
  for (const c of options.where) {
    if (!byName.has(c.table)) {
      const ref = plan.tables.find((t) => t.name === c.table);
      const excluded = plan.excluded.find((e) => e.table === c.table);
      throw new PlanError(
        ref
          ? `--where names ${c.table}, which this export carries only as a reference table (its key columns); add it to --tables to filter its rows.`
          : excluded
            ? `--where names ${c.table}, which the export leaves out (${excluded.reason}).`
            : `--where names table "${c.table}", which is not in schema "${plan.schema}" of database "${plan.database}".`,
      );
    }
    if (conditions.has(c.table)) throw new PlanError(`--where names ${c.table} twice; join the conditions with AND or OR in one.`);
    checkCondition(c.table, c.where);
    conditions.set(c.table, c.where);
  }
  const roles = new Map<string, SubsetRole>(data.map((t) => [t.name, conditions.has(t.name) ? 'filtered' : 'full']));
  // A column rewritten as part of a multi-column reference (r.via) relates no rows that reference does not.
  const refsOf = (t: TablePlan) => t.references.filter((r) => !r.external && !r.self && !r.via && byName.has(r.parent));
  // Its type values are data: a polymorphic reference may name any other restricted table with ids.
  const mayName = (t: TablePlan) => t.polymorphic.length > 0 && data.some((p) => p !== t && roles.get(p.name) !== 'full' && idOf(p));
  for (let grew = true; grew;) {
    grew = false;
    for (const t of data) {
      if (roles.get(t.name) !== 'full') continue;
      if (refsOf(t).some((r) => roles.get(r.parent) !== 'full') || mayName(t)) {
        roles.set(t.name, 'dependent');
        grew = true;
      }
    }
  }
  const restricted = (name: string) => roles.has(name) && roles.get(name) !== 'full';
  const edges: Edge[] = [];
  for (const t of data) {
    if (!restricted(t.name)) continue;
    for (const ref of t.references) {
      if (ref.external || ref.via || !restricted(ref.parent) || ref.columns.length !== ref.parentColumns.length) continue;
      edges.push({ child: t, parent: byName.get(ref.parent)!, ref });
    }
  }
  const namedOnly = new Set(
    data.filter((t) => roles.get(t.name) === 'dependent' && !refsOf(t).some((r) => restricted(r.parent))).map((t) => t.name),
  );
  return { roles, conditions, edges, namedOnly, withChildren: !!options.withChildren };
}

/**
 * The polymorphic references between restricted tables, one edge per type value naming a restricted
 * table with ids (read in the snapshot: the values are data), named as the import names them
 * (match.ts's namedTable): the table's own name, a class or model name, or a content type's
 * app_label_model. A value naming a full table or none relates no restricted rows.
 */
async function polymorphicEdges(ctx: RunContext, plan: Plan, shape: SubsetShape): Promise<Edge[]> {
  const data = plan.tables.filter((t) => t.role === 'data');
  const names = data.map((t) => t.name);
  const restricted = (name: string) => (shape.roles.get(name) ?? 'full') !== 'full';
  const edges: Edge[] = [];
  for (const child of data) {
    if (!restricted(child.name)) continue;
    for (const p of child.polymorphic) {
      for (const v of await typeValuesOf(ctx, plan, child, p)) {
        const parentName = tableNamedByValue(v, names);
        const parent = parentName ? data.find((t) => t.name === parentName) : undefined;
        const parentId = parent ? idOf(parent) : null;
        if (!parent || !parentId || !restricted(parent.name)) continue;
        edges.push({
          child,
          parent,
          ref: derivedReference(parent.name, [p.column], [parentId], { name: `${p.typeColumn} = '${v.v}'`, parentSchema: plan.schema }),
          named: { when: `c.${ident(p.typeColumn)}::text = ${literal(v.v)}`, column: p.column, parentId },
        });
      }
    }
  }
  return edges;
}

/** A polymorphic reference's type values in the source's tables. */
async function typeValuesOf(ctx: RunContext, plan: Plan, t: TablePlan, p: PolymorphicReference): Promise<TypeValue[]> {
  const contentTypes = p.contentTypes ? qualified(plan.schema, p.contentTypes.table) : null;
  return (await ctx.query<TypeValue>(typeValuesSql(p, qualified(plan.schema, t.name), contentTypes))).rows;
}

/** Creates the temporary table kept rows are named in. Must run before the export's transaction. */
export async function createKeepTable(ctx: RunContext): Promise<void> {
  try {
    await ctx.query(
      `CREATE TEMP TABLE IF NOT EXISTS mr4_keep (tbl integer NOT NULL, toid oid NOT NULL, rid tid NOT NULL, gen integer NOT NULL)`,
    );
    await ctx.query(`CREATE UNIQUE INDEX IF NOT EXISTS mr4_keep_row ON pg_temp.mr4_keep (tbl, toid, rid)`);
    await ctx.query(`CREATE INDEX IF NOT EXISTS mr4_keep_gen ON pg_temp.mr4_keep (tbl, gen)`);
  } catch (error) {
    if ((error as { code?: string }).code === '25006') {
      throw new SubsetError(
        'A subset export keeps the rows it chooses in a temporary table, which this server does not allow (a standby in recovery, or a read-only session). Export the subset from the primary server.',
      );
    }
    throw error;
  }
}

/** The WHERE clause that selects a restricted table's kept rows (alias optional). */
export function keptFilter(index: number, alias?: string): string {
  const a = alias ? `${alias}.` : '';
  return `(${a}tableoid, ${a}ctid) IN (SELECT k.toid, k.rid FROM ${KEEP_TABLE} k WHERE k.tbl = ${index})`;
}

export interface ComputedSubset {
  shape: SubsetShape;
  /** Plan index of each restricted table (its number in the keep table). */
  index: Map<string, number>;
  summary: SubsetSummary;
}

/**
 * Chooses the rows, inside the caller's READ ONLY snapshot (the keep table created before it began).
 * `onStep` hears what each step did.
 */
export async function computeSubset(
  ctx: RunContext,
  plan: Plan,
  options: SubsetOptions,
  onStep: (message: string) => void = () => undefined,
): Promise<ComputedSubset> {
  const shape = subsetShape(plan, options);
  const index = new Map<string, number>();
  plan.tables.forEach((t, i) => {
    if (shape.roles.get(t.name) && shape.roles.get(t.name) !== 'full') index.set(t.name, i);
  });
  await ctx.query(`DELETE FROM ${KEEP_TABLE}`);
  const T = (t: TablePlan) => qualified(plan.schema, t.name);

  // Conditions resolve names in the exported schema (after pg_catalog, so no table can shadow a
  // built-in function); every other statement of the export names its objects in full.
  await ctx.query(`SELECT set_config('search_path', $1, true)`, [`pg_catalog, ${ident(plan.schema)}`]);
  const byCondition = new Map<string, number>();
  {
    for (const [table, where] of shape.conditions) {
      const tp = plan.tables.find((t) => t.name === table)!;
      await ctx.query('SAVEPOINT mr4_condition');
      try {
        await ctx.query(`SELECT 1 FROM ${T(tp)} WHERE (${where}) LIMIT 0`);
        await ctx.query('RELEASE SAVEPOINT mr4_condition');
      } catch (error) {
        if (ctx.cancelled) throw error;
        await ctx.query('ROLLBACK TO SAVEPOINT mr4_condition');
        throw new SubsetError(
          `The condition for ${table} is not valid: ${(error as Error).message}. (It is a boolean SQL expression over ${table}'s columns; other tables are named as ${ident(plan.schema)}.table.)`,
        );
      }
    }
    for (const [table, where] of shape.conditions) {
      const tp = plan.tables.find((t) => t.name === table)!;
      let res;
      try {
        res = await ctx.query(
          `INSERT INTO ${KEEP_TABLE} SELECT ${index.get(table)}, tableoid, ctid, 0 FROM ${T(tp)} WHERE (${where}) ON CONFLICT DO NOTHING`,
        );
      } catch (error) {
        if (ctx.cancelled || !(error as { code?: string }).code) throw error;
        throw new SubsetError(
          `The condition for ${table} failed: ${(error as Error).message}. (Conditions run in the export's read-only snapshot: they may read, never write.)`,
        );
      }
      byCondition.set(table, res.rowCount ?? 0);
      onStep(`${table}: ${res.rowCount ?? 0} row(s) meet the condition`);
    }
  }
  // (After a failure the transaction is over: there is no setting to restore.)
  await ctx.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  await ctx.query(`ANALYZE ${KEEP_TABLE}`);

  const named = await polymorphicEdges(ctx, plan, shape);
  const unnamed = new Map<string, number>();
  shape.edges.push(...named);
  for (const table of shape.namedOnly) {
    const tp = plan.tables.find((t) => t.name === table)!;
    const naming = named.filter((e) => e.child.name === table).map((e) => `(${e.named!.when} AND c.${ident(e.named!.column)} IS NOT NULL)`);
    const res = await ctx.query(
      `INSERT INTO ${KEEP_TABLE} SELECT ${index.get(table)}, c.tableoid, c.ctid, 0 FROM ${T(tp)} c
       WHERE NOT COALESCE(${naming.length ? naming.join(' OR ') : 'false'}, false) ON CONFLICT DO NOTHING`,
    );
    unnamed.set(table, res.rowCount ?? 0);
    if (res.rowCount) onStep(`${table}: ${res.rowCount} row(s) name no row of a table with a condition, and come in full`);
  }
  // A "none" value (WordPress's 0) names no row, as a NULL does: never followed.
  const join = (e: Edge) =>
    e.named
      ? `${e.named.when} AND c.${ident(e.named.column)}::text = p.${ident(e.named.parentId)}::text`
      : [
          ...e.ref.columns.map((c, i) => `c.${ident(c)} = p.${ident(e.ref.parentColumns[i])}`),
          ...(e.ref.none
            ? [`NOT ${noneValue(e.ref, `c.${ident(e.ref.columns[0])}`, e.child.columns.find((x) => x.name === e.ref.columns[0])!.type)}`]
            : []),
        ].join(' AND ');
  let gen = 0;
  const asChildren = new Map<string, number>();
  if (shape.withChildren) {
    const down = shape.edges.filter((e) => shape.roles.get(e.child.name) === 'dependent');
    for (let added = 1; added > 0; gen++) {
      added = 0;
      for (const e of down) {
        const res = await ctx.query(
          `INSERT INTO ${KEEP_TABLE} SELECT ${index.get(e.child.name)}, c.tableoid, c.ctid, ${gen + 1}
           FROM ${T(e.child)} c JOIN ${T(e.parent)} p ON ${join(e)}
           WHERE (p.tableoid, p.ctid) IN (SELECT k.toid, k.rid FROM ${KEEP_TABLE} k WHERE k.tbl = ${index.get(e.parent.name)} AND k.gen = ${gen})
           ON CONFLICT DO NOTHING`,
        );
        const n = res.rowCount ?? 0;
        added += n;
        asChildren.set(e.child.name, (asChildren.get(e.child.name) ?? 0) + n);
      }
      if (added) await ctx.query(`ANALYZE ${KEEP_TABLE}`);
    }
    for (const [t, n] of asChildren) if (n) onStep(`${t}: ${n} row(s) come along as children of kept rows`);
  }

  // Parents of every kept row, then of those, until nothing new comes.
  const asParents = new Map<string, number>();
  const firstParentsGen = gen;
  for (let added = 1, g = gen; added > 0; g++) {
    added = 0;
    const from = g === firstParentsGen ? `k.gen <= ${g}` : `k.gen = ${g}`;
    for (const e of shape.edges) {
      const res = await ctx.query(
        `INSERT INTO ${KEEP_TABLE} SELECT ${index.get(e.parent.name)}, p.tableoid, p.ctid, ${g + 1}
         FROM ${T(e.parent)} p JOIN ${T(e.child)} c ON ${join(e)}
         WHERE (c.tableoid, c.ctid) IN (SELECT k.toid, k.rid FROM ${KEEP_TABLE} k WHERE k.tbl = ${index.get(e.child.name)} AND ${from})
         ON CONFLICT DO NOTHING`,
      );
      const n = res.rowCount ?? 0;
      added += n;
      asParents.set(e.parent.name, (asParents.get(e.parent.name) ?? 0) + n);
    }
    if (added) await ctx.query(`ANALYZE ${KEEP_TABLE}`);
  }
  for (const [t, n] of asParents) if (n) onStep(`${t}: ${n} more row(s) come along as parents of kept rows`);

  const counts = new Map<number, number>();
  for (const r of (await ctx.query<{ tbl: number; n: string }>(`SELECT tbl, count(*) AS n FROM ${KEEP_TABLE} GROUP BY tbl`)).rows)
    counts.set(r.tbl, Number(r.n));
  const tables: SubsetTable[] = plan.tables
    .filter((t) => t.role === 'data')
    .map((t) => {
      const role = shape.roles.get(t.name)!;
      if (role === 'full') return { table: t.name, role, rows: null };
      return {
        table: t.name,
        role,
        rows: counts.get(index.get(t.name)!) ?? 0,
        ...(role === 'filtered' ? { byCondition: byCondition.get(t.name) ?? 0 } : {}),
        ...(shape.withChildren && role === 'dependent' ? { asChildren: asChildren.get(t.name) ?? 0 } : {}),
        asParents: asParents.get(t.name) ?? 0,
        ...(shape.namedOnly.has(t.name) ? { unnamed: unnamed.get(t.name) ?? 0 } : {}),
      };
    });
  return { shape, index, summary: { where: options.where, withChildren: shape.withChildren, tables } };
}

/** A condition's text for messages and the archive (as the user gave it). */
export function describeCondition(c: SubsetCondition): string {
  return `${c.table}: ${c.where}`;
}
