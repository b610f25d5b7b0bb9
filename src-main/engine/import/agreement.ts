// What two databases last agreed on: after an import, the rows the target now holds exactly as the
// archive has them, plus — for every other row — what the two agreed on before. That is the base a
// later three-way merge between the two databases compares against (in either direction): a row the
// import skipped, left out, refused or kept as the target's own is not the archive's value there, so
// merging back never reverts the other side's edits with it.
//
// It is written as an archive of the data tables, in the ids of one of the two databases (the one
// whose rows the first agreement recorded; every later agreement of the pair stays in its ids, taking
// agreed rows from the archive or from the target, whichever is in those ids).
import { dirname } from 'node:path';
import copyStreams from 'pg-copy-streams';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type ArchiveIndex, type ArchiveTable, tableFileNames } from '../archive/format';
import { fileSource, type TableSource } from '../archive/source';
import { ArchiveWriter } from '../archive/writer';
import { ident, literal } from '../sql';
import { comparedColumns } from '../compare/classify';
import { contentColumns, distinct, type MatchContext, remapRefs, target, targetSpaceValue, triggersFire } from '../staged/match';
import type { PreparedRun, StagedBase } from '../staged/prepare';
import { type StagedTable, temp } from '../staged/types';
import { TOOL_NAME } from '../version';

export interface AgreementWritten {
  path: string;
  sha256: string;
  /** The database whose ids the rows hold. */
  identity: string;
  /** The two databases, source first. */
  between: [string, string];
}

/** The agreed rows of one table (by _row of the staged archive): every row this run inserted (it
 *  holds what the archive says), and every row both had that is now equal to the archive's — or, in a
 *  three-way merge, whose every other field the merge settled: a field where the target kept its own
 *  value (its edit since the base, or a conflict answered "target") is agreed at the archive's value
 *  (_kept names those fields), as git takes the merged side for the next merge base. So the answer
 *  holds: the next merge back finds the source unchanged there and keeps the target's value, the next
 *  pull finds the target changed and brings it. A field or row left out settles nothing. */
