// Reading an export's tables over several connections that all see one snapshot, as `pg_dump -j`
// does: the export's own transaction exports its snapshot and every other connection adopts it, so
// each table is read as of the same instant whichever connection reads it. The server's sorting and
// text output of one table then overlaps this process's framing and compression of another.
import type { DbTarget } from '../db/connect';
import { CancelledError, type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { literal } from './sql';

/** Connections an export reads with, unless told otherwise: one more than the export's own is where
 *  two cores stop gaining, and it asks little of a production server. */
export const DEFAULT_EXPORT_JOBS = 2;
export const MAX_EXPORT_JOBS = 16;
/** Below this much data a second connection costs more than it saves (its start, its snapshot, its
 *  catalog lookups): a small database is read over one, unless more were asked for. */
export const PARALLEL_EXPORT_FROM_BYTES = 16 * 1024 * 1024;

/** The connections an export reads over: as many as asked, else DEFAULT_EXPORT_JOBS where the tables
 *  hold PARALLEL_EXPORT_FROM_BYTES or more; never more than there are tables. */
export function exportJobs(tables: readonly { bytes: number }[], asked: number | undefined): number {
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  const jobs = asked ?? (bytes >= PARALLEL_EXPORT_FROM_BYTES ? DEFAULT_EXPORT_JOBS : 1);
  return Math.max(1, Math.min(jobs, tables.length));
}

/**
 * Opens up to `extra` more connections reading the snapshot of `ctx`'s open REPEATABLE READ
 * transaction, each set up by `setup` (session settings, a mask key). Where the server refuses one
 * (its connection limit), the export goes on with those it has, and says so.
 */
export async function openSnapshotReaders(
  ctx: RunContext,
  db: DbTarget,
  extra: number,
  setup: (reader: RunContext) => Promise<void>,
  signal: AbortSignal | undefined,
  emit: EmitEvent | undefined,
): Promise<RunContext[]> {
  if (extra <= 0) return [];
  const snapshot = (await ctx.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0].id;
  const opened = await Promise.allSettled(
    Array.from({ length: extra }, async () => {
      const reader = await RunContext.open(db, signal, emit);
      try {
        await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await reader.query(`SET TRANSACTION SNAPSHOT ${literal(snapshot)}`);
        await applySessionSettings(reader.client);
        await setup(reader);
        return reader;
      } catch (error) {
        reader.abandon();
        await reader.close();
        throw error;
      }
    }),
  );
  const readers = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const refused = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (refused) {
    if (ctx.cancelled) {
      await closeReaders(readers);
      throw new CancelledError();
    }
    const reason = refused.reason instanceof Error ? refused.reason.message : String(refused.reason);
    ctx.log(`Reading over ${readers.length + 1} connection(s) instead of ${extra + 1}: the server refused more (${reason}).`, 'warn');
  }
  return readers;
}

/**
 * Runs `work` on every item, each connection taking the next item as it is free. The first failure
 * drops every other connection (a COPY nobody reads would block its server forever) and is thrown
 * once all have stopped.
 */
export async function readOnEach<T>(
  contexts: RunContext[],
  items: readonly T[],
  work: (ctx: RunContext, item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  await Promise.all(
    contexts.map(async (ctx) => {
      while (!failure && next < items.length) {
        const item = items[next++];
        try {
          await work(ctx, item);
        } catch (error) {
          if (!failure) {
            failure = { error };
            for (const other of contexts) if (other !== ctx) other.abandon();
          }
        }
      }
    }),
  );
  if (failure) throw (failure as { error: unknown }).error;
}

/** Ends the readers' read-only transactions by closing their connections. */
export async function closeReaders(readers: RunContext[]): Promise<void> {
  await Promise.all(readers.map((r) => r.close()));
}
