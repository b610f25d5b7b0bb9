// Reused ids: a lineage pair names a row by its id, and must not outlive that row. An import moves a
// table's sequence past every id it records, so in a database whose ids only ever go forward no id the
// lineage names lies above what the table's sequence handed out or its rows hold. Above it means the
// ids went back since (TRUNCATE … RESTART IDENTITY, setval, fixtures reloaded, a seed run again): the
// ids the lineage names may now be other rows, and pairing by them would overwrite unrelated rows or
// hide new ones. A sequence restarted and then drawn from as far as before (a seed script inserting as
// many rows) reaches that ceiling again; the restart itself is seen instead (staged/sequence-marks.ts),
// by the database's own marks, and by the other side's marks of the generation of its ids that the other
// side's lineage named (production's pairs naming dev's ids, dev reset and refilled since).
// A run then stops before writing anything, naming the tables and the way out (forget that table's
// lineage: rows are then matched by natural key and content, and new rows arrive as new).
//
// Only integer ids drawn from an ascending sequence can be checked this way; uuids are never reused.
import type { RunContext } from '../run-context';
import type { TablePlan } from '../plan';
import { ident, literal, qualified } from '../sql';
import { castableKey, LINEAGE_STORE } from './lineage';
import type { PreparedRun } from './prepare';
import { idsGenerations, originMarks, restartedSince, type SequencedTable, sequenced } from './sequence-marks';
import { temp } from './types';
import type { ReusedIds } from '../report-types';
import { idsWentBackTo } from '../../../src-common/forget-lineage';

export type { ReusedIds } from '../report-types';

/**
 * Per table, the highest id its sequence handed out or its rows hold now (as text). A table whose
 * sequence descends, or may not be read by this user, is left out: nothing can be said of it.
 */
export async function idsIssued(ctx: RunContext, schema: string, tables: TablePlan[]): Promise<Map<string, string>> {
  const checked = sequenced(tables);
  if (!checked.length) return new Map();
  // Like pg_sequences.last_value, but a sequence never drawn from counts as one step before its start.
  const parts = checked.map(
    (t) =>
      `SELECT ${literal(t.name)} AS table_name, GREATEST(
         (SELECT COALESCE(pg_sequence_last_value(q.seqrelid), q.seqstart - q.seqincrement) FROM pg_sequence q WHERE q.seqrelid = r.seq),
         (SELECT max(${ident(t.surrogate)}) FROM ${qualified(schema, t.name)}))::text AS issued
       FROM (SELECT ${literal(t.surrogateSequence)}::regclass AS seq) r
       WHERE has_sequence_privilege(r.seq, 'SELECT,USAGE') AND (SELECT seqincrement > 0 FROM pg_sequence WHERE seqrelid = r.seq)`,
  );
  const res = await ctx.query<{ table_name: string; issued: string | null }>(parts.join(' UNION ALL '));
  return new Map(res.rows.filter((r) => r.issued !== null).map((r) => [r.table_name, r.issued!]));
}

type Side = 'source' | 'target';

interface NamedRow {
  side: Side;
  by: Side;
  table_name: string;
  named: string;
  recorded_at: Date | null;
}

/** What is known of one side's ids now: per table, how far they reach, since which import its
 *  sequence was restarted (where its own marks say so), and since which import of the other side's
 *  lineage of its ids (where the other side's marks name another generation of them). */
interface SeenIds {
  issued: Map<string, string>;
  restarted: Map<string, string>;
  restartedForOther: Map<string, string>;
}

/** The archive's database's, as its export recorded them in index.json. */
function seenInArchive(run: PreparedRun, tables: SequencedTable[]): SeenIds {
  const seen: SeenIds = { issued: new Map(), restarted: new Map(), restartedForOther: new Map() };
  for (const t of tables) {
    const entry = run.index.tables[t.name];
    if (entry?.idsIssued) seen.issued.set(t.name, entry.idsIssued);
    if (entry?.idsRestartedSince) seen.restarted.set(t.name, entry.idsRestartedSince);
  }
  return seen;
}

/**
 * Per table, when the other side's lineage recorded pairs naming the archive's ids against a generation
 * of them (its sequence's relfilenode) other than the one the archive states now: the target's marks
 * against the archive's idsGeneration, and the archive's originIdsGenerations against the target's
 * sequences. Tables either side states nothing of (older archives, never marked) are left out.
 */