async function agreedRows(m: MatchContext, t: StagedTable): Promise<string> {
  const name = `pg_temp."mr4_${t.tag}_agreed"`;
  const T = target(m, t);
  const D = m.verdicts?.get(t.plan.name);
  const insertedOnly = D
    ? ` AND EXISTS (SELECT 1 FROM ${D} d WHERE d.srow = f._row AND d.kind IN ('new', 'resurrect') AND NOT d.excluded)`
    : '';
  const inserted = `SELECT f._row, f._loc AS _tgt, '{}'::text[] AS _kept FROM ${temp(t, 'final')} f WHERE NOT f._hit${insertedOnly}`;
  const notRefused = `NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)`;
  const sur = t.plan.surrogate;
  let equal: string;
  if (D) {
    // The classification says it: in a merge, a row both had agrees where nothing of it was left out;
    // in a skip import, where it was identical (skip settles nothing: it only leaves rows alone).
    const kept = `ARRAY(SELECT e->>'column' FROM jsonb_array_elements(d.fields) e WHERE NOT (e->>'column' = ANY (d.apply)))`;
    equal = `SELECT w._row, ${sur ? 'a._tgt' : 'NULL::int'}, ${settles(m, t) ? kept : `'{}'::text[]`} FROM ${temp(t, 'work')} w ${sur ? `JOIN ${temp(t, 'ids')} a ON a._row = w._row` : ''}
             JOIN ${D} d ON d.srow = w._row
             WHERE w._hit AND ${notRefused} AND ${m.mode === 'merge' ? `NOT d.excluded AND cardinality(d.left_out) = 0` : `d.kind = 'identical'`}`;
  } else if (m.mode === 'merge') {
    // A two-way merge made every row both had equal to the archive's (insert-only columns are never compared).
    equal = `SELECT w._row, ${sur ? 'a._tgt' : 'NULL::int'}, '{}'::text[] FROM ${temp(t, 'work')} w ${sur ? `JOIN ${temp(t, 'ids')} a ON a._row = w._row` : ''} WHERE w._hit AND ${notRefused}`;
  } else if (sur) {
    const joins: string[] = [];
    const differs = comparedColumns(m, t).map((c) => distinct(t, c, targetSpaceValue(m, t, c, 'w', joins), `g.${ident(c)}`));
    equal = `SELECT w._row, a._tgt, '{}'::text[] FROM ${temp(t, 'work')} w JOIN ${temp(t, 'ids')} a ON a._row = w._row JOIN ${T} g ON g.${ident(sur)} = a._tgt
             ${joins.join(' ')}
             WHERE w._hit AND ${notRefused}${differs.length ? ` AND NOT (${differs.join(' OR ')})` : ''}`;
  } else {
    // Without an id, a row is found by its key (which a merge never changes) or by its whole content.
    const key = t.plan.key.kind === 'key' ? t.plan.key.columns : [];
    const cols = key.length ? comparedColumns(m, t) : contentColumns(m, t);
    const row = (alias: string, list: string[]) => `md5(ROW(${list.map((c) => `${alias}.${ident(c)}`).join(', ')})::text)`;
    const found = key.length
      ? `EXISTS (SELECT 1 FROM ${T} g WHERE ${key.map((c) => `g.${ident(c)} = w.${ident(c)}`).join(' AND ')}${cols.length ? ` AND NOT (${cols.map((c) => distinct(t, c, `w.${ident(c)}`, `g.${ident(c)}`)).join(' OR ')})` : ''})`
      : `${row('w', cols)} IN (SELECT ${row('g', cols)} FROM ${T} g)`;
    equal = `SELECT w._row, NULL::int, '{}'::text[] FROM ${temp(t, 'work')} w WHERE w._hit AND ${notRefused} AND ${found}`;
  }
  await m.ctx.query(`CREATE TEMP TABLE ${name} ON COMMIT DROP AS ${inserted} UNION ALL ${equal}`);
  await m.ctx.query(`ANALYZE ${name}`);
  return name;
}

/** The SELECT list of the agreed columns, each as `value` gives it (masked ones empty). */
type ColumnList = (value: (column: string) => string) => string;

/** Whether a row's fields may be agreed at the archive's value (agreedRows' _kept): in a three-way merge. */
const settles = (m: MatchContext, t: StagedTable) => m.mode === 'merge' && !!m.verdicts?.get(t.plan.name);

/** A column's agreed value: the archive's (`archive`, in the ids the agreement is in) where the target
 *  kept its own value for the agreed row `x`, else what the target stores (`stored`). */
const settled = (column: string, archive: string, stored: string) =>
  `CASE WHEN ${literal(column)} = ANY (x._kept) THEN ${archive} ELSE ${stored} END`;

/** The target row `g` an agreed row stands for (`from`: a row of the agreed rows for a table with an
 *  id, else of the resolved view), as a join condition. Null where rows are paired by content alone. */
function targetRowFound(t: StagedTable, from: string): string | null {
  const sur = t.plan.surrogate;
  if (sur) return `g.${ident(sur)} = ${from}._tgt`;
  if (t.plan.key.kind !== 'key') return null;
  return t.plan.key.columns.map((c) => `g.${ident(c)} = ${from}.${ident(c)}`).join(' AND ');
}

