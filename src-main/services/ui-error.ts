// Every failure as a window shows it: a title and message in plain words, what to do next, and details
// for "copy details" with every password removed. Engine errors keep their facts (problems, refused
// rows); PostgreSQL errors are explained by their SQLSTATE.
import { lineageToForget, type LineageToForget, type ReusedIds, type RowProblem, type UiError } from '../../src-common/contract';
import { ROW_SECURITY_STOP, ROW_SECURITY_WAY_OUT } from '../engine/plan';
import { reusedIdsSeen } from '../engine/staged/reused-ids';
import { rowProblemText } from '../../src-common/row-problem';
import { scrubSecrets } from './secret-scrubber';
import { ServiceError } from './service-error';

// ─── SQLSTATE in plain words ───────────────────────────────────────────────────────────────────────

interface Explained {
  title: string;
  message: string;
  hint: string;
}

const SQLSTATES: Record<string, Explained> = {
  '28P01': {
    title: 'Wrong password',
    message: 'The server refused the password for this user.',
    hint: 'Check the user name and password in the connection settings, then test the connection again.',
  },
  '28000': {
    title: 'Access refused',
    message: 'The server does not allow this user to connect from here (pg_hba.conf), or the login is not valid.',
    hint: "Check the user name and SSL mode, or ask the server's administrator to allow this connection.",
  },
  '3D000': {
    title: 'Database not found',
    message: 'The server has no database of that name.',
    hint: 'Check the database name in the connection settings (names are case-sensitive).',
  },
  '42P01': {
    title: 'Table not found',
    message: 'A table the run needs does not exist in the database.',
    hint: "Check that the database has the application's schema (run its migrations), or choose fewer tables.",
  },
  '42501': {
    title: 'Permission denied',
    message: 'The database user lacks a privilege the run needs.',
    hint: 'Connect as a user that may read (export) or write (import) these tables, or ask for the grants.',
  },
  '23505': {
    title: 'Duplicate key',
    message: 'A row would duplicate a unique value that already exists in the target.',
    hint: 'Look at the row named in the details; fix it in the source or the target, then run again. Nothing was written.',
  },
  '23503': {
    title: 'Missing referenced row',
    message: 'A row refers to a row that does not exist (a foreign key).',
    hint: 'Include the parent table in the run, or fix the reference in the source. Nothing was written.',
  },
  '23502': {
    title: 'Missing required value',
    message: 'A row has no value for a column the target requires (NOT NULL).',
    hint: 'Fill the column in the source, or give it a default in the target. Nothing was written.',
  },
  '23514': {
    title: 'Check constraint violated',
    message: "A row breaks one of the target's CHECK rules.",
    hint: 'Look at the row and the rule named in the details and fix the value. Nothing was written.',
  },
  '55P03': {
    title: 'Tables are locked',
    message: 'Another session holds a lock on the tables this run needs, and it did not end within the lock timeout.',
    hint: 'Wait for the other session to finish (the details name it), or stop it, then run again. Nothing was changed.',
  },
  '57014': {
    title: 'Statement cancelled',
    message: 'The running statement was cancelled (by the user, or a statement timeout).',
    hint: 'Run it again; if a statement timeout stopped it, raise statement_timeout for this user.',
  },
  '53300': {
    title: 'Too many connections',
    message: 'The server has no free connection slots.',
    hint: 'Close other sessions or raise max_connections on the server, then try again.',
  },
  '08001': {
    title: 'Cannot connect',
    message: 'The connection to the server could not be established.',
    hint: 'Check the host, port and SSL mode, and that the server is running and reachable.',
  },
  '08006': {
    title: 'Connection lost',
    message: 'The connection to the server broke off during the run.',
    hint: 'Check the network and the server, then run again; an import was rolled back by the server.',
  },
  '25P02': {
    title: 'Transaction aborted',
    message: 'An earlier statement failed, so PostgreSQL refused the rest of the transaction.',
    hint: 'The first error in the details is the real cause; fix it and run again. Nothing was written.',
  },
  '40001': {
    title: 'Serialization failure',
    message: 'A concurrent change conflicted with this run.',
    hint: 'Run it again; it usually succeeds on the next try.',
  },
  '40P01': {
    title: 'Deadlock',
    message: 'This run and another session waited on each other; PostgreSQL stopped this run.',
    hint: 'Run it again when the other work has finished. Nothing was written.',
  },
  '57P01': {
    title: 'Server shutting down',
    message: 'The server was shut down by its administrator during the run.',
    hint: 'Wait until it is back, then run again.',
  },
  '57P03': {
    title: 'Server not ready',
    message: 'The server is starting up or in recovery and does not accept connections yet.',
    hint: 'Wait a moment and try again.',
  },
  '22P02': {
    title: 'Invalid value',
    message: "A value does not fit its column's type.",
    hint: 'Look at the row named in the details and fix the value in the source.',
  },
  '22001': {
    title: 'Value too long',
    message: 'A value is longer than its column allows.',
    hint: 'Widen the column in the target, or shorten the value in the source.',
  },
  '42703': {
    title: 'Column not found',
    message: 'A column the run needs does not exist.',
    hint: "Bring the target's schema up to date, or allow missing columns to be ignored.",
  },
  '53100': { title: 'Disk full', message: 'The server ran out of disk space.', hint: 'Free space on the database server, then run again.' },
};

