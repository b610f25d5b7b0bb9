// Errors cross the worker boundary as plain data and come back as JobError with the same facts.
import type { RowProblem } from '../../src-common/contract';

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** Every check that failed (an archive that does not fit the target). */
  problems?: string[];
  /** Every refused row, named by its natural key. */
  rows?: RowProblem[];
}

export function serializeError(error: unknown): SerializedError {
  const e = error as Error & { code?: string; problems?: string[]; rows?: RowProblem[]; sqlstate?: string; problem?: RowProblem | null };
  const out: SerializedError = { name: e?.name ?? 'Error', message: e?.message ?? String(error) };
  const code = e?.code ?? e?.sqlstate;
  if (typeof code === 'string') out.code = code;
  if (Array.isArray(e?.problems)) out.problems = e.problems;
  // A three-way merge's open conflicts and a stale preview's changed rows, one line each.
  const conflicts = (error as { conflicts?: { table: string; key: unknown; field: string | null; reason: string }[] })?.conflicts;
  if (Array.isArray(conflicts)) out.problems = conflicts.map((c) => `${c.table} ${JSON.stringify(c.key)}${c.field ? ` ${c.field}` : ''}: ${c.reason}`);
  const changed = (error as { changed?: { table: string; key: unknown }[] })?.changed;
  if (Array.isArray(changed)) out.problems = changed.map((c) => `${c.table} ${JSON.stringify(c.key)} changed since the diff`);
  if (Array.isArray(e?.rows)) out.rows = e.rows;
  if (e?.problem) out.rows = [e.problem];
  return out;
}

export class JobError extends Error {
  readonly code?: string;
  readonly problems?: string[];
  readonly rows?: RowProblem[];
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    this.code = serialized.code;
    this.problems = serialized.problems;
    this.rows = serialized.rows;
  }
}
