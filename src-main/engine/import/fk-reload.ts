// The default path at pg_restore's pace: the foreign keys of a table about to receive many rows are
// dropped just before it is written and added again, with validation, once every table is written —
// all inside the import's one transaction, so a failure, a cancel or a killed process rolls the drop
// back with everything else. mr4's own set-wise checks (constraints.ts) still run on every row before
// it is written, so a bad reference is named row by row and nothing is written; the validation when a
// key is added again is the check pg_restore relies on, one anti-join per key instead of a trigger per
// row.
//
// Each constraint is put back exactly as it was: its name, pg_get_constraintdef's text (columns,
// referenced table, MATCH, ON DELETE/UPDATE, DEFERRABLE/INITIALLY DEFERRED, NOT VALID) and its comment.
// A key declared on a partitioned table is dropped and added on that table only (PostgreSQL removes
// and clones it on the partitions); one declared on a partition alone (Pagila's payment), on that
// partition.
//
// A constraint keeps its triggers (the row-by-row path) where:
//   - the user does not own its table, or may not reference its parent (ALTER TABLE needs both);
//   - event triggers fire on DDL in the database (they would see mr4's ALTER TABLEs);
//   - a merge may change the columns it references (an ON UPDATE action must follow the change);
//   - its columns are not all in the archive (a default fills them, which mr4 does not check);
//   - it is MATCH FULL (mr4's own checks name rows whose parent is missing, not mixed NULLs);
//   - its partitioned table and one of its partitions declare the same key (adding it again would
//     attach the partition's own constraint instead of recreating it as it was);
//   - the run is a dry run (readers of the target are never blocked by a preview), or runs with
//     --disable-triggers as a superuser (the foreign-key triggers are disabled instead, as before);
//   - its table receives few rows (checking them one by one is cheaper than checking the whole table
//     again), or its table or parent could not be locked for the ALTER TABLE within the lock timeout.
// Dropping a foreign key takes an ACCESS EXCLUSIVE lock on its table and on the table it references
// until the run ends: readers of those tables wait, as they do for pg_restore --single-transaction.
import type { ForeignKeyPath } from '../report-types';
import type { FOREIGN_KEY_RELOAD_MODES } from '../../../src-common/import-settings';
import type { RunContext } from '../run-context';
import { ident, literal, qualified } from '../sql';
import { type MatchContext, updatableColumns } from '../staged/match';
import type { StagedTable } from '../staged/types';

/** A table writing fewer rows than this keeps its foreign-key triggers (in "auto"). */
export const RELOAD_MIN_ROWS = 1000;
/** … and so does one whose rows written are under this share of the rows it already holds. */
export const RELOAD_MIN_SHARE = 0.1;

export type ForeignKeyReloadMode = (typeof FOREIGN_KEY_RELOAD_MODES)[number];

interface HeldForeignKey {
  /** The written table (plan name) the constraint belongs to (itself or one of its partitions). */
  table: string;
  /** The relation that declares it, schema-qualified and quoted. */
  rel: string;
  name: string;
  definition: string;
  comment: string | null;
  onPartition: boolean;
  /** Why it cannot be dropped and added again; null where it can. */
  blocker: string | null;
  /** The referenced table's root (plan name where it is in the schema) and columns. */
  parentSchema: string;
  parent: string;
  parentColumns: string[];
  columns: string[];
}

type Queryable = Pick<RunContext, 'query'>;

