// Export: one consistent snapshot of a schema into an archive. Each table leaves the server through
// COPY, becomes one JSON array of text values per row (archive/copy-text.ts), is framed, compressed
// and spooled as it streams, and the archive is assembled with index.json first.
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { EXPORT_PHASES, type ExportReport } from '../../src-common/contract';
import type { DbTarget } from '../db/connect';
import { ArchiveWriter, DiskFullError, type SpooledTable } from './archive/writer';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  type ArchiveIndex,
  type ArchiveLineage,
  type ArchiveTable,
  LINEAGE_COLUMNS,
  LINEAGE_FILE,
  LINEAGE_LABEL,
  tableFileNames,
} from './archive/format';
import { hasLineageStore, lineageCopySql } from './staged/lineage';
import { readCatalog } from './catalog';
import type { Mr4Config } from './config';
import { buildPlan, type Plan, type TablePlan } from './plan';
import { CancelledError, connectionLost, type EmitEvent, RunContext } from './run-context';
import { applySessionSettings } from './session';
import { ident, qualified } from './sql';
import { TOOL_NAME } from './version';

export interface ExportOptions {
  db: DbTarget;
  out: string;
  schema?: string;
  tables?: string[];
  config?: Mr4Config;
  description?: string;
  /** sha256 of the archive this database was seeded from (three-way merges). */
  baseSha256?: string;
  /** Looks the seed up once the database is known (by its server's system identifier and name). */
  baseFor?: (database: { systemIdentifier: string | null; database: string }) => Promise<string | undefined>;
  compressionLevel?: number;
  /** Carry the database's lineage of ids (default true): lets a later import pair rows without
   *  natural keys with the rows they came from. */
  lineage?: boolean;
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

/** The columns a table's file carries: all planned ones, or for a reference table only what
 *  identifies its rows. */
export function exportedColumns(tp: TablePlan): string[] {
  if (tp.role === 'data') return tp.columns.map((c) => c.name);
  const wanted = new Set([...tp.primaryKey, ...tp.matchColumns]);
  return tp.columns.map((c) => c.name).filter((c) => wanted.has(c));
}

/** Rows of a reference table that rows being exported point at (recursively), as a WHERE clause. */
function referenceFilters(plan: Plan): Map<string, string> {
  const filters = new Map<string, string>();
  const build = (tp: TablePlan, depth: number): string => {
    const known = filters.get(tp.name);
    if (known !== undefined) return known;
    if (depth > plan.tables.length) return 'true';
    const parts: string[] = [];
    for (const child of plan.tables) {
      for (const ref of child.references) {
        if (ref.parent !== tp.name || !ref.remap || ref.self) continue;
        if (child.role === 'reference' && !(child.key.kind === 'content' || child.key.columns.some((c) => ref.columns.includes(c)))) continue;
        const where = child.role === 'data' ? '' : ` WHERE ${build(child, depth + 1)}`;
        parts.push(`SELECT c.${ident(ref.columns[0])} FROM ${qualified(plan.schema, child.name)} c${where}`);
      }
    }
    const clause = parts.length ? `${ident(tp.surrogate ?? tp.primaryKey[0])} IN (${parts.join(' UNION ')})` : 'false';
    filters.set(tp.name, clause);
    return clause;
  };
  for (const tp of plan.tables) if (tp.role === 'reference') build(tp, 0);
  return filters;
}

function orderBy(tp: TablePlan, columns: string[]): string {
  if (tp.primaryKey.length) return tp.primaryKey.map((c) => ident(c)).join(', ');
  if (tp.key.kind === 'key' && !tp.key.nullable) return tp.key.columns.map((c) => ident(c)).join(', ');
  // No key: order by the row's own text.
  return `array_to_json(ARRAY[${columns.map((c) => `${ident(c)}::text`).join(', ')}]::text[])::text COLLATE "C"`;
}

/** COPY of the table's rows in text format, in a stable order (equal tables give equal files). */
export function copyOutSql(plan: Plan, tp: TablePlan, columns: string[], where: string | undefined): string {
  const list = columns.map((c) => ident(c)).join(', ');
  const select = `SELECT ${list} FROM ${qualified(plan.schema, tp.name)}${where ? ` WHERE ${where}` : ''} ORDER BY ${orderBy(tp, columns)}`;
  return `COPY (${select}) TO STDOUT`;
}

/**
 * Streams one COPY TO into the writer. On a cancel, or when the writer fails (a full disk), the
 * connection is dropped: a server blocked sending rows nobody reads hears no cancel, and the run's
 * other statements would wait behind it forever. The export is read-only, so nothing is lost.
 */
async function spoolCopy(ctx: RunContext, sql: string, spool: (stream: Readable) => Promise<SpooledTable>, onChunk?: (chunk: Buffer) => void): Promise<SpooledTable> {
  ctx.throwIfCancelled();
  const stream = ctx.client.query(copyStreams.to(sql));
  // Errors arrive after the pipeline has let go of the stream too (the connection dropped).
  stream.on('error', () => undefined);
  if (onChunk) stream.on('data', onChunk);
  const abort = () => {
    stream.destroy(new CancelledError());
    ctx.abandon();
  };
  ctx.signal?.addEventListener('abort', abort, { once: true });
  try {
    return await spool(stream);
  } catch (error) {
    ctx.abandon();
    if (ctx.cancelled) throw new CancelledError();
    throw error;
  } finally {
    ctx.signal?.removeEventListener('abort', abort);
  }
}

export async function exportArchive(options: ExportOptions): Promise<ExportReport> {
  const started = Date.now();
  const out = resolve(options.out);
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  let writer: ArchiveWriter | null = null;
  try {
    ctx.phase(0, EXPORT_PHASES[0]);
    await ctx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await applySessionSettings(ctx.client);
    const catalog = await readCatalog(ctx.client, options.schema ?? 'public');
    const plan = buildPlan(catalog, { config: options.config, tables: options.tables });
    const baseSha256 = options.baseSha256 ?? (await options.baseFor?.({ systemIdentifier: catalog.systemIdentifier, database: catalog.database }));
    const timestamp = new Date();
    writer = await ArchiveWriter.create({ spoolParent: dirname(out), level: options.compressionLevel, mtime: timestamp });
    const files = tableFileNames(plan.tables.map((t) => t.name));
    const filters = referenceFilters(plan);

    ctx.phase(1, EXPORT_PHASES[1]);
    const tables: Record<string, ArchiveTable> = {};
    const report: ExportReport['tables'] = [];
    for (const tp of plan.tables) {
      ctx.throwIfCancelled();
      const columns = exportedColumns(tp);
      const where = filters.get(tp.name);
      // The planner's estimate: counting every table first would read it twice.
      const total = where || tp.rowEstimate < 0 ? null : tp.rowEstimate;
      ctx.progress({ type: 'table', table: tp.name, phase: 1, rowsDone: 0, rowsTotal: total, done: false });
      let rowsDone = 0;
      const w = writer;
      const spooled = await spoolCopy(
        ctx,
        copyOutSql(plan, tp, columns, where),
        (stream) => w.addTable(tp.name, files.get(tp.name)!, columns, stream),
        (chunk) => {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rowsDone++;
          ctx.progress({ type: 'table', table: tp.name, phase: 1, rowsDone, rowsTotal: total !== null && rowsDone <= total ? total : null });
        },
      );
      ctx.progress({ type: 'table', table: tp.name, phase: 1, rowsDone: spooled.rows, rowsTotal: spooled.rows, bytes: spooled.bytes, done: true });
      const byName = new Map(tp.columns.map((c) => [c.name, c]));
      tables[tp.name] = {
        file: spooled.file,
        role: tp.role,
        rows: spooled.rows,
        bytes: spooled.bytes,
        sha256: spooled.sha256,
        columns: columns.map((c) => ({ name: c, type: byName.get(c)!.type, notNull: byName.get(c)!.notNull })),
        primaryKey: tp.primaryKey,
        surrogate: tp.surrogate,
        key: { kind: tp.key.kind, columns: tp.key.kind === 'key' ? tp.key.columns : tp.matchColumns, source: tp.key.source },
        references: tp.references
          .filter((r) => !r.external && columns.includes(r.columns[0]))
          .map((r) => ({ columns: r.columns, parent: r.parent, parentColumns: r.parentColumns, remap: r.remap })),
        excludedColumns: tp.excludedColumns,
      };
      report.push({ table: tp.name, role: tp.role, rows: spooled.rows, bytes: spooled.bytes });
    }
    let lineage: ArchiveLineage | undefined;
    if (options.lineage !== false && (await hasLineageStore(ctx))) {
      const w = writer;
      const spooled = await spoolCopy(ctx, lineageCopySql(plan.schema, plan.tables.map((t) => t.name)), (stream) => w.addTable(LINEAGE_LABEL, LINEAGE_FILE, LINEAGE_COLUMNS, stream));
      lineage = { file: LINEAGE_FILE, rows: spooled.rows, bytes: spooled.bytes, sha256: spooled.sha256 };
    }
    await ctx.query('COMMIT');

    ctx.phase(2, EXPORT_PHASES[2]);
    const index: ArchiveIndex = {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      metadata: {
        timestamp: timestamp.toISOString(),
        database: catalog.database,
        schema: catalog.schema,
        server: { version: catalog.serverVersionText, systemIdentifier: catalog.systemIdentifier },
        tool: TOOL_NAME,
        profile: plan.profile,
        ...(options.description ? { description: options.description } : {}),
        ...(baseSha256 ? { baseSha256 } : {}),
        ...(options.tables ? { tables: options.tables } : {}),
        identity: catalog.identity,
      },
      entities: plan.tables.map((t) => t.name),
      files: Object.fromEntries(plan.tables.map((t) => [t.name, files.get(t.name)!])),
      tables,
      excluded: plan.excluded,
      ...(lineage ? { lineage } : {}),
    };
    ctx.throwIfCancelled();
    const written = await writer.finish(index, out, options.signal);
    return { file: written.path, bytes: written.bytes, sha256: written.sha256, database: catalog.database, tables: report, durationMs: Date.now() - started };
  } catch (error) {
    // Read-only: closing the connection ends the transaction on the source at once, whatever state
    // the connection is in.
    ctx.abandon();
    const cleaned = 'its transaction on the source is closed and its temporary files are removed';
    if (ctx.cancelled) throw new CancelledError(`The export was cancelled: ${cleaned}; no archive was written.`);
    if (error instanceof DiskFullError) throw new DiskFullError(`${error.message}. The export stopped: ${cleaned}; no archive was written. Free some space there, or write the archive to another disk (--out).`);
    throw connectionLost(error);
  } finally {
    await writer?.dispose();
    await ctx.close();
  }
}
