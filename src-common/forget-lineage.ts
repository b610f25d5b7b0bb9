// What forget-lineage forgets, said once for the app's request, the CLI's flags and the engine: a
// table's whole lineage of ids, or only the pairs naming one database's ids above a ceiling per table
// (the way out where those ids went back without a restart: the rows above the ceiling are gone, the
// rows up to it may still be the rows the pairs name). It imports nothing but zod (and the engine's
// report types).
import { z } from 'zod';
import type { ReusedIds } from '../src-main/engine/report-types';

/** The highest id whose row is still the row it was: an integer, as text (ids may be bigint). */
export const idCeiling = z.string().regex(/^-?[0-9]{1,18}$/, 'an integer id, e.g. 2 (the highest id whose row is still the row it was)');

/** A database's identity, as the lineage of other databases names it (the refusal prints it). */
export const databaseIdentity = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a database identity (a uuid, as the refusal printed it)');

/** Which pairs of `tables` to forget: all, or per table only those naming ids above its ceiling —
 *  this database's own ids, or those of the database whose identity is `of`. */
export interface ForgetLineageScope {
  tables: string[];
  idsAbove?: Record<string, string>;
  of?: string;
}

/** One thing wrong with a scope, in words, and the field it is about. */
export interface ForgetLineageScopeProblem {
  field: 'idsAbove' | 'of';
  message: string;
}

/** What is wrong with how a scope's fields go together (each field's own values aside). */
export function forgetLineageScopeShapeProblems(scope: ForgetLineageScope): ForgetLineageScopeProblem[] {
  const problems: ForgetLineageScopeProblem[] = [];
  if (scope.of !== undefined && !scope.idsAbove)
    problems.push({ field: 'of', message: 'an identity to forget the ids of is only given with a ceiling of ids' });
  if (!scope.idsAbove) return problems;
  const ceilings = Object.keys(scope.idsAbove);
  const without = scope.tables.filter((t) => !ceilings.includes(t));
  const unasked = ceilings.filter((t) => !scope.tables.includes(t));
  if (without.length) problems.push({ field: 'idsAbove', message: `no ceiling of ids for ${without.join(', ')}` });
  if (unasked.length)
    problems.push({ field: 'idsAbove', message: `a ceiling of ids for ${unasked.join(', ')}, which is not among the tables` });
  return problems;
}

/** What is wrong with a scope (each problem once, in words), or nothing. */
export function forgetLineageScopeProblems(scope: ForgetLineageScope): string[] {
  const problems: string[] = [];
  if (scope.of !== undefined && !databaseIdentity.safeParse(scope.of).success)
    problems.push(`"${scope.of}" is not a database identity (a uuid)`);
  for (const [table, above] of Object.entries(scope.idsAbove ?? {}))
    if (!idCeiling.safeParse(above).success) problems.push(`the ceiling of ${table}, "${above}", is not an integer id (e.g. 2)`);
  return [...problems, ...forgetLineageScopeShapeProblems(scope).map((p) => p.message)];
}

/**
 * Where a table's ids only went back (its sequence was not restarted, as far as the marks say): how far
 * they reach now. Its pairs naming ids above that name rows that are gone; the rows up to it may still
 * be the rows the lineage names (only the newest deleted), or other rows (the table emptied and
 * refilled): only the user knows which. Null where the sequence was restarted (ids from its start
 * may be other rows) or nothing went back.
 */
export function idsWentBackTo(r: ReusedIds): string | null {
  return r.restartedSince === null && r.issued !== null && BigInt(r.named) > BigInt(r.issued) ? r.issued : null;
}