const CANDIDATES_SQL = (enforced: boolean) => `
WITH written AS (
  SELECT r.name, r.rel AS relid FROM unnest($1::regclass[], $2::text[]) r(rel, name)
  UNION
  SELECT r.name, pt.relid FROM unnest($1::regclass[], $2::text[]) r(rel, name), pg_partition_tree(r.rel) pt
)
SELECT row_number() OVER (ORDER BY w.name, c.relispartition, c.relname, con.conname) AS ord, w.name AS table, format('%I.%I', cn.nspname, c.relname) AS rel, con.conname AS name,
       pg_get_constraintdef(con.oid) AS definition, obj_description(con.oid, 'pg_constraint') AS comment,
       c.relispartition AS on_partition, pg_has_role(c.relowner, 'USAGE') AS owner, pg_get_userbyid(c.relowner) AS owner_name,
       has_table_privilege(con.confrelid, 'REFERENCES') AS may_reference,
       pn.nspname AS parent_schema, p.relname AS parent,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS parent_columns,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns
FROM written w
JOIN pg_constraint con ON con.conrelid = w.relid AND con.contype = 'f' AND con.conparentid = 0${enforced ? ' AND con.conenforced' : ''}
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class rc ON rc.oid = con.confrelid
JOIN pg_class p ON p.oid = CASE WHEN rc.relispartition THEN pg_partition_root(rc.oid) ELSE rc.oid END
JOIN pg_namespace pn ON pn.oid = p.relnamespace`;

/** The candidates, the event triggers that would see the ALTER TABLEs, and whether the user is a
 *  superuser, in one statement. */
const ELIGIBILITY_SQL = (enforced: boolean) => `
SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
       ARRAY(SELECT evtname::text FROM pg_event_trigger WHERE evtenabled <> 'D' ORDER BY 1) AS events,
       COALESCE((SELECT json_agg(q ORDER BY q.ord) FROM (${CANDIDATES_SQL(enforced)}) q), '[]') AS constraints`;

interface Eligibility {
  constraints: HeldForeignKey[];
  /** Why no constraint of the run can be reloaded (event triggers); null where some may. */
  runBlocker: string | null;
  superuser: boolean;
}

/** The foreign keys of the tables (and their partitions), each with what stops it being reloaded. */
export async function foreignKeyEligibility(q: Queryable, schema: string, tables: string[], serverVersion: number): Promise<Eligibility> {
  const res = await q.query<{
    superuser: boolean | null;
    events: string[];
    constraints: {
      table: string;
      rel: string;
      name: string;
      definition: string;
      comment: string | null;
      on_partition: boolean;
      owner: boolean;
      owner_name: string;
      may_reference: boolean;
      parent_schema: string;
      parent: string;
      parent_columns: string[];
      columns: string[];
    }[];
  }>(ELIGIBILITY_SQL(serverVersion >= 180000), [tables.map((t) => qualified(schema, t)), tables]);
  const { events, superuser } = res.rows[0];
  const constraints: HeldForeignKey[] = res.rows[0].constraints.map((r) => ({
    table: r.table,
    rel: r.rel,
    name: r.name,
    definition: r.definition,
    comment: r.comment,
    onPartition: r.on_partition,
    blocker: !r.owner
      ? `you do not own ${r.rel} (its owner is ${r.owner_name})`
      : !r.may_reference
        ? `you may not reference ${r.parent_schema}.${r.parent}`
        : null,
    parentSchema: r.parent_schema,
    parent: r.parent,
    parentColumns: r.parent_columns,
    columns: r.columns,
  }));
  // A key of a partitioned table that one of its partitions also declares on its own: adding the
  // table's key again would attach the partition's constraint to it.
  const shape = (c: HeldForeignKey) => JSON.stringify([c.table, c.columns, c.parentSchema, c.parent, c.parentColumns]);
  const onRoot = new Set(constraints.filter((c) => !c.onPartition).map(shape));
  const onParts = new Set(constraints.filter((c) => c.onPartition).map(shape));
  for (const c of constraints) {
    // MATCH FULL refuses a key with some columns NULL; mr4's checks name rows with a missing parent only.
    if (!c.blocker && /\bMATCH FULL\b/.test(c.definition)) c.blocker = `${c.name} is MATCH FULL`;
    if (!c.blocker && onRoot.has(shape(c)) && onParts.has(shape(c)))
      c.blocker = `${c.table} and one of its partitions declare the same key (${c.columns.join(', ')})`;
  }
  const runBlocker = events.length ? `event triggers fire on DDL in this database (${events.join(', ')})` : null;
  return { constraints, runBlocker, superuser: !!superuser };
}

