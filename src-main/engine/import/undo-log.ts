// The undo log of an import: what it inserted and the old values it overwrote, recorded in the target in
// the same transaction, so `mr4 undo` (engine/undo.ts) can put the target back as it was before the run.
//
// Where it lives: beside the lineage of ids, in the schema _mr4 of the target database (it moves with
// the database, serves the CLI and the app alike, and is written in the import's own transaction, so
// it exists exactly when the import committed). _mr4.runs has one row per real import (also those
// that kept no log, so an older run is never undone past a later one); each run's rows are in a table
// of their own, _mr4."undo_<run>" (table, op, key, old row, md5 of the row as the import left it),
// dropped in one statement when it is pruned: only the newest KEEP_LOGS logs of a schema are kept.
//
// Set-based, like the writes it records: while a table is written, each INSERT and UPDATE statement
// returns the keys of the rows it wrote into a temporary table, and an UPDATE the rows' old values in
// the same statement (a data-modifying WITH: its other parts read the snapshot before the update).
// Once every table is written (late columns too), one INSERT … SELECT per table moves those rows into
// the log with the md5 of each row's text as it is now: an undo compares it with the row's then.
//
// A user who may not create the schema or its tables gets a warning, and the import goes on without a
// log (that run cannot be undone).
import { randomUUID } from 'node:crypto';
import type { RunContext } from '../run-context';
import { ident, literal, qualified } from '../sql';
import { LINEAGE_SCHEMA, lineageUndo } from '../staged/lineage';
import { locatorColumns, type MatchContext, target } from '../staged/match';
import { type StagedTable } from '../staged/types';
import { TOOL_NAME } from '../version';

export const UNDO_SCHEMA = LINEAGE_SCHEMA;
export const RUNS = `${ident(UNDO_SCHEMA)}.runs`;
/** Logs kept per schema (the newest runs'); older ones are dropped when a new one is written. */
export const KEEP_LOGS = 3;

/** What a log keeps of a row as the import left it: the md5 of its text, marked 'r:'. Logs written
 *  before held the md5 of its JSON, four times as costly to compute; an undo still reads those. */
export function rowHash(alias: string): string {
  return `'r:' || md5(${alias}::text)`;
}

/** The hash of a row now, in the form the log entry `logged` (its after_md5) was written in. */
export function rowHashLike(alias: string, logged: string): string {
  return `CASE WHEN left(${logged}, 2) = 'r:' THEN ${rowHash(alias)} ELSE md5(to_jsonb(${alias})::text) END`;
}

export function logTable(runId: string): string {
  return `${ident(UNDO_SCHEMA)}.${ident(`undo_${runId.replace(/-/g, '')}`)}`;
}

/** How the rows of a table are found again: its primary key, its id, its natural key, or its content. */
export interface UndoKey {
  columns: string[] | null;
  /** Key columns may hold NULL (a natural key that is not a primary key): compared as not distinct. */
  nullable: boolean;
}

export function undoKeyOf(t: Pick<StagedTable, 'plan'>): UndoKey {
  if (t.plan.primaryKey.length) return { columns: t.plan.primaryKey, nullable: false };
  if (t.plan.surrogate) return { columns: [t.plan.surrogate], nullable: false };
  if (t.plan.key.kind === 'key' && t.plan.key.columns.length) return { columns: t.plan.key.columns, nullable: true };
  return { columns: null, nullable: false };
}

/** What a run keeps about each table it wrote, in _mr4.runs: how its rows are found again. */
export interface RunTable {
  name: string;
  key: string[] | null;
  nullable: boolean;
}

/** The SQL pieces a write statement of one table needs to record what it did. */
export interface TableUndo {
  /** RETURNING list of an UPDATE (of the written row, as `alias`): its key as _uk0…, and the columns
   *  the update found it by (locatorColumns) as _lk0…. */
  returning(alias: string): string;
  /** Wraps an INSERT (without RETURNING): the inserted rows' keys go to the log. */
  insert(statement: string): string;
  /** The rows an UPDATE … RETURNING <returning('g')> wrote (the CTE `cte`), with their old values:
   *  an INSERT for the end of a WITH whose CTE is the update. `where` filters them (e.g. u._hit). */
  recordUpdated(cte: string, where?: string): string;
}

interface Logged {
  t: StagedTable;
  key: UndoKey;
  temp: string;
}