// The agreed values are the ones the target holds after the run, not the archive's: its BEFORE
// triggers may have rewritten what was written (`updated_at := now()`), and a row one suppressed is
// not there at all; the next merge must compare with what was really stored. A keyed row the key does
// not find (a NULL in the key) keeps the archive's values.
function agreedInTargetIds(m: MatchContext, t: StagedTable, agreed: string, list: ColumnList): string {
  const T = target(m, t);
  const found = targetRowFound(t, t.plan.surrogate ? 'x' : 'r');
  const joins: string[] = [];
  const stored = (from: string) => (c: string) =>
    settles(m, t) ? settled(c, targetSpaceValue(m, t, c, from, joins), `g.${ident(c)}`) : `g.${ident(c)}`;
  if (t.plan.surrogate) {
    const columns = list(stored('w'));
    const archived = settles(m, t) ? `JOIN ${temp(t, 'work')} w ON w._row = x._row ${joins.join(' ')}` : '';
    return `SELECT ${columns} FROM ${agreed} x JOIN ${T} g ON ${found} ${archived}`;
  }
  const R = temp(t, 'resolved');
  const own = (c: string) => `r.${ident(c)}`;
  if (!found) return `SELECT ${list(own)} FROM ${R} r JOIN ${agreed} x ON x._row = r._row`;
  const columns = list(stored('r'));
  return `SELECT ${columns} FROM ${R} r JOIN ${agreed} x ON x._row = r._row JOIN ${T} g ON ${found} ${joins.join(' ')}
          UNION ALL SELECT ${list(own)} FROM ${R} r JOIN ${agreed} x ON x._row = r._row WHERE NOT EXISTS (SELECT 1 FROM ${T} g WHERE ${found})`;
}

/** In the source's ids: the ids and references as the archive has them, every other value as the
 *  target stored it. */
function agreedInSourceIds(m: MatchContext, t: StagedTable, agreed: string, list: ColumnList): string {
  const T = target(m, t);
  const sur = t.plan.surrogate;
  const found = targetRowFound(t, sur ? 'x' : 'r');
  const own = (c: string) => `s.${ident(c)}`;
  if (!found) return `SELECT ${list(own)} FROM ${temp(t, 'staged')} s WHERE s._row IN (SELECT _row FROM ${agreed})`;
  const inIds = idValuedColumns(m, t);
  const value = (c: string) => (inIds.has(c) ? own(c) : settles(m, t) ? settled(c, own(c), `g.${ident(c)}`) : `g.${ident(c)}`);
  const rows = `${temp(t, 'staged')} s JOIN ${agreed} x ON x._row = s._row${sur ? '' : ` JOIN ${temp(t, 'resolved')} r ON r._row = s._row`}`;
  const stored = `SELECT ${list(value)} FROM ${rows} JOIN ${T} g ON ${found}`;
  return sur ? stored : `${stored} UNION ALL SELECT ${list(own)} FROM ${rows} WHERE NOT EXISTS (SELECT 1 FROM ${T} g WHERE ${found})`;
}

/** Columns whose values are ids of one database (the table's own, its rewritten references, its
 *  polymorphic ones, numbers each database draws): the target holds other values there. */
function idValuedColumns(m: MatchContext, t: StagedTable): Set<string> {
  return new Set([
    ...(t.plan.surrogate ? [t.plan.surrogate] : []),
    ...remapRefs(m, t).map((r) => r.columns[0]),
    ...(m.polymorphic.get(t.plan.name) ?? []).map((n) => n.ref.columns[0]),
    ...t.plan.numbered.map((n) => n.column),
  ]);
}

