// Errors cross the worker boundary as plain data and come back as JobError with the same facts.
import type { ReusedIds, RowProblem } from '../../src-common/contract';

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** The engine failed in a way it does not expect (a bug), not because of the input or the machine. */
  internal?: boolean;
  /** Every check that failed (an archive that does not fit the target). */
  problems?: string[];
  /** Every refused row, named by its natural key. */
  rows?: RowProblem[];
  /** A run refused because ids were reused: per table, whose lineage names them (the app's way out). */
  reusedIds?: ReusedIds[];
}

/** A system error code: the machine's state (a full disk, a missing permission), not a bug. */
const SYSTEM_CODE = /^E[A-Z0-9]+$/;

/** What an error of the machine means, in words (the system's own text follows). */
export function environmentMessage(code: string, message: string): string | null {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return /^No space left on device/.test(message) ? message : `No space left on device (${message})`;
    case 'ENOMEM':
    case 'ERR_WORKER_OUT_OF_MEMORY':
      return `mr4 ran out of memory (${message})`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied (${message})`;
    case 'EIO':
      return `An input/output error of the disk or device (${message})`;
    case 'EROFS':
      return `The file system is read-only (${message})`;
    case 'EMFILE':
    case 'ENFILE':
      return `Too many open files (${message})`;
    default:
      return null;
  }
}

/** An error the engine did not raise itself and that is no fault of the machine: a bug. */
function looksInternal(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown };
  if (typeof e?.code === 'string' && (SYSTEM_CODE.test(e.code) || e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /^[0-9A-Z]{5}$/.test(e.code)))
    return false;
  return (
    e?.name === 'TypeError' ||
    e?.name === 'RangeError' ||
    e?.name === 'ReferenceError' ||
    e?.name === 'SyntaxError' ||
    e?.name === 'AssertionError'
  );
}

export function serializeError(error: unknown, how: { uncaught?: boolean } = {}): SerializedError {
  const e = error as Error & { code?: string; problems?: string[]; rows?: RowProblem[]; sqlstate?: string; problem?: RowProblem | null };
  const out: SerializedError = { name: e?.name ?? 'Error', message: e?.message ?? String(error) };
  const code = e?.code ?? e?.sqlstate;
  if (typeof code === 'string') out.code = code;
  const plain = typeof code === 'string' ? environmentMessage(code, out.message) : null;
  if (plain) out.message = plain;
  else if (how.uncaught ? typeof code !== 'string' || !SYSTEM_CODE.test(code) : looksInternal(error)) out.internal = true;
  if (Array.isArray(e?.problems)) out.problems = e.problems;
  // A three-way merge's open conflicts and a stale preview's changed rows, one line each.
  const conflicts = (error as { conflicts?: { table: string; key: unknown; field: string | null; reason: string }[] })?.conflicts;
  if (Array.isArray(conflicts))
    out.problems = conflicts.map((c) => `${c.table} ${JSON.stringify(c.key)}${c.field ? ` ${c.field}` : ''}: ${c.reason}`);
  const changed = (error as { changed?: { table: string; key: unknown }[] })?.changed;
  if (Array.isArray(changed)) out.problems = changed.map((c) => `${c.table} ${JSON.stringify(c.key)} changed since the diff`);
  if (Array.isArray(e?.rows)) out.rows = e.rows;
  if (e?.problem) out.rows = [e.problem];
  const reused = (error as { tables?: ReusedIds[] })?.tables;
  if (e?.name === 'ReusedIdsError' && Array.isArray(reused)) out.reusedIds = reused;
  return out;
}

export class JobError extends Error {
  readonly code?: string;
  readonly internal?: boolean;
  readonly problems?: string[];
  readonly rows?: RowProblem[];
  readonly reusedIds?: ReusedIds[];
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    this.code = serialized.code;
    if (serialized.internal) this.internal = true;
    this.problems = serialized.problems;
    this.rows = serialized.rows;
    if (serialized.reusedIds) this.reusedIds = serialized.reusedIds;
  }
}