const SQLSTATE_CLASSES: Record<string, Explained> = {
  '08': SQLSTATES['08006'],
  '23': {
    title: 'Constraint violated',
    message: "A row breaks one of the target's constraints.",
    hint: 'Look at the row named in the details and fix it. Nothing was written.',
  },
  '28': SQLSTATES['28000'],
  '53': {
    title: 'Server out of resources',
    message: 'The server ran out of a resource (memory, disk, connections).',
    hint: "Try again later, or ask the server's administrator.",
  },
  '57': { title: 'Run stopped by the server', message: 'The server stopped the run (cancel, timeout or shutdown).', hint: 'Run it again.' },
  '40': SQLSTATES['40001'],
};

/** PostgreSQL stopped a query that row-level security would have filtered (mr4 runs with it off). */
const ROW_SECURITY: Explained = {
  title: 'Row-level security',
  message: 'A policy would hide some rows of a table from this user, so PostgreSQL stopped the query rather than let mr4 read part of it.',
  hint: ROW_SECURITY_WAY_OUT,
};

export function explainSqlstate(code: string): Explained | undefined {
  return SQLSTATES[code] ?? SQLSTATE_CLASSES[code.slice(0, 2)];
}

// ─── Error → UiError ───────────────────────────────────────────────────────────────────────────────

interface ErrorFacts {
  name?: string;
  message?: string;
  code?: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  table?: string;
  constraint?: string;
  problems?: string[];
  rows?: RowProblem[];
  problem?: RowProblem | null;
  status?: number;
  reusedIds?: ReusedIds[];
}

function detailsOf(e: ErrorFacts, fallback: unknown): string {
  const lines = [`name: ${e.name ?? 'Error'}`];
  if (e.code ?? e.sqlstate) lines.push(`code: ${e.code ?? e.sqlstate}`);
  lines.push(`message: ${e.message ?? String(fallback)}`);
  if (e.detail) lines.push(`detail: ${e.detail}`);
  if (e.hint) lines.push(`hint: ${e.hint}`);
  if (e.table) lines.push(`table: ${e.table}`);
  if (e.constraint) lines.push(`constraint: ${e.constraint}`);
  if (e.problems?.length) lines.push('problems:', ...e.problems.map((p) => `  - ${p}`));
  const rows = e.rows ?? (e.problem ? [e.problem] : []);
  if (rows.length) {
    lines.push('rows:');
    for (const r of rows.slice(0, 200)) lines.push(`  - ${rowProblemText(r)}`);
    if (rows.length > 200) lines.push(`  … and ${rows.length - 200} more`);
  }
  return scrubSecrets(lines.join('\n'));
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}

