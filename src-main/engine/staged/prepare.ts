// The first two phases every run over an archive shares (import, dry run, diff): read the archive
// and the target's catalog, check they fit, and stage the archive's rows. A base archive (the export
// the source was seeded from) is staged beside it for three-way comparisons.
import type { RowProblem } from '../report-types';
import { createHash } from 'node:crypto';
import type { Unlocker } from '../archive/crypto';
import { type ArchiveIndex, listedFiles } from '../archive/format';
import { loadLegacyArchive } from '../archive/legacy';
import { type ArchiveLimits, archiveSha256, type OpenedArchive, openArchive } from '../archive/reader';
import { type Catalog, readCatalog } from '../catalog';
import type { Mr4Config } from '../config';
import { ident } from '../sql';
import { buildPlan, LARGE_OBJECT_TYPE, type Plan, resolveConfig } from '../plan';
import type { RunContext } from '../run-context';
import { ArchiveError } from '../archive/format';
import { archiveDataTables, reconcile } from './checks';
import { runSchemas } from './agreed';
import { fileSource, type TableSource } from '../archive/source';
import { archiveSide, hasLineageStore, type LineageSide, NO_LINEAGE, stagedLineage, targetSide } from './lineage';
import { diagnoseMisfits, stageTables } from './staging';
import { type StagedTable, temp } from './types';

export interface PrepareOptions {
  archive: string;
  schema?: string;
  config?: Mr4Config;
  tables?: string[];
  ignoreMissingColumns?: boolean;
  limits?: ArchiveLimits;
  /** Pair rows through the lineage of ids (default true). */
  lineage?: boolean;
  /** Opens encrypted archives (the archive, and a base). */
  unlocker?: Unlocker;
}

export interface PreparedRun {
  opened: OpenedArchive;
  index: ArchiveIndex;
  catalog: Catalog;
  plan: Plan;
  tables: StagedTable[];
  warnings: string[];
  ignoredColumns: string[];
  /** Rows whose values do not fit their target types (refused). */
  castProblems: RowProblem[];
  /** A 1.0 archive's rows it cannot express (not imported) and references it cannot name (NULL). */
  dropped: RowProblem[];
  nulled: RowProblem[];
  formatLabel: string;
  /** sha256 of the whole archive file, computed while it was read. */
  sha256: string;
  /** The archive's table files, to read again (an archive of format 2 only: a legacy archive's are
   *  made from the original files). */
  files: TableSource | null;
  /** The archive's database and its lineage (staged), and the target's. */
  source: LineageSide;
  target: LineageSide;
}

