// A database's identity (catalog.ts) is its server's system identifier and its oid, and a physical
// copy (pg_basebackup, a restored volume or cloud snapshot, a Neon-style branch) keeps both: the copy
// and its original have one identity. Every place that finds the archive's identity equal to the
// target's takes the two for one database and pairs rows by their ids; between copies that diverged,
// rows added on both sides at the same id would be taken for one row. So equal identities are trusted
// only where mr4 knows the archive was exported from this very database: the same server, still
// running since (a copy runs on a server of its own, started when the copy was). Elsewhere the user
// says which it is.
import type { RunContext } from '../run-context';
import { readServerStartedAt } from '../server-started';
import type { PreparedRun } from './prepare';

/** An archive whose database has the target's identity, from a server mr4 cannot tell from the target's. */
export class CopiedDatabaseError extends Error {
  override name = 'CopiedDatabaseError';
  constructor(run: PreparedRun, targetStartedAt: string) {
    const source = run.index.metadata.database;
    const target = run.catalog.database;
    const archiveStartedAt = run.index.metadata.server.startedAt;
    const servers = archiveStartedAt
      ? `the archive was exported from a server started at ${archiveStartedAt}, ${target}'s server was started at ${targetStartedAt}`
      : `the archive does not say which server it was exported from (it was written before mr4 recorded it)`;
    super(
      `${source} (the archive's database, exported ${run.index.metadata.timestamp}) and ${target} have the same identity ` +
        `(system identifier ${run.catalog.systemIdentifier ?? 'unreadable'}, database oid ${run.catalog.databaseOid}): they look like copies ` +
        `of one database (pg_basebackup, a restored snapshot or volume clone, a cloud branch), and ${servers}, so mr4 cannot tell ` +
        `whether the archive comes from ${target} itself (restarted since) or from a copy of it. Pairing their rows by id would take ` +
        `rows added on both sides since the copy at the same id for one row, and overwrite ${target}'s with the archive's. Nothing was written.\n` +
        `- If ${target} is the archive's database itself, or the two are copies whose ids are still the same rows (no rows added on both ` +
        `sides since the copy), say so: --same-ids (in the app: "These databases are copies of each other").\n` +
        `- Otherwise give the copy an identity of its own: on the copy's server, CREATE DATABASE <new name> TEMPLATE <the copy> ` +
        `(a new database gets a new oid, so a new identity), use that database from now on, and export again. mr4 then takes the two ` +
        `for different databases: rows are paired by natural key and content, rows that only share an id are asked about, and the ` +
        `lineage recorded from then on pairs them afterwards.`,
    );
  }
}

/** Stops the run, before anything is written, where the archive's database has the target's identity
 *  but is not known to be the target itself, unless the user says its ids are the target's rows. */
export async function refuseUnknownCopy(ctx: RunContext, run: PreparedRun, sameIds: boolean): Promise<void> {
  const archiveIdentity = run.index.metadata.identity;
  if (sameIds || !archiveIdentity || archiveIdentity !== run.catalog.identity) return;
  const targetStartedAt = await readServerStartedAt(ctx.client);
  if (run.index.metadata.server.startedAt === targetStartedAt) return;
  throw new CopiedDatabaseError(run, targetStartedAt);
}
