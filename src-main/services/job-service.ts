// Jobs: export, import, sync (export then import) and open-archive, each run in an engine worker. The
// engine's events are reduced into a JobInfo (phases, current phase, per-table progress, the last 500
// log lines) and pushed to every window as job.event / job.state, so a reloaded window reattaches.
// One job per target database at a time; a real import into a production-like connection needs its
// database name typed; finished runs (not archive opening) go to the history.
import {
  type DiffOpened,
  type DiffSummary,
  OPEN_ARCHIVE_PHASES,
  type EngineEvent,
  type ExportPreview,
  type ExportReport,
  type BaseInfo,
  type ForgetLineageReport,
  type FileRef,
  type HistoryEntry,
  type ImportReport,
  isProductionLike,
  type JobInfo,
  type JobRequest,
  type PushEvent,
  type SavedConnection,
  type UndoListing,
  type UndoResult,
  type ReviewDocument,
} from '../../src-common/contract';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DIFF_PHASES, EXPORT_PHASES, IMPORT_PHASES, UNDO_PHASES } from '../engine/report-types';
import { defaultDataDir } from './data-dir';
import { exportCommandLine, forgetLineageCommandLine, importCommandLine, reviewSummary, shellQuote, undoCommandLine } from './command-line';
import { importSettingsOf } from '../../src-common/import-settings';
import { reduceJobEvent, withLogLine } from '../../src-common/job-events';
import { toUiError } from './ui-error';
import type { ArchiveService } from './archive-cache';
import type { CacheManifest } from './archive-cache-builder';
import type { ConnectionService } from './connections';
import type { EngineJob, PlanResult } from './engine-jobs';
import { type ArchiveSecret, Unlocker } from '../engine/archive/crypto';
import type { FileService } from './files';
import { randomId } from './fs-util';
import type { HistoryService } from './history';
import { JobError } from './job-errors';
import { startEngineJob } from './jobs';
import { badRequest, conflict, notFound } from './service-error';
import { agreementSchema, staleArchiveReason } from '../engine/staged/agreed';
import { type BaseRegistry, chosenBase, type KeptAgreement } from './bases';
import { dbTarget } from '../db/connect';
import { readIdentity } from '../engine/catalog';
import { openArchive } from '../engine/archive/reader';
import { type DiffService, removeQuietly } from './diff-service';
import { startSessionJob } from './jobs';
import type { KeysForRun, TableKeyService } from './table-keys';

export const LOG_LINES = 500;
export const FINISHED_KEPT = 50;
export const IMPORT_LOCK_TIMEOUT_MS = 10_000;

export interface JobServiceDeps {
  connections: ConnectionService;
  files: FileService;
  archives: ArchiveService;
  history: HistoryService;
  emit: (event: PushEvent) => void;
  diffs: DiffService;
  bases: BaseRegistry;
  /** Comparison keys chosen in the app per target connection, passed to the engine as configuration. */
  tableKeys: TableKeyService;
  /** The data folder (its base registry names what an exported database was seeded from). */
  dataDir: string;
  /** Runs an engine job (a worker thread by default; tests may slow it down). */
  runEngine?: typeof startEngineJob;
}

interface JobRecord {
  info: JobInfo;
  /** Connection lock key, while running. */
  lock?: string;
  cancelRequested: boolean;
  cancelCurrent: (() => void) | null;
  done: Promise<void>;
}

type ImportOptions = Extract<JobRequest, { kind: 'import' | 'sync' }>;

/** A job as it starts, before its kind is known. */
type FreshJob = Pick<JobInfo, 'id' | 'startedAt' | 'phase' | 'tables' | 'log'> & { state: 'running' };

/** A job ready to run: its first state, the target database it locks, and its work. */
interface StartedJob {
  info: JobInfo;
  lock?: string;
  work: (j: JobRecord) => Promise<void>;
}

function summary(c: SavedConnection): NonNullable<JobInfo['source']> {
  return { id: c.id, name: c.name, database: c.database, tag: c.tag };
}

function lockKey(c: SavedConnection): string {
  return `${c.host.toLowerCase()}:${c.port}/${c.database}`;
}

const clone = <T>(v: T): T => structuredClone(v);

/** What a production-like connection's typed name confirms, in words. */
const CONFIRMED_ACTIONS = {
  import: { needs: 'A real import into it', hint: 'Run a dry run first, then type the database name to confirm the import.' },
  undo: { needs: 'A real undo in it', hint: 'Run a dry run first, then type the database name to confirm the undo.' },
  'forget-lineage': {
    needs: 'Forgetting its lineage of ids (it cannot be undone)',
    hint: 'Type the database name to confirm forgetting the lineage.',
  },
} as const;

export class JobService {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly locks = new Map<string, string>();
  private readonly run: typeof startEngineJob;

  constructor(private readonly deps: JobServiceDeps) {
    this.run = deps.runEngine ?? startEngineJob;
  }