async function restartsSeenByOther(
  ctx: RunContext,
  run: PreparedRun,
  tables: SequencedTable[],
): Promise<Record<Side, Map<string, string>>> {
  const found: Record<Side, Map<string, string>> = { source: new Map(), target: new Map() };
  const { source, target } = run;
  if (target.lineage && source.identity) {
    const marks = await originMarks(
      ctx,
      run.catalog.schema,
      tables.map((t) => t.name),
    );
    for (const t of tables) {
      const mark = marks.get(t.name)?.get(source.identity);
      const now = run.index.tables[t.name]?.idsGeneration;
      if (mark && now && mark.generation !== now) found.source.set(t.name, mark.recordedAt);
    }
  }
  if (source.lineage && target.identity) {
    const now = await idsGenerations(ctx, tables);
    for (const t of tables) {
      const mark = run.index.tables[t.name]?.originIdsGenerations?.[target.identity];
      if (mark && now.has(t.name) && mark.generation !== now.get(t.name)) found.target.set(t.name, mark.recordedAt);
    }
  }
  return found;
}

function seenValues(side: Side, tables: SequencedTable[], seen: SeenIds): string[] {
  return tables
    .filter((t) => seen.issued.has(t.name) || seen.restarted.has(t.name) || seen.restartedForOther.has(t.name))
    .map((t) => {
      const issued = seen.issued.get(t.name);
      const since = seen.restarted.get(t.name);
      return `('${side}', ${literal(t.name)}, ${issued ? literal(issued) : 'NULL'}::numeric, ${since ? literal(since) : 'NULL'}::timestamptz, ${seen.restartedForOther.has(t.name)})`;
    });
}

/**
 * The tables of the run whose ids went back, in the target or in the archive's database, since a
 * lineage either side holds named them: the side's own lineage (its local ids), and the other side's
 * lineage of rows that came from it (its ids as origin keys). And the tables whose sequence was
 * restarted since the side's own lineage was recorded, and those whose sequence the other side's
 * lineage recorded at another generation than the one it has now (restartsSeenByOther).
 * One statement over both lineages.
 */
async function findReusedIds(ctx: RunContext, run: PreparedRun): Promise<ReusedIds[]> {
  const { source, target } = run;
  if (!source.lineage && !target.lineage) return [];
  if (source.identity && source.identity === target.identity) return [];
  const plans = run.tables.map((t) => t.plan);
  const checked = sequenced(plans);
  const restartedForOther = await restartsSeenByOther(ctx, run, checked);
  const seen: Record<Side, SeenIds> = {
    target: {
      issued: await idsIssued(ctx, run.catalog.schema, plans),
      restarted: await restartedSince(ctx, run.catalog.schema, plans),
      restartedForOther: restartedForOther.target,
    },
    source: { ...seenInArchive(run, checked), restartedForOther: restartedForOther.source },
  };
  const values = [...seenValues('target', checked, seen.target), ...seenValues('source', checked, seen.source)];
  if (!values.length) return [];
  const store = `(SELECT table_name, local_key, origin, origin_key, recorded_at FROM ${LINEAGE_STORE} WHERE schema_name = ${literal(run.catalog.schema)})`;
  const named: string[] = [];
  const from = (side: Side, by: Side, key: string, rel: string, where: string, at: string) =>
    // Byte-wise in every branch: the store's columns are, an archive's staged lineage is not.
    named.push(
      `SELECT '${side}' AS side, '${by}' AS by, table_name COLLATE "C" AS table_name, ${key} COLLATE "C" AS k, ${at} AS recorded_at FROM ${rel} l${where}`,
    );
  if (target.lineage) {
    from('target', 'target', 'local_key', store, '', 'recorded_at');
    if (source.identity) from('source', 'target', 'origin_key', store, ` WHERE origin = ${literal(source.identity)}::uuid`, 'recorded_at');
  }
  if (source.lineage) {
    from('source', 'source', 'local_key', source.lineage, '', 'NULL::timestamptz');
    if (target.identity)
      from('target', 'source', 'origin_key', source.lineage, ` WHERE origin = ${literal(target.identity)}::uuid`, 'NULL::timestamptz');
  }
  const id = `(CASE WHEN ${castableKey('n.k', 'bigint')} THEN n.k::numeric END)`;
  const res = await ctx.query<NamedRow>(
    `WITH seen (side, table_name, issued, restarted_since, restarted_for_other) AS (VALUES ${values.join(', ')}),
          named AS (${named.join(' UNION ALL ')})
     SELECT n.side, n.by, n.table_name, max(${id})::text AS named, max(n.recorded_at) AS recorded_at
     FROM named n JOIN seen i ON i.side = n.side AND i.table_name = n.table_name
     WHERE ${id} > i.issued OR (${id} IS NOT NULL AND ((i.restarted_since IS NOT NULL AND n.by = n.side) OR (i.restarted_for_other AND n.by <> n.side)))
     GROUP BY 1, 2, 3 ORDER BY 3, 1, 2`,
  );
  const live = await namingRowsNow(ctx, run, named, res.rows);
  return foldBySide(
    run,
    res.rows.filter((r) => live.has(`${r.side}:${r.table_name}`)),
    seen,
  );
}

