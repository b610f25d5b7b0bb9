// Import: one transaction from the first check to COMMIT (or ROLLBACK for a dry run, a refusal, an
// error or a cancel). Phases: 0 check the archive against the target, 1 stage rows, 2 match and write
// table by table in dependency order, 3 fill late columns, 4 sequences, checks, commit.
//
// Locking: once staged, every table the run writes is locked SHARE ROW EXCLUSIVE (readers go on,
// other writers wait until we commit) and every table it only reads SHARE, so nothing can change what
// was matched. A lock that is not granted within lockTimeoutMs ends the run, naming who holds it.
import { IMPORT_PHASES, type ImportReport, type RowProblem } from '../report-types';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DbTarget } from '../../db/connect';
import { type ArchiveSecret, Unlocker } from '../archive/crypto';
import { ArchiveError } from '../archive/format';
import type { ArchiveLimits } from '../archive/reader';
import type { Mr4Config } from '../config';
import { CancelledError, type EmitEvent, RunContext } from '../run-context';
import { applySessionSettings, IMPORT_SETTINGS } from '../session';
import { qualified } from '../sql';
import { advanceSequences, disableTriggers, enableTriggers, writeTable } from './apply';
import { lateSeed } from './late-fill';
import { checkConstraints, describeRefused } from './constraints';
import { buildFinal } from '../staged/final';
import { type MatchContext, matchTable, publishMap, type RowIdentity } from '../staged/match';
import { type PreparedRun, prepareRun, type StagedBase, stageBase } from '../staged/prepare';
import { refuseUnknownCopy } from '../staged/copies';
import { type StagedTable, temp } from '../staged/types';
import { loadRowAnswers } from '../compare/decisions';
import { DeferredConstraintError, ProbableEditsError, RefusedRowsError } from './errors';
import { type AgreementWritten, writeAgreement } from './agreement';
import { adoptRowsMadeDuringRun, idsBeforeWrite, warnOfRowsMadeDuringRun } from './trigger-effects';
import { type AgreementStore, findAgreement, NoAgreementKeptError, resolveBase, syncedBefore } from '../staged/agreed';
import { checkMaskedKeys, openProbableEdits, recordLineage } from './identity';
import { refuseReusedIds } from '../staged/reused-ids';
import { recordMasks } from '../mask-store';
import { analyze } from '../compare/analyze';
import { classifyTable, refuseUnwritable } from '../compare/classify';
import { applyDecisions, ConflictsError, type Decisions } from '../compare/decisions';
import { checkFingerprints } from '../compare/fingerprints';
import { recordRunWithoutLog, UndoLog } from './undo-log';
import { ForeignKeyReload } from './fk-reload';
import type { ImportSettings } from '../../../src-common/import-settings';

