// Errors of the write stage: rows the target's constraints refuse, and a statement that failed on a row.
import { rowProblemText } from '../../../src-common/row-problem';
import type { RowProblem } from '../report-types';

export class RefusedRowsError extends Error {
  override name = 'RefusedRowsError';
  constructor(readonly rows: RowProblem[]) {
    const problems = rows;
    const shown = problems.slice(0, 50).map((p) => `  - ${rowProblemText(p)}`);
    const more = problems.length > 50 ? `\n  … and ${problems.length - 50} more (use --json for all)` : '';
    super(
      `${problems.length} row(s) would break the target's constraints; nothing was written:\n${shown.join('\n')}${more}\n` +
        'Fix them in the source or the target, leave them out of the merge (exclude in a decisions file), or import everything else with --allow-failures (they are then reported as failed).',
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

/** A deferred constraint (or constraint trigger) failed when it was checked, after every row was
 *  written: PostgreSQL checks those for the transaction as a whole, so no row can be left out then. */
export class DeferredConstraintError extends Error {
  override name = 'DeferredConstraintError';
  readonly problem: RowProblem | null;
  constructor(
    readonly sqlstate: string,
    pg: { message?: string; detail?: string; table?: string; constraint?: string },
  ) {
    const what = `${pg.message ?? 'a constraint failed'}${pg.detail ? ` (${pg.detail})` : ''}`;
    super(
      `A deferred constraint${pg.constraint ? ` (${pg.constraint}${pg.table ? ` on ${pg.table}` : ''})` : ''} failed when it was checked, after every row was written: ${what}. ` +
        'The import was rolled back; nothing was written. PostgreSQL checks deferred constraints for the transaction as a whole, so --allow-failures cannot leave a row out here: fix the row it names, in the source or in the target.',
    );
    this.problem = pg.table ? { table: pg.table, key: null, row: null, reason: what } : null;
  }
}

export class ProbableEditsError extends Error {
  override name = 'ProbableEditsError';
  constructor(readonly rows: RowProblem[]) {
    const shown = rows.slice(0, 50).map((p) => `  - ${rowProblemText(p)}`);
    const more = rows.length > 50 ? `\n  … and ${rows.length - 50} more (use --json for all)` : '';
    super(
      `${rows.length} row(s) look like edits of the target's rows with the same ids, but neither a lineage of ids nor a natural key says they are those rows; nothing was written:\n${shown.join('\n')}${more}\n` +
        'Decide: --probable-edits same (they are those rows: update them) or --probable-edits new (they are other rows: insert them), ' +
        'row by row in a decisions file, or give the table a comparison key in the configuration ("key"). ' +
        'If the two databases are copies of each other, --same-ids pairs rows by their ids.',
    );
  }
}
