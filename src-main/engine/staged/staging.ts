// Stage: stream every table file of the archive through COPY into a temporary table typed like the
// target, verifying each file's row count and sha256 on the way. Values that do not fit their target
// type are found afterwards, set-wise, by re-reading those tables as text.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { RowProblem } from '../report-types';
import { type ArchiveLineage, ArchiveError, LINEAGE_COLUMNS, LINEAGE_LABEL } from '../archive/format';
import type { TableSource } from '../archive/source';
import { TableFileReader } from '../archive/table-file';
import { CancelledError, type RunContext } from '../run-context';
import { ident, literal } from '../sql';
import { createLineageStaging, finishLineageStaging } from './lineage';
import { type StagedTable, temp } from './types';

function typeOf(t: StagedTable, column: string): string {
  return t.plan.columns.find((c) => c.name === column)!.type;
}

export async function createStagingTable(ctx: RunContext, t: StagedTable, kind: 'staged' | 'stagedText'): Promise<void> {
  const cols = t.staged.map((c) => `${ident(c)} ${kind === 'staged' ? typeOf(t, c) : 'text'}`);
  await ctx.query(`CREATE TEMP TABLE ${temp(t, kind)} (_row bigint NOT NULL${cols.map((c) => `, ${c}`).join('')}) ON COMMIT DROP`);
}

async function copyInto(ctx: RunContext, t: StagedTable, kind: 'staged' | 'stagedText', body: Readable): Promise<TableFileReader> {
  const reader = new TableFileReader({ table: t.plan.name, columns: t.archive.columns.map((c) => c.name), pick: t.pick, rowNumbers: true });
  const columns = ['_row', ...t.staged].map((c) => ident(c)).join(', ');
  const copy = ctx.client.query(copyStreams.from(`COPY ${temp(t, kind)} (${columns}) FROM STDIN`));
  reader.on('data', () => {
    ctx.progress({ type: 'table', table: t.plan.name, phase: 1, rowsDone: reader.rows, rowsTotal: t.archive.rows });
  });
  await pipeline(body, reader, copy);
  return reader;
}

function verify(t: StagedTable, reader: TableFileReader): void {
  const stats = reader.stats();
  if (stats.sha256 !== t.archive.sha256 || stats.bytes !== t.archive.bytes) {
    throw new ArchiveError(`${t.archive.file} does not match its checksum in index.json; the archive is corrupt or was altered`);
  }
  if (stats.rows !== t.archive.rows)
    throw new ArchiveError(`${t.archive.file} holds ${stats.rows} rows, index.json says ${t.archive.rows}`);
}

const DATA_ERROR = /^(22|23|42804|42P18)/;

/** An error of COPY itself rather than of a value's type (an encoding the target cannot hold, a line
 *  too long for the server), named with the file, the table and the row. */
function copyFailure(t: StagedTable, error: unknown): unknown {
  const e = error as { code?: string; message?: string; where?: string };
  if (e?.code !== '22P05' && e?.code !== '22021' && e?.code !== '54000') return error;
  const line = /line (\d+)/.exec(e.where ?? '')?.[1];
  const why =
    e.code === '22P05'
      ? ": the target database's encoding cannot hold a character of this row"
      : e.code === '54000'
        ? ': the row is too large for the server'
        : '';
  return new ArchiveError(`${t.archive.file} (table ${t.plan.name})${line ? `, row ${line}` : ''}: ${e.message}${why}`);
}

/** The archive's lineage file, and the temp table it is staged into. */
export interface LineageToStage {
  meta: ArchiveLineage;
  into: string;
}

async function stageLineage(ctx: RunContext, lineage: LineageToStage, body: Readable): Promise<void> {
  const reader = new TableFileReader({ table: LINEAGE_LABEL, columns: [...LINEAGE_COLUMNS], rowNumbers: true });
  const copy = ctx.client.query(copyStreams.from(`COPY ${lineage.into} (_row, ${LINEAGE_COLUMNS.join(', ')}) FROM STDIN`));
  await pipeline(body, reader, copy);
  const stats = reader.stats();
  if (stats.sha256 !== lineage.meta.sha256 || stats.bytes !== lineage.meta.bytes || stats.rows !== lineage.meta.rows) {
    throw new ArchiveError(`${lineage.meta.file} does not match index.json; the archive is corrupt or was altered`);
  }
}

/** Stages every table (and the lineage, if given); returns the tables whose values did not all fit
 *  their target types. `listed` are all files index.json names; any other file makes the archive invalid. */