/** Phases 0 and 1. The caller has begun the transaction and applied the session settings. */
export async function prepareRun(ctx: RunContext, options: PrepareOptions, onPhase: (index: number) => void): Promise<PreparedRun> {
  onPhase(0);
  const opened = await openArchive(options.archive, { limits: options.limits, signal: ctx.signal, unlocker: options.unlocker });
  const catalog = await readCatalog(ctx.client, options.schema ?? 'public');
  const legacy = opened.kind === 'mr4-1-legacy' ? await loadLegacyArchive(opened, catalog, options.limits) : null;
  const index = legacy ? legacy.index : opened.index!;
  const { config } = resolveConfig(catalog, options.config);
  const excluded = new Set(
    Object.entries(config.tables)
      .filter(([, c]) => c.exclude)
      .map(([n]) => n),
  );
  const chosen = archiveDataTables(index, excluded, options.tables);
  // Tables the target lacks are reported by reconcile(), with every other problem.
  const plan = buildPlan(catalog, {
    config: options.config,
    tables: chosen.tables.filter((n) => catalog.tables.some((t) => t.name === n)),
  });
  const { tables, warnings, ignoredColumns } = reconcile(index, catalog, plan, {
    ignoreMissingColumns: options.ignoreMissingColumns,
    tables: chosen.tables,
  });
  for (const s of chosen.skipped) warnings.push(`table ${s} is in the archive but excluded by the target's configuration; not imported`);
  // What the plan says is copied as it is (ids it cannot rewrite) is said before anything is written.
  warnings.push(...plan.warnings);
  warnings.push(...(legacy?.warnings ?? []));
  warnings.push(...maskedWarnings(index, tables));
  if (index.metadata.subset) {
    warnings.push(
      `the archive is a subset (${index.metadata.subset.where.map((w) => `${w.table}: ${w.where}`).join('; ')}): rows of ${tables
        .filter((t) => t.archive.subset)
        .map((t) => t.plan.name)
        .join(', ')} that it lacks were not exported, and are never taken for deleted`,
    );
  }
  for (const w of warnings) ctx.log(w, 'warn');

  onPhase(1);
  const hash = legacy ? null : createHash('sha256');
  const source = legacy ? legacy.source : fileSource(options.archive, options.limits, hash ?? undefined, options.unlocker);
  const lineageTable = stagedLineage('s');
  const useLineage = options.lineage !== false;
  const lineage = useLineage && index.lineage ? { meta: index.lineage, into: lineageTable } : undefined;
  const misfits = await stageTables(ctx, source, tables, listedFiles(index), lineage);
  const sha256 = hash ? hash.digest('hex') : await archiveSha256(options.archive);
  const castProblems = await diagnoseMisfits(ctx, source, misfits);
  for (const w of await largeObjectWarnings(ctx, tables, config)) {
    warnings.push(w);
    ctx.log(w, 'warn');
  }
  for (const p of castProblems) tables.find((t) => t.plan.name === p.table)!.counts.failed++;
  for (const p of legacy?.dropped ?? []) {
    const t = tables.find((x) => x.plan.name === p.table);
    if (t) t.counts.failed++;
  }
  return {
    opened,
    index,
    catalog,
    plan,
    tables,
    warnings,
    ignoredColumns,
    castProblems,
    dropped: legacy?.dropped ?? [],
    nulled: legacy?.nulled ?? [],
    formatLabel: opened.kind === 'mr4-2' ? index.formatVersion : '1.0 (original MR4)',
    sha256,
    files: legacy ? null : source,
    source: useLineage ? archiveSide(index.metadata.identity, lineage?.meta, lineageTable) : NO_LINEAGE,
    target: useLineage ? targetSide(catalog.identity, await hasLineageStore(ctx), catalog.schema) : NO_LINEAGE,
  };
}

/**
 * What the archive's large-object numbers name in the target, counted per column (one statement
 * each): no large object, or one of the target's own, whose contents mr4 cannot compare.
 */
async function largeObjectWarnings(ctx: RunContext, tables: StagedTable[], config: Mr4Config): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const plain = new Set(config.tables[t.plan.name]?.notReferences ?? []);
    const columns = t.catalog.columns.filter((c) => LARGE_OBJECT_TYPE.test(c.type) && t.staged.includes(c.name) && !plain.has(c.name));
    for (const c of columns) {
      const { rows } = await ctx.query<{ none: string; own: string }>(
        `SELECT count(DISTINCT s.${ident(c.name)}) FILTER (WHERE l.oid IS NULL) AS none,
                count(DISTINCT s.${ident(c.name)}) FILTER (WHERE l.oid IS NOT NULL) AS own
         FROM ${temp(t, 'staged')} s LEFT JOIN pg_largeobject_metadata l ON l.oid = s.${ident(c.name)}::oid
         WHERE s.${ident(c.name)} IS NOT NULL`,
      );
      const [none, own] = [Number(rows[0].none), Number(rows[0].own)];
      if (none + own === 0) continue;
      out.push(
        `${t.plan.name}.${c.name}: of the archive's ${none + own} large-object numbers, ${none} name no large object in this database and ${own} name one of its own, which may hold other contents; the rows written with them point there.`,
      );
    }
  }
  return out;
}

/**
 * Stages the base archive's rows for the tables of the run, as they were when the source was seeded.
 * Tables or columns the base lacks (the schema moved on since) are staged empty or left out; fields
 * without a base value can only be compared two ways, and a difference there is a conflict.
 */
export interface StagedBase {
  path: string;
  index: ArchiveIndex;
  tables: Map<string, StagedTable>;
  side: LineageSide;
}

