// Where a run finds what two databases last agreed on (the base of a three-way merge between them):
// kept by the caller (services/bases.ts keeps them in the data folder), found by the two databases'
// identities.
import type { PreparedRun } from './prepare';

/** A kept agreed state: an archive, and the database whose ids its rows hold. */
export interface AgreedState {
  path: string;
  identity: string;
}

/** Where agreed states are kept (the data folder, see services/bases.ts). */
export interface AgreementStore {
  /** The last agreed state of two databases, if one is kept. */
  find(a: string, b: string): Promise<AgreedState | null>;
  /** A path for the next agreed state; the caller records or discards what is written there. Absent:
   *  the run keeps nothing (it only reads). */
  newPath?(): Promise<string>;
}

/**
 * The base a run compares with: a file; "auto", the kept agreement of the two databases (an error if
 * there is none); "kept", that agreement if there is one (a two-way run otherwise); or none.
 */
export function resolveBase(base: string | undefined, agreed: AgreedState | null, run: PreparedRun): string | undefined {
  if (base === 'auto') return autoBase(agreed, run);
  if (base === 'kept') return agreed?.path;
  return base;
}

function autoBase(agreed: AgreedState | null, run: PreparedRun): string {
  if (agreed) return agreed.path;
  const source = run.index.metadata.database;
  throw new BaseNotFoundError(
    run.source.identity
      ? `No agreed state of ${source} (the archive's database) and ${run.catalog.database} is kept here: they were never synced from this data folder.`
      : `The archive of ${source} is older than format 2.1 and does not say which database it is, so no agreed state can be found for it.`,
  );
}

export class BaseNotFoundError extends Error {
  override name = 'BaseNotFoundError';
  constructor(reason: string) {
    super(`${reason} Choose the base archive yourself (mr4: --base FILE), or compare two ways (mr4: without --base).`);
  }
}