/** What an import into this database would do with the foreign keys of these tables (mr4 plan). */
export async function plannedForeignKeyPath(
  q: Queryable,
  schema: string,
  tables: string[],
  serverVersion: number,
): Promise<ForeignKeyPath> {
  const e = await foreignKeyEligibility(q, schema, tables, serverVersion);
  const keys = e.constraints.length;
  if (keys === 0) return { path: 'none', reason: 'the tables an import writes have no foreign keys', reloaded: [] };
  if (e.runBlocker) return { path: 'triggers', reason: `checked row by row by their triggers: ${e.runBlocker}`, reloaded: [] };
  const blocked = e.constraints.filter((c) => c.blocker);
  const ok = keys - blocked.length;
  if (ok === 0) return { path: 'triggers', reason: `checked row by row by their triggers: ${summarise(blocked)}`, reloaded: [] };
  return {
    path: 'reloaded',
    reason:
      `${ok} of ${keys} foreign keys can be dropped before their table is written and added again with validation in the same transaction ` +
      `(for a table receiving at least ${RELOAD_MIN_ROWS} rows and ${RELOAD_MIN_SHARE * 100} % of what it holds; a merge that may change the columns a key references keeps its triggers; a dry run always does)` +
      (blocked.length ? `; the others are checked row by row: ${summarise(blocked)}` : ''),
    reloaded: [],
  };
}

function summarise(blocked: HeldForeignKey[]): string {
  const reasons = [...new Set(blocked.map((c) => c.blocker!))];
  return reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : '');
}

export class ForeignKeyReloadError extends Error {
  override name = 'ForeignKeyReloadError';
  constructor(
    readonly constraint: string,
    readonly table: string,
    pg: { message?: string; detail?: string; code?: string },
  ) {
    super(
      `Adding the foreign key ${constraint} of ${table} again found a row it does not allow: ${pg.message ?? 'error'}${pg.detail ? ` (${pg.detail})` : ''}. ` +
        "mr4's own checks did not see it (please report this). The import was rolled back; nothing was written, and the constraint is as it was.",
    );
  }
}

/**
 * One run's reload: which constraints may be dropped (decided once, before anything is written), the
 * ones dropped so far, in order, and their restoration.
 */
export class ForeignKeyReload {
  private readonly dropped: HeldForeignKey[] = [];
  /** Per table, why its keys kept their triggers (said in the report). */
  private readonly kept = new Map<string, string>();
  /** Tables that kept their triggers for writing few rows, with how many. */
  private readonly small: string[] = [];

  private constructor(
    private readonly m: MatchContext,
    private readonly byTable: Map<string, HeldForeignKey[]>,
    private readonly mode: ForeignKeyReloadMode,
    private readonly runPath: ForeignKeyPath | null,
  ) {}