/** What to import where, and how (the settings every door shares, src-common/import-settings.ts). */
export interface ImportOptions extends ImportSettings {
  db: DbTarget;
  archive: string;
  schema?: string;
  config?: Mr4Config;
  lockTimeoutMs?: number;
  /** What the source and the target last agreed on (an archive): apply only the source's own changes
   *  since, keep the target's, and stop on conflicts unless decided. "auto": the agreed state kept
   *  in `agreement` for these two databases; "kept": that, if one is kept (else a two-way run). */
  base?: string;
  /** Where agreed states are kept: read for base "auto", and written after a real import (what the
   *  two databases agree on now). Without it nothing is remembered. */
  agreement?: AgreementStore;
  /** Conflict decisions and exclusions (a decisions file's content). */
  decisions?: Decisions;
  /** A fingerprint file from the diff that was reviewed: refuse to merge if the target changed since. */
  expectFingerprints?: string;
  /** The run was confirmed as one that writes nothing: if it would insert or update a row, it stops
   *  and rolls back (NothingToWriteError) instead of committing. */
  nothingToWrite?: boolean;
  limits?: ArchiveLimits;
  /** The passphrase or key file of an encrypted archive (and base). */
  secret?: ArchiveSecret;
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

export class NothingToWriteError extends Error {
  override name = 'NothingToWriteError';
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

async function lockTables(ctx: RunContext, schema: string, tables: StagedTable[], timeoutMs: number): Promise<void> {
  const written = tables.filter((t) => t.plan.role === 'data').map((t) => qualified(schema, t.plan.name));
  const read = tables.filter((t) => t.plan.role === 'reference').map((t) => qualified(schema, t.plan.name));
  await ctx.query(`SELECT set_config('lock_timeout', $1, true)`, [`${timeoutMs}ms`]);
  await ctx.query('SAVEPOINT mr4_lock');
  try {
    if (written.length) await ctx.query(`LOCK TABLE ${written.join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
    if (read.length) await ctx.query(`LOCK TABLE ${read.join(', ')} IN SHARE MODE`);
    await ctx.query('RELEASE SAVEPOINT mr4_lock');
  } catch (error) {
    if ((error as { code?: string }).code !== '55P03') throw error;
    await ctx.query('ROLLBACK TO SAVEPOINT mr4_lock');
    const holders = await ctx.query<{
      pid: number;
      usename: string;
      app: string;
      addr: string | null;
      state: string;
      rel: string;
      mode: string;
      since: string | null;
      query: string;
    }>(
      `SELECT DISTINCT a.pid, a.usename, a.application_name AS app, a.client_addr::text AS addr, a.state, l.relation::regclass::text AS rel,
              l.mode, (now() - a.xact_start)::text AS since, left(a.query, 120) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation'
         AND l.relation = ANY ($1::regclass[]) AND l.mode IN ('RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock',
             'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')`,
      [[...written, ...read]],
    );
    const who = holders.rows.map(
      (h) =>
        `pid ${h.pid} (${h.usename}${h.app ? `, ${h.app}` : ''}${h.addr ? ` from ${h.addr}` : ''}, ${h.state}${h.since ? ` for ${h.since}` : ''}) holds ${h.mode} on ${h.rel}: ${h.query}`,
    );
    throw new LockTimeoutError(
      `Could not lock the target tables within ${timeoutMs / 1000} s; another session is writing to them.\n` +
        (who.length ? who.map((w) => `  ${w}`).join('\n') : '  (the blocking session ended meanwhile)') +
        '\nWait for it to finish, or stop it, then run the import again. Nothing was changed.',
    );
  }
}

/**
 * With a base, decisions or a reviewed diff, the merge first classifies every row as the diff does
 * (without writing), checks the preview is not stale, resolves conflicts and the selection, and only
 * then writes: the rows and fields it may touch are what that classification allows.
 */
async function decideFirst(
  ctx: RunContext,
  run: PreparedRun,
  base: StagedBase | null,
  identity: RowIdentity,
  options: ImportOptions,
  warnings: string[],
): Promise<Map<string, string> | undefined> {
  if (!base && !options.decisions && !options.expectFingerprints && !options.onConflict) return undefined;
  const analysis = await analyze(ctx, run, base, identity, () => undefined);
  const fingerprints = !!options.expectFingerprints;
  for (const t of analysis.tables) if (t.plan.role === 'data') await classifyTable(analysis, t, { fingerprints });
  if (options.expectFingerprints) await checkFingerprints(analysis, options.expectFingerprints, run.index.metadata);
  const { open, unmatched } = await applyDecisions(
    analysis,
    options.decisions ?? { format: 'mr4-decisions', version: 1, decisions: [], exclude: [] },
    options.onConflict,
  );
  // After the decisions: a parent they bring back is there for its children, a row they leave out or
  // keep as the target has it keeps its unique values.
  for (const t of analysis.tables) if (t.plan.role === 'data') await refuseUnwritable(analysis, t, options.mode);
  warnings.push(...unmatched);
  for (const u of unmatched) ctx.log(u, 'warn');
  // Skip mode never updates a row both sides have, so only a row to bring back is a question there.
  const asked = options.mode === 'skip' ? open.filter((c) => c.field === null) : open;
  if (asked.length) throw new ConflictsError(asked);
  return new Map(analysis.tables.filter((t) => t.plan.role === 'data').map((t) => [t.plan.name, temp(t, 'classified')]));
}

export async function importArchive(options: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const mode = options.mode;
  const dryRun = !!options.dryRun;
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  let committed = false;
  let written: string | null = null;
  try {
    await applySessionSettings(ctx.client, IMPORT_SETTINGS);
    await ctx.query('BEGIN');
    const unlocker = new Unlocker(options.secret);
    const run = await prepareRun(ctx, { ...options, unlocker }, (i) => ctx.phase(i, IMPORT_PHASES[i]));
    const { catalog, tables, warnings, ignoredColumns, index } = run;
    await refuseUnknownCopy(ctx, run, !!options.sameIds);
    await refuseReusedIds(ctx, run);
    // Rows refused here or while writing stop the run unless allowFailures; rows a 1.0 archive
    // cannot express are reported and counted as failed, and never stop it.
    const failures: RowProblem[] = [...run.castProblems];
    const agreed = options.agreement ? await findAgreement(ctx, options.agreement, run) : null;
    const basePath = resolveBase(options.base, agreed, run);
    // Only a merge overwrites; a skip import writes nothing the target holds, with or without a base.
    if (options.base === 'kept' && !basePath && mode === 'merge' && (await syncedBefore(ctx, run))) throw new NoAgreementKeptError(run);
    const base = basePath ? await stageBase(ctx, run, basePath, options.limits, 'b', unlocker) : null;
    if (base) {
      ctx.log(
        basePath === agreed?.path
          ? `Comparing with what ${run.index.metadata.database} and ${catalog.database} last agreed on (kept ${base.index.metadata.timestamp}): the target's edits since are kept.`
          : `Comparing with the base ${basePath}.`,
      );
    }
    // A new agreement stays in the ids of the pair's first one; the one before is carried forward
    // for every row this run does not agree on.
    const agreementIds = agreed?.identity ?? run.source.identity;
    const previous =
      !dryRun && options.agreement?.newPath && agreementIds
        ? base?.index.metadata.identity === agreementIds
          ? base
          : agreed
            ? await stageBase(ctx, run, agreed.path, options.limits, 'c')
            : null
        : null;

    await lockTables(ctx, catalog.schema, tables, options.lockTimeoutMs ?? 10_000);
    const identity: RowIdentity = {
      source: run.source,
      target: run.target,
      sameIds: !!options.sameIds,
      probable: options.probableEdits ?? options.decisions?.probableEdits ?? 'ask',
      decisions: await loadRowAnswers(ctx, options.decisions),
    };
    const verdicts = await decideFirst(ctx, run, base, identity, options, warnings);
    const m: MatchContext = {
      ctx,
      schema: catalog.schema,
      mode,
      ids: dryRun ? 'virtual' : 'real',
      allowFailures: options.allowFailures,
      verdicts,
      maps: new Map(),
      tables: new Map(tables.map((t) => [t.plan.name, t])),
      identity,
      warnings,
      polymorphic: new Map(),
      judgedPairs: new Map(),
      triggersDisabled: !!options.disableTriggers,
    };
    const undo = !dryRun && options.undo !== false ? await UndoLog.open(m, warnings) : null;
    const disabled = options.disableTriggers ? await disableTriggers(m, tables) : [];
    const fkReload = await ForeignKeyReload.prepare(m, tables, {
      dryRun,
      disableTriggers: !!options.disableTriggers,
      mode: options.foreignKeyReload ?? 'auto',
      serverVersion: catalog.serverVersion,
    });
    if (options.disableTriggers) {
      const fk = disabled.some((d) => d.trigger.startsWith('RI_ConstraintTrigger'));
      ctx.log(
        `Triggers are disabled for this run${fk ? ', foreign-key checks included (every reference was checked before writing)' : ' (user triggers; foreign-key checks need a superuser to be disabled)'}; the tables it writes are locked exclusively until it ends.`,
        'warn',
      );
    }

    ctx.phase(2, IMPORT_PHASES[2]);
    const probable: RowProblem[] = [];
    const idsBefore = await idsBeforeWrite(m, tables);
    for (const t of tables) {
      ctx.progress({ type: 'table', table: t.plan.name, phase: 2, rowsDone: 0, rowsTotal: t.rows });
      await matchTable(m, t);
      await checkMaskedKeys(m, t, catalog.identity);
      probable.push(...(await openProbableEdits(m, t)));
      if (t.plan.role === 'data') {
        await adoptRowsMadeDuringRun(m, t);
        await buildFinal(m, t);
        await checkConstraints(m, t);
        await writeTable(m, t, (rows) => fkReload.beforeWrite(t, rows));
        // At once, not at the end: a trigger of a table written later may draw from its sequence.
        if (!dryRun) await advanceSequences(m, [t]);
        const refused = await describeRefused(m, t);
        t.counts.failed += refused.length;
        failures.push(...refused);
      }
      await publishMap(m, t);
      ctx.progress({ type: 'table', table: t.plan.name, phase: 2, rowsDone: t.rows, rowsTotal: t.rows, done: true });
    }

    // Every table was matched (and written provisionally) so that all of them are listed at once.
    if (probable.length) throw new ProbableEditsError(probable);

    ctx.phase(3, IMPORT_PHASES[3]);
    const unresolved: RowProblem[] = [...run.dropped, ...run.nulled];
    for (const t of tables) if (t.plan.role === 'data') unresolved.push(...(await lateSeed(m, t)));

    for (const [t, before] of idsBefore) await warnOfRowsMadeDuringRun(m, t, before);

    ctx.phase(4, IMPORT_PHASES[4]);
    if (failures.length && !options.allowFailures) throw new RefusedRowsError(failures);
    if (options.nothingToWrite) {
      const writes = tables.reduce((n, t) => n + (t.plan.role === 'data' ? t.counts.inserted + t.counts.updated : 0), 0);
      if (writes)
        throw new NothingToWriteError(
          `The run was confirmed as one that writes nothing, but it would write ${writes} row(s) (the target changed since its dry run). Nothing was written: run the dry run again and confirm what it finds.`,
        );
    }
    await enableTriggers(m, disabled);
    try {
      await fkReload.restore();
      await ctx.query('SET CONSTRAINTS ALL IMMEDIATE');
    } catch (error) {
      const e = error as { code?: string };
      if (typeof e.code === 'string' && /^23/.test(e.code)) throw new DeferredConstraintError(e.code, error as object);
      throw error;
    }
    const lineage = dryRun || options.lineage === false ? null : await recordLineage(m, tables, warnings);
    if (!dryRun) {
      const data = tables.filter((t) => t.plan.role === 'data').map((t) => ({ name: t.plan.name, archive: t.archive, staged: t.staged }));
      const unrecorded = await recordMasks(ctx, catalog.schema, data, index.metadata.identity, catalog.identity);
      if (unrecorded) {
        warnings.push(unrecorded);
        ctx.log(unrecorded, 'warn');
      }
    }
    const runMeta = {
      schema: catalog.schema,
      source: { identity: run.source.identity, database: index.metadata.database },
      archive: { sha256: run.sha256, name: basename(options.archive) },
      mode,
      tables,
      counts: tables.filter((t) => t.plan.role === 'data').map((t) => t.counts),
    };
    const undone = undo ? { run: undo.id, rows: await undo.finish(runMeta) } : null;
    if (!undo && !dryRun) await recordRunWithoutLog(ctx, { ...runMeta, tables: [] });
    let agreement: AgreementWritten | null = null;
    if (!dryRun && options.agreement?.newPath && agreementIds && run.source.identity !== catalog.identity) {
      try {
        written = await options.agreement.newPath();
        agreement = await writeAgreement(m, run, tables, previous, agreementIds, written);
      } catch (error) {
        if (ctx.cancelled) throw error;
        // An older agreement only makes the next three-way merge ask more, never revert an edit.
        const warning = `what the two databases agree on now could not be kept (${(error as Error).message}); the next three-way merge between them compares with the agreement before this run`;
        warnings.push(warning);
        ctx.log(warning, 'warn');
        await rm(written!, { force: true }).catch(() => undefined);
        written = null;
      }
    }
    if (dryRun) {
      await ctx.query('ROLLBACK');
    } else {
      await ctx.query('COMMIT');
      committed = true;
    }
    ctx.log(dryRun ? 'Dry run complete; everything was rolled back.' : 'Import committed.');
    return {
      mode,
      dryRun,
      tables: tables.filter((t) => t.plan.role === 'data').map((t) => t.counts),
      durationMs: Date.now() - started,
      archive: {
        path: options.archive,
        format: run.formatLabel,
        database: index.metadata.database,
        timestamp: index.metadata.timestamp,
        sha256: run.sha256,
        ...(index.metadata.baseSha256 ? { baseSha256: index.metadata.baseSha256 } : {}),
        ...(index.metadata.identity ? { identity: index.metadata.identity } : {}),
      },
      target: {
        database: catalog.database,
        label: options.db.label,
        systemIdentifier: catalog.systemIdentifier,
        identity: catalog.identity,
      },
      failures: [...failures, ...unresolved],
      warnings,
      ignoredColumns,
      triggersDisabled: !!options.disableTriggers,
      foreignKeys: fkReload.report(),
      lineage,
      agreement,
      base: base && basePath ? { path: basePath, kept: basePath === agreed?.path } : null,
      undo: undone,
    };
  } catch (error) {
    if (!committed) await ctx.client.query('ROLLBACK').catch(() => undefined);
    if (!committed && written) await rm(written, { force: true }).catch(() => undefined);
    if (ctx.cancelled) throw new CancelledError('The import was cancelled and rolled back; the target is unchanged.');
    if (error instanceof ArchiveError) {
      // Its kind stays (a missing or wrong passphrase is asked for again by the app).
      error.message = `${error.message}\nNothing was written to the target.`;
      throw error;
    }
    throw error;
  } finally {
    await ctx.close();
  }
}
