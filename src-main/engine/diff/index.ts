// Diff: what an archive would do to a target, computed in the target database itself (staged rows,
// set-based matching and classification) inside one snapshot, then read page by page. Nothing is
// written to the target. A session stays open until closed so a window can page through it.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { DbTarget } from '../../db/connect';
import type { ArchiveLimits } from '../archive/reader';
import { type ArchiveSecret, Unlocker } from '../archive/crypto';
import type { Mr4Config } from '../config';
import type { ImportSettings } from '../../../src-common/import-settings';
import { type AgreementStore, findAgreement, resolveBase } from '../staged/agreed';
import { prepareRun, stageBase } from '../staged/prepare';
import { shownText } from '../compare/shown-value';
import { refuseUnknownCopy } from '../staged/copies';
import { refuseReusedIds } from '../staged/reused-ids';
import { rowId, target } from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import { CancelledError, type EmitEvent, RunContext } from '../run-context';
import { applySessionSettings, IMPORT_SETTINGS } from '../session';
import { analyze, type Analysis } from '../compare/analyze';
import { DIFF_KINDS, DIFF_PHASES, type DiffKind, type DiffRow, type DiffSummary } from '../report-types';

export { DIFF_PHASES };
import { classifyTable, refuseUnwritable } from '../compare/classify';

export type { DiffRow, DiffSummary };

/** As for an import: copies of each other, answers to probable edits, lineage. */
export interface DiffOptions extends Pick<ImportSettings, 'sameIds' | 'probableEdits' | 'lineage' | 'ignoreMissingColumns'> {
  db: DbTarget;
  archive: string;
  /** What the source and the target last agreed on: turns on three-way classification. "auto": the
   *  agreed state kept in `agreement` for these two databases; "kept": that, if one is kept. */
  base?: string;
  agreement?: AgreementStore;
  schema?: string;
  config?: Mr4Config;
  tables?: string[];
  limits?: ArchiveLimits;
  /** The passphrase or key file of an encrypted archive (and base). */
  secret?: ArchiveSecret;
  signal?: AbortSignal;
  onEvent?: EmitEvent;
}

export interface DiffPageRequest {
  table: string;
  kinds: DiffKind[];
  offset: number;
  limit: number;
  /** Case-insensitive text in the row's natural key. */
  search?: string;
}

export class DiffSession {
  constructor(
    private readonly ctx: RunContext,
    private readonly analysis: Analysis,
    readonly summary: DiffSummary,
  ) {}

  private table(name: string): StagedTable {
    const t = this.analysis.tables.find((x) => x.plan.name === name && x.plan.role === 'data');
    if (!t) throw new Error(`The diff has no table "${name}".`);
    return t;
  }

  async page(request: DiffPageRequest): Promise<{ rows: DiffRow[]; total: number }> {
    const t = this.table(request.table);
    const D = temp(t, 'classified');
    const where = `d.kind = ANY ($1::text[])${request.search ? ` AND d.key::text ILIKE '%' || $2 || '%'` : ''}`;
    const params: unknown[] = [request.kinds];
    if (request.search) params.push(request.search.replace(/[\\%_]/g, (c) => `\\${c}`));
    const total = Number((await this.ctx.query(`SELECT count(*) AS n FROM ${D} d WHERE ${where}`, params)).rows[0].n);
    const res = await this.ctx.query(
      `SELECT d.kind, d.key, d.srow, d.fields, d.reason, d.fingerprint, d.hint, d.gone_from_target,
              CASE WHEN d.kind IN ('new', 'refused') THEN (SELECT jsonb_object_agg(e.key, ${shownText('e.value')}) FROM jsonb_each_text(to_jsonb(s) - '_row') e)
                   WHEN d.srow IS NULL THEN (SELECT jsonb_object_agg(e.key, ${shownText('e.value')}) FROM jsonb_each_text(to_jsonb(g)) e) END AS vals
       FROM ${D} d
       LEFT JOIN ${temp(t, 'staged')} s ON s._row = d.srow AND d.kind IN ('new', 'refused')
       LEFT JOIN ${target(this.analysis.m, t)} g ON ${rowId('g')} = d.tctid AND d.srow IS NULL
       WHERE ${where} ORDER BY d.srow NULLS LAST, d.tctid LIMIT ${request.limit} OFFSET ${request.offset}`,
      params,
    );
    return {
      total,
      rows: res.rows.map((r) => ({
        table: request.table,
        kind: r.kind,
        key: r.key,
        row: r.srow === null ? null : Number(r.srow),
        fields: r.fields ?? [],
        ...(r.vals ? { values: r.vals } : {}),
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.hint ? { hint: r.hint } : {}),
        fingerprint: r.fingerprint,
        ...(r.gone_from_target ? { deletedInTarget: true as const } : {}),
      })),
    };
  }

  /** Every conflict of every table, in full: conflicts are never paged away. */
  async conflicts(): Promise<DiffRow[]> {
    const out: DiffRow[] = [];
    for (const { table, counts } of this.summary.tables) {
      if (!counts.conflict) continue;
      out.push(...(await this.page({ table, kinds: ['conflict'], offset: 0, limit: counts.conflict })).rows);
    }
    return out;
  }

  /** Writes what each classified row looked like (natural key → target row md5, or null for rows the
   *  target does not have), so a merge can refuse to act on a preview that went stale. */
  async writeFingerprints(path: string): Promise<void> {
    const out = createWriteStream(path, { mode: 0o600 });
    out.write(
      `${JSON.stringify({ format: 'mr4-fingerprints', version: 1, archive: this.summary.archive, target: this.summary.target })}\n`,
    );
    for (const t of this.analysis.tables) {
      if (t.plan.role !== 'data') continue;
      for (let offset = 0; ; offset += 10_000) {
        const res = await this.ctx.query<{ key: unknown; fingerprint: string | null }>(
          `SELECT key, fingerprint FROM ${temp(t, 'classified')} WHERE srow IS NOT NULL ORDER BY srow LIMIT 10000 OFFSET ${offset}`,
        );
        for (const r of res.rows)
          if (!out.write(`${JSON.stringify({ t: t.plan.name, k: r.key, f: r.fingerprint })}\n`)) await once(out, 'drain');
        if (res.rows.length < 10_000) break;
      }
    }
    out.end();
    await once(out, 'finish');
  }

  async close(): Promise<void> {
    await this.ctx.client.query('ROLLBACK').catch(() => undefined);
    await this.ctx.close();
  }
}