/** One table's rows of the new agreed state, as a SELECT of `columns`. */
function agreedStateSql(
  m: MatchContext,
  t: StagedTable,
  agreed: string,
  columns: string[],
  inTargetIds: boolean,
  previous: StagedTable | undefined,
): string {
  const sur = t.plan.surrogate;
  // Masked columns are never agreed on (one side holds masked values): kept empty, so an agreement
  // never holds the real values of a column that travelled masked.
  const masked = new Set(t.masked);
  const list: ColumnList = (value) =>
    columns
      .map((c) => (masked.has(c) ? `NULL::${t.plan.columns.find((x) => x.name === c)!.type} AS ${ident(c)}` : `${value(c)} AS ${ident(c)}`))
      .join(', ');
  const now = inTargetIds ? agreedInTargetIds(m, t, agreed, list) : agreedInSourceIds(m, t, agreed, list);
  if (!previous) return now;
  // Every row of the previous agreement that no row agreed on now stands for stays as it was.
  const prev = columns
    .map((c) =>
      previous.staged.includes(c) && !masked.has(c) ? `p.${ident(c)}` : `NULL::${t.plan.columns.find((x) => x.name === c)!.type}`,
    )
    .join(', ');
  const key = t.plan.key.kind === 'key' ? t.plan.key.columns : [];
  let covered: string;
  if (sur && previous.staged.includes(sur)) {
    const agreedIds = inTargetIds
      ? `SELECT _tgt FROM ${agreed}`
      : `SELECT s.${ident(sur)} FROM ${temp(t, 'staged')} s WHERE s._row IN (SELECT _row FROM ${agreed})`;
    covered = `p.${ident(sur)} IN (${agreedIds})`;
  } else if (!sur && key.length && key.every((c) => previous.staged.includes(c))) {
    const from = inTargetIds ? temp(t, 'resolved') : temp(t, 'staged');
    covered = `EXISTS (SELECT 1 FROM ${from} n WHERE n._row IN (SELECT _row FROM ${agreed}) AND ${key.map((c) => `n.${ident(c)} = p.${ident(c)}`).join(' AND ')})`;
  } else {
    return now;
  }
  return `${now} UNION ALL SELECT ${prev} FROM ${temp(previous, 'staged')} p WHERE NOT (${covered})`;
}

/**
 * Whether a table's agreed rows, in the source's ids, are its archive file as it is: every archived
 * row was inserted by this run (none refused, skipped or already there), every archived column was
 * written (none generated or left out in the target, none masked), and no user trigger changed what
 * was stored. The target then holds the archive's values in columns of the archive's very types.
 * Copying the file spares reading back and writing out every row of the table.
 */
function agreedAsArchived(m: MatchContext, run: PreparedRun, t: StagedTable, previous: StagedBase | null): boolean {
  const c = t.counts;
  return (
    run.files !== null &&
    !previous?.tables.has(t.plan.name) &&
    c.inserted === t.rows &&
    c.updated + c.unchanged + c.skipped + c.failed === 0 &&
    t.staged.length === t.archive.columns.length &&
    t.masked.length === 0 &&
    !triggersFire(m, t)
  );
}

/**
 * Copies table files from another archive into the agreement as they are: `wanted` maps each file
 * there to its name here and to what that archive's index says of it. A file that differs from its
 * index entry, or is missing, keeps no agreement: the run warns, and the older agreement stays.
 */
async function copyTableFiles(
  from: TableSource,
  wanted: Map<string, { name: string; sha256: string; bytes: number }>,
  writer: ArchiveWriter,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const copied = new Map<string, string>();
  await from.walk(async (file, body) => {
    const want = wanted.get(file);
    if (!want) return void body.resume();
    const spooled = await writer.addFile(want.name, body);
    if (spooled.sha256 !== want.sha256 || spooled.bytes !== want.bytes) {
      throw new Error(`the archive's file ${file} changed while it was imported`);
    }
    copied.set(file, spooled.file);
  }, signal);
  const missing = [...wanted.keys()].filter((f) => !copied.has(f));
  if (missing.length) throw new Error(`the archive no longer holds ${missing.join(', ')}`);
  return copied;
}

/** A table's entry in the agreement's index: its rows' file and what it holds, in the target's types. */
function agreedEntry(t: StagedTable, file: string, stats: Pick<ArchiveTable, 'rows' | 'bytes' | 'sha256'>): ArchiveTable {
  const byName = new Map(t.plan.columns.map((c) => [c.name, c]));
  return {
    ...t.archive,
    ...stats,
    file,
    role: 'data',
    columns: t.staged.map((c) => ({ name: c, type: byName.get(c)!.type, notNull: byName.get(c)!.notNull })),
    ...(t.masked.length
      ? { masked: t.masked.map((c) => t.archive.masked?.find((x) => x.column === c) ?? { column: c, rule: 'masked' }) }
      : { masked: undefined }),
    subset: undefined,
  };
}

