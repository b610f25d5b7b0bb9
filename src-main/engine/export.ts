// Export: one consistent snapshot of a schema into an archive. Each table leaves the server through
// COPY, becomes one JSON array of text values per row (archive/copy-text.ts), is framed, compressed
// and spooled as it streams, and the archive is assembled with index.json first.
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { EXPORT_PHASES, type ExportReport, type ForeignKeyPath } from './report-types';
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
import { idsIssued } from './staged/reused-ids';
import { idsGenerations, originMarks, restartedSince } from './staged/sequence-marks';
import { type Catalog, readCatalog } from './catalog';
import { readServerStartedAt } from './server-started';
import type { Mr4Config } from './config';
import type { ArchiveSecret } from './archive/crypto';
import {
  DETERMINISTIC,
  describeRule,
  hmacSql,
  MASK_SETTINGS,
  type MaskedColumn,
  maskedValueSql,
  maskKey,
  maskPads,
  mayCollide,
} from './mask';
import { readStoredMasks } from './mask-store';
import { buildPlan, type MaskMode, type Plan, type TablePlan } from './plan';
import { type ComputedSubset, computeSubset, createKeepTable, keptFilter, type SubsetOptions, type SubsetSummary } from './subset';
import { CancelledError, connectionLost, type EmitEvent, RunContext } from './run-context';
import { closeReaders, exportJobs, openSnapshotReaders, readOnEach } from './snapshot-readers';
import { applySessionSettings } from './session';
import { ident, literal, qualified } from './sql';
import { TOOL_NAME } from './version';
import { plannedForeignKeyPath } from './import/fk-reload';

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
  /** Masking: "config" (default: the configuration's rules), "all" (and the profile's defaults),
   *  "off" (nothing is masked). */
  mask?: MaskMode;
  /** Makes the mask key HMAC(seed): archives masked with one seed mask alike. Else a random key,
   *  for this export only. */
  maskSeed?: Uint8Array | string;
  /** Export only some rows: conditions on some tables, closed over foreign keys (subset.ts). */
  subset?: SubsetOptions;
  /** Encrypt the archive (crypto.ts) with this passphrase or key file. */
  encrypt?: ArchiveSecret;
  /** Connections reading tables at once, on one snapshot (default 2; a subset reads over one: its kept
   *  rows are in the export's own session). */
  jobs?: number;
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

/** Rows of a reference table that rows being exported point at (recursively), as a WHERE clause. A
 *  data table of a subset counts only with its kept rows. */