export function emptyCounts(): Record<DiffKind, number> {
  return Object.fromEntries(DIFF_KINDS.map((k) => [k, 0])) as Record<DiffKind, number>;
}

export async function tableCounts(ctx: RunContext, t: StagedTable): Promise<Record<DiffKind, number>> {
  const counts = emptyCounts();
  const res = await ctx.query<{ kind: DiffKind; n: string }>(`SELECT kind, count(*) AS n FROM ${temp(t, 'classified')} GROUP BY kind`);
  for (const r of res.rows) counts[r.kind] = Number(r.n);
  return counts;
}

/** Runs the diff and returns an open session; close() it when done. */
export async function openDiff(options: DiffOptions): Promise<DiffSession> {
  const started = Date.now();
  const ctx = await RunContext.open(options.db, options.signal, options.onEvent);
  try {
    await applySessionSettings(ctx.client, IMPORT_SETTINGS);
    // One snapshot for everything read; the diff takes no locks and writes only temporary tables.
    await ctx.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const unlocker = new Unlocker(options.secret);
    const run = await prepareRun(ctx, { ...options, unlocker }, (i) => ctx.phase(i, DIFF_PHASES[i]));
    await refuseUnknownCopy(ctx, run, !!options.sameIds);
    await refuseReusedIds(ctx, run);
    const agreed =
      (options.base === 'auto' || options.base === 'kept') && options.agreement ? await findAgreement(ctx, options.agreement, run) : null;
    const basePath = resolveBase(options.base, agreed, run);
    const base = basePath ? await stageBase(ctx, run, basePath, options.limits, 'b', unlocker) : null;
    ctx.phase(2, DIFF_PHASES[2]);
    const identity = {
      source: run.source,
      target: run.target,
      sameIds: !!options.sameIds,
      probable: options.probableEdits ?? 'ask',
      decisions: null,
    } as const;
    const analysis = await analyze(ctx, run, base, identity, (t, done) =>
      ctx.progress({ type: 'table', table: t.plan.name, phase: 2, rowsDone: done ? t.rows : 0, rowsTotal: t.rows, done }),
    );
    ctx.phase(3, DIFF_PHASES[3]);
    const tables: DiffSummary['tables'] = [];
    const data = analysis.tables.filter((t) => t.plan.role === 'data');
    for (const t of data) {
      ctx.progress({ type: 'table', table: t.plan.name, phase: 3, rowsDone: 0, rowsTotal: t.rows });
      await classifyTable(analysis, t);
    }
    // Every table classified first, as the merge does: a row naming a row of a table written after
    // its own (filled late) is refused where that row will not be there.
    for (const t of data) {
      await refuseUnwritable(analysis, t);
      tables.push({ table: t.plan.name, counts: await tableCounts(ctx, t) });
      ctx.progress({ type: 'table', table: t.plan.name, phase: 3, rowsDone: t.rows, rowsTotal: t.rows, done: true });
    }
    return new DiffSession(ctx, analysis, {
      threeWay: !!base,
      archive: { path: options.archive, database: run.index.metadata.database, timestamp: run.index.metadata.timestamp },
      base: base && basePath ? { path: basePath, database: base.index.metadata.database, timestamp: base.index.metadata.timestamp } : null,
      target: { database: run.catalog.database, label: options.db.label },
      tables,
      warnings: run.ignoredColumns.length
        ? [
            ...run.warnings,
            `Columns on one side only, left out of the comparison (--ignore-missing-columns): ${run.ignoredColumns.join(', ')}`,
          ]
        : run.warnings,
      durationMs: Date.now() - started,
    });
  } catch (error) {
    await ctx.client.query('ROLLBACK').catch(() => undefined);
    await ctx.close();
    if (ctx.cancelled) throw new CancelledError('The diff was cancelled.');
    throw error;
  }
}
