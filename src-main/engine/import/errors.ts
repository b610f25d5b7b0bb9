// Errors of the write stage: rows the target's constraints refuse, and a statement that failed on a row.
import type { RowProblem } from '../../../src-common/contract';

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
