// The engine work a front door can ask for, as plain data that crosses into a worker thread, and the
// one function that carries it out.
import type { EngineEvent, ForeignKeyPath } from '../../src-common/contract';
import type { ForgetLineageScope } from '../../src-common/forget-lineage';
import { type ComparisonSettings, type ImportSettings, comparisonSettingsOf } from '../../src-common/import-settings';
import { dbTarget } from '../db/connect';
import type { SshSettings } from '../db/ssh-tunnel';
import type { ArchiveLimits } from '../engine/archive/reader';
import { loadConfigFile, type Mr4Config } from '../engine/config';
import { exportArchive, previewExport } from '../engine/export';
import type { ArchiveSecret } from '../engine/archive/crypto';
import type { SubsetOptions, SubsetSummary } from '../engine/subset';
import { importArchive } from '../engine/import/index';
import { type Decisions, loadDecisions } from '../engine/compare/decisions';
import { type DiffRequest, runDiff } from './diff-job';
import { type DiffPageRequest, openDiff } from '../engine/diff/index';
import { agreementStore } from './bases';
import type { MaskMode, Plan } from '../engine/plan';
import { buildArchiveCache } from './archive-cache-builder';
import { listRuns, undoImport } from '../engine/undo';
import { forgetLineage } from '../engine/forget-lineage';
import { connectionLost, ConnectionLostError } from '../engine/run-context';

/** Where to connect: a URL (with the password inside, if any) and whether it may name files. */
export interface DbSpec {
  url?: string;
  allowFileParams?: boolean;
  env?: Record<string, string | undefined>;
  /** Through an SSH tunnel (the CLI's --ssh; the app's connections carry theirs inside `url`). */
  ssh?: SshSettings;
}

interface ConfigSource {
  config?: Mr4Config;
  configPath?: string;
}

export interface PlanJob extends ConfigSource {
  kind: 'plan';
  db: DbSpec;
  schema?: string;
  tables?: string[];
  /** What an export would mask ("config" by default: the configuration's rules). */
  mask?: MaskMode;
  /** What a subset export would take (its rows are counted). */
  subset?: SubsetOptions;
}

export interface ExportJob extends ConfigSource {
  kind: 'export';
  db: DbSpec;
  out: string;
  schema?: string;
  tables?: string[];
  description?: string;
  /** Carry the database's lineage of ids (default true). */
  lineage?: boolean;
  /** zlib level 0–9 (default 3). */
  compressionLevel?: number;
  /** Connections reading tables at once, on one snapshot (default 2). */
  jobs?: number;
  /** Masking: "config" (default), "all" (with the profile's defaults), "off". */
  mask?: MaskMode;
  /** A mask seed (else a random key for this export only). */
  maskSeed?: Uint8Array;
  subset?: SubsetOptions;
  /** Encrypt the archive with a passphrase or a key file. */
  encrypt?: ArchiveSecret;
}

export interface ImportJob extends ConfigSource {
  kind: 'import';
  db: DbSpec;
  archive: string;
  /** How it runs, passed to the engine as it is. */
  settings: ImportSettings;
  schema?: string;
  lockTimeoutMs?: number;
  /** Three-way merge: the archive the source was seeded from. */
  base?: string;
  /** A decisions file (path) or its content. */
  decisionsPath?: string;
  decisions?: Decisions;
  expectFingerprints?: string;
  /** The run must write nothing (a production run confirmed without the typed name). */
  nothingToWrite?: boolean;
  /** The data folder whose agreed states base "auto" reads and a real import writes; without it
   *  nothing is remembered. */
  dataDir?: string;
  /** Keep what the two databases agree on after the run (default true, with a dataDir). */
  remember?: boolean;
  /** The passphrase or key file of an encrypted archive (and base). */
  secret?: ArchiveSecret;
}

export interface DiffJob extends ConfigSource, DiffRequest {
  kind: 'diff';
  db: DbSpec;
}