  static async prepare(
    m: MatchContext,
    tables: StagedTable[],
    options: { dryRun: boolean; disableTriggers: boolean; mode: ForeignKeyReloadMode; serverVersion: number },
  ): Promise<ForeignKeyReload> {
    const written = tables.filter((t) => t.plan.role === 'data');
    const e = await foreignKeyEligibility(
      m.ctx,
      m.schema,
      written.map((t) => t.plan.name),
      options.serverVersion,
    );
    const fixed = (path: ForeignKeyPath['path'], reason: string) =>
      new ForeignKeyReload(m, new Map(), options.mode, { path, reason, reloaded: [] });
    if (e.constraints.length === 0) return fixed('none', 'the tables it writes have no foreign keys');
    if (options.disableTriggers && e.superuser)
      return fixed(
        'disabled',
        'the foreign-key triggers were disabled (--disable-triggers as a superuser); every reference was checked before writing',
      );
    if (options.mode === 'never') return fixed('triggers', 'checked row by row by their triggers (reloading foreign keys was turned off)');
    if (options.dryRun) return fixed('triggers', "checked row by row by their triggers: a dry run never blocks the target's readers");
    if (e.runBlocker) return fixed('triggers', `checked row by row by their triggers: ${e.runBlocker}`);
    // mr4 checks a reference before writing where the archive holds its columns and they are written
    // with the row (not filled late); a key over other columns (a default fills them) keeps its triggers.
    for (const c of e.constraints) {
      const t = m.tables.get(c.table);
      if (c.blocker || !t) continue;
      const missing = c.columns.filter((col) => !t.staged.includes(col));
      if (missing.length)
        c.blocker = `${t.plan.name}.${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the archive (mr4 does not check what a default fills in)`;
      // A rewritten reference whose parent is not part of the run is not checked by mr4 (constraints.ts).
      // A column rewritten as part of a multi-column key (r.via) is no constraint of its own.
      const ref = t.plan.references.find((r) => !r.via && r.columns.join('\u0000') === c.columns.join('\u0000') && r.parent === c.parent);
      if (!c.blocker && ref && ref.remap && !ref.external && !ref.self && !m.tables.has(ref.parent))
        c.blocker = `${c.parent} is not part of this import`;
    }
    // A merge may update columns a key references: the key's ON UPDATE action (or its check) must
    // see that change as it happens.
    if (m.mode === 'merge') {
      for (const c of e.constraints) {
        if (c.blocker || c.parentSchema !== m.schema) continue;
        const parent = m.tables.get(c.parent);
        if (!parent || parent.plan.role !== 'data') continue;
        const changed = c.parentColumns.filter((col) => updatableColumns(m, parent).includes(col));
        if (changed.length) c.blocker = `a merge may change ${c.parent}.${changed.join(', ')}, which ${c.name} references`;
      }
    }
    const byTable = new Map<string, HeldForeignKey[]>();
    for (const c of e.constraints) {
      const list = byTable.get(c.table) ?? [];
      list.push(c);
      byTable.set(c.table, list);
    }
    const reload = new ForeignKeyReload(m, byTable, options.mode, null);
    for (const [table, list] of byTable) {
      const blocked = list.filter((c) => c.blocker);
      if (blocked.length) reload.kept.set(table, `${blocked.map((c) => c.name).join(', ')}: ${summarise(blocked)}`);
    }
    return reload;
  }

  /**
   * Before table t is written (the rows it may insert counted): drops its foreign keys that may be
   * dropped, if it receives enough rows. (A merge's updates are not counted: an update fires a key's
   * check only where it changes the key's columns, while adding the key again checks every row.) A drop that fails (a lock not granted in time, a table in use) is
   * rolled back to its savepoint and the table keeps its triggers.
   */
  async beforeWrite(t: StagedTable, rows: number): Promise<void> {
    const list = (this.byTable.get(t.plan.name) ?? []).filter((c) => !c.blocker);
    if (list.length === 0) return;
    if (this.mode === 'auto') {
      const holds = Math.max(0, t.catalog.rowEstimate);
      if (rows < RELOAD_MIN_ROWS || rows < RELOAD_MIN_SHARE * holds) {
        this.small.push(`${t.plan.name} ${rows}${holds ? `/${holds}` : ''}`);
        return;
      }
    }
    const ctx = this.m.ctx;
    try {
      await ctx.query(`SAVEPOINT mr4_fk; ${alterEach(list, (c) => `DROP CONSTRAINT ${ident(c.name)}`)}; RELEASE SAVEPOINT mr4_fk`);
    } catch (error) {
      if (ctx.cancelled) throw error;
      const e = error as { code?: string; message?: string };
      // A lock not granted in time, a table with pending trigger events (a deferred check of a table
      // already written), a deadlock, a privilege the catalog did not show: this table keeps its
      // triggers. Anything else is unexpected: stop, as any failed statement does.
      if (!['55P03', '55006', '40P01', '42501'].includes(e.code ?? '')) throw error;
      await ctx.query('ROLLBACK TO SAVEPOINT mr4_fk; RELEASE SAVEPOINT mr4_fk');
      this.kept.set(t.plan.name, `its foreign keys could not be dropped (${e.message}); checked row by row`);
      return;
    }
    this.dropped.push(...list);
    ctx.log(
      `Foreign keys of ${t.plan.name} dropped for its ${rows} rows (${list.map((c) => c.name).join(', ')}); they are added again with validation before the run ends.`,
    );
  }

