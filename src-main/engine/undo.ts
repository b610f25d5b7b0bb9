// Undo: puts the target back as it was before an import, from the undo log that import kept
// (import/undo-log.ts), in one transaction. Only the newest import of a schema that is not undone yet
// can be undone (undoing it makes the one before the newest). Before anything is written, every row
// the import wrote is compared with what the import left (the md5 of the row then): a row changed or
// deleted since is named, and the undo stops, unless told to leave those rows as they are now and undo
// the rest (keepChanged). Then, set-based (one statement per table and kind):
//   1. the old values of the rows the import updated are written back (parents first);
//   2. the rows it inserted are deleted (children first; the tables of a cycle of foreign keys, which
//      the import wrote by late seeding, in one statement, so the keys are checked once all are gone);
//   before 1 and before 2, rows the import did not write that a foreign key's action would reach
//   (undo-referrers.ts: deleted by CASCADE, unlinked by SET NULL, failed on by NO ACTION) stop the undo;
//   3. the lineage of ids it recorded is removed, and the pairs it replaced are put back;
//   4. the run is marked undone and its log dropped.
// Sequences are not moved back (PostgreSQL never does that either): ids the import drew stay used.
// Rows the target's own triggers created during the import are not in the log and stay.
import { type RowProblem, UNDO_PHASES, type UndoReport, type UndoRunInfo } from './report-types';
import { rowProblemText } from '../../src-common/row-problem';
import type { DbTarget } from '../db/connect';
import { readIdentity } from './catalog';
import { CancelledError, type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { ident, literal, qualified } from './sql';
import { LINEAGE_STORE } from './staged/lineage';
import { RUNS, rowHashLike, type RunTable, UNDO_SCHEMA } from './import/undo-log';
import { moveUniqueValuesAside } from './import/unique-moves';
import { rowId } from './staged/match';
import { keyJoin, referrersMessage, referrersOfDeleted, referrersOfRestored, type UndoLogTables } from './undo-referrers';

export { UNDO_PHASES, type UndoReport };

export interface UndoOptions {
  db: DbTarget;
  schema?: string;
  /** The run to undo (its id); default the newest one not undone. It must be that one. */
  run?: string;
  dryRun?: boolean;
  /** Rows changed since the import stay as they are now; the rest is undone. */
  keepChanged?: boolean;
  lockTimeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

/** One import the target recorded (the contract's shape: the app lists them as they are). */
export type RunInfo = UndoRunInfo;

export class UndoError extends Error {
  override name = 'UndoError';
}

/** Rows the import wrote that changed since: the undo stops (nothing written), naming each. */
export class UndoConflictError extends Error {
  override name = 'UndoConflictError';
  constructor(
    readonly rows: RowProblem[],
    total: number,
  ) {
    super(
      `${total} row(s) changed after the import, so undoing it would overwrite those changes:\n` +
        rows
          .slice(0, 50)
          .map((r) => `  ${rowProblemText(r)}`)
          .join('\n') +
        (total > 50 ? `\n  … and ${total - 50} more` : '') +
        `\nNothing was changed. Undo the rest and leave these rows as they are now with --keep-changed (the app: "Undo the rest"), or put them back by hand first.`,
    );
  }
}

type RunRow = {
  id: string;
  at: string;
  schema_name: string;
  source_identity: string | null;
  source_database: string | null;
  archive_sha256: string | null;
  archive_name: string | null;
  mode: string | null;
  tool: string | null;
  tables: RunTable[];
  log: string | null;
  log_rows: string | null;
  undone_at: string | null;
};

function runInfo(r: RunRow): RunInfo {
  return {
    id: r.id,
    at: r.at,
    schema: r.schema_name,
    sourceIdentity: r.source_identity,
    sourceDatabase: r.source_database,
    archive: { sha256: r.archive_sha256, name: r.archive_name },
    mode: r.mode,
    tool: r.tool,
    undoable: !!r.log && !r.undone_at,
    undoneAt: r.undone_at,
    logRows: r.log_rows === null ? null : Number(r.log_rows),
  };
}

const RUN_COLUMNS = `id::text AS id, to_json(at)#>>'{}' AS at, schema_name, source_identity, source_database, archive_sha256, archive_name, mode, tool, tables, log, log_rows, to_json(undone_at)#>>'{}' AS undone_at`;

async function hasRuns(ctx: RunContext): Promise<boolean> {
  return (await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${UNDO_SCHEMA}.runs`)}) IS NOT NULL AS ok`)).rows[0].ok;
}

/** The imports recorded in the target (newest first), and which one an undo would revert. */
export async function listRuns(
  db: DbTarget,
  schema = 'public',
  limit = 20,
): Promise<{ runs: RunInfo[]; next: RunInfo | null; database: string }> {
  const ctx = await RunContext.open(db, undefined, undefined);
  try {
    await applySessionSettings(ctx.client);
    const { database } = await readIdentity(ctx.client, schema);
    if (!(await hasRuns(ctx))) return { runs: [], next: null, database };
    const res = await ctx.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM ${RUNS} WHERE schema_name = $1 ORDER BY at DESC, id LIMIT ${Math.max(1, limit)}`,
      [schema],
    );
    const runs = res.rows.map(runInfo);
    const pending = runs.find((r) => !r.undoneAt) ?? null;
    return { runs, next: pending, database };
  } finally {
    await ctx.close();
  }
}

/** What the undo writes into `t`'s rows (unique-moves.ts): old values back, inserted rows deleted. */
function restoredAndDeleted(T: string, t: RunTable, cols: string[], log: string, keep: string): string {
  const rows = (op: string, values: string) =>
    `SELECT u.n AS _mr4_id, ${rowId('g')} AS _mr4_rid, ${op === 'i'} AS _mr4_gone, ${cols.map((c) => `${values}.${ident(c)}`).join(', ')}
     FROM ${log} u CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.key) k CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.before) b
     JOIN ${T} g ON ${keyJoin(t, 'g', 'k')}
     WHERE u.table_name = ${literal(t.name)} AND u.op = ${literal(op)} AND NOT EXISTS (SELECT 1 FROM ${keep} x WHERE x.n = u.n)`;
  return `${rows('u', 'b')} UNION ALL ${rows('i', 'g')}`;
}

/** The DELETE (without RETURNING) of the rows the import inserted into `t`, but those kept (`keep`). */
function deleteInserted(schema: string, t: RunTable, log: string, keep: string): string {
  const T = qualified(schema, t.name);
  if (t.key)
    return `DELETE FROM ${T} AS g USING ${log} u CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.key) k
      WHERE u.table_name = ${literal(t.name)} AND u.op = 'i' AND ${keyJoin(t, 'g', 'k')} AND NOT EXISTS (SELECT 1 FROM ${keep} x WHERE x.n = u.n)`;
  // Rows without any key are their content: as many rows of each content as the import inserted.
  return `WITH e AS (SELECT key, row_number() OVER (PARTITION BY key ORDER BY n) AS rn FROM ${log} WHERE table_name = ${literal(t.name)} AND op = 'i'),
         c AS (SELECT g.ctid AS id, to_jsonb(g) AS j, row_number() OVER (PARTITION BY to_jsonb(g)) AS rn FROM ${T} g WHERE to_jsonb(g) IN (SELECT key FROM e))
    DELETE FROM ${T} WHERE ctid IN (SELECT c.id FROM e JOIN c ON c.j = e.key AND c.rn = e.rn)`;
}

/**
 * The order the inserted rows are deleted in: groups of tables, children before their parents, by the
 * foreign keys the target has now. Tables in a cycle of foreign keys form one group (deleted in one
 * statement); every other table is a group of its own, in the reverse of the order the import wrote
 * them where the keys leave a choice.
 */
export async function deletionOrder(ctx: RunContext, schema: string, written: RunTable[]): Promise<RunTable[][]> {
  const names = written.map((t) => t.name);
  const edges = (
    await ctx.query<{ child: string; parent: string }>(
      `SELECT DISTINCT ch.relname AS child, pa.relname AS parent
       FROM pg_constraint c JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = ch.relnamespace JOIN pg_namespace pn ON pn.oid = pa.relnamespace
       WHERE c.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1 AND ch.relname = ANY ($2) AND pa.relname = ANY ($2) AND ch.oid <> pa.oid`,
      [schema, names],
    )
  ).rows;
  return orderGroups(written, edges);
}

/** Strongly connected components of the child → parent graph, children first (pure; see deletionOrder). */
export function orderGroups<T extends { name: string }>(tables: T[], edges: { child: string; parent: string }[]): T[][] {
  const index = new Map(tables.map((t, i) => [t.name, i]));
  const out = tables.map(() => [] as number[]);
  for (const e of edges) {
    const a = index.get(e.child);
    const b = index.get(e.parent);
    if (a !== undefined && b !== undefined && a !== b) out[a].push(b);
  }
  // Tarjan's algorithm (iterative): comp[i] is the component of table i.
  const comp = tables.map(() => -1);
  const low = tables.map(() => 0);
  const num = tables.map(() => -1);
  const stack: number[] = [];
  const onStack = tables.map(() => false);
  let counter = 0;
  let comps = 0;
  for (let root = 0; root < tables.length; root++) {
    if (num[root] >= 0) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0 && num[v] < 0) {
        num[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (i < out[v].length) {
        frame[1]++;
        const w = out[v][i];
        if (num[w] < 0) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], num[w]);
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1][0];
        low[u] = Math.min(low[u], low[v]);
      }
      if (low[v] === num[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp[w] = comps;
        } while (w !== v);
        comps++;
      }
    }
  }
  // Kahn's algorithm over the components: a component goes once no component still to go refers to it;
  // among those ready, the one holding the table the import wrote last.
  const members = Array.from({ length: comps }, () => [] as number[]);
  tables.forEach((_, i) => members[comp[i]].push(i));
  const referrers = members.map(() => new Set<number>());
  for (let a = 0; a < tables.length; a++) for (const b of out[a]) if (comp[a] !== comp[b]) referrers[comp[b]].add(comp[a]);
  const pending = referrers.map((s) => s.size);
  const parentsOf = members.map(() => new Set<number>());
  referrers.forEach((s, c) => s.forEach((r) => parentsOf[r].add(c)));
  const done = members.map(() => false);
  const order: T[][] = [];
  for (let k = 0; k < comps; k++) {
    let pick = -1;
    for (let c = 0; c < comps; c++)
      if (!done[c] && pending[c] === 0 && (pick < 0 || Math.max(...members[c]) > Math.max(...members[pick]))) pick = c;
    done[pick] = true;
    order.push(members[pick].map((i) => tables[i]));
    for (const p of parentsOf[pick]) pending[p]--;
  }
  return order;
}

export async function undoImport(options: UndoOptions): Promise<UndoReport> {
  const started = Date.now();
  const schema = options.schema ?? 'public';
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  let committed = false;
  try {
    await applySessionSettings(ctx.client);
    // As an import reads its catalog: the schema after pg_catalog, so that generated columns and
    // triggers whose functions name tables unqualified work as they do for the application.
    await ctx.query(`SELECT set_config('search_path', $1, false)`, [`pg_catalog, ${ident(schema)}`]);
    await ctx.query('BEGIN');
    ctx.phase(0, UNDO_PHASES[0]);
    const identity = await readIdentity(ctx.client, schema);
    if (!(await hasRuns(ctx)))
      throw new UndoError(
        `No import into ${identity.database} can be undone: none recorded an undo log here (schema ${UNDO_SCHEMA} has no runs table). Imports keep one from this version of mr4 on, unless run with --no-undo.`,
      );
    // One undo at a time, and no import meanwhile (an import locks its tables; this locks the runs).
    await ctx.query(`LOCK TABLE ${RUNS} IN SHARE ROW EXCLUSIVE MODE`);
    const newest = (
      await ctx.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM ${RUNS} WHERE schema_name = $1 AND undone_at IS NULL ORDER BY at DESC, id LIMIT 1`,
        [schema],
      )
    ).rows[0];
    if (!newest) throw new UndoError(`No import into ${identity.database} (schema ${schema}) is left to undo.`);
    if (options.run && options.run !== newest.id) {
      const asked = (await ctx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM ${RUNS} WHERE id::text = $1`, [options.run])).rows[0];
      if (!asked) throw new UndoError(`There is no import ${options.run} in ${identity.database}.`);
      if (asked.undone_at) throw new UndoError(`Import ${options.run} was already undone (${asked.undone_at}).`);
      throw new UndoError(
        `Only the newest import can be undone: ${newest.archive_name ?? newest.id} (${newest.at}) came after ${asked.archive_name ?? asked.id}; undo it first.`,
      );
    }
    const run = newest;
    if (!run.log) {
      throw new UndoError(
        `The newest import into ${identity.database} (${run.archive_name ?? run.id}, ${run.at}) cannot be undone: it kept no undo log (it ran with --no-undo, or its log was pruned after ${3} newer imports).`,
      );
    }
    const log = qualified(UNDO_SCHEMA, run.log);
    if (!(await ctx.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${UNDO_SCHEMA}.${run.log}`])).rows[0].ok) {
      throw new UndoError(`The undo log of the newest import (${run.log}) is gone from ${identity.database}; it cannot be undone.`);
    }
    const info = runInfo(run);
    ctx.log(`Undoing the import of ${run.archive_name ?? 'an archive'} from ${run.source_database ?? 'another database'} (${run.at}).`);
    const tables = run.tables.filter((t) => t.name);
    const present = new Set(
      (
        await ctx.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY ($2)`,
          [schema, tables.map((t) => t.name)],
        )
      ).rows.map((r) => r.name),
    );
    const logged = new Set(
      (await ctx.query<{ t: string }>(`SELECT DISTINCT table_name AS t FROM ${log} WHERE op IN ('i', 'u')`)).rows.map((r) => r.t),
    );
    for (const t of tables)
      if (logged.has(t.name) && !present.has(t.name))
        throw new UndoError(`Table ${t.name}, which the import wrote, is gone from ${identity.database}: it cannot be undone.`);
    const written = tables.filter((t) => logged.has(t.name));
    if (written.length) {
      await ctx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${options.lockTimeoutMs ?? 10_000}ms`]);
      await ctx.query(`LOCK TABLE ${written.map((t) => qualified(schema, t.name)).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
    }

    // ── which rows changed after the import ──
    ctx.phase(1, UNDO_PHASES[1]);
    const changed: RowProblem[] = [];
    let changedTotal = 0;
    // Log entries not to act on: rows changed since, and rows the import inserted that are gone already.
    const KEEP = 'pg_temp.mr4_undo_keep';
    await ctx.query(`CREATE TEMP TABLE ${KEEP} (n bigint PRIMARY KEY, op "char", key jsonb, gone boolean, table_name text) ON COMMIT DROP`);
    for (const t of written) {
      const T = qualified(schema, t.name);
      const k = t.key ? `CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.key) k` : '';
      await ctx.query(
        `INSERT INTO ${KEEP} SELECT u.n, u.op, u.key, g.row IS NULL, u.table_name
         FROM ${log} u ${k} LEFT JOIN LATERAL (SELECT ${rowHashLike('g', 'u.after_md5')} AS md5, true AS row FROM ${T} g WHERE ${keyJoin(t, 'g', 'k')} LIMIT 1) g ON true
         WHERE u.table_name = $1 AND u.op IN ('i', 'u') AND (g.row IS NULL OR g.md5 IS DISTINCT FROM u.after_md5)${t.key ? '' : ' AND false'}`,
        [t.name],
      );
      const res = await ctx.query<{ op: string; key: Record<string, unknown>; gone: boolean; n: string }>(
        `SELECT op, key, gone, count(*) OVER () AS n FROM ${KEEP} WHERE table_name = $1 AND NOT (op = 'i' AND gone) ORDER BY n LIMIT 10000`,
        [t.name],
      );
      changedTotal += Number(res.rows[0]?.n ?? 0);
      for (const r of res.rows) {
        changed.push({
          table: t.name,
          key: t.key ? r.key : null,
          row: null,
          reason: r.gone
            ? 'deleted after the import (its old values would come back)'
            : r.op === 'i'
              ? 'inserted by the import, then changed'
              : 'updated by the import, then changed again',
        });
      }
    }
    if (changed.length && !options.keepChanged) throw new UndoConflictError(changed, changedTotal);
    if (changed.length) ctx.log(`${changedTotal} row(s) changed after the import are left as they are now.`, 'warn');

    // ── undo: old values back (parents first), inserted rows deleted (children first) ──
    ctx.phase(2, UNDO_PHASES[2]);
    const counts = new Map(tables.map((t) => [t.name, { table: t.name, deleted: 0, restored: 0, kept: 0 }]));
    for (const p of changed) counts.get(p.table)!.kept++;
    if (changedTotal > changed.length) ctx.log(`(only the first ${changed.length} changed rows are counted per table)`);
    // Rows the import did not write stop the undo before a foreign key's action reaches them.
    const logTables: UndoLogTables = { schema, written, log, keep: KEEP };
    const groups = await deletionOrder(ctx, schema, written);
    const cycleOf = (table: string) => groups.find((g) => g.some((t) => t.name === table))?.map((t) => t.name) ?? [];
    const reachedByRestore = await referrersOfRestored(ctx, logTables);
    if (reachedByRestore.length) throw new UndoError(referrersMessage(reachedByRestore, cycleOf));
    for (const t of written) {
      ctx.throwIfCancelled();
      if (!t.key) continue; // rows without any key are never updated
      const T = qualified(schema, t.name);
      const cols = (
        await ctx.query<{ name: string }>(
          `SELECT a.attname AS name FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a' ORDER BY a.attnum`,
          [T],
        )
      ).rows.map((r) => r.name);
      // Key columns too: the import may have changed them (the row is logged under its new key).
      const set = cols.map((c) => `${ident(c)} = b.${ident(c)}`);
      if (!set.length) continue;
      await moveUniqueValuesAside(ctx, {
        table: T,
        tag: `undo_${t.name.replace(/\W/g, '_')}`,
        moves: { sql: restoredAndDeleted(T, t, cols, log, KEEP), columns: cols },
        fixed: t.key,
        name: (g) =>
          `${literal(`${t.name} `)} || jsonb_build_object(${t.key!.map((c) => `${literal(c)}, ${g}.${ident(c)}`).join(', ')})::text`,
      });
      const res = await ctx.query(
        `UPDATE ${T} AS g SET ${set.join(', ')}
         FROM ${log} u CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.key) k CROSS JOIN LATERAL jsonb_populate_record(NULL::${T}, u.before) b
         WHERE u.table_name = $1 AND u.op = 'u' AND ${keyJoin(t, 'g', 'k')} AND NOT EXISTS (SELECT 1 FROM ${KEEP} x WHERE x.n = u.n)`,
        [t.name],
      );
      counts.get(t.name)!.restored += res.rowCount ?? 0;
      ctx.progress({ type: 'table', table: t.name, phase: 2, rowsDone: res.rowCount ?? 0, rowsTotal: null });
    }
    const reachedByDelete = await referrersOfDeleted(ctx, logTables);
    if (reachedByDelete.length) throw new UndoError(referrersMessage(reachedByDelete, cycleOf));
    // Children first. Tables that refer to each other in a cycle (what the import broke by late seeding)
    // lose their rows in one statement, a DELETE per table in one WITH: foreign keys are checked at its
    // end, once every row of the cycle is gone, so neither NULLs written first nor deferrable constraints
    // are needed, and a NOT NULL cycle comes apart as well.
    for (const group of groups) {
      ctx.throwIfCancelled();
      const parts = group.map((t, i) => `d${i} AS (${deleteInserted(schema, t, log, KEEP)} RETURNING 1)`);
      const res = await ctx.query<Record<string, string>>(
        `WITH ${parts.join(', ')} SELECT ${group.map((_, i) => `(SELECT count(*) FROM d${i}) AS n${i}`).join(', ')}`,
      );
      group.forEach((t, i) => {
        const n = Number(res.rows[0][`n${i}`]);
        counts.get(t.name)!.deleted += n;
        ctx.progress({ type: 'table', table: t.name, phase: 2, rowsDone: n, rowsTotal: null, done: true });
      });
    }

    // ── the lineage of ids: what the import added goes, what it replaced comes back ──
    ctx.phase(3, UNDO_PHASES[3]);
    const lineage = { removed: 0, restored: 0 };
    if ((await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${UNDO_SCHEMA}.lineage`)}) IS NOT NULL AS ok`)).rows[0].ok) {
      const removed = await ctx.query(
        `DELETE FROM ${LINEAGE_STORE} WHERE schema_name = $1 AND table_name = ANY ($2) AND recorded_at = $3::timestamptz`,
        [schema, tables.map((t) => t.name), run.at],
      );
      lineage.removed = removed.rowCount ?? 0;
      const restored = await ctx.query(
        `INSERT INTO ${LINEAGE_STORE} (schema_name, table_name, origin, origin_key, local_key, recorded_at)
         SELECT b.schema_name, b.table_name, b.origin, b.origin_key, b.local_key, b.recorded_at FROM ${log} u CROSS JOIN LATERAL jsonb_populate_record(NULL::${LINEAGE_STORE}, u.before) b WHERE u.op = 'L'
         ON CONFLICT (schema_name, table_name, origin, origin_key) DO UPDATE SET local_key = EXCLUDED.local_key, recorded_at = EXCLUDED.recorded_at`,
      );
      lineage.restored = restored.rowCount ?? 0;
    }
    await ctx.query(`UPDATE ${RUNS} SET undone_at = now(), undone_by = current_user, log = NULL WHERE id = $1`, [run.id]);
    await ctx.query(`DROP TABLE ${log}`);
    try {
      await ctx.query('SET CONSTRAINTS ALL IMMEDIATE');
    } catch (error) {
      throw new UndoError(
        `Undoing the import would break a constraint of ${identity.database}: ${(error as Error).message}. Nothing was changed.`,
      );
    }
    if (options.dryRun) await ctx.query('ROLLBACK');
    else {
      await ctx.query('COMMIT');
      committed = true;
    }
    ctx.log(
      options.dryRun
        ? 'Dry run of the undo complete; everything was rolled back.'
        : 'Undo committed: the target is as it was before that import.',
    );
    return {
      dryRun: !!options.dryRun,
      run: { ...info, undoable: false, undoneAt: options.dryRun ? null : new Date().toISOString() },
      target: { database: identity.database, identity: identity.identity },
      tables: [...counts.values()].filter((c) => logged.has(c.table)),
      changed,
      lineage,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    if (!committed) await ctx.client.query('ROLLBACK').catch(() => undefined);
    if (ctx.cancelled) throw new CancelledError('The undo was cancelled and rolled back; the target is unchanged.');
    const e = error as { code?: string; message?: string };
    if (e?.code === '55P03')
      throw new UndoError(
        `Could not lock the tables the import wrote within ${(options.lockTimeoutMs ?? 10_000) / 1000} s; another session is writing to them. Nothing was changed.`,
      );
    if (typeof e?.code === 'string' && /^23/.test(e.code))
      throw new UndoError(`Undoing the import would break a constraint: ${e.message}. Nothing was changed.`);
    throw error;
  } finally {
    await ctx.close();
  }
}