/**
 * Of the tables whose ids went back or were restarted, those where a lineage found naming them names
 * a row that exists now: a table emptied and not refilled (dev reset, then pulled again) holds no row
 * a stale pair could overwrite or hide, and its pull must not be refused. Only for the tables found,
 * so one statement each.
 */
async function namingRowsNow(ctx: RunContext, run: PreparedRun, named: string[], found: NamedRow[]): Promise<Set<string>> {
  const live = new Set<string>();
  const namedBy = new Map<string, Side[]>();
  for (const r of found) namedBy.set(`${r.side}:${r.table_name}`, [...(namedBy.get(`${r.side}:${r.table_name}`) ?? []), r.by]);
  for (const [id, by] of namedBy) {
    const [side, table] = [id.slice(0, id.indexOf(':')) as Side, id.slice(id.indexOf(':') + 1)];
    const t = run.tables.find((x) => x.plan.name === table)!;
    if (side === 'source' && !t.staged.includes(t.plan.surrogate!)) {
      live.add(id);
      continue;
    }
    const sur = ident(t.plan.surrogate!);
    const rows = side === 'target' ? qualified(run.catalog.schema, table) : temp(t, 'staged');
    const res = await ctx.query<{ present: boolean }>(
      `WITH named AS (${named.join(' UNION ALL ')})
       SELECT EXISTS (SELECT 1 FROM named n JOIN ${rows} x ON x.${sur}::text = n.k
                      WHERE n.side = ${literal(side)} AND n.table_name = ${literal(table)}
                        AND n.by IN (${by.map((b) => literal(b)).join(', ')})) AS present`,
    );
    if (res.rows[0].present) live.add(id);
  }
  return live;
}

/** One finding per table and database, whoever's lineage names its ids. */
function foldBySide(run: PreparedRun, rows: NamedRow[], seen: Record<Side, SeenIds>): ReusedIds[] {
  const names: Record<Side, string> = { source: run.index.metadata.database, target: run.catalog.database };
  const identities: Record<Side, string | null> = { source: run.source.identity, target: run.target.identity };
  const found = new Map<string, ReusedIds>();
  for (const r of rows) {
    const id = `${r.side}:${r.table_name}`;
    const f = found.get(id) ?? {
      table: r.table_name,
      database: names[r.side],
      identity: identities[r.side],
      named: r.named,
      issued: seen[r.side].issued.get(r.table_name) ?? null,
      restartedSince: seen[r.side].restarted.get(r.table_name) ?? seen[r.side].restartedForOther.get(r.table_name) ?? null,
      namedBy: [],
      namedBySides: [],
      recordedAt: null,
      isArchive: r.side === 'source',
    };
    if (BigInt(r.named) > BigInt(f.named)) f.named = r.named;
    if (r.recorded_at && (!f.recordedAt || r.recorded_at.toISOString() > f.recordedAt)) f.recordedAt = r.recorded_at.toISOString();
    f.namedBy.push(names[r.by]);
    f.namedBySides.push(r.by === 'source' ? 'archive' : 'target');
    found.set(id, f);
  }
  return [...found.values()];
}

