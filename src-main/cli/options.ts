// Options every command shares, and the parsers that turn option text into job fields. Anything wrong
// here is a usage error (exit 2), found before any database is touched.
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { DbSpec } from '../services/engine-jobs';

export interface CommonOptions {
  db?: string;
  schema: string;
  config?: string;
  json?: boolean;
}

/** Exit codes of `mr4`. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage found after commander parsed the line (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const MAX_IDENTIFIER = 63;

function parseDb(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('give a connection URL, e.g. --db postgres://user@host:5432/dbname');
  return value.trim();
}

function parseSchema(value: string): string {
  if (!value) throw new InvalidArgumentError('give a schema name, e.g. --schema public');
  if (Buffer.byteLength(value) > MAX_IDENTIFIER) throw new InvalidArgumentError(`a schema name is at most ${MAX_IDENTIFIER} bytes`);
  return value;
}

/** "a,b, c" → ["a", "b", "c"]; empty names, duplicates and over-long names are refused. */
export function parseTables(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.length === 1 && names[0] === '') throw new InvalidArgumentError('give a comma-separated list of table names, e.g. --tables users,projects');
  const seen = new Set<string>();
  for (const n of names) {
    if (n === '') throw new InvalidArgumentError(`"${value}" has an empty table name; write names separated by single commas, e.g. users,projects`);
    if (n.includes('\u0000')) throw new InvalidArgumentError('a table name cannot contain a NUL byte');
    if (Buffer.byteLength(n) > MAX_IDENTIFIER) throw new InvalidArgumentError(`table name "${n}" is longer than ${MAX_IDENTIFIER} bytes`);
    if (seen.has(n)) throw new InvalidArgumentError(`table "${n}" is named twice`);
    seen.add(n);
  }
  return names;
}

/** Seconds (a positive number, fractions allowed) → milliseconds. */
export function parseSecondsToMs(value: string): number {
  const s = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !Number.isFinite(s) || s <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds; give a positive number, e.g. 30`);
  }
  return Math.round(s * 1000);
}

export function parseNonEmpty(what: string) {
  return (value: string): string => {
    if (!value.trim()) throw new InvalidArgumentError(`give ${what}`);
    return value;
  };
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db <url>',
      'database to use, e.g. postgres://user@host:5432/dbname (default: DATABASE_URL, else PGHOST, PGPORT, PGDATABASE, PGUSER as psql reads them; passwords from the URL, PGPASSWORD or ~/.pgpass)',
      parseDb,
    )
    .option('--schema <name>', 'schema to work on', parseSchema, 'public')
    .option('--config <file>', 'configuration file (JSON): natural keys, excluded tables and columns, declared references')
    .option('--json', 'print the result as one JSON object on stdout (no progress display)');
}

export function dbSpec(opts: CommonOptions): DbSpec {
  return { url: opts.db, allowFileParams: true };
}

export function configPath(opts: CommonOptions): string | undefined {
  return opts.config ? resolve(opts.config) : undefined;
}

/** Whether the user named a database at all (else libpq's defaults are tried). */
export function databaseNamed(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!(opts.db || env.DATABASE_URL || env.PGHOST || env.PGDATABASE);
}