const logs = new WeakMap<MatchContext, UndoLog>();

/** The undo log of this run, if it keeps one. */
export function undoLogOf(m: MatchContext): UndoLog | undefined {
  return logs.get(m);
}

export class UndoLog {
  private readonly logged = new Map<string, Logged>();

  private constructor(
    readonly id: string,
    private readonly m: MatchContext,
    readonly at: string,
  ) {}

  get table(): string {
    return logTable(this.id);
  }

  /**
   * Creates the run's log (and _mr4 with _mr4.runs where they are missing) inside a savepoint; returns
   * null and a warning where the user may not create them.
   */
  static async open(m: MatchContext, warnings: string[]): Promise<UndoLog | null> {
    const ctx = m.ctx;
    const id = randomUUID();
    await ctx.query('SAVEPOINT mr4_undo');
    try {
      await ensureRunsTable(ctx);
      await ctx.query(
        `CREATE TABLE ${logTable(id)} (n bigserial, table_name text COLLATE "C" NOT NULL, op "char" NOT NULL, key jsonb, before jsonb, after_md5 text)`,
      );
      await ctx.query(
        `COMMENT ON TABLE ${logTable(id)} IS ${literal(`MR4 Studio: what import ${id} inserted and the old values it overwrote (mr4 undo). Dropping it only means that import cannot be undone.`)}`,
      );
      await ctx.query('RELEASE SAVEPOINT mr4_undo');
    } catch (error) {
      if (ctx.cancelled) throw error;
      await ctx.query('ROLLBACK TO SAVEPOINT mr4_undo');
      const warning = `this import cannot be undone: the user may not create the undo log in schema ${UNDO_SCHEMA} (${(error as Error).message}); grant CREATE on the database (or on schema ${UNDO_SCHEMA}), or import with --no-undo`;
      warnings.push(warning);
      ctx.log(warning, 'warn');
      return null;
    }
    const at = (await ctx.query<{ at: string }>(`SELECT now()::text AS at`)).rows[0].at;
    const log = new UndoLog(id, m, at);
    logs.set(m, log);
    lineageUndo.set(ctx, log.table);
    return log;
  }

  /** The SQL pieces for writing `t` (its temporary table of written keys is made on first use). */
  async forTable(t: StagedTable): Promise<TableUndo> {
    let entry = this.logged.get(t.plan.name);
    if (!entry) {
      const key = undoKeyOf(t);
      const temp = `pg_temp.${ident(`mr4_${t.tag}_undo`)}`;
      const typed = key.columns ? key.columns.map((c, i) => `, _uk${i} ${columnType(t, c)}`).join('') : ', content jsonb';
      // One sequence orders every table's records (a sequence of its own each cost a table 0.3 ms more).
      const order = 'pg_temp.mr4_undo_order';
      if (this.logged.size === 0) await this.m.ctx.query(`CREATE TEMP SEQUENCE IF NOT EXISTS ${order}`);
      await this.m.ctx.query(
        `CREATE TEMP TABLE ${temp} (seq bigint NOT NULL DEFAULT nextval('${order}'), op "char" NOT NULL, before jsonb${typed}) ON COMMIT DROP`,
      );
      entry = { t, key, temp };
      this.logged.set(t.plan.name, entry);
    }
    const { key, temp } = entry;
    const T = target(this.m, t);
    const cols = key.columns;
    const keyNames = cols ? cols.map((_, i) => `_uk${i}`).join(', ') : 'content';
    const picked = (alias: string) => (cols ? cols.map((_, i) => `${alias}._uk${i}`).join(', ') : `to_jsonb(${alias})`);
    // The old row is found by what the update found it by, not by its key: an update may change key
    // columns (a composite key's date, a partition key), and the row is logged under its new key.
    const found = locatorColumns(t);
    const keyAs = (alias: string) => (cols ?? []).map((c, i) => `${alias}.${ident(c)} AS _uk${i}`);
    const foundByAs = (alias: string) => found.map((c, i) => `${alias}.${ident(c)} AS _lk${i}`);
    return {
      returning: (alias) => [...keyAs(alias), ...foundByAs(alias)].join(', '),
      insert: (statement) => {
        // INSERT … RETURNING names the written row by its table's name.
        const ret = cols ? cols.map((c, i) => `${ident(c)} AS _uk${i}`).join(', ') : '*';
        return `WITH i AS (${statement} RETURNING ${ret}) INSERT INTO ${temp} (op, ${keyNames}) SELECT 'i', ${picked('i')} FROM i`;
      },
      recordUpdated: (cte, where) => {
        const old = found.map((c, i) => `o.${ident(c)} = ${cte}._lk${i}`).join(' AND ');
        // Looked up row by row through the target's index (LATERAL … LIMIT 1 is never flattened): the
        // planner, blind to how many rows the update returns, hashed the whole table for every chunk.
        return `INSERT INTO ${temp} (op, before, ${keyNames}) SELECT 'u', o.j, ${picked(cte)}
                FROM ${cte} CROSS JOIN LATERAL (SELECT to_jsonb(o) AS j FROM ${T} o WHERE ${old} LIMIT 1) o${where ? ` WHERE ${where}` : ''}`;
      },
    };
  }