function connectionHint(message: string): { title: string; hint: string; code?: string } {
  if (/refused the password|password authentication failed/i.test(message))
    return { title: 'Wrong password', hint: SQLSTATES['28P01'].hint, code: '28P01' };
  if (/wants a password|SASL|SCRAM|client password must be a string/i.test(message))
    return {
      title: 'Password needed',
      hint: 'The server asks for a password: enter it in the connection settings (it is kept in the secret store, never in a settings file).',
    };
  if (/Database not found|does not exist/i.test(message) && /database/i.test(message))
    return { title: 'Database not found', hint: SQLSTATES['3D000'].hint, code: '3D000' };
  if (/connection refused/i.test(message))
    return {
      title: 'Server not reachable',
      hint: 'Check the host and port, and that PostgreSQL is running and listening there (listen_addresses, firewall).',
      code: 'ECONNREFUSED',
    };
  if (/does not resolve/i.test(message))
    return { title: 'Unknown host', hint: "Check the host name for typos, or use the server's IP address.", code: 'ENOTFOUND' };
  if (/certificate/i.test(message))
    return {
      title: 'SSL certificate not trusted',
      hint: 'Use SSL mode "require" to encrypt without verifying the certificate (as psql does), or install the server\'s CA.',
    };
  if (/timed out/i.test(message))
    return {
      title: 'Connection timed out',
      hint: 'Check the host and port, the network (VPN, firewall), and that the server is up.',
      code: 'ETIMEDOUT',
    };
  if (/does not support SSL/i.test(message))
    return { title: 'Server has no SSL', hint: 'Set the SSL mode to "prefer" or "disable" for this server.' };
  if (/pg_hba|no encryption|refused/i.test(message)) return { title: 'Access refused', hint: SQLSTATES['28000'].hint, code: '28000' };
  if (/names a file|parameter/i.test(message))
    return {
      title: 'Connection setting not accepted',
      hint: 'Remove the parameter; MR4 Studio does not read files named by a connection.',
    };
  return { title: 'Cannot connect', hint: 'Check the host, port, database, user and password, then test the connection again.' };
}

const NODE_ERRORS: Record<string, Explained> = {
  ENOENT: { title: 'File not found', message: 'The file or folder does not exist (any more).', hint: 'Pick the file again.' },
  EACCES: {
    title: 'Permission denied',
    message: 'The app may not read or write this file or folder.',
    hint: "Choose a folder you may write to, or check the file's permissions.",
  },
  EPERM: {
    title: 'Not permitted',
    message: 'The operating system did not permit this file operation.',
    hint: "Choose another location, or check the file's permissions.",
  },
  ENOSPC: { title: 'Disk full', message: 'There is no space left on the disk.', hint: 'Free some space, then try again.' },
  EISDIR: { title: 'That is a folder', message: 'A file was expected, but this is a folder.', hint: 'Pick a file.' },
};

/** An SSH tunnel's failure, by the step it failed at (src-main/db/errors.ts). */
const SSH_ERRORS: Record<string, { title: string; hint: string }> = {
  MR4_SSH_CONNECT: {
    title: 'Cannot reach the SSH server',
    hint: 'Check the SSH host and port, and that the server is up and reachable from here (VPN, firewall).',
  },
  MR4_SSH_HOST_KEY_UNKNOWN: {
    title: 'Unknown SSH host key',
    hint: "Compare the fingerprint with the one the server's administrator gives you. To accept it, open the connection and press Test: the app shows the key and asks.",
  },
  MR4_SSH_HOST_KEY_CHANGED: {
    title: 'SSH host key CHANGED: refused',
    hint: "Do not connect until the server's administrator confirms the new key; then remove the old one from known_hosts as the message says.",
  },
  MR4_SSH_HOST_KEY_REVOKED: {
    title: 'SSH host key revoked: refused',
    hint: "The key is marked @revoked in known_hosts. Ask the server's administrator.",
  },
  MR4_SSH_AUTH: {
    title: 'SSH login refused',
    hint: 'Check the SSH user and the key, its passphrase, the agent or the password in the SSH tunnel section.',
  },
};

function reusedIdsError(base: Pick<UiError, 'details' | 'rows'>, message: string, reused: ReusedIds[]): UiError {
  const where = lineageToForget(reused);
  const named = reused.length === 1 ? `${reused[0]!.table} in ${reused[0]!.database}` : `${reused.length} tables`;
  const forget = where.map((w) => `of ${w.tables.join(', ')} in ${w.database}`).join(' and ');
  const archive = where.find((w) => w.side === 'archive');
  const then = archive ? `Then export ${archive.database} again and compare again.` : 'Then compare again.';
  const wentBack = where.filter((w) => w.idsAbove);
  const hint = wentBack.length
    ? `Forget the lineage ${forget}, one of two ways; only you know which is right. ` +
      `If the rows up to ${ceilingsText(wentBack)} are still the rows they were (only the newest were deleted), forget only the pairs naming ids above it: those rows stay paired. ` +
      `If the table was emptied and refilled, forget its whole lineage: its rows are then matched by natural key and content, and rows nothing identifies arrive as new rows. ${then}`
    : `Forget the lineage ${forget}: those rows are then matched by natural key and content, and rows nothing identifies arrive as new rows (nothing else is lost). ${then}`;
  return {
    ...base,
    title: `The ids of ${named} were reused`,
    message: firstLine(message),
    hint,
    code: 'ReusedIdsError',
    problems: reused.map(reusedIdsSeen),
    reusedIds: reused,
  };
}

