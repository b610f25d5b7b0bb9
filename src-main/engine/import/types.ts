// What the import stages share about one table of the run.
import type { RowProblem, TableCounts } from '../../../src-common/contract';
import type { ArchiveTable } from '../archive/format';
import type { Table } from '../catalog';
import type { TablePlan } from '../plan';

export interface ImportTable {
  /** The target's plan for this table (columns, key, references, order). */
  plan: TablePlan;
  /** The target's catalog entry (constraints to check before writing). */
  catalog: Table;
  archive: ArchiveTable;
  /** Archive columns that exist in the target, in archive order; these are staged. */
  staged: string[];
  /** Positions of `staged` within the archive file's columns. */
  pick: number[];
  /** Temp-table name stem of the staged rows (shared by every pass over them). */
  stage: string;
  /** Temp-table name stem of one matching pass, unique per table and pass (mr4_<tag>_…). */
  tag: string;
  counts: TableCounts;
  /** Rows staged from the archive. */
  rows: number;
}

export function temp(t: ImportTable, kind: string): string {
  const stem = kind === 's' || kind === 'text' ? t.stage : t.tag;
  return `pg_temp."mr4_${stem}_${kind}"`;
}

/** The same staged table, for another matching pass: fresh counts, its own temp names. */
export function forPass(t: ImportTable, pass: string): ImportTable {
  return { ...t, tag: `${pass}${t.stage}`, counts: { table: t.plan.name, inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 } };
}

export class ImportCheckError extends Error {
  override name = 'ImportCheckError';
  constructor(readonly problems: string[]) {
    super(`The archive does not fit the target database:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export class RefusedRowsError extends Error {
  override name = 'RefusedRowsError';
  constructor(readonly rows: RowProblem[]) {
    const problems = rows;
    const shown = problems.slice(0, 50).map((p) => `  - ${p.table}${p.key ? ` ${JSON.stringify(p.key)}` : ''}${p.row ? ` (row ${p.row})` : ''}: ${p.reason}`);
    const more = problems.length > 50 ? `\n  … and ${problems.length - 50} more (use --json for all)` : '';
    super(
      `${problems.length} row(s) would break the target's constraints; nothing was written:\n${shown.join('\n')}${more}\n` +
        'Fix them in the source, or import everything else with --allow-failures (they are then reported as failed).',
    );
  }
}

export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    message: string,
    readonly problem: RowProblem | null,
    readonly sqlstate: string | undefined,
  ) {
    super(message);
  }
}