export async function stageBase(
  ctx: RunContext,
  run: PreparedRun,
  basePath: string,
  limits?: ArchiveLimits,
  prefix = 'b',
  unlocker?: Unlocker,
): Promise<StagedBase> {
  const opened = await openArchive(basePath, { limits, signal: ctx.signal, unlocker });
  if (opened.kind !== 'mr4-2') throw new ArchiveError('A base archive must be a format 2 archive written by mr4 export.');
  const base = opened.index!;
  refuseBaseOfAnotherSchema(run, basePath, base);
  const tables = new Map<string, StagedTable>();
  run.tables.forEach((t, position) => {
    const at = base.tables[t.plan.name];
    if (!at) return;
    const staged: string[] = [];
    const pick: number[] = [];
    // A column whose type changed since (varchar(10) → varchar(20), integer → bigint: a routine
    // migration) is read as the target's type now, like the archive's own; a value that no longer
    // fits refuses the base below, rather than leaving the column without a base (every difference a
    // conflict, and a key column missing).
    at.columns.forEach((c, i) => {
      if (t.staged.includes(c.name)) {
        staged.push(c.name);
        pick.push(i);
      }
    });
    // Columns the base says are masked are masked values on one side at least: never compared.
    for (const m of at.masked ?? []) if (t.staged.includes(m.column) && !t.masked.includes(m.column)) t.masked.push(m.column);
    tables.set(t.plan.name, { ...t, archive: at, staged, pick, stage: `${prefix}${position}`, tag: `${prefix}${position}`, rows: 0 });
  });
  // A base that shares no table with the run is not a base of these databases (a wrong file): every
  // row would compare as added on both sides.
  if (tables.size === 0 && run.tables.length > 0) {
    throw new ArchiveError(
      `The base archive ${basePath} (of ${base.metadata.database}) holds none of the tables this run compares (${run.tables.map((t) => t.plan.name).join(', ')}): it is not what these two databases agreed on. Choose the archive the two last agreed on, or compare two ways.`,
    );
  }
  const list = [...tables.values()];
  const lineageTable = stagedLineage(prefix);
  const misfits = await stageTables(
    ctx,
    fileSource(basePath, limits, undefined, unlocker),
    list,
    listedFiles(base),
    base.lineage ? { meta: base.lineage, into: lineageTable } : undefined,
  );
  if (misfits.length) {
    throw new ArchiveError(
      `The base archive holds values that no longer fit the target's types (tables ${misfits.map((t) => t.plan.name).join(', ')}).`,
    );
  }
  return { path: basePath, index: base, tables, side: archiveSide(base.metadata.identity, base.lineage, lineageTable) };
}

/** A base holding another schema's rows (another tenant's, or a schema of the same name elsewhere)
 *  would make the run's rows look edited or deleted since it: a merge would overwrite the target. */
function refuseBaseOfAnotherSchema(run: PreparedRun, basePath: string, base: ArchiveIndex): void {
  const schemas = runSchemas(run);
  if (schemas.includes(base.metadata.schema)) return;
  throw new ArchiveError(
    `The base archive ${basePath} holds schema "${base.metadata.schema}" of ${base.metadata.database}, but this run compares schema ` +
      `"${run.index.metadata.schema}" of ${run.index.metadata.database} with schema "${run.catalog.schema}" of ${run.catalog.database}: ` +
      `it is not what these two agreed on. Choose an archive of schema "${run.catalog.schema}" as the base, or compare two ways (mr4: --base none).`,
  );
}

/** What the run says of masked columns: never compared, written into new rows only. */
function maskedWarnings(index: ArchiveIndex, tables: StagedTable[]): string[] {
  const out: string[] = [];
  for (const t of tables) {
    if (!t.masked.length) continue;
    const origins = new Set((t.archive.masked ?? []).map((m) => m.origin).filter((o) => o && o !== index.metadata.identity));
    const by = origins.size
      ? `masked before they reached ${index.metadata.database}`
      : `masked by the export of ${index.metadata.database}`;
    out.push(
      `${t.plan.name}.${t.masked.join(`, ${t.plan.name}.`)} ${t.masked.length > 1 ? 'hold' : 'holds'} masked values (${by}): never compared, and never written over the target's values; only new rows get them`,
    );
  }
  return out;
}
