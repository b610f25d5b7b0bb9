// What every stage of a run over an archive (import, dry run, diff) shares about one table, and the
// names of the temporary tables the stages build for it.
import type { TableCounts } from '../report-types';
import type { ArchiveTable } from '../archive/format';
import type { Table } from '../catalog';
import type { TablePlan } from '../plan';

export interface StagedTable {
  /** The target's plan for this table (columns, key, references, order). */
  plan: TablePlan;
  /** The target's catalog entry (constraints to check before writing). */
  catalog: Table;
  archive: ArchiveTable;
  /** Archive columns that exist in the target, in archive order; these are staged. */
  staged: string[];
  /** Positions of `staged` within the archive file's columns. */
  pick: number[];
  /** Staged columns whose archived values are masked (index.json, or the base's): never compared,
   *  never written over a target's value; they are written into new rows only. */
  masked: string[];
  /** Temp-table name stem of the staged rows (shared by every pass over them). */
  stage: string;
  /** Temp-table name stem of one matching pass, unique per table and pass (mr4_<tag>_…). */
  tag: string;
  counts: TableCounts;
  /** Rows staged from the archive. */
  rows: number;
}

/**
 * The temporary tables (and views) of one table of a run, by what they hold. The first two belong to
 * the staged rows and are shared by every matching pass; the others are built once per pass.
 */
const TEMP_TABLES = {
  /** The archive's rows, typed like the target (one per archived row, numbered by _row). */
  staged: 's',
  /** The same rows as text, only for tables whose values did not all fit their types. */
  stagedText: 'text',
  /** (view) staged rows with foreign keys rewritten to the target's ids. */
  resolved: 'r',
  /** Which target row each archived row is, and how that was found. */
  matched: 'k',
  /** Archived rows that look like edits of a target row that nothing else identifies. */
  probable: 'pe',
  /** (view) resolved rows joined with their match. */
  work: 'w',
  /** Rows refused and why. */
  refused: 'x',
  /** The target id of every usable row: matched, kept or drawn. */
  ids: 'a',
  /** A new row's values of the numbered columns (drawn afresh where the target holds its own). */
  numbers: 'n',
  /** Source id → target id, for the table's children. */
  idMap: 'm',
  /** The rows exactly as they will be written. */
  final: 'f',
  /** Rows a merge updated (so late seeding does not count them twice). */
  updated: 'u',
  /** The diff's verdict per archived row and per target-only row. */
  classified: 'd',
  /** Base rows matched to the source's rows, and to the target's rows. */
  baseInSource: 'kb',
  baseInTarget: 'kt',
} as const;

export type TempTable = keyof typeof TEMP_TABLES;

export function temp(t: StagedTable, kind: TempTable): string {
  const stem = kind === 'staged' || kind === 'stagedText' ? t.stage : t.tag;
  return `pg_temp."mr4_${stem}_${TEMP_TABLES[kind]}"`;
}

/** The same staged table, for another matching pass: fresh counts, its own temp names. */
export function forPass(t: StagedTable, pass: string): StagedTable {
  return { ...t, tag: `${pass}${t.stage}`, counts: { table: t.plan.name, inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 } };
}

export class ImportCheckError extends Error {
  override name = 'ImportCheckError';
  constructor(readonly problems: string[]) {
    super(`The archive does not fit the target database:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