  /**
   * Moves what the writes recorded into the run's log (one INSERT … SELECT per table, with the hash
   * of each row as the import leaves it, rowHash), records the run in _mr4.runs and drops the logs of older runs
   * beyond KEEP_LOGS. Returns the number of rows logged.
   */
  async finish(meta: {
    schema: string;
    source: { identity: string | null; database: string };
    archive: { sha256: string; name: string };
    mode: string;
    tables: StagedTable[];
    counts: unknown;
  }): Promise<number> {
    const ctx = this.m.ctx;
    let recorded = 0;
    for (const { t, key, temp } of this.logged.values()) {
      const T = target(this.m, t);
      const name = literal(t.plan.name);
      if (key.columns) {
        const cols = key.columns;
        const json = `jsonb_build_object(${cols.map((c, i) => `${literal(c)}, u._uk${i}`).join(', ')})`;
        const join = sameKey(
          cols.map((c) => `g.${ident(c)}`),
          cols.map((_, i) => `u._uk${i}`),
          key.nullable,
        );
        // Inserted rows: each once. Updated rows: the oldest value recorded (a row updated and then
        // given a late column keeps its value from before the run), and not rows this run inserted.
        const ins = await ctx.query(
          `INSERT INTO ${this.table} (table_name, op, key, after_md5)
           SELECT ${name}, 'i', ${json}, ${rowHash('g')} FROM ${temp} u LEFT JOIN ${T} g ON ${join} WHERE u.op = 'i'`,
        );
        const upd = await ctx.query(
          `INSERT INTO ${this.table} (table_name, op, key, before, after_md5)
           SELECT ${name}, 'u', ${json}, u.before, ${rowHash('g')}
           FROM (SELECT DISTINCT ON (${cols.map((_, i) => `_uk${i}`).join(', ')}) * FROM ${temp} WHERE op = 'u' ORDER BY ${cols.map((_, i) => `_uk${i}`).join(', ')}, seq) u
           LEFT JOIN ${T} g ON ${join}
           WHERE NOT EXISTS (SELECT 1 FROM ${temp} x WHERE x.op = 'i' AND ${sameKey(
             cols.map((_, i) => `x._uk${i}`),
             cols.map((_, i) => `u._uk${i}`),
             key.nullable,
           )})`,
        );
        recorded += (ins.rowCount ?? 0) + (upd.rowCount ?? 0);
      } else {
        // A table without any key: its rows are their content (inserted only: such rows are never updated).
        const ins = await ctx.query(
          `INSERT INTO ${this.table} (table_name, op, key, after_md5) SELECT ${name}, 'i', u.content, md5(u.content::text) FROM ${temp} u WHERE u.op = 'i'`,
        );
        recorded += ins.rowCount ?? 0;
      }
    }
    const lineage = Number((await ctx.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE op = 'L'`)).rows[0].n);
    const runTables: RunTable[] = meta.tables
      .filter((t) => t.plan.role === 'data')
      .map((t) => ({ name: t.plan.name, key: undoKeyOf(t).columns, nullable: undoKeyOf(t).nullable }));
    await recordRun(ctx, {
      id: this.id,
      schema: meta.schema,
      source: meta.source,
      archive: meta.archive,
      mode: meta.mode,
      tables: runTables,
      counts: meta.counts,
      log: `undo_${this.id.replace(/-/g, '')}`,
      rows: recorded + lineage,
    });
    await pruneLogs(ctx, meta.schema);
    return recorded + lineage;
  }
}

/** Two keys equal, nulls equal to nulls where the key may hold them. IS NOT DISTINCT FROM cannot be
 *  hashed (a nested loop over every pair of rows); a JSON array of the values can. */
function sameKey(a: string[], b: string[], nullable: boolean): string {
  if (!nullable) return a.map((x, i) => `${x} = ${b[i]}`).join(' AND ');
  return `jsonb_build_array(${a.join(', ')}) = jsonb_build_array(${b.join(', ')})`;
}

function columnType(t: StagedTable, column: string): string {
  const c = t.catalog.columns.find((x) => x.name === column);
  if (!c) throw new Error(`undo log: ${t.plan.name} has no column ${column}`);
  return c.type;
}

/** _mr4 and _mr4.runs, created where missing. Throws where the user may not. */
export async function ensureRunsTable(ctx: RunContext): Promise<void> {
  const exists = (await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${UNDO_SCHEMA}.runs`)}) IS NOT NULL AS ok`)).rows[0].ok;
  if (exists) return;
  await ctx.query(`SELECT pg_advisory_xact_lock(hashtext('mr4 runs store'))`);
  await ctx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(UNDO_SCHEMA)}`);
  await ctx.query(
    `CREATE TABLE IF NOT EXISTS ${RUNS} (
       id uuid PRIMARY KEY, schema_name text NOT NULL, at timestamptz NOT NULL DEFAULT now(),
       source_identity text, source_database text, archive_sha256 text, archive_name text, mode text, tool text,
       tables jsonb NOT NULL DEFAULT '[]', counts jsonb, log text, log_rows bigint,
       undone_at timestamptz, undone_by text)`,
  );
  await ctx.query(
    `COMMENT ON TABLE ${RUNS} IS 'MR4 Studio: the imports into this database (mr4 undo reverts the newest, from its log). Dropping it only means no import can be undone.'`,
  );
}