function referenceFilters(plan: Plan, subset: ComputedSubset | null): Map<string, string> {
  const filters = new Map<string, string>();
  const build = (tp: TablePlan, depth: number): string => {
    const known = filters.get(tp.name);
    if (known !== undefined) return known;
    if (depth > plan.tables.length) return 'true';
    const parts: string[] = [];
    for (const child of plan.tables) {
      for (const ref of child.references) {
        if (ref.parent !== tp.name || !ref.remap || ref.self) continue;
        if (child.role === 'reference' && !(child.key.kind === 'content' || child.key.columns.some((c) => ref.columns.includes(c))))
          continue;
        const kept = subset?.index.get(child.name);
        const where =
          child.role === 'data' ? (kept !== undefined ? ` WHERE ${keptFilter(kept, 'c')}` : '') : ` WHERE ${build(child, depth + 1)}`;
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

function orderBy(tp: TablePlan, columns: string[], value: (c: string) => string): string {
  if (tp.primaryKey.length) return tp.primaryKey.map((c) => value(c)).join(', ');
  if (tp.key.kind === 'key' && !tp.key.nullable) return tp.key.columns.map((c) => value(c)).join(', ');
  // No key: order by the row's own text (masked columns by what the archive holds of them).
  return `array_to_json(ARRAY[${columns.map((c) => `(${value(c)})::text`).join(', ')}]::text[])::text COLLATE "C"`;
}

/** A table's masks, by column: its own (this export's) and what it says of unique keys. */
interface TableMasks {
  byColumn: Map<string, MaskedColumn>;
  /** Columns in a unique key of the table (a name fake gets more digits there). */
  unique: Set<string>;
}

/** The SELECT of a table's rows as the archive holds them: masked columns replaced on the server,
 *  each deterministic one hashed once per row. */
function selectSql(
  plan: Plan,
  tp: TablePlan,
  columns: string[],
  where: string | undefined,
  masks: TableMasks | null,
  order = true,
): { select: string; from: string; value: (c: string) => string } {
  const lateral: string[] = [];
  const hashOf = new Map<string, string>();
  for (const c of columns) {
    const m = masks?.byColumn.get(c);
    if (m && DETERMINISTIC.has(m.rule)) {
      hashOf.set(c, `mz."mr4_h${lateral.length}"`);
      lateral.push(`${hmacSql(`t.${ident(c)}`)} AS "mr4_h${lateral.length}"`);
    }
  }
  const type = (c: string) => tp.columns.find((x) => x.name === c)!.type;
  const value = (c: string) => {
    const m = masks?.byColumn.get(c);
    return m ? maskedValueSql(m, `t.${ident(c)}`, type(c), hashOf.get(c) ?? 'NULL::bytea', masks!.unique.has(c)) : `t.${ident(c)}`;
  };
  const list = columns.map((c) => (masks?.byColumn.has(c) ? `${value(c)} AS ${ident(c)}` : value(c))).join(', ');
  const from = `${qualified(plan.schema, tp.name)} t${lateral.length ? ` CROSS JOIN LATERAL (SELECT ${lateral.join(', ')}) mz` : ''}`;
  const select = `SELECT ${list} FROM ${from}${where ? ` WHERE ${where}` : ''}${order ? ` ORDER BY ${orderBy(tp, columns, value)}` : ''}`;
  return { select, from, value };
}

/** COPY of the table's rows in text format, in a stable order (equal tables give equal files). */
export function copyOutSql(
  plan: Plan,
  tp: TablePlan,
  columns: string[],
  where: string | undefined,
  masks: TableMasks | null = null,
): string {
  return `COPY (${selectSql(plan, tp, columns, where, masks).select}) TO STDOUT`;
}

export class MaskError extends Error {
  override name = 'MaskError';
}

/** Checks, before anything is copied, what masking could get wrong: a fixed value that is not of its
 *  column's type, and two rows of a unique key that would mask to one value. */
async function checkMasks(
  ctx: RunContext,
  plan: Plan,
  catalog: Catalog,
  tp: TablePlan,
  columns: string[],
  where: string | undefined,
  masks: TableMasks,
): Promise<void> {
  for (const m of masks.byColumn.values()) {
    if (m.rule !== 'fixed') continue;
    const type = tp.columns.find((c) => c.name === m.column)!.type;
    await ctx.query('SAVEPOINT mr4_mask');
    try {
      await ctx.query(`SELECT ${literal(m.value ?? '')}::${type}`);
      await ctx.query('RELEASE SAVEPOINT mr4_mask');
    } catch (error) {
      if (ctx.cancelled) throw error;
      await ctx.query('ROLLBACK TO SAVEPOINT mr4_mask');
      throw new MaskError(`The fixed value for ${tp.name}.${m.column} is not a ${type}: ${(error as Error).message}.`);
    }
  }
  const table = catalog.tables.find((t) => t.name === tp.name);
  const keys = [...(table?.primaryKey ? [table.primaryKey] : []), ...(table?.uniqueKeys ?? [])].filter(
    (k) =>
      !k.partial &&
      !k.expression &&
      k.columns.every((c) => columns.includes(c)) &&
      k.columns.some((c) => masks.byColumn.has(c) && mayCollide(masks.byColumn.get(c)!, tp.columns.find((x) => x.name === c)!.type)),
  );
  for (const k of keys) {
    const { from, value } = selectSql(plan, tp, columns, undefined, masks, false);
    const filter = [where, ...k.columns.map((c) => `t.${ident(c)} IS NOT NULL`)].filter(Boolean).join(' AND ');
    const res = await ctx.query(
      `SELECT 1 FROM ${from} WHERE ${filter} GROUP BY ${k.columns.map((c) => value(c)).join(', ')} HAVING count(*) > 1 LIMIT 1`,
    );
    if (res.rowCount) {
      const rules = k.columns.filter((c) => masks.byColumn.has(c)).map((c) => `${c} (${describeRule(masks.byColumn.get(c)!)})`);
      throw new MaskError(
        `Masking would give two rows of ${tp.name} the same ${k.columns.join(', ')}, which must stay unique (${k.name}): the masked ${rules.join(', ')} ${rules.length > 1 ? 'meet' : 'meets'}. ` +
          `Export again (a random mask key differs every time), or mask ${rules.length > 1 ? 'them' : 'it'} with hash or email, which keep far more of the value apart. Nothing was written.`,
      );
    }
  }
}

/**
 * Streams one COPY TO into the writer. On a cancel, or when the writer fails (a full disk), the
 * connection is dropped: a server blocked sending rows nobody reads hears no cancel, and the run's
 * other statements would wait behind it forever. The export is read-only, so nothing is lost.
 */
async function spoolCopy(
  ctx: RunContext,
  sql: string,
  spool: (stream: Readable) => Promise<SpooledTable>,
  onChunk?: (chunk: Buffer) => void,
): Promise<SpooledTable> {
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

/** What an export reads and decides before it copies a row (also what `mr4 plan` shows of it). */
interface Prepared {
  catalog: Catalog;
  plan: Plan;
  /** Per table, its masks (this export's); empty without masking. */
  masks: Map<string, TableMasks>;
  /** Masked columns this database received from others' exports (its _mr4 schema). */
  inherited: Map<string, { column: string; rule: string; origin: string }[]>;
  maskKeyId: { keyId: string; seeded: boolean } | null;
  /** Sets the mask key in another session reading the snapshot (nothing without masking). */
  setMaskKey: (reader: RunContext) => Promise<void>;
  subset: ComputedSubset | null;
}

/** The mask key's two pads, as settings of the transaction. Given as parameters, never in a
 *  statement's text: what the server logs of statements (and MR4_TRACE_SQL) never holds the key. */
async function setMaskPads(ctx: RunContext, pads: { inner: string; outer: string }): Promise<void> {
  await ctx.query(`SELECT set_config('${MASK_SETTINGS.inner}', $1, true), set_config('${MASK_SETTINGS.outer}', $2, true)`, [
    pads.inner,
    pads.outer,
  ]);
}

/** Opens the snapshot (READ ONLY), reads the catalog, plans, sets the mask key, chooses a subset's
 *  rows and checks the masks. The caller has opened `ctx` and said phase 0. */
async function prepareExport(ctx: RunContext, options: Omit<ExportOptions, 'db' | 'out'>): Promise<Prepared> {
  const wantsSubset = !!options.subset?.where.length;
  // Kept rows go to a temporary table, which a READ ONLY transaction may fill but not create.
  if (wantsSubset) await createKeepTable(ctx);
  await ctx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await applySessionSettings(ctx.client);
  const catalog = await readCatalog(ctx.client, options.schema ?? 'public');
  const plan = buildPlan(catalog, { config: options.config, tables: options.tables, mask: options.mask ?? 'config' });
  for (const w of plan.warnings.filter((x) => / is masked and part of /.test(x))) ctx.log(w, 'warn');
  const masks = new Map<string, TableMasks>();
  for (const tp of plan.tables) {
    if (!tp.masked.length) continue;
    const table = catalog.tables.find((t) => t.name === tp.name);
    const unique = new Set(
      [...(table?.primaryKey ? [table.primaryKey] : []), ...(table?.uniqueKeys ?? [])]
        .filter((k) => !k.partial && !k.expression)
        .flatMap((k) => k.columns),
    );
    masks.set(tp.name, { byColumn: new Map(tp.masked.map((m) => [m.column, m])), unique });
  }
  let maskKeyId: Prepared['maskKeyId'] = null;
  let setMaskKey: Prepared['setMaskKey'] = async () => undefined;
  if (masks.size) {
    const key = maskKey(options.maskSeed);
    const pads = maskPads(key);
    await setMaskPads(ctx, pads);
    setMaskKey = (reader) => setMaskPads(reader, pads);
    maskKeyId = { keyId: key.id, seeded: key.seeded };
    const n = [...masks.values()].reduce((k, m) => k + m.byColumn.size, 0);
    ctx.log(
      `Masking ${n} column(s) on the server: ${plan.tables.flatMap((t) => t.masked.map((m) => `${t.name}.${m.column} (${describeRule(m)})`)).join(', ')}.`,
    );
  }
  const inherited = await readStoredMasks(ctx, plan.schema);
  const subset = wantsSubset ? await computeSubset(ctx, plan, options.subset!, (m) => ctx.log(`Subset: ${m}.`)) : null;
  const filters = referenceFilters(plan, subset);
  for (const tp of plan.tables) {
    const m = masks.get(tp.name);
    if (m) await checkMasks(ctx, plan, catalog, tp, exportedColumns(tp), whereOf(tp, filters, subset), m);
  }
  return { catalog, plan, masks, inherited, maskKeyId, setMaskKey, subset };
}

function whereOf(tp: TablePlan, filters: Map<string, string>, subset: ComputedSubset | null): string | undefined {
  const kept = subset?.index.get(tp.name);
  // Named through the alias every reader gives the table (t): beside a masked table's LATERAL join,
  // PostgreSQL finds no unqualified tableoid.
  return kept !== undefined ? keptFilter(kept, 't') : filters.get(tp.name);
}

/** What an export with these options would do, without writing anything: the plan (masks included),
 *  the subset's rows per table, and the columns received masked. */
export async function previewExport(options: Omit<ExportOptions, 'out'>): Promise<{
  plan: Plan;
  catalog: Catalog;
  importForeignKeys: ForeignKeyPath;
  subset: SubsetSummary | null;
  inherited: { table: string; column: string; rule: string; origin: string }[];
}> {
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  try {
    const p = await prepareExport(ctx, options);
    // What an import into this database would do with the foreign keys of these tables.
    const importForeignKeys = await plannedForeignKeyPath(
      ctx,
      p.catalog.schema,
      p.plan.tables.filter((t) => t.role === 'data').map((t) => t.name),
      p.catalog.serverVersion,
    );
    await ctx.query('ROLLBACK');
    return {
      plan: p.plan,
      catalog: p.catalog,
      importForeignKeys,
      subset: p.subset?.summary ?? null,
      inherited: [...p.inherited].flatMap(([table, list]) =>
        list.filter(() => p.plan.tables.some((t) => t.name === table)).map((m) => ({ table, ...m })),
      ),
    };
  } catch (error) {
    ctx.abandon();
    if (ctx.cancelled) throw new CancelledError();
    throw connectionLost(error);
  } finally {
    await ctx.close();
  }
}

/** The index's masked columns of a table: this export's, and those the database received masked. */
function maskedEntry(
  tp: TablePlan,
  columns: string[],
  identity: string,
  received: { column: string; rule: string; origin: string }[] | undefined,
): Pick<ArchiveTable, 'masked'> {
  const own = tp.masked.filter((m) => columns.includes(m.column)).map((m) => ({ column: m.column, rule: m.rule, origin: identity }));
  const more = (received ?? [])
    .filter((m) => columns.includes(m.column) && !own.some((o) => o.column === m.column))
    .map((m) => ({ column: m.column, rule: m.rule, origin: m.origin }));
  const all = [...own, ...more].sort((a, b) => columns.indexOf(a.column) - columns.indexOf(b.column));
  return all.length ? { masked: all } : {};
}

/** Before anything is read: the archive's folder must exist, and its name must not be a folder's. */
async function checkDestination(out: string): Promise<void> {
  const folder = await stat(dirname(out)).catch(() => null);
  if (!folder?.isDirectory()) {
    throw new ExportDestinationError(
      `Cannot write the archive ${out}: the folder ${dirname(out)} does not exist. Create it, or name a file in an existing folder.`,
    );
  }
  if ((await stat(out).catch(() => null))?.isDirectory()) {
    throw new ExportDestinationError(`Cannot write the archive ${out}: that is a folder. Name a file, e.g. ${join(out, 'export.tar.gz')}.`);
  }
}

export class ExportDestinationError extends Error {
  override name = 'ExportDestinationError';
}

export async function exportArchive(options: ExportOptions): Promise<ExportReport> {
  const started = Date.now();
  const out = resolve(options.out);
  await checkDestination(out);
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  let writer: ArchiveWriter | null = null;
  let readers: RunContext[] = [];
  try {
    ctx.phase(0, EXPORT_PHASES[0]);
    const { catalog, plan, masks, inherited, maskKeyId, setMaskKey, subset } = await prepareExport(ctx, options);
    const baseSha256 =
      options.baseSha256 ?? (await options.baseFor?.({ systemIdentifier: catalog.systemIdentifier, database: catalog.database }));
    const serverStartedAt = await readServerStartedAt(ctx.client);
    const timestamp = new Date();
    writer = await ArchiveWriter.create({
      spoolParent: dirname(out),
      level: options.compressionLevel,
      mtime: timestamp,
      encrypt: options.encrypt,
    });
    const files = tableFileNames(plan.tables.map((t) => t.name));
    const filters = referenceFilters(plan, subset);
    const keptRows = new Map((subset?.summary.tables ?? []).filter((t) => t.rows !== null).map((t) => [t.table, t.rows!]));

    const jobs = subset ? 1 : exportJobs(plan.tables, options.jobs);
    readers = await openSnapshotReaders(ctx, options.db, jobs - 1, setMaskKey, options.signal, options.onEvent);

    ctx.phase(1, EXPORT_PHASES[1]);
    const tables = new Map<string, ArchiveTable>();
    // The largest tables first, so that no connection is left reading a big one alone at the end.
    const largestFirst = [...plan.tables].sort((a, b) => b.rowEstimate - a.rowEstimate);
    await readOnEach([ctx, ...readers], largestFirst, async (reader, tp) => {
      reader.throwIfCancelled();
      const columns = exportedColumns(tp);
      const where = whereOf(tp, filters, subset);
      // A subset's counts are known; else the planner's estimate: counting every table first would
      // read it twice.
      const total = keptRows.get(tp.name) ?? (where || tp.rowEstimate < 0 ? null : tp.rowEstimate);
      reader.progress({ type: 'table', table: tp.name, phase: 1, rowsDone: 0, rowsTotal: total, done: false });
      let rowsDone = 0;
      const w = writer!;
      const spooled = await spoolCopy(
        reader,
        copyOutSql(plan, tp, columns, where, masks.get(tp.name) ?? null),
        (stream) => w.addTable(tp.name, files.get(tp.name)!, columns, stream),
        (chunk) => {
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rowsDone++;
          reader.progress({
            type: 'table',
            table: tp.name,
            phase: 1,
            rowsDone,
            rowsTotal: total !== null && rowsDone <= total ? total : null,
          });
        },
      );
      reader.progress({
        type: 'table',
        table: tp.name,
        phase: 1,
        rowsDone: spooled.rows,
        rowsTotal: spooled.rows,
        bytes: spooled.bytes,
        done: true,
      });
      const byName = new Map(tp.columns.map((c) => [c.name, c]));
      tables.set(tp.name, {
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
          .filter((r) => !r.external && !r.via && columns.includes(r.columns[0]))
          .map((r) => ({ columns: r.columns, parent: r.parent, parentColumns: r.parentColumns, remap: r.remap })),
        excludedColumns: tp.excludedColumns,
        ...maskedEntry(tp, columns, catalog.identity, inherited.get(tp.name)),
        ...(subset && tp.role === 'data' && subset.shape.roles.get(tp.name) !== 'full'
          ? { subset: subset.shape.roles.get(tp.name) as 'filtered' | 'dependent' }
          : {}),
      });
    });
    await closeReaders(readers);
    readers = [];
    const report: ExportReport['tables'] = plan.tables.map((tp) => {
      const t = tables.get(tp.name)!;
      return { table: tp.name, role: tp.role, rows: t.rows, bytes: t.bytes };
    });
    let lineage: ArchiveLineage | undefined;
    if (options.lineage !== false && (await hasLineageStore(ctx))) {
      const w = writer;
      const spooled = await spoolCopy(
        ctx,
        lineageCopySql(
          plan.schema,
          plan.tables.map((t) => t.name),
        ),
        (stream) => w.addTable(LINEAGE_LABEL, LINEAGE_FILE, LINEAGE_COLUMNS, stream),
      );
      lineage = { file: LINEAGE_FILE, rows: spooled.rows, bytes: spooled.bytes, sha256: spooled.sha256 };
    }
    for (const [table, issued] of await idsIssued(ctx, plan.schema, plan.tables)) tables.get(table)!.idsIssued = issued;
    for (const [table, since] of await restartedSince(ctx, plan.schema, plan.tables)) tables.get(table)!.idsRestartedSince = since;
    for (const [table, generation] of await idsGenerations(ctx, plan.tables)) tables.get(table)!.idsGeneration = generation;
    if (options.lineage !== false) {
      const marks = await originMarks(
        ctx,
        plan.schema,
        plan.tables.map((t) => t.name),
      );
      for (const [table, byOrigin] of marks) tables.get(table)!.originIdsGenerations = Object.fromEntries(byOrigin);
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
        server: { version: catalog.serverVersionText, systemIdentifier: catalog.systemIdentifier, startedAt: serverStartedAt },
        tool: TOOL_NAME,
        profile: plan.profile,
        ...(options.description ? { description: options.description } : {}),
        ...(baseSha256 ? { baseSha256 } : {}),
        ...(options.tables ? { tables: options.tables } : {}),
        identity: catalog.identity,
        databaseIdentity: catalog.databaseIdentity,
        ...(maskKeyId ? { masking: maskKeyId } : {}),
        ...(subset ? { subset: { where: subset.summary.where, withChildren: subset.summary.withChildren } } : {}),
      },
      entities: plan.tables.map((t) => t.name),
      files: Object.fromEntries(plan.tables.map((t) => [t.name, files.get(t.name)!])),
      tables: Object.fromEntries(plan.tables.map((t) => [t.name, tables.get(t.name)!])),
      excluded: plan.excluded,
      ...(lineage ? { lineage } : {}),
    };
    ctx.throwIfCancelled();
    const written = await writer.finish(index, out, options.signal);
    const masked = plan.tables.flatMap((t) =>
      (index.tables[t.name].masked ?? []).map((m) => ({
        table: t.name,
        column: m.column,
        rule: m.rule,
        inherited: m.origin !== catalog.identity,
      })),
    );
    return {
      file: written.path,
      bytes: written.bytes,
      sha256: written.sha256,
      database: catalog.database,
      tables: report,
      durationMs: Date.now() - started,
      ...(masked.length ? { masked } : {}),
      ...(subset ? { subset: subset.summary } : {}),
      ...(options.encrypt ? { encrypted: true } : {}),
    };
  } catch (error) {
    // Read-only: closing the connection ends the transaction on the source at once, whatever state
    // the connection is in.
    ctx.abandon();
    for (const reader of readers) reader.abandon();
    const cleaned = 'its transaction on the source is closed and its temporary files are removed';
    if (ctx.cancelled) throw new CancelledError(`The export was cancelled: ${cleaned}; no archive was written.`);
    if (error instanceof DiskFullError)
      throw new DiskFullError(
        `${error.message}. The export stopped: ${cleaned}; no archive was written. Free some space there, or write the archive to another disk (--out).`,
      );
    throw connectionLost(error);
  } finally {
    await closeReaders(readers);
    await writer?.dispose();
    await ctx.close();
  }
}