/** A diff that stays open in its worker for paging until closed (the app's diff view). */
export interface DiffSessionJob extends ConfigSource, ComparisonSettings {
  kind: 'diff-session';
  db: DbSpec;
  archive: string;
  /** A base archive, or "auto": what the two databases last agreed on, kept in `dataDir`. */
  base?: string;
  dataDir?: string;
  schema?: string;
  tables?: string[];
  secret?: ArchiveSecret;
}

/** An open session in a worker: its first result, then calls until it is closed. */
export interface EngineSession {
  result: unknown;
  call(method: string, args: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export async function openEngineSession(job: DiffSessionJob, signal: AbortSignal, emit: (e: EngineEvent) => void): Promise<EngineSession> {
  const session = await openDiff({
    db: target(job.db),
    archive: job.archive,
    base: job.base,
    agreement: job.dataDir ? agreementStore(job.dataDir, false) : undefined,
    ...comparisonSettingsOf(job),
    schema: job.schema,
    tables: job.tables,
    secret: job.secret,
    config: await configOf(job),
    signal,
    onEvent: emit,
  });
  return {
    result: session.summary,
    async call(method, args) {
      switch (method) {
        case 'page':
          return session.page(args as DiffPageRequest);
        case 'conflicts':
          return session.conflicts();
        case 'fingerprints':
          await session.writeFingerprints((args as { path: string }).path);
          return { ok: true };
        default:
          throw new Error(`unknown session call ${method}`);
      }
    },
    close: () => session.close(),
  };
}

/** Streams an archive once into the archive browser's paged cache (see archive-cache-builder.ts). */
export interface CacheArchiveJob {
  kind: 'cache-archive';
  archive: string;
  dir: string;
  limits?: ArchiveLimits;
  secret?: ArchiveSecret;
}

/** Reverts the newest import of a target from its undo log (engine/undo.ts), or (list) says which
 *  imports the target recorded and which one an undo would revert. */
export interface UndoJob {
  kind: 'undo';
  db: DbSpec;
  schema?: string;
  run?: string;
  dryRun?: boolean;
  keepChanged?: boolean;
  lockTimeoutMs?: number;
  list?: boolean;
}

/** Forgets the lineage of ids of some tables of a database (engine/forget-lineage.ts): the way out
 *  where their ids were reused. */
export interface ForgetLineageJob extends ForgetLineageScope {
  kind: 'forget-lineage';
  db: DbSpec;
  schema?: string;
}

export type EngineJob = PlanJob | ExportJob | ImportJob | CacheArchiveJob | DiffJob | UndoJob | ForgetLineageJob;

export interface PlanResult {
  plan: Plan;
  server: { version: string; database: string; systemIdentifier: string | null };
  /** What a subset export takes, per table (with --where). */
  subset?: SubsetSummary | null;
  /** Columns the database received masked (its exports say so). */
  inherited?: { table: string; column: string; rule: string; origin: string }[];
  /** How an import into this database would check the foreign keys of the tables it writes. */
  importForeignKeys?: ForeignKeyPath;
}

async function configOf(job: ConfigSource): Promise<Mr4Config | undefined> {
  if (job.configPath) return loadConfigFile(job.configPath);
  return job.config;
}

function target(spec: DbSpec) {
  return dbTarget(spec.url, {
    allowFileParams: spec.allowFileParams,
    env: spec.env ? { ...process.env, ...spec.env } : process.env,
    ssh: spec.ssh,
  });
}

/** What a lost connection meant for this kind of run, said in its own terms. */
function lostConnection(job: EngineJob, error: unknown): unknown {
  const lost = connectionLost(error);
  if (!(lost instanceof ConnectionLostError)) return error;
  const what =
    job.kind === 'import' || job.kind === 'undo'
      ? lost.duringCommit
        ? (job.kind === 'import' ? job.settings.dryRun : job.dryRun)
          ? 'A dry run never commits: the target is unchanged.'
          : 'Look at the target before running the import again (a second run of the same archive changes nothing that the first one committed).'
        : `The ${job.kind} was rolled back: the target is unchanged.`
      : job.kind === 'export'
        ? 'The export stopped: no archive was written, and nothing changed on the source.'
        : job.kind === 'diff'
          ? 'The diff stopped; it writes nothing, so the database is unchanged.'
          : 'Nothing was changed.';
  const headline = lost.duringCommit
    ? `The connection to the database was lost while COMMIT was on its way (${lost.reason}): whether the import was committed cannot be known from here.`
    : `The connection to the database was lost (${lost.reason}).`;
  return Object.assign(new ConnectionLostError(lost.reason, lost.duringCommit), { message: `${headline} ${what}` });
}

export async function runEngineJob(job: EngineJob, signal: AbortSignal, emit: (e: EngineEvent) => void): Promise<unknown> {
  try {
    return await runJobOf(job, signal, emit);
  } catch (error) {
    if (signal.aborted) throw error;
    throw lostConnection(job, error);
  }
}

async function runJobOf(job: EngineJob, signal: AbortSignal, emit: (e: EngineEvent) => void): Promise<unknown> {
  const config = job.kind === 'cache-archive' || job.kind === 'undo' || job.kind === 'forget-lineage' ? undefined : await configOf(job);
  switch (job.kind) {
    case 'plan': {
      const preview = await previewExport({
        db: target(job.db),
        schema: job.schema,
        tables: job.tables,
        config,
        mask: job.mask ?? 'config',
        subset: job.subset,
        signal,
        onEvent: emit,
      });
      const { catalog } = preview;
      return {
        plan: preview.plan,
        server: { version: catalog.serverVersionText, database: catalog.database, systemIdentifier: catalog.systemIdentifier },
        subset: preview.subset,
        inherited: preview.inherited,
        importForeignKeys: preview.importForeignKeys,
      } satisfies PlanResult;
    }
    case 'export':
      return exportArchive({
        db: target(job.db),
        out: job.out,
        schema: job.schema,
        tables: job.tables,
        config,
        description: job.description,
        lineage: job.lineage,
        compressionLevel: job.compressionLevel,
        jobs: job.jobs,
        mask: job.mask,
        maskSeed: job.maskSeed,
        subset: job.subset,
        encrypt: job.encrypt,
        signal,
        onEvent: emit,
      });
    case 'diff':
      return runDiff(target(job.db), job, config, signal, emit);
    case 'import':
      return importArchive({
        ...job.settings,
        db: target(job.db),
        archive: job.archive,
        schema: job.schema,
        config,
        lockTimeoutMs: job.lockTimeoutMs,
        base: job.base,
        agreement: job.dataDir ? agreementStore(job.dataDir, job.remember !== false) : undefined,
        nothingToWrite: job.nothingToWrite,
        decisions: job.decisionsPath ? await loadDecisions(job.decisionsPath) : job.decisions,
        expectFingerprints: job.expectFingerprints,
        secret: job.secret,
        signal,
        onEvent: emit,
      });
    case 'undo':
      if (job.list) return listRuns(target(job.db), job.schema);
      return undoImport({
        db: target(job.db),
        schema: job.schema,
        run: job.run,
        dryRun: job.dryRun,
        keepChanged: job.keepChanged,
        lockTimeoutMs: job.lockTimeoutMs,
        signal,
        onEvent: emit,
      });
    case 'forget-lineage':
      return forgetLineage({
        db: target(job.db),
        schema: job.schema,
        tables: job.tables,
        idsAbove: job.idsAbove,
        of: job.of,
        signal,
        onEvent: emit,
      });
    case 'cache-archive':
      return buildArchiveCache({ archive: job.archive, dir: job.dir, limits: job.limits, secret: job.secret, signal, emit });
  }
}