export interface RunRecord {
  id: string;
  schema: string;
  source: { identity: string | null; database: string };
  archive: { sha256: string; name: string };
  mode: string;
  tables: RunTable[];
  counts: unknown;
  /** The log table's name in _mr4, or null when the run kept none. */
  log: string | null;
  rows: number;
}

export async function recordRun(ctx: RunContext, r: RunRecord): Promise<void> {
  await ctx.query(
    `INSERT INTO ${RUNS} (id, schema_name, source_identity, source_database, archive_sha256, archive_name, mode, tool, tables, counts, log, log_rows)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      r.id,
      r.schema,
      r.source.identity,
      r.source.database,
      r.archive.sha256,
      r.archive.name,
      r.mode,
      TOOL_NAME,
      JSON.stringify(r.tables),
      JSON.stringify(r.counts),
      r.log,
      r.rows,
    ],
  );
}

/**
 * A real import that keeps no log still says it happened (where _mr4.runs exists and may be written),
 * so an older run is never undone past it. Never fails the import.
 */
export async function recordRunWithoutLog(ctx: RunContext, r: Omit<RunRecord, 'log' | 'rows' | 'id'>): Promise<void> {
  const exists = (await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${UNDO_SCHEMA}.runs`)}) IS NOT NULL AS ok`)).rows[0].ok;
  if (!exists) return;
  await ctx.query('SAVEPOINT mr4_run');
  try {
    await recordRun(ctx, { ...r, id: randomUUID(), log: null, rows: 0 });
    await ctx.query('RELEASE SAVEPOINT mr4_run');
  } catch (error) {
    if (ctx.cancelled) throw error;
    await ctx.query('ROLLBACK TO SAVEPOINT mr4_run');
  }
}

/** Drops the logs of a schema's runs older than its newest KEEP_LOGS logs. */
async function pruneLogs(ctx: RunContext, schema: string): Promise<void> {
  const old = await ctx.query<{ id: string; log: string }>(
    `SELECT id, log FROM ${RUNS} WHERE schema_name = $1 AND log IS NOT NULL ORDER BY at DESC, id OFFSET ${KEEP_LOGS}`,
    [schema],
  );
  for (const r of old.rows) {
    await ctx.query(`DROP TABLE IF EXISTS ${qualified(UNDO_SCHEMA, r.log)}`);
    await ctx.query(`UPDATE ${RUNS} SET log = NULL WHERE id = $1`, [r.id]);
  }
}