/** What a refusal for reused ids saw of one table: its ids went back, or its sequence was restarted. */
export function reusedIdsSeen(r: ReusedIds): string {
  const by = `the lineage of ${r.namedBy.join(' and ')} names ids up to ${r.named}`;
  const wentBackTo = idsWentBackTo(r);
  if (wentBackTo !== null)
    return (
      `${r.table} in ${r.database}: its ids went back from ${r.named} to ${wentBackTo}${r.recordedAt ? ` since the import of ${r.recordedAt}` : ''} ` +
      `(${by}; the rows it names above ${wentBackTo} are gone, and the next rows inserted would take their ids)`
    );
  if (r.issued !== null && BigInt(r.named) > BigInt(r.issued))
    return `${r.table} in ${r.database}: its ids went back from ${r.named} to ${r.issued}${r.recordedAt ? ` since the import of ${r.recordedAt}` : ''} (${by})`;
  return `${r.table} in ${r.database}: its id sequence was restarted since the import of ${r.restartedSince} (${by}; its ids from the start may now be other rows)`;
}

/** A run refused because a lineage names ids that went back or were restarted since: pairing by them is not safe. */
export class ReusedIdsError extends Error {
  override name = 'ReusedIdsError';
  constructor(
    readonly tables: ReusedIds[],
    archiveDatabase: string,
  ) {
    const forget = [...new Set(tables.flatMap((f) => f.namedBy.map((db) => `mr4 forget-lineage --db <${db}> ${tableArgs(tables, db)}`)))];
    const reexport = tables.some((f) => f.namedBy.includes(archiveDatabase))
      ? ` Then export ${archiveDatabase} again and run this with the new archive.`
      : ' Then run this again.';
    super(
      `The ids of ${tables.length === 1 ? 'a table' : `${tables.length} tables`} went back or were restarted since the lineage of ids recorded them ` +
        `(TRUNCATE … RESTART IDENTITY, ALTER SEQUENCE … RESTART, setval, fixtures reloaded or a seed run again): those ids may now be other rows, and pairing by them ` +
        `would overwrite unrelated rows or hide new ones. Nothing was written.\n${tables.map((f) => `  - ${reusedIdsSeen(f)}`).join('\n')}\n` +
        onlyAboveWay(tables) +
        `Forget that lineage, so these tables' rows are matched by natural key and content and rows nothing identifies arrive as new rows:\n` +
        `${forget.map((c) => `  ${c}`).join('\n')}\n${reexport.trim()}`,
    );
  }
}

/**
 * The narrower way, where some tables' ids only went back (their sequence was not restarted): only
 * the user knows whether the rows up to the ceiling are still the rows the lineage names, so both ways
 * are offered, each with the condition under which it is right. Empty where every table was restarted.
 */
function onlyAboveWay(tables: ReusedIds[]): string {
  const wentBack = tables.filter((f) => idsWentBackTo(f) !== null);
  if (!wentBack.length) return '';
  const commands = wentBack.flatMap((f) =>
    f.namedBy.map((db, i) => {
      const own = (f.namedBySides[i] === 'archive') === f.isArchive;
      return `  mr4 forget-lineage --db <${db}> --tables ${f.table} --ids-above ${idsWentBackTo(f)}${own ? '' : ` --of ${f.identity}  # ${f.database}'s identity`}`;
    }),
  );
  const which = wentBack.map((f) => `${f.table} in ${f.database}`).join(', ');
  return (
    `Where the ids only went back and the sequence was not restarted (${which}), there are two ways; only you know which is right.\n` +
    `(1) If the rows up to that id are still the rows they were (only the newest were deleted), forget only the pairs naming ids above it; the rows up to it stay paired:\n` +
    `${[...new Set(commands)].join('\n')}\n` +
    `(2) If the table was emptied and refilled, forget its whole lineage, as below.\n`
  );
}
function tableArgs(tables: ReusedIds[], db: string): string {
  return `--tables ${[...new Set(tables.filter((f) => f.namedBy.includes(db)).map((f) => f.table))].join(',')}`;
}

/** Stops the run, before anything is written, where a lineage names ids that went back or were restarted since. */
export async function refuseReusedIds(ctx: RunContext, run: PreparedRun): Promise<void> {
  const reused = await findReusedIds(ctx, run);
  if (reused.length) throw new ReusedIdsError(reused, run.index.metadata.database);
}