/** "id 2 of notes in app_dev", per table whose ids only went back. */
function ceilingsText(where: LineageToForget[]): string {
  const seen = new Set<string>();
  for (const w of where) for (const [table, above] of Object.entries(w.idsAbove!)) seen.add(`id ${above} of ${table} in ${w.of!.database}`);
  return [...seen].join(', ');
}

/** A column one side has and the other lacks is what "Leave out columns only one side has" is for. */
const ONE_SIDED_COLUMN = /^column \S+ (of the target is not in the archive|is in the archive but does not exist in the target)$/;

function importCheckHint(problems: readonly string[]): string {
  if (problems.some((p) => ONE_SIDED_COLUMN.test(p)))
    return 'A column exists on one side only. Tick “Leave out columns only one side has” in the options of the Import or Sync screen to leave it out (the target keeps its values of it), or bring the schemas in line. Nothing was written.';
  return 'Fix each problem listed (bring the schemas in line, or choose fewer tables, or allow missing columns to be ignored), then run again. Nothing was written.';
}

/** Maps any failure to what a window shows. */
export function toUiError(error: unknown): UiError {
  if (error instanceof ServiceError) {
    const ui = error.ui;
    return {
      ...ui,
      message: scrubSecrets(ui.message),
      details: scrubSecrets(ui.details ?? `name: ServiceError\ncode: ${ui.code ?? ''}\nmessage: ${ui.message}`),
    };
  }
  const e = (error && typeof error === 'object' ? error : { message: String(error) }) as ErrorFacts;
  const name = e.name ?? 'Error';
  const message = scrubSecrets(typeof e.message === 'string' && e.message ? e.message : String(error));
  const details = detailsOf({ ...e, name, message }, error);
  const code = typeof e.code === 'string' ? e.code : typeof e.sqlstate === 'string' ? e.sqlstate : undefined;
  const rows = e.rows ?? (e.problem ? [e.problem] : undefined);
  const base = { details, ...(rows?.length ? { rows } : {}) };
  const sql = ROW_SECURITY_STOP.test(message) ? ROW_SECURITY : code && /^[0-9A-Z]{5}$/.test(code) ? explainSqlstate(code) : undefined;

  switch (name) {
    case 'ImportCheckError':
      return {
        ...base,
        title: 'The archive does not fit the target',
        message: firstLine(message),
        hint: importCheckHint(e.problems ?? []),
        code: name,
        problems: e.problems ?? [],
      };
    case 'RefusedRowsError':
      return {
        ...base,
        title: "Rows would break the target's rules",
        message: firstLine(message),
        hint: 'Fix the rows listed in the source, or run again allowing failures (they are then reported as failed). Nothing was written.',
        code: name,
        rows: rows ?? [],
      };
    case 'WriteError':
      return {
        ...base,
        title: sql?.title ?? 'Writing to the target failed',
        message: firstLine(message),
        hint: sql?.hint ?? 'Look at the row named in the details and fix it. The import was rolled back.',
        code: code ?? name,
      };
    case 'LockTimeoutError':
      return { ...base, title: 'The target tables are locked', message, hint: SQLSTATES['55P03'].hint, code: '55P03' };
    case 'ArchiveError':
      return {
        ...base,
        title: 'The archive cannot be used',
        message,
        hint: 'Check that the file is a complete MR4 archive (.tar.gz) and was not altered; export it again if needed.',
        code: name,
      };
    case 'ConnectionError': {
      const h = connectionHint(message);
      return { ...base, title: h.title, message, hint: h.hint, code: h.code ?? name };
    }
    case 'SshError': {
      const ssh = SSH_ERRORS[code ?? ''] ?? SSH_ERRORS.MR4_SSH_CONNECT;
      return { ...base, title: ssh.title, message, hint: ssh.hint, code: code ?? name };
    }
    case 'PlanError':
      return {
        ...base,
        title: 'The schema cannot be planned',
        message,
        hint: 'The tables cannot be planned as they are; the message says what to add (natural keys, a configuration) or leave out.',
        code: name,
      };
    case 'ConflictsError':
      return {
        ...base,
        title: 'Conflicts to decide',
        message: firstLine(message),
        hint: 'Both sides changed these since the base. Choose a side for each (or for all), then merge again. Nothing was written.',
        code: name,
        problems: e.problems ?? [],
      };
    case 'ProbableEditsError': {
      const n = rows?.length ?? 0;
      return {
        ...base,
        title: 'Rows that only look like edits',
        message: `${n === 1 ? '1 row of the archive has' : `${n} rows of the archive have`} the id of a target row and some of its telling values, but neither a lineage of ids nor a natural key says ${n === 1 ? 'it is that row' : 'they are those rows'}. Nothing was written.`,
        hint:
          'Decide what they are under “Rows that only look like edits”: “They are the same rows: update them” or “They are new rows: insert them” — or open Preview changes to decide row by row. ' +
          'If the two databases are copies of each other, tick “These databases are copies of each other”; a comparison key for the table (in the preview) decides it for good.',
        code: name,
        rows: rows ?? [],
      };
    }
    case 'CopiedDatabaseError':
      return {
        ...base,
        title: 'The two databases look like copies of one database',
        message: firstLine(message),
        hint:
          'If the archive comes from this very database, or the two are copies whose ids are still the same rows, tick “These databases are copies of each other” and run again. ' +
          'Otherwise give the copy an identity of its own: on its server, CREATE DATABASE <new name> TEMPLATE <the copy>, use that database from now on and export it again. Nothing was written.',
        code: name,
      };
    case 'StalePreviewError':
      return {
        ...base,
        title: 'The preview is out of date',
        message: firstLine(message),
        hint: 'Rows in the target changed after the diff was made. Make the diff again, review it, then merge. Nothing was written.',
        code: name,
        problems: e.problems ?? [],
      };
    case 'SelectionError':
      return {
        ...base,
        title: 'The selection leaves out rows that are needed',
        message: firstLine(message),
        hint: 'Include the parent rows named, or leave out their children too. Nothing was written.',
        code: name,
        problems: e.problems ?? [],
      };
    case 'DecisionsError':
      return {
        ...base,
        title: 'The decisions cannot be used',
        message: firstLine(message),
        hint: 'Fix the decisions file as listed; see "Decisions files" in the README.',
        code: name,
      };
    case 'UndoConflictError':
      return {
        ...base,
        title: 'Rows changed after the import',
        message: firstLine(message),
        hint: 'Undoing it would overwrite those changes. Undo the rest and leave the rows listed as they are now, or put them back by hand first. Nothing was changed.',
        code: name,
        rows: rows ?? [],
      };
    case 'UndoError':
      return { ...base, title: 'The import cannot be undone', message, hint: 'Nothing was changed.', code: name };
    case 'ReusedIdsError':
      return e.reusedIds?.length
        ? reusedIdsError(base, message, e.reusedIds)
        : { ...base, title: 'Ids were reused', message, hint: 'Forget the lineage named, then run again.', code: name };
    case 'ForgetLineageError':
      return { ...base, title: 'Unknown tables', message, hint: 'Check the table names, then forget the lineage again.', code: name };
    case 'ForgetLineageScopeError':
      return {
        ...base,
        title: 'Not a ceiling of ids',
        message,
        hint: 'Give the ceiling the refusal named, then forget again.',
        code: name,
      };
    case 'CancelledError':
      return { ...base, title: 'Cancelled', message, hint: 'Nothing was changed. Start it again when you are ready.', code: name };
  }
  if (sql) {
    const extra = [e.detail, e.table ? `table ${e.table}` : '', e.constraint ? `constraint ${e.constraint}` : '']
      .filter(Boolean)
      .join('; ');
    return {
      ...base,
      title: sql.title,
      message: `${sql.message}${message ? ` (${firstLine(message)}${extra ? `; ${scrubSecrets(extra)}` : ''})` : ''}`,
      hint: sql.hint,
      code,
    };
  }
  if (code && NODE_ERRORS[code]) {
    const n = NODE_ERRORS[code];
    return { ...base, title: n.title, message: `${n.message} (${message})`, hint: n.hint, code };
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    const h = connectionHint(code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'does not resolve' : 'timed out');
    return { ...base, title: h.title, message, hint: h.hint, code };
  }
  return {
    ...base,
    title: 'Something went wrong',
    message,
    hint: 'Copy the details and report them if this keeps happening.',
    ...(code ? { code } : { code: name }),
  };
}

/** The HTTP-ish status of a failure: 400 bad request, 404 unknown id, 409 conflict, 500 otherwise. */
export function statusOf(error: unknown): number {
  if (error instanceof ServiceError) return error.status;
  return 500;
}