export async function stageTables(
  ctx: RunContext,
  source: TableSource,
  tables: StagedTable[],
  listed: Set<string>,
  lineage?: LineageToStage,
): Promise<StagedTable[]> {
  const byFile = new Map(tables.map((t) => [t.archive.file, t]));
  const seen = new Set<string>();
  const misfits: StagedTable[] = [];
  for (const t of tables) await createStagingTable(ctx, t, 'staged');
  if (lineage) await createLineageStaging(ctx, lineage.into);
  await source.walk(async (file, body) => {
    if (lineage && file === lineage.meta.file) {
      seen.add(file);
      return stageLineage(ctx, lineage, body);
    }
    const t = byFile.get(file);
    if (!t) {
      if (!listed.has(file)) throw new ArchiveError(`the archive contains ${file}, which index.json does not list`);
      // Files of tables this run does not import are skipped.
      body.resume();
      return;
    }
    seen.add(file);
    await ctx.query('SAVEPOINT mr4_stage');
    try {
      const reader = await copyInto(ctx, t, 'staged', body);
      verify(t, reader);
      t.rows = reader.rows;
      await ctx.query('RELEASE SAVEPOINT mr4_stage');
    } catch (error) {
      if (ctx.cancelled) throw new CancelledError();
      const code = (error as { code?: string }).code;
      if (!code || !DATA_ERROR.test(code) || code === '22021') throw copyFailure(t, error);
      await ctx.query('ROLLBACK TO SAVEPOINT mr4_stage');
      body.resume();
      misfits.push(t);
    }
    ctx.progress({ type: 'table', table: t.plan.name, phase: 1, rowsDone: t.rows, rowsTotal: t.archive.rows, done: true });
  }, ctx.signal);
  for (const t of tables) {
    if (!seen.has(t.archive.file))
      throw new ArchiveError(`the archive lacks ${t.archive.file}, which index.json lists for table ${t.plan.name}`);
  }
  if (lineage) {
    if (!seen.has(lineage.meta.file))
      throw new ArchiveError(`the archive lacks ${lineage.meta.file}, which index.json lists as its lineage`);
    await finishLineageStaging(ctx, lineage.into);
  }
  return misfits;
}

const CAST_ERROR_FUNCTION = `
CREATE OR REPLACE FUNCTION pg_temp.mr4_cast_error(v text, t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT %L::%s', v, t);
  RETURN NULL;
EXCEPTION WHEN others THEN
  RETURN SQLERRM;
END $$`;

/**
 * Re-reads the misfit tables as text, names every value that does not cast to its target type, and
 * stages the remaining rows typed. Returns one problem per refused row.
 */
export async function diagnoseMisfits(ctx: RunContext, source: TableSource, misfits: StagedTable[]): Promise<RowProblem[]> {
  if (misfits.length === 0) return [];
  const byFile = new Map(misfits.map((t) => [t.archive.file, t]));
  for (const t of misfits) await createStagingTable(ctx, t, 'stagedText');
  await source.walk(async (file, body) => {
    const t = byFile.get(file);
    if (!t) return void body.resume();
    let reader: TableFileReader;
    try {
      reader = await copyInto(ctx, t, 'stagedText', body);
    } catch (error) {
      if (ctx.cancelled) throw new CancelledError();
      throw copyFailure(t, error);
    }
    verify(t, reader);
    t.rows = reader.rows;
  }, ctx.signal);
  await ctx.query(CAST_ERROR_FUNCTION);
  const problems: RowProblem[] = [];
  for (const t of misfits) {
    const bad = new Map<number, RowProblem>();
    for (const c of t.staged) {
      const type = typeOf(t, c);
      await ctx.query('SAVEPOINT mr4_cast');
      try {
        await ctx.query(`SELECT count(${ident(c)}::${type}) FROM ${temp(t, 'stagedText')}`);
        await ctx.query('RELEASE SAVEPOINT mr4_cast');
        continue;
      } catch {
        await ctx.query('ROLLBACK TO SAVEPOINT mr4_cast');
      }
      const rows = await ctx.query<{ _row: string; err: string }>(
        `SELECT _row, err FROM (SELECT _row, pg_temp.mr4_cast_error(${ident(c)}, ${literal(type)}) AS err FROM ${temp(t, 'stagedText')}
          WHERE ${ident(c)} IS NOT NULL) x WHERE err IS NOT NULL ORDER BY _row`,
      );
      for (const r of rows.rows) {
        const row = Number(r._row);
        if (!bad.has(row)) bad.set(row, { table: t.plan.name, key: null, row, column: c, reason: `${c}: ${r.err}` });
      }
    }
    problems.push(...bad.values());
    const casts = t.staged.map((c) => `${ident(c)}::${typeOf(t, c)}`).join(', ');
    const badRows = [...bad.keys()];
    await ctx.query(
      `INSERT INTO ${temp(t, 'staged')} (_row${t.staged.map((c) => `, ${ident(c)}`).join('')})
       SELECT _row${casts ? `, ${casts}` : ''} FROM ${temp(t, 'stagedText')} WHERE NOT (_row = ANY ($1::bigint[]))`,
      [badRows],
    );
    await ctx.query(`DROP TABLE ${temp(t, 'stagedText')}`);
  }
  return problems;
}
