// Where a run finds what two databases last agreed on (the base of a three-way merge between them):
// kept by the caller (services/bases.ts keeps them in the data folder), found by the two databases'
// identities.
import { openArchive } from '../archive/reader';
import type { RunContext } from '../run-context';
import { literal } from '../sql';
import type { PreparedRun } from './prepare';

/** A kept agreed state: an archive, and the database whose ids its rows hold. */
export interface AgreedState {
  path: string;
  identity: string;
  /** Per database (identity), the time of the state of it the agreement holds: the source's export
   *  time, the target's import time. Absent in agreements kept before it was recorded. */
  asOf?: Record<string, string>;
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
 * The kept agreement of the run's archive and target, if one is kept for their schemas. Agreements
 * kept before identities named a schema were kept per database pair, so the one found for schema
 * public may hold another schema's rows: compared with those, production's edits would look like
 * the source's to undo. Such an agreement is not used (logged, so a missing base is explained).
 */
export async function findAgreement(ctx: RunContext, store: AgreementStore, run: PreparedRun): Promise<AgreedState | null> {
  if (!run.source.identity) return null;
  const agreed = await store.find(run.source.identity, run.catalog.identity);
  if (!agreed) return null;
  const schema = await agreementSchema(agreed);
  if (runSchemas(run).includes(schema)) return agreed;
  ctx.log(
    `The agreement kept for ${run.index.metadata.database} and ${run.catalog.database} holds schema "${schema}" (kept before mr4 ` +
      `told schemas apart), not schema "${run.catalog.schema}": it is not used as this run's base.`,
  );
  return null;
}

/** The schema whose rows a kept agreement holds. */
export async function agreementSchema(agreed: AgreedState): Promise<string> {
  const opened = await openArchive(agreed.path);
  return opened.index?.metadata.schema ?? '';
}

/** The schemas a base of the run may hold: the archive's and the target's (the same, but for a sync
 *  between two differently named schemas). */
export function runSchemas(run: PreparedRun): string[] {
  return [run.index.metadata.schema, run.catalog.schema];
}

/**
 * The base a run compares with: a file; "auto", the kept agreement of the two databases (an error if
 * there is none); "kept", that agreement if there is one (a two-way run otherwise); or none.
 */
export function resolveBase(base: string | undefined, agreed: AgreedState | null, run: PreparedRun): string | undefined {
  if ((base === 'auto' || base === 'kept') && agreed) {
    const stale = staleArchiveReason(agreed, run.index.metadata, run.catalog.database);
    if (stale) throw new StaleArchiveError(stale);
  }
  if (base === 'auto') return autoBase(agreed, run);
  if (base === 'kept') return agreed?.path;
  return base;
}

/**
 * Why the agreement cannot be the base of this archive, if it cannot: an archive exported before its
 * database's state in the agreement (a sync since, either way) holds values older than the
 * agreement's; compared with it, every change made meanwhile would look undone by the source, and a
 * merge would undo it.
 */
export function staleArchiveReason(
  agreed: AgreedState,
  archive: { identity?: string; timestamp: string; database: string },
  targetDatabase: string,
): string | null {
  const since = archive.identity ? agreed.asOf?.[archive.identity] : undefined;
  if (!since || !(Date.parse(archive.timestamp) < Date.parse(since))) return null;
  return (
    `The archive of ${archive.database} was exported at ${archive.timestamp}, before ${archive.database} and ${targetDatabase} last ` +
    `agreed on what ${archive.database} held at ${since}: compared with that agreement, its older values would undo every change ` +
    `made since. Export ${archive.database} again and use the new archive, or choose the base archive yourself (mr4: --base FILE).`
  );
}

export class StaleArchiveError extends Error {
  override name = 'StaleArchiveError';
}

/** Whether the archive's database and the target have synced before: the target's lineage names the
 *  archive's database as an origin, or the archive's lineage names the target — by the identities of
 *  their schemas, or by those earlier versions gave the whole databases (lineage recorded before). */
export async function syncedBefore(ctx: RunContext, run: PreparedRun): Promise<boolean> {
  const [source, target] = [run.source, run.target];
  const names = (...ids: (string | null | undefined)[]) =>
    [...new Set(ids.filter((i): i is string => !!i))].map((i) => `${literal(i)}::uuid`);
  const sourceNames = names(source.identity, run.index.metadata.databaseIdentity);
  const targetNames = names(target.identity, run.catalog.databaseIdentity);
  const checks: string[] = [];
  if (sourceNames.length && target.lineage)
    checks.push(`EXISTS (SELECT 1 FROM ${target.lineage} l WHERE l.origin IN (${sourceNames.join(', ')}))`);
  if (targetNames.length && source.lineage)
    checks.push(`EXISTS (SELECT 1 FROM ${source.lineage} l WHERE l.origin IN (${targetNames.join(', ')}))`);
  if (!checks.length) return false;
  return (await ctx.query<{ synced: boolean }>(`SELECT ${checks.join(' OR ')} AS synced`)).rows[0].synced;
}

/** A merge that would silently compare two ways between databases that synced before: the archive's
 *  values would overwrite every edit the target made since they last agreed. */
export class NoAgreementKeptError extends Error {
  override name = 'NoAgreementKeptError';
  constructor(run: PreparedRun) {
    const source = run.index.metadata.database;
    super(
      `${source} and ${run.catalog.database} have synced before (the lineage of ids pairs their rows), but what they last agreed on ` +
        `is not kept in this data folder (another machine, a data folder removed, --no-remember, or kept by a version of mr4 that did not tell ` +
        `schemas apart): merged two ways, the archive's ` +
        `values would overwrite every edit ${run.catalog.database} made since. Preview the merge and choose its base there (the ` +
        `last archive the two agreed on; mr4: --base FILE), or merge two ways on purpose ("Compare two ways" in the preview; ` +
        `mr4: --base none).`,
    );
  }
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