  running(): number {
    return [...this.jobs.values()].filter((j) => j.info.state === 'running' || j.info.state === 'cancelling').length;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => clone(j.info)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  get(jobId: string): JobInfo {
    const j = this.jobs.get(jobId);
    if (!j) throw notFound('job', jobId);
    return clone(j.info);
  }

  cancel(jobId: string): JobInfo {
    const j = this.jobs.get(jobId);
    if (!j) throw notFound('job', jobId);
    if (j.info.state === 'running') {
      j.cancelRequested = true;
      j.info.state = 'cancelling';
      this.log(
        j,
        'info',
        j.info.kind === 'import' || j.info.kind === 'sync'
          ? 'Cancelling: stopping the running statement, then rolling back…'
          : 'Cancelling…',
      );
      j.cancelCurrent?.();
      this.pushState(j);
    }
    return clone(j.info);
  }

  /** Cancels every running job and waits (at most `timeoutMs`) for them to end and roll back. */
  async shutdown(timeoutMs = 60_000): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.info.state === 'running' || j.info.state === 'cancelling');
    for (const j of running) this.cancel(j.info.id);
    await Promise.race([Promise.all(running.map((j) => j.done)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  async start(request: JobRequest): Promise<JobInfo> {
    const fresh: FreshJob = { id: randomId(), state: 'running', startedAt: new Date().toISOString(), phase: 0, tables: [], log: [] };
    const started = await this.prepare(request, fresh);
    this.takeLock(started);
    return this.launch(started);
  }

  /** The job's first state and its work, after the checks that refuse it before it runs. */
  private prepare(request: JobRequest, fresh: FreshJob): Promise<StartedJob> {
    switch (request.kind) {
      case 'export':
        return this.startExport(request, fresh);
      case 'import':
        return this.startImport(request, fresh);
      case 'sync':
        return this.startSync(request, fresh);
      case 'diff':
        return this.startDiff(request, fresh);
      case 'undo':
        return this.startUndo(request, fresh);
      case 'forget-lineage':
        return this.startForgetLineage(request, fresh);
      case 'open-archive':
        return this.startOpenArchive(request, fresh);
    }
  }

  /** An export of a saved connection into an archive (masked by default from production). */
  private async startExport(request: Extract<JobRequest, { kind: 'export' }>, fresh: FreshJob): Promise<StartedJob> {
    const { connections, files } = this.deps;
    const source = await connections.resolve(request.sourceId);
    const destination = request.destination ? files.writable(request.destination) : null;
    const info: JobInfo = {
      ...fresh,
      kind: 'export',
      title: `Export ${source.connection.name}`,
      source: summary(source.connection),
      phases: [...EXPORT_PHASES],
    };
    // Personal data is masked by default from a production-tagged connection; the Export screen
    // shows the switch.
    const mask = request.mask ?? source.connection.tag === 'production';
    const subset = request.where?.length ? { where: request.where, withChildren: !!request.withChildren } : undefined;
    const encrypt = request.passphrase ? { passphrase: request.passphrase } : undefined;
    const work = async (j: JobRecord) => {
      const out = destination ? destination.path : files.newArchivePath(source.connection.database, '', !!encrypt);
      j.info.command =
        this.envPrefix() +
        exportCommandLine({
          source: source.connection,
          out,
          tables: request.tables,
          mask,
          where: request.where,
          withChildren: request.withChildren,
          encrypted: !!encrypt,
        });
      this.log(j, 'info', mask ? 'Personal data is masked (the profile’s rules, run on the server).' : 'Personal data is not masked.');
      if (encrypt) this.log(j, 'info', 'The archive is encrypted with the passphrase given (AES-256-GCM; the passphrase is kept nowhere).');
      const report = await this.engine<ExportReport>(j, {
        kind: 'export',
        db: { url: source.url, allowFileParams: false },
        out,
        tables: request.tables,
        description: request.description,
        mask: mask ? 'all' : 'off',
        subset,
        encrypt,
      });
      const ref = destination ? await files.written(request.destination!) : await files.keep(out);
      j.info.files = [ref];
      j.info.result = report;
      this.log(j, 'info', `Archive written: ${ref.name} (${report.bytes} bytes).`);
    };
    return { info, work };
  }

  /** An import of an opened archive into a saved connection. */
  private async startImport(request: Extract<JobRequest, { kind: 'import' }>, fresh: FreshJob): Promise<StartedJob> {
    const { connections, archives } = this.deps;
    const target = await connections.resolve(request.targetId);
    const archive = await archives.archivePath(request.archiveId);
    this.confirm(request, target.connection);
    const lock = lockKey(target.connection);
    const info: JobInfo = {
      ...fresh,
      kind: 'import',
      title: `${request.dryRun ? 'Dry run: import' : 'Import'} ${archive.info.file.name} into ${target.connection.name}`,
      target: summary(target.connection),
      mode: request.mode,
      dryRun: request.dryRun,
      phases: [...IMPORT_PHASES],
      files: [archive.info.file],
    };
    const work = async (j: JobRecord) => {
      const keys = await this.keysFor(j, request.targetId, archive.info.tables);
      const about = {
        target: target.connection,
        archive: { name: archive.info.file.name, sha256: archive.info.sha256, database: archive.info.metadata.database },
      };
      j.info.result = await this.importInto(j, target.url, archive.path, request, 0, keys, archive.secret, about);
    };
    return { info, lock, work };
  }

  /** An export of one saved connection imported into another, the archive kept between them. */
  private async startSync(request: Extract<JobRequest, { kind: 'sync' }>, fresh: FreshJob): Promise<StartedJob> {
    const { connections, files } = this.deps;
    if (request.sourceId === request.targetId)
      throw badRequest('Same connection twice', 'The source and the target of a sync must be different connections.');
    const source = await connections.resolve(request.sourceId);
    const target = await connections.resolve(request.targetId);
    this.confirm(request, target.connection);
    const lock = lockKey(target.connection);
    if (lockKey(source.connection) === lock) throw badRequest('Same database twice', 'The source and the target name the same database.');
    const info: JobInfo = {
      ...fresh,
      kind: 'sync',
      title: `${request.dryRun ? 'Dry run: sync' : 'Sync'} ${source.connection.name} → ${target.connection.name}`,
      source: summary(source.connection),
      target: summary(target.connection),
      mode: request.mode,
      dryRun: request.dryRun,
      phases: [...EXPORT_PHASES.map((p) => `Export: ${p}`), ...IMPORT_PHASES],
    };
    const work = async (j: JobRecord) => {
      const out = files.newArchivePath(source.connection.database, '-sync');
      j.info.command = this.envPrefix() + exportCommandLine({ source: source.connection, out, tables: request.tables });
      const exported = await this.engine<ExportReport>(j, {
        kind: 'export',
        db: { url: source.url, allowFileParams: false },
        out,
        tables: request.tables,
        description: `Sync ${source.connection.name} → ${target.connection.name}`,
      });
      const ref = await files.keep(out);
      j.info.files = [ref];
      this.log(j, 'info', `Intermediate archive kept: ${ref.name}.`);
      const keys = await this.keysFor(
        j,
        request.targetId,
        exported.tables.map((t) => t.table),
      );
      const about = { target: target.connection, archive: { name: ref.name, sha256: exported.sha256, database: exported.database } };
      const imported = await this.importInto(j, target.url, out, request, EXPORT_PHASES.length, keys, undefined, about);
      j.info.result = { export: exported, import: imported };
    };
    return { info, lock, work };
  }

  /** A diff of an opened archive with a saved connection, kept open in its worker for paging. */
  private async startDiff(request: Extract<JobRequest, { kind: 'diff' }>, fresh: FreshJob): Promise<StartedJob> {
    const { connections, archives } = this.deps;
    const target = await connections.resolve(request.targetId);
    const archive = await archives.archivePath(request.archiveId);
    // "auto" is found by the engine, as for the CLI (engine/staged/agreed.ts); a handle names a file.
    const chosen = chosenBase(request.base, undefined, (handle) => handle);
    const base = chosen === 'auto' || chosen === undefined ? chosen : (await this.deps.files.readable(chosen)).path;
    const info: JobInfo = {
      ...fresh,
      kind: 'diff',
      title: `${base ? 'Three-way diff' : 'Diff'} of ${archive.info.file.name} with ${target.connection.name}`,
      target: summary(target.connection),
      phases: [...DIFF_PHASES],
      files: [archive.info.file],
    };
    const work = async (j: JobRecord) => {
      const keys = await this.keysFor(j, request.targetId, archive.info.tables);
      const running = startSessionJob<DiffSummary>(
        {
          kind: 'diff-session',
          db: { url: target.url, allowFileParams: false },
          archive: archive.path,
          base,
          dataDir: this.deps.dataDir,
          sameIds: request.sameIds,
          probableEdits: request.probableEdits,
          ignoreMissingColumns: request.ignoreMissingColumns,
          config: keys.config,
          secret: archive.secret,
        },
        (event) => this.onEngineEvent(j, event, 0),
      );
      j.cancelCurrent = running.cancel;
      try {
        const summary = await running.result;
        const diffId = randomId();
        const basePath = summary.base?.path;
        this.deps.diffs.register({ diffId, session: running, archiveId: request.archiveId, targetId: request.targetId, basePath, summary });
        j.info.result = { diffId, summary } satisfies DiffOpened;
      } catch (error) {
        await running.close();
        throw error;
      } finally {
        j.cancelCurrent = null;
      }
    };
    return { info, work };
  }

  /** The undo of the newest import into a saved connection. */
  private async startUndo(request: Extract<JobRequest, { kind: 'undo' }>, fresh: FreshJob): Promise<StartedJob> {
    const { connections } = this.deps;
    const target = await connections.resolve(request.targetId);
    this.confirm(request, target.connection, 'undo');
    const lock = lockKey(target.connection);
    const info: JobInfo = {
      ...fresh,
      kind: 'undo',
      title: `${request.dryRun ? 'Dry run: undo' : 'Undo'} the last import into ${target.connection.name}`,
      target: summary(target.connection),
      dryRun: request.dryRun,
      phases: [...UNDO_PHASES],
    };
    const work = async (j: JobRecord) => {
      j.info.command = undoCommandLine({
        target: target.connection,
        run: request.run,
        dryRun: request.dryRun,
        keepChanged: request.keepChanged,
      });
      const report = await this.engine<UndoResult>(j, {
        kind: 'undo',
        db: { url: target.url, allowFileParams: false },
        run: request.run,
        dryRun: request.dryRun,
        keepChanged: request.keepChanged,
        lockTimeoutMs: IMPORT_LOCK_TIMEOUT_MS,
      });
      // What the two databases agree on goes back to what it was before that import (as mr4 undo).
      if (!report.dryRun && report.run.sourceIdentity) {
        report.agreement = await this.deps.bases
          .undone(report.run.id, report.run.at, report.run.sourceIdentity, report.target.identity)
          .catch((e) => {
            this.log(j, 'warn', `What the two databases agree on could not be updated: ${(e as Error).message}`);
            return 'unchanged' as const;
          });
      }
      j.info.result = report;
    };
    return { info, lock, work };
  }

  /** Forgetting the lineage of ids of some tables in a saved connection (the way out of reused ids). */
  private async startForgetLineage(request: Extract<JobRequest, { kind: 'forget-lineage' }>, fresh: FreshJob): Promise<StartedJob> {
    const target = await this.deps.connections.resolve(request.connectionId);
    this.confirm({ dryRun: false, confirmDatabase: request.confirmDatabase }, target.connection, 'forget-lineage');
    const info: JobInfo = {
      ...fresh,
      kind: 'forget-lineage',
      title: request.idsAbove
        ? `Forget the pairs above the ceiling of ${request.tables.join(', ')} in ${target.connection.name}`
        : `Forget the lineage of ${request.tables.join(', ')} in ${target.connection.name}`,
      target: summary(target.connection),
      phases: ['Forget the lineage of ids'],
    };
    const work = async (j: JobRecord) => {
      const scope = {
        tables: request.tables,
        ...(request.idsAbove ? { idsAbove: request.idsAbove } : {}),
        ...(request.of ? { of: request.of } : {}),
      };
      j.info.command = forgetLineageCommandLine({ target: target.connection, ...scope });
      const report = await this.engine<ForgetLineageReport>(j, {
        kind: 'forget-lineage',
        db: { url: target.url, allowFileParams: false },
        ...scope,
      });
      const pairs = report.tables
        .map(
          (t) => `${t.table}: ${t.pairs} ${t.pairs === 1 ? 'pair' : 'pairs'}${t.idsAbove === undefined ? '' : ` above id ${t.idsAbove}`}`,
        )
        .join(', ');
      this.log(j, 'info', `Forgot ${report.idsOf ? 'pairs of the' : 'the'} lineage of ids in ${report.database} (${pairs}).`);
      j.info.result = report;
    };
    return { info, lock: lockKey(target.connection), work };
  }

  /** An archive file read once into the archive browser's cache. */
  private async startOpenArchive(request: Extract<JobRequest, { kind: 'open-archive' }>, fresh: FreshJob): Promise<StartedJob> {
    const { archives } = this.deps;
    const prepared = await archives.prepare(request.file, request.passphrase);
    const info: JobInfo = {
      ...fresh,
      kind: 'open-archive',
      title: `Open ${prepared.ref.name}`,
      phases: [...OPEN_ARCHIVE_PHASES],
      files: [prepared.ref],
      progress: { done: 0, total: prepared.size },
    };
    const work = async (j: JobRecord) => {
      const reused = await archives.reusable(prepared);
      if (reused) {
        this.log(j, 'info', 'Opened from the cache made earlier (the file is unchanged).');
        j.info.result = reused;
        return;
      }
      try {
        const manifest = await this.engine<CacheManifest>(j, {
          kind: 'cache-archive',
          archive: prepared.path,
          dir: prepared.dir,
          limits: prepared.limits,
          secret: prepared.secret,
        });
        j.info.result = await archives.finish(prepared, manifest);
      } catch (error) {
        await archives.discard(prepared);
        throw error;
      }
    };
    return { info, work };
  }

  /** One job per target database at a time: the lock is taken, or the job refused naming the holder. */
  private takeLock({ info, lock }: StartedJob): void {
    if (!lock) return;
    const holder = this.locks.get(lock);
    if (holder) {
      const other = this.jobs.get(holder)?.info;
      throw conflict(
        'A job is already running there',
        `"${other?.title ?? holder}" is still running against ${info.target?.name ?? 'this database'}. Only one job may run against a database at a time.`,
        'Wait for it to finish, or cancel it, then start again.',
        'MR4_JOB_RUNNING',
      );
    }
    this.locks.set(lock, info.id);
  }

  /** Runs the job's work in the background, telling every window it started. */
  private launch({ info, lock, work }: StartedJob): JobInfo {
    const record: JobRecord = { info, lock, cancelRequested: false, cancelCurrent: null, done: Promise.resolve() };
    this.jobs.set(info.id, record);
    this.log(record, 'info', `${info.title}: started.`);
    record.done = this.execute(record, work);
    this.pushState(record);
    return clone(info);
  }

  private confirm(
    request: { dryRun: boolean; confirmDatabase?: string },
    target: SavedConnection,
    what: 'import' | 'undo' | 'forget-lineage' = 'import',
  ): void {
    if (request.dryRun || !isProductionLike(target.tag)) return;
    if (request.confirmDatabase === target.database) return;
    const tagged = target.tag === 'production' ? 'a production database' : 'untagged, so it counts as production';
    const action = CONFIRMED_ACTIONS[what];
    throw conflict(
      'Confirmation needed',
      `"${target.name}" is ${tagged}. ${action.needs} needs its database name "${target.database}" typed to confirm${request.confirmDatabase !== undefined ? ` ("${request.confirmDatabase}" does not match)` : ''}.`,
      action.hint,
      'MR4_CONFIRMATION_REQUIRED',
    );
  }

  private async agreement(archiveId: string, targetId: string): Promise<{ kept: KeptAgreement | null; reason: string }> {
    const info = await this.deps.archives.info(archiveId);
    if (!info.metadata.identity) {
      return {
        kept: null,
        reason: `${info.file.name} was written by an older version of mr4 and does not say which database it comes from.`,
      };
    }
    const target = await this.deps.connections.resolve(targetId);
    const client = await dbTarget(target.url, { allowFileParams: false }).connect();
    // The app's imports name no schema: they go into the engine's default, public.
    const schema = 'public';
    let identity: string;
    try {
      identity = (await readIdentity(client, schema)).identity;
    } finally {
      await client.end().catch(() => undefined);
    }
    const kept = await this.deps.bases.find(info.metadata.identity, identity);
    const keptSchema = kept ? await agreementSchema(kept) : schema;
    if (![schema, info.metadata.schema].includes(keptSchema)) {
      return {
        kept: null,
        reason: `What ${info.metadata.database} and ${target.connection.name} agreed on was kept for schema "${keptSchema}" (before mr4 told schemas apart), not "${schema}".`,
      };
    }
    const stale = kept && staleArchiveReason(kept, info.metadata, target.connection.database);
    if (stale) return { kept: null, reason: stale };
    return {
      kept,
      reason: kept
        ? ''
        : `${info.metadata.database} (the archive's database) and ${target.connection.name} were never synced from this data folder, or what they agreed on was removed.`,
    };
  }

  /** What the archive's database and the target last agreed on, for the preview to offer as its base. */
  async agreedBase(archiveId: string, targetId: string): Promise<BaseInfo> {
    const { kept, reason } = await this.agreement(archiveId, targetId);
    if (!kept) return { file: null, reason };
    const info = await this.deps.archives.info(archiveId);
    const target = await this.deps.connections.resolve(targetId);
    return {
      file: await this.deps.files.registerPath(kept.path, 'read'),
      between: { archive: info.metadata.database, target: target.connection.database, at: kept.at },
    };
  }

  /** The comparison keys chosen in the app for tables of this run into `targetId`, said in its log. */
  private async keysFor(j: JobRecord, targetId: string, tables: Parameters<TableKeyService['forRun']>[1]): Promise<KeysForRun> {
    const keys = await this.deps.tableKeys.forRun(targetId, tables);
    for (const note of keys.notes) this.log(j, note.level, note.message);
    return keys;
  }

  /** MR4_DATA_DIR=… before a command whose data folder (kept agreements) is not the CLI's default. */
  private envPrefix(): string {
    return this.deps.dataDir && this.deps.dataDir !== defaultDataDir() ? `MR4_DATA_DIR=${shellQuote(this.deps.dataDir)} ` : '';
  }

  /**
   * The run as the mr4 command line, and a reviewed merge's decisions as a review document beside it
   * (reviews/<job>.json in the data folder, which `mr4 import --decisions` takes); a reviewed merge's
   * base and decisions are recorded with the run.
   */
  private async describeImport(
    j: JobRecord,
    archive: string,
    request: ImportOptions,
    about: ImportAbout,
    diff: { basePath?: string; summary: DiffSummary } | null,
    answered: Pick<ImportOptions, 'probableEdits' | 'decisions'>,
    keys: KeysForRun,
    encrypted: boolean,
  ): Promise<void> {
    let decisionsFile: string | undefined;
    let configFile: string | undefined;
    const dir = join(this.deps.dataDir, 'reviews');
    try {
      if (answered.decisions || diff) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const base = diff?.basePath ? { kind: 'file' as const, name: basename(diff.basePath) } : { kind: 'none' as const };
        const doc: ReviewDocument = {
          format: 'mr4-review',
          version: 1,
          savedAt: new Date().toISOString(),
          archive: { name: about.archive.name, sha256: about.archive.sha256, database: about.archive.database },
          target: { name: about.target.name, database: about.target.database, host: about.target.host, port: about.target.port },
          base,
          mode: request.mode,
          ...(request.sameIds ? { sameIds: true } : {}),
          ...(answered.decisions?.onConflict ? { onConflict: answered.decisions.onConflict } : {}),
          ...(answered.decisions?.probableEdits ? { probableEdits: answered.decisions.probableEdits } : {}),
          decisions: answered.decisions?.decisions ?? [],
          exclude: answered.decisions?.exclude ?? [],
        };
        decisionsFile = join(dir, `${j.info.id}.review.json`);
        await writeFile(decisionsFile, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
      }
      if (keys.config) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        configFile = join(dir, `${j.info.id}.config.json`);
        await writeFile(configFile, JSON.stringify(keys.config, null, 2) + '\n', { mode: 0o600 });
      }
    } catch (e) {
      this.log(j, 'warn', `The run's review could not be kept beside it: ${(e as Error).message}`);
      decisionsFile = configFile = undefined;
    }
    const line = importCommandLine({
      ...importSettingsOf(request),
      probableEdits: answered.probableEdits,
      archive,
      target: about.target,
      base: diff ? (diff.basePath ?? 'none') : undefined,
      decisionsFile,
      configFile,
      encrypted,
    });
    j.info.command = j.info.command ? `${j.info.command} && \\\n${this.envPrefix()}${line}` : this.envPrefix() + line;
    if (diff) {
      const b = diff.summary.base;
      j.info.review = reviewSummary(
        request.decisions,
        diff.basePath ? (b ? `${basename(diff.basePath)} (${b.database}, ${b.timestamp})` : basename(diff.basePath)) : null,
        request.probableEdits,
      );
    }
  }

  private async importInto(
    j: JobRecord,
    url: string,
    archive: string,
    request: ImportOptions,
    phaseOffset: number,
    keys: KeysForRun,
    secret?: ArchiveSecret,
    about?: ImportAbout,
  ): Promise<ImportReport> {
    if (j.cancelRequested)
      throw new JobError({ name: 'CancelledError', message: 'The run was cancelled before the import began; the target is unchanged.' });
    // A reviewed diff: the merge uses its base and refuses to act on rows that changed since.
    const diff = 'diffId' in request && request.diffId ? this.deps.diffs.get(request.diffId) : null;
    if (diff && request.kind === 'import' && (diff.archiveId !== request.archiveId || diff.targetId !== request.targetId)) {
      throw badRequest(
        'Another diff',
        'The diff given was made for another archive or target.',
        'Open the diff of this archive and target, then merge from it.',
      );
    }
    const fingerprints = diff ? await this.deps.diffs.fingerprints(diff.diffId) : undefined;
    const answered =
      diff && fingerprints
        ? await this.reconcileProbableEdits(diff.diffId, fingerprints, archive, request, secret)
        : { probableEdits: request.probableEdits, decisions: request.decisions };
    const decisions = answered.decisions ? { format: 'mr4-decisions' as const, version: 1 as const, ...answered.decisions } : undefined;
    if (about) await this.describeImport(j, archive, request, about, diff, answered, keys, !!secret);
    try {
      const report = await this.engine<ImportReport>(
        j,
        {
          kind: 'import',
          db: { url, allowFileParams: false },
          archive,
          settings: { ...importSettingsOf(request), onConflict: request.decisions?.onConflict, probableEdits: answered.probableEdits },
          lockTimeoutMs: IMPORT_LOCK_TIMEOUT_MS,
          // A reviewed diff says its base; without one, what the two databases last agreed on, if kept.
          base: diff ? diff.basePath : 'kept',
          decisions,
          expectFingerprints: fingerprints,
          config: keys.config,
          dataDir: this.deps.dataDir,
          secret,
        },
        phaseOffset,
      );
      // What the two databases agree on now is the base of the next three-way merge between them.
      if (!report.dryRun)
        await this.deps.bases
          .record(report)
          .catch((e) => this.log(j, 'warn', `What the two databases agree on could not be kept: ${(e as Error).message}`));
      return report;
    } catch (error) {
      // The engine rejects only after it issued ROLLBACK (or never began): the target is unchanged.
      if (error instanceof JobError) {
        j.info.rolledBack = true;
        this.log(j, 'info', 'The import was rolled back; the target is unchanged.');
      }
      throw error;
    } finally {
      await removeQuietly(fingerprints);
    }
  }

  /**
   * A merge of a reviewed diff with probable edits answered, made to do what the user answered:
   * - an answer for all that is "new" while some rows are answered "same" is spelled out row by row
   *   (the engine does not look for probable edits at all once the answer for all is "new", so the rows
   *   answered "same" would be inserted too);
   * - a probable edit left out (its row, or its whole table) is answered "same": matched and left alone
   *   (the engine asks about every probable edit, written or not);
   * - a probable edit answered "new" is inserted as a row of its own, and rows that point at it follow
   *   it (by content they are then new rows too): the target rows the diff paired them with are not
   *   touched, but the engine's staleness check would count each as changed since the preview ("The
   *   preview is out of date", for ever). Their fingerprints are left out of the file the merge checks:
   *   the rows answered "new", and, in the tables that point at theirs (directly or through others),
   *   every row the merge would not update anyway (the diff's rows with a target row to update —
   *   changed, conflict, kept, probable edit answered "same" — stay checked).
   */
  private async reconcileProbableEdits(
    diffId: string,
    fingerprints: string,
    archive: string,
    request: ImportOptions,
    secret?: ArchiveSecret,
  ): Promise<Pick<ImportOptions, 'probableEdits' | 'decisions'>> {
    const unchanged = { probableEdits: request.probableEdits, decisions: request.decisions };
    const summary = this.deps.diffs.get(diffId).summary;
    const withProbable = summary.tables.filter((t) => t.counts.probable_edit > 0);
    if (!withProbable.length) return unchanged;
    const all = request.probableEdits ?? request.decisions?.probableEdits;
    const answers = (request.decisions?.decisions ?? []).filter((d) => d.choice === 'same' || d.choice === 'new');
    const perRow = new Map(answers.map((d) => [rowKeyId(d.table, d.key), d.choice]));
    const rows: { table: string; key: Record<string, unknown> | null; id: string }[] = [];
    for (const { table, counts } of withProbable) {
      for (let offset = 0; offset < counts.probable_edit; offset += 500) {
        const page = await this.deps.diffs.page({ diffId, table, kinds: ['probable_edit'], offset, limit: 500 });
        for (const row of page.rows) rows.push({ table, key: row.key, id: rowKeyId(table, row.key) });
      }
    }
    // A probable edit left out (its row or its table) is matched to the target's row and left alone:
    // answered "new", it would be a new row that rows pointing at it need, and the merge would refuse
    // to leave it out.
    const exclude = request.decisions?.exclude ?? [];
    const tablesOut = new Set(exclude.filter((e) => !e.key).map((e) => e.table));
    const rowsOut = new Set(exclude.filter((e) => e.key && !e.field).map((e) => rowKeyId(e.table, e.key)));
    const given = (id: string) => perRow.get(id) ?? all;
    const effective = rows.map((r) => ({ ...r, choice: tablesOut.has(r.table) || rowsOut.has(r.id) ? ('same' as const) : given(r.id) }));
    const byId = new Map(effective.map((r) => [r.id, r.choice]));
    const answer = (id: string) => byId.get(id);
    const answeredNew = effective.filter((r) => r.choice === 'new');
    let out = unchanged;
    const mixed = all === 'new' && answers.some((d) => d.choice === 'same');
    if (mixed || effective.some((r) => r.choice !== given(r.id))) {
      // Every answer spelled out row by row, no answer for all.
      const others = (request.decisions?.decisions ?? []).filter((d) => d.choice === 'source' || d.choice === 'target');
      const spelled = effective.filter((r) => r.choice).map((r) => ({ table: r.table, key: r.key ?? {}, choice: r.choice! }));
      const { probableEdits: _all, ...rest } = request.decisions ?? { exclude: [] as typeof exclude, decisions: [] };
      out = { probableEdits: undefined, decisions: { ...rest, decisions: [...others, ...spelled] } };
    }
    if (!answeredNew.length) return out;

    // The tables whose rows point (directly or through others) at a table with rows answered "new".
    const index = (await openArchive(archive, { unlocker: new Unlocker(secret) })).index;
    const followers = new Set(answeredNew.map((r) => r.table));
    for (let grew = true; grew && index;) {
      grew = false;
      for (const [name, t] of Object.entries(index.tables)) {
        if (!followers.has(name) && t.references.some((ref) => followers.has(ref.parent))) {
          followers.add(name);
          grew = true;
        }
      }
    }
    const checked = new Set<string>();
    for (const { table, counts } of summary.tables) {
      if (!followers.has(table)) continue;
      const kinds = (['changed', 'conflict', 'kept', 'probable_edit'] as const).filter((k) => counts[k] > 0);
      if (!kinds.length) continue;
      const total = kinds.reduce((n, k) => n + counts[k], 0);
      for (let offset = 0; offset < total; offset += 500) {
        const page = await this.deps.diffs.page({ diffId, table, kinds: [...kinds], offset, limit: 500 });
        for (const row of page.rows) {
          const id = rowKeyId(table, row.key);
          if (row.kind !== 'probable_edit' || answer(id) === 'same') checked.add(id);
        }
      }
    }
    const lines = (await readFile(fingerprints, 'utf8')).split('\n');
    const kept = lines.filter((line, i) => {
      if (i === 0 || !line.trim()) return true;
      const entry = JSON.parse(line) as { t: string; k: unknown };
      return !followers.has(entry.t) || checked.has(rowKeyId(entry.t, entry.k));
    });
    await writeFile(fingerprints, kept.join('\n'), { mode: 0o600 });
    return out;
  }

  /** The imports the target recorded with an undo log (newest first), and which one an undo would
   *  revert (read-only, in a worker). */
  async undoList(targetId: string): Promise<UndoListing> {
    const target = await this.deps.connections.resolve(targetId);
    const running = this.run<UndoListing>({ kind: 'undo', db: { url: target.url, allowFileParams: false }, list: true }, () => undefined);
    return running.result;
  }

  /** What an export of `sourceId` with these settings would mask and take (a plan job in a worker,
   *  read-only, nothing written): the Export screen's summary before it runs. */
  async previewExport(request: {
    sourceId: string;
    tables?: string[];
    mask?: boolean;
    where?: { table: string; where: string }[];
    withChildren?: boolean;
  }): Promise<ExportPreview> {
    const source = await this.deps.connections.resolve(request.sourceId);
    const mask = request.mask ?? source.connection.tag === 'production';
    const running = this.run<PlanResult>(
      {
        kind: 'plan',
        db: { url: source.url, allowFileParams: false },
        tables: request.tables,
        mask: mask ? 'all' : 'off',
        subset: request.where?.length ? { where: request.where, withChildren: !!request.withChildren } : undefined,
      },
      () => undefined,
    );
    const result = await running.result;
    const { plan } = result;
    const ownMasks = plan.tables.flatMap((t) => t.masked.map((m) => ({ table: t.name, column: m.column, rule: m.rule, inherited: false })));
    const inherited = (result.inherited ?? [])
      .filter((m) => !ownMasks.some((o) => o.table === m.table && o.column === m.column))
      .map((m) => ({ table: m.table, column: m.column, rule: m.rule, inherited: true }));
    const rows = new Map((result.subset?.tables ?? []).map((t) => [t.table, t.rows]));
    return {
      database: plan.database,
      profile: plan.profile,
      masked: [...ownMasks, ...inherited],
      subset: result.subset ?? null,
      excluded: [
        ...plan.excluded.map((e) => ({ table: e.table, reason: e.reason })),
        ...plan.tables.flatMap((t) => t.excludedColumns.map((c) => ({ table: t.name, column: c.name, reason: c.reason }))),
      ],
      tables: plan.tables.map((t) => ({
        table: t.name,
        role: t.role,
        rows: rows.get(t.name) ?? (t.rowEstimate >= 0 ? t.rowEstimate : null),
      })),
    };
  }

  /** Runs one engine job for `j`, relaying its events (phase numbers shifted by `phaseOffset`). */
  private async engine<T>(j: JobRecord, job: EngineJob, phaseOffset = 0): Promise<T> {
    if (j.cancelRequested)
      throw new JobError({ name: 'CancelledError', message: 'The run was cancelled before it began; nothing was changed.' });
    const running = this.run<T>(job, (event) => this.onEngineEvent(j, event, phaseOffset));
    j.cancelCurrent = running.cancel;
    try {
      return await running.result;
    } finally {
      j.cancelCurrent = null;
    }
  }

  private async execute(j: JobRecord, work: (j: JobRecord) => Promise<void>): Promise<void> {
    try {
      await work(j);
      j.info.state = 'succeeded';
      this.log(j, 'info', 'Finished.');
    } catch (error) {
      const ui = toUiError(error);
      const cancelled =
        (error as Error)?.name === 'CancelledError' || (j.cancelRequested && /cancel/i.test((error as Error)?.message ?? ''));
      j.info.state = cancelled ? 'cancelled' : 'failed';
      j.info.error = ui;
      this.log(j, cancelled ? 'info' : 'error', cancelled ? ui.message : `${ui.title}: ${ui.message}`);
    } finally {
      j.info.endedAt = new Date().toISOString();
      if (j.lock && this.locks.get(j.lock) === j.info.id) this.locks.delete(j.lock);
      // The history line is written before windows hear the job ended, so a list read then has it.
      if (j.info.kind !== 'open-archive' && j.info.kind !== 'diff')
        await this.deps.history.append(historyEntry(j.info)).catch(() => undefined);
      this.prune();
      this.pushState(j);
    }
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.info.endedAt).sort((a, b) => a.info.endedAt!.localeCompare(b.info.endedAt!));
    for (const j of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.jobs.delete(j.info.id);
  }

  private onEngineEvent(j: JobRecord, raw: EngineEvent, offset: number): void {
    const event: EngineEvent =
      raw.type === 'phase' ? { ...raw, index: raw.index + offset } : raw.type === 'table' ? { ...raw, phase: raw.phase + offset } : raw;
    const at = new Date().toISOString();
    // In place: the job's runs hold j.info across awaits.
    Object.assign(j.info, reduceJobEvent(j.info, event, at, LOG_LINES));
    this.deps.emit({ type: 'job.event', jobId: j.info.id, at, event });
    if (event.type === 'phase') this.pushState(j);
  }

  private log(j: JobRecord, level: 'info' | 'warn' | 'error', message: string): void {
    const at = new Date().toISOString();
    Object.assign(j.info, withLogLine(j.info, { at, level, message }, LOG_LINES));
    if (level !== 'error') this.deps.emit({ type: 'job.event', jobId: j.info.id, at, event: { type: 'log', level, message } });
  }

  private pushState(j: JobRecord): void {
    this.deps.emit({ type: 'job.state', job: clone(j.info) });
  }
}

/** Who and what an import is about, for its command line and review document. */
interface ImportAbout {
  target: SavedConnection;
  archive: { name: string; sha256: string; database: string | null };
}

/** A row named by its table and natural key, compared as the engine compares decisions (every value
 *  as text, object keys in any order). */
function rowKeyId(table: string, key: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    return String(v);
  };
  return `${table}\u0000${JSON.stringify(canonical(key))}`;
}

function historyEntry(info: JobInfo): HistoryEntry {
  const result = info.result as
    ExportReport | ImportReport | { export: ExportReport; import: ImportReport } | UndoResult | ForgetLineageReport | undefined;
  let counts: HistoryEntry['counts'];
  let rows: number | undefined;
  let undoRun: string | undefined;
  let undo: HistoryEntry['undo'];
  let lineageForgotten: HistoryEntry['lineageForgotten'];
  if (result && 'import' in result) {
    counts = result.import.tables;
    undoRun = result.import.undo?.run;
  } else if (result && 'mode' in result) {
    counts = result.tables;
    undoRun = result.undo?.run;
  } else if (result && 'changed' in result && 'lineage' in result) {
    const sum = (k: 'deleted' | 'restored' | 'kept') => result.tables.reduce((n, t) => n + t[k], 0);
    undo = {
      run: result.run.id,
      archive: result.run.archive.name,
      sourceDatabase: result.run.sourceDatabase,
      deleted: sum('deleted'),
      restored: sum('restored'),
      kept: sum('kept'),
    };
  } else if (info.kind === 'forget-lineage' && result) {
    lineageForgotten = (result as ForgetLineageReport).tables;
  } else if (result && 'sha256' in result) {
    rows = result.tables.filter((t) => t.role === 'data').reduce((n, t) => n + t.rows, 0);
  }
  if (counts) rows = counts.reduce((n, c) => n + c.inserted + c.updated + c.unchanged + c.skipped, 0);
  const files: FileRef[] | undefined = info.files?.length ? info.files : undefined;
  return {
    id: info.id,
    kind: info.kind,
    title: info.title,
    outcome: info.state === 'succeeded' ? 'succeeded' : info.state === 'cancelled' ? 'cancelled' : 'failed',
    startedAt: info.startedAt,
    durationMs: new Date(info.endedAt ?? Date.now()).getTime() - new Date(info.startedAt).getTime(),
    ...(info.source ? { source: info.source } : {}),
    ...(info.target ? { target: info.target } : {}),
    ...(info.mode ? { mode: info.mode } : {}),
    ...(info.dryRun !== undefined ? { dryRun: info.dryRun } : {}),
    ...(counts ? { counts } : {}),
    ...(rows !== undefined ? { rows } : {}),
    ...(files ? { files } : {}),
    ...(info.error ? { error: `${info.error.title}: ${info.error.message}` } : {}),
    ...(undoRun ? { undoRun } : {}),
    ...(undo ? { undo } : {}),
    ...(lineageForgotten ? { lineageForgotten } : {}),
    ...(info.command ? { command: info.command } : {}),
    ...(info.review ? { review: info.review } : {}),
  };
}