/**
 * Writes the new agreed state of the archive's database and the target, inside the import's
 * transaction (before COMMIT), to `out`. `previous` is the last agreement (staged), if it is in the
 * same ids; `identity` says whose ids those are: the source's or the target's.
 */
export async function writeAgreement(
  m: MatchContext,
  run: PreparedRun,
  tables: StagedTable[],
  previous: StagedBase | null,
  identity: string,
  out: string,
): Promise<AgreementWritten> {
  const source = run.source.identity!;
  const targetIdentity = run.catalog.identity;
  const inTargetIds = identity === targetIdentity;
  const data = tables.filter((t) => t.plan.role === 'data');
  const writer = await ArchiveWriter.create({ spoolParent: dirname(out) });
  try {
    const files = tableFileNames(data.map((t) => t.plan.name));
    const index: Record<string, ArchiveTable> = {};
    // Tables written whole as the archive has them: its own files.
    const copied = new Set(inTargetIds ? [] : data.filter((t) => agreedAsArchived(m, run, t, previous)));
    if (copied.size) {
      const wanted = new Map([...copied].map((t) => [t.archive.file, { ...t.archive, name: files.get(t.plan.name)! }]));
      const written = await copyTableFiles(run.files!, wanted, writer, m.ctx.signal);
      for (const t of copied) index[t.plan.name] = agreedEntry(t, written.get(t.archive.file)!, t.archive);
    }
    for (const t of data) {
      if (copied.has(t)) continue;
      m.ctx.throwIfCancelled();
      const agreed = await agreedRows(m, t);
      const select = agreedStateSql(m, t, agreed, t.staged, inTargetIds, previous?.tables.get(t.plan.name));
      const stream = m.ctx.client.query(copyStreams.to(`COPY (${select}) TO STDOUT`));
      const spooled = await writer.addTable(t.plan.name, files.get(t.plan.name)!, t.staged, stream);
      index[t.plan.name] = agreedEntry(t, spooled.file, spooled);
    }
    // Tables this run did not import (a partial import) keep what was agreed on them before.
    const untouched = previous ? previous.index.entities.filter((e) => previous.index.tables[e].role === 'data' && !index[e]) : [];
    if (previous && untouched.length) {
      const names = tableFileNames([...data.map((t) => t.plan.name), ...untouched]);
      const wanted = new Map(untouched.map((e) => [previous.index.tables[e].file, { ...previous.index.tables[e], name: names.get(e)! }]));
      const written = await copyTableFiles(fileSource(previous.path), wanted, writer, m.ctx.signal);
      for (const e of untouched) {
        const file = written.get(previous.index.tables[e].file)!;
        index[e] = { ...previous.index.tables[e], file };
        files.set(e, file);
      }
    }
    const entities = [...data.map((t) => t.plan.name), ...untouched];
    const archive: ArchiveIndex = {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      metadata: {
        timestamp: new Date().toISOString(),
        database: inTargetIds ? run.catalog.database : run.index.metadata.database,
        schema: run.catalog.schema,
        server: inTargetIds
          ? { version: run.catalog.serverVersionText, systemIdentifier: run.catalog.systemIdentifier }
          : run.index.metadata.server,
        tool: TOOL_NAME,
        profile: run.plan.profile,
        description: `what ${run.index.metadata.database} and ${run.catalog.database} last agreed on`,
        identity,
      },
      entities,
      files: Object.fromEntries(entities.map((e) => [e, files.get(e)!])),
      tables: index,
      excluded: [],
    };
    const written = await writer.finish(archive, out);
    return { path: written.path, sha256: written.sha256, identity, between: [source, targetIdentity] };
  } finally {
    await writer.dispose();
  }
}
