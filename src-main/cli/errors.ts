// How a failed job is told on stderr: the engine's reason, every archive/target mismatch, the refused
// rows by natural key (at most 50), and for connection failures how to name a database.
import type { RowProblem } from '../../src-common/contract';
import { rowProblemText } from '../../src-common/row-problem';
import { ROW_SECURITY_STOP, ROW_SECURITY_WAY_OUT } from '../engine/plan';
import { num } from './format';

export const MAX_ROWS_SHOWN = 50;

export function formatRowProblems(rows: RowProblem[], indent = '  ', moreHint = '(use --json)'): string[] {
  const lines = rows.slice(0, MAX_ROWS_SHOWN).map((p) => indent + rowProblemText(p));
  if (rows.length > MAX_ROWS_SHOWN) lines.push(`${indent}… and ${num(rows.length - MAX_ROWS_SHOWN)} more ${moreHint}`);
  return lines;
}

interface ErrorFacts {
  name?: string;
  message?: string;
  code?: string;
  problems?: string[];
  rows?: RowProblem[];
}

const NAME_HINT =
  'Name the database with --db postgres://user@host:5432/dbname, or set DATABASE_URL (or PGHOST, PGPORT, PGDATABASE, PGUSER).';
const PASSWORD_HINT =
  'The server wants a password: give it in the URL (user:password before the @), in PGPASSWORD, or in ~/.pgpass (mode 0600).';

/** What to do next about a failed job, one line each (after the error itself). */
export function failureHints(error: unknown, context: { databaseNamed: boolean; internal?: boolean }): string[] {
  const e = (error ?? {}) as ErrorFacts;
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  const lines: string[] = [];
  if (e.name === 'ConnectionError') {
    if (!context.databaseNamed) {
      lines.push('No database was named (no --db, DATABASE_URL, PGHOST or PGDATABASE), so mr4 tried the libpq defaults.');
      lines.push(NAME_HINT);
    } else if (/password|SASL|SCRAM/i.test(message)) {
      if (!/pgpass/.test(message)) lines.push(PASSWORD_HINT);
    } else if (/not found|cannot reach|refused|does not resolve|timed out/i.test(message)) {
      lines.push(NAME_HINT);
    }
  } else if (e.name === 'WriteError') {
    lines.push(
      'Nothing was written: the import was rolled back. Fix that row (in the source or in the target), or run again with --allow-failures to import the rest and report it as failed.',
    );
  } else if (ROW_SECURITY_STOP.test(message)) {
    lines.push(`Row-level security would hide rows from mr4, so PostgreSQL stopped the query. ${ROW_SECURITY_WAY_OUT}`);
  } else if (context.internal) {
    lines.push('This looks like a bug in mr4 (or a broken build: run `npm run build`). Please report it with the command you ran.');
  }
  return lines;
}

/** Lines for stderr describing why a job failed. `internal`: the failure did not come from the engine's own reporting (the worker crashed or did not load). */
export function describeFailure(error: unknown, context: { databaseNamed: boolean; internal?: boolean }): string {
  const e = (error ?? {}) as ErrorFacts;
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  const lines: string[] = [];
  const [headline, ...rest] = message.split('\n');
  if (e.problems?.length) {
    // The message repeats the problems as a list; print the headline and each problem once.
    lines.push(`Error: ${headline}`);
    for (const p of e.problems) lines.push(`  - ${p}`);
    lines.push(...rest.filter((l) => l.trim() && !/^\s/.test(l)));
  } else if (e.rows && e.rows.length && (e.name === 'RefusedRowsError' || e.rows.length > 1)) {
    lines.push(`Error: ${headline}`);
    lines.push(...formatRowProblems(e.rows, '  ', '(run again with --dry-run --allow-failures --json to list them all)'));
    lines.push(...rest.filter((l) => l.trim() && !/^\s/.test(l)));
  } else {
    lines.push(`Error: ${message}`);
  }
  lines.push(...failureHints(error, context));
  return lines.join('\n') + '\n';
}

/** The `error` object `--json` prints on stdout when a command fails: the message, and what is known. */
export interface JsonFailure {
  message: string;
  /** SQLSTATE, a system error code (ECONNREFUSED…), or MR4_USAGE / MR4_INTERNAL. */
  code?: string;
  /** The error's kind (ConnectionError, RefusedRowsError, CancelledError, UsageError…). */
  name?: string;
  /** The exit status that goes with it. */
  exitCode: number;
  interrupted?: boolean;
  hint?: string;
  problems?: string[];
  rows?: RowProblem[];
}

export function jsonFailure(
  error: unknown,
  context: { databaseNamed: boolean; internal?: boolean; exitCode: number; interrupted?: boolean },
): JsonFailure {
  const e = (error ?? {}) as ErrorFacts;
  const out: JsonFailure = { message: typeof e.message === 'string' && e.message ? e.message : String(error), exitCode: context.exitCode };
  if (typeof e.code === 'string' && e.code) out.code = e.code;
  else if (context.internal) out.code = 'MR4_INTERNAL';
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') out.name = e.name;
  if (context.interrupted) out.interrupted = true;
  const hints = failureHints(error, context);
  if (hints.length) out.hint = hints.join('\n');
  if (e.problems?.length) out.problems = e.problems;
  if (e.rows?.length) out.rows = e.rows;
  return out;
}

/** The failure of a command that told it on stderr only ("Error: …" and what follows). */
export function jsonFailureFromText(stderr: string, exitCode: number): JsonFailure {
  const lines = stderr.split('\n').map((l) => l.trimEnd());
  const at = lines.findIndex((l) => /^(Error|error): /.test(l));
  if (at === -1) return { message: lines.filter((l) => l.trim()).join('\n') || `mr4 ended with exit status ${exitCode}.`, exitCode };
  const message = lines[at].replace(/^(Error|error): /, '');
  const hint = lines
    .slice(at + 1)
    .filter((l) => l.trim() && l !== '(add --help for usage)')
    .join('\n');
  return { message, exitCode, ...(hint ? { hint } : {}) };
}