  /** Adds every dropped constraint again, with validation, as it was: parents' before partitions'. */
  async restore(): Promise<void> {
    if (this.dropped.length === 0) return;
    const ctx = this.m.ctx;
    // Whatever is still deferred (a deferrable unique key, a constraint trigger) is checked first:
    // ALTER TABLE refuses a table with pending trigger events.
    await ctx.query('SET CONSTRAINTS ALL IMMEDIATE');
    const order = [...this.dropped].sort((a, b) => Number(a.onPartition) - Number(b.onPartition));
    // One ALTER TABLE per relation (its keys validated one after the other); PostgreSQL's error names
    // the constraint that fails.
    const byRel = new Map<string, HeldForeignKey[]>();
    for (const c of order) byRel.set(c.rel, [...(byRel.get(c.rel) ?? []), c]);
    for (const [rel, list] of byRel) {
      try {
        await ctx.query(alterEach(list, (c) => `ADD CONSTRAINT ${ident(c.name)} ${c.definition}`));
      } catch (error) {
        if (ctx.cancelled) throw error;
        const e = error as { code?: string; message?: string; detail?: string; constraint?: string };
        if (e.code === '23503') throw new ForeignKeyReloadError(e.constraint ?? list.map((c) => c.name).join(', '), rel, e);
        throw error;
      }
    }
    ctx.log(`Foreign keys added again and validated: ${order.length}.`);
    const comments = order
      .filter((c) => c.comment !== null)
      .map((c) => `COMMENT ON CONSTRAINT ${ident(c.name)} ON ${c.rel} IS ${literal(c.comment!)}`);
    if (comments.length) await ctx.query(comments.join('; '));
  }

  /** What the report says: the path, why, and which constraints were reloaded. */
  report(): ForeignKeyPath {
    if (this.runPath) return this.runPath;
    const reloaded = this.dropped.map((c) => `${c.rel}.${c.name}`);
    const kept = [...this.kept].map(([table, why]) => `${table}: ${why}`);
    if (this.small.length) {
      kept.push(
        `tables receiving fewer than ${RELOAD_MIN_ROWS} rows or ${RELOAD_MIN_SHARE * 100} % of what they hold, where checking each row costs less than checking the whole table again (${this.small.join(', ')})`,
      );
    }
    // No written table had a key to check (a repeated merge writes no row): no check ran either way.
    if (reloaded.length === 0 && kept.length === 0) return { path: 'none', reason: 'no row written needed a foreign-key check', reloaded };
    if (reloaded.length === 0) return { path: 'triggers', reason: `checked row by row by their triggers — ${kept.join('; ')}`, reloaded };
    const tables = [...new Set(this.dropped.map((c) => c.table))];
    return {
      path: 'reloaded',
      reason:
        `the foreign keys of ${tables.join(', ')} were dropped before writing and added again with validation in the same transaction, after mr4 checked every row` +
        (kept.length ? `; the others were checked row by row by their triggers — ${kept.join('; ')}` : ''),
      reloaded,
    };
  }
}

/** One ALTER TABLE per relation, the clauses for its constraints joined. */
function alterEach(list: HeldForeignKey[], clause: (c: HeldForeignKey) => string): string {
  const byRel = new Map<string, string[]>();
  for (const c of list) byRel.set(c.rel, [...(byRel.get(c.rel) ?? []), clause(c)]);
  return [...byRel].map(([rel, clauses]) => `ALTER TABLE ${rel} ${clauses.join(', ')}`).join('; ');
}
