// `mr4 import --decisions FILE` takes a decisions file (format mr4-decisions) or a review document the
// app saved (format mr4-review: the decisions with the archive and target they were made for). A review
// is checked before anything runs: its archive must be this archive (by SHA-256) and its target this
// database (by name, where --db or PGDATABASE names it); a mismatch is said plainly.
import { readFile } from 'node:fs/promises';
import { reviewDocumentSchema, type ReviewDocument } from '../../src-common/contract';
import { archiveSha256 } from '../engine/archive/reader';
import type { Decisions } from '../engine/compare/decisions';

export class ReviewMismatchError extends Error {
  override name = 'DecisionsError';
}

export type DecisionsSource = { decisionsPath: string } | { decisions: Decisions; review: ReviewDocument };

/** The database a --db URL (or DATABASE_URL / PGDATABASE) names, if it can be told without connecting. */
export function namedDatabase(db: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const url = db ?? env.DATABASE_URL;
  if (url) {
    try {
      const u = new URL(url);
      const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
      return name || (u.username ? decodeURIComponent(u.username) : null);
    } catch {
      return null;
    }
  }
  return env.PGDATABASE ?? null;
}

/** Reads --decisions: a plain decisions file is left to the engine; a review is checked and turned into
 *  decisions. */
export async function readDecisionsFile(path: string, archive: string, db: string | undefined): Promise<DecisionsSource> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return { decisionsPath: path }; // the engine says what is wrong with it
  }
  if (!json || typeof json !== 'object' || (json as { format?: unknown }).format !== 'mr4-review') return { decisionsPath: path };
  const parsed = reviewDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new ReviewMismatchError(`The review in ${path} is not valid:\n${problems}`);
  }
  const review = parsed.data;
  const sha = await archiveSha256(archive);
  if (sha !== review.archive.sha256) {
    throw new ReviewMismatchError(
      `The review in ${path} was made for another archive: ${review.archive.name ?? 'an archive'} (SHA-256 ${review.archive.sha256.slice(0, 12)}…), not ${archive} (${sha.slice(0, 12)}…). Its decisions name rows of that archive; review this one instead.`,
    );
  }
  const database = namedDatabase(db);
  if (database && database !== review.target.database) {
    throw new ReviewMismatchError(
      `The review in ${path} was made for the database ${review.target.database}, not ${database}. Review the merge into ${database} instead.`,
    );
  }
  const decisions: Decisions = {
    format: 'mr4-decisions',
    version: 1,
    ...(review.onConflict ? { onConflict: review.onConflict } : {}),
    ...(review.probableEdits ? { probableEdits: review.probableEdits } : {}),
    decisions: review.decisions,
    exclude: review.exclude,
  };
  return { decisions, review };
}
