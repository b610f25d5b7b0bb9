// The lineage of ids: which rows of other databases became which rows of this one. Every real import
// records, in the target, the source row's id → the target row's id (and the ids the source's own
// lineage gives that row in databases before it); every export carries its database's lineage. A later
// run between two databases then pairs rows by it, in both directions, before any natural key or
// content is compared: a row that came from the target, a row the target got from this source, or two
// rows that both descend from one row of a third database are the same row.
//
// The lineage lives in the database itself, in the schema _mr4 (a table of text keys, one row per
// imported row), so it moves with the database and serves the CLI and the app alike. The catalog never
// reads that schema, so it is never exported as data. Dropping it loses nothing but the pairing.
import type { ArchiveLineage } from '../archive/format';
import type { RunContext } from '../run-context';
import { ident, literal } from '../sql';
import type { StagedTable } from './types';

export const LINEAGE_SCHEMA = '_mr4';
export const LINEAGE_STORE = `${ident(LINEAGE_SCHEMA)}.lineage`;
const STORE = LINEAGE_STORE;
/** A run's undo log (engine/import/undo-log.ts), where recordPairs keeps the pairs it replaces. */
export const lineageUndo = new WeakMap<RunContext, string>();
const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

/** Whether the database holds a lineage store. */
export async function hasLineageStore(ctx: RunContext): Promise<boolean> {
  const res = await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${LINEAGE_SCHEMA}.lineage`)}) IS NOT NULL AS ok`);
  return res.rows[0].ok;
}

/** COPY of the lineage of the given tables of `schema`, in the archive's lineage columns. */
export function lineageCopySql(schema: string, tables: string[]): string {
  const list = tables.length ? tables.map((t) => literal(t)).join(', ') : 'NULL';
  return `COPY (SELECT table_name, local_key, origin::text, origin_key FROM ${STORE}
                WHERE schema_name = ${literal(schema)} AND table_name IN (${list})
                ORDER BY table_name, local_key, origin, origin_key) TO STDOUT`;
}

/** The temp table an archive's lineage is staged into (one per archive of the run). */
export function stagedLineage(prefix: string): string {
  return `pg_temp."mr4_${prefix}lineage"`;
}

export async function createLineageStaging(ctx: RunContext, name: string): Promise<void> {
  await ctx.query(`CREATE TEMP TABLE ${name} (_row bigint, table_name text, local_key text, origin text, origin_key text) ON COMMIT DROP`);
}

/** After its file was copied in: rows whose origin is not a uuid are dropped (an archive is untrusted
 *  input), and the rest indexed for both ways they are joined. */
export async function finishLineageStaging(ctx: RunContext, name: string): Promise<void> {
  await ctx.query(
    `DELETE FROM ${name} WHERE origin IS NULL OR origin !~ ${UUID} OR local_key IS NULL OR origin_key IS NULL OR table_name IS NULL`,
  );
  // As uuid, like the store's: joins between the two then use the store's key.
  await ctx.query(`ALTER TABLE ${name} ALTER COLUMN origin TYPE uuid USING origin::uuid`);
  await ctx.query(`CREATE INDEX ON ${name} (table_name, local_key)`);
  await ctx.query(`CREATE INDEX ON ${name} (table_name, origin, origin_key)`);
  await ctx.query(`ANALYZE ${name}`);
}

/**
 * One side of a pairing: the identity of the database its rows come from and where its lineage is
 * (a staged archive's lineage, or the target's store). `lineage` is null where none is known.
 */
export interface LineageSide {
  identity: string | null;
  /** A relation with (table_name, local_key, origin_key) text and origin uuid columns, or null. */
  lineage: string | null;
}

/** A side nothing is known about (lineage turned off, or an archive older than format 2.1). */
export const NO_LINEAGE: LineageSide = { identity: null, lineage: null };

export function archiveSide(identity: string | undefined, lineage: ArchiveLineage | undefined, staged: string): LineageSide {
  return { identity: identity ?? null, lineage: lineage ? staged : null };
}

export function targetSide(identity: string, store: boolean, schema: string): LineageSide {
  return {
    identity,
    lineage: store ? `(SELECT table_name, local_key, origin, origin_key FROM ${STORE} WHERE schema_name = ${literal(schema)})` : null,
  };
}

/**
 * Candidate pairs (x key, y key, rank) of one table between two sides, from their lineage: y got the
 * row from x (rank 1), x got it from y (rank 1), or both got it from one row of a third database
 * (rank 2). Null when neither side's lineage can say anything.
 */
export function lineagePairsSql(x: LineageSide, y: LineageSide, table: string): string | null {
  const t = literal(table);
  const parts: string[] = [];
  if (y.lineage && x.identity)
    parts.push(
      `SELECT origin_key AS xk, local_key AS yk, 1 AS rank FROM ${y.lineage} l WHERE l.table_name = ${t} AND l.origin = ${literal(x.identity)}::uuid`,
    );
  if (x.lineage && y.identity)
    parts.push(
      `SELECT local_key AS xk, origin_key AS yk, 1 AS rank FROM ${x.lineage} l WHERE l.table_name = ${t} AND l.origin = ${literal(y.identity)}::uuid`,
    );
  if (x.lineage && y.lineage) {
    parts.push(
      `SELECT a.local_key AS xk, b.local_key AS yk, 2 AS rank FROM ${x.lineage} a JOIN ${y.lineage} b ON b.table_name = ${t} AND b.origin = a.origin AND b.origin_key = a.origin_key
       WHERE a.table_name = ${t}${x.identity ? ` AND a.origin <> ${literal(x.identity)}::uuid` : ''}${y.identity ? ` AND a.origin <> ${literal(y.identity)}::uuid` : ''}`,
    );
  }
  return parts.length ? parts.join(' UNION ALL ') : null;
}

const INTEGER_RANGES: Record<string, [string, string]> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};
/** Digits an unconstrained numeric id may have before or after its point (a crafted archive's longer key is left out). */
const NUMERIC_KEY_DIGITS = 1000;

/** Text that casts to `type` without error and without rounding (lineage keys come from an untrusted
 *  archive): every value the type holds, so that no pair of ids of the column is left out. */
export function castableKey(expr: string, type: string): string {
  const range = INTEGER_RANGES[type];
  if (range) return `CASE WHEN ${expr} ~ '^-?[0-9]{1,19}$' THEN ${expr}::numeric BETWEEN ${range[0]} AND ${range[1]} ELSE false END`;
  const numeric = /^numeric(?:\((\d+)(?:,(\d+))?\))?$/.exec(type);
  if (numeric) {
    const scale = Number(numeric[2] ?? 0);
    const [whole, fraction] = numeric[1] ? [Number(numeric[1]) - scale, scale] : [NUMERIC_KEY_DIGITS, NUMERIC_KEY_DIGITS];
    return `CASE WHEN ${expr} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN char_length(split_part(ltrim(${expr}, '-'), '.', 1)) <= ${whole}
                 AND char_length(split_part(${expr}, '.', 2)) <= ${fraction} ELSE false END`;
  }
  if (type === 'uuid') return `${expr} ~* '^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$'`;
  const length = /^(?:character varying|character)\((\d+)\)$/.exec(type);
  if (length) return `char_length(${expr}) <= ${length[1]}`;
  if (/^(text|character varying|bpchar|citext)$/.test(type)) return 'true';
  return 'false';
}

/**
 * Materialises the unambiguous pairs of one table: for each x key the pairs of its best rank, kept only
 * if they all name one y key, and each y key taken by one x key only. Returns the temp table's name
 * (xk, yk typed as the id column), or null if there is nothing to pair by.
 */
export async function buildPairs(
  ctx: RunContext,
  x: LineageSide,
  y: LineageSide,
  t: StagedTable,
  type: string,
  name: string,
): Promise<string | null> {
  const sql = lineagePairsSql(x, y, t.plan.name);
  if (!sql) return null;
  // Per x key its best-ranked candidates (a direct pair, else one through a common ancestor), kept if
  // they name one y key; then one x key per y key. One hashed pass: min = max instead of a count of
  // distinct values or a window, which sort.
  const c = `yk COLLATE "C"`;
  await ctx.query(
    `CREATE TEMP TABLE ${name} ON COMMIT DROP AS
     SELECT DISTINCT ON (yk) xk::${type} AS xk, yk::${type} AS yk FROM (
       SELECT xk, coalesce(lo1, lo2) AS yk FROM (
         SELECT xk, min(${c}) FILTER (WHERE rank = 1) AS lo1, max(${c}) FILTER (WHERE rank = 1) AS hi1,
                min(${c}) FILTER (WHERE rank = 2) AS lo2, max(${c}) FILTER (WHERE rank = 2) AS hi2
         FROM (${sql}) c WHERE ${castableKey('xk', type)} AND ${castableKey('yk', type)} GROUP BY xk) g
       WHERE CASE WHEN lo1 IS NOT NULL THEN lo1 = hi1 ELSE lo2 = hi2 END) p
     ORDER BY yk, xk`,
  );
  await ctx.query(`ANALYZE ${name}`);
  return name;
}

/** The lineage store, as this run finds it: there before, created by this run (still without its
 *  indexes, which are built once its first rows are in: far faster than keeping them up row by row),
 *  or not to be had (the user may not create it). */
export type LineageStore = 'existing' | 'new' | 'denied';

export async function openLineageStore(ctx: RunContext): Promise<LineageStore> {
  if (await hasLineageStore(ctx)) return 'existing';
  await ctx.query('SAVEPOINT mr4_lineage');
  try {
    // Two imports creating it at once: the second waits here and then finds it.
    await ctx.query(`SELECT pg_advisory_xact_lock(hashtext('mr4 lineage store'))`);
    if (await hasLineageStore(ctx)) {
      await ctx.query('RELEASE SAVEPOINT mr4_lineage');
      return 'existing';
    }
    await ctx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(LINEAGE_SCHEMA)}`);
    // Byte-wise collation: the keys are compared for equality only, and a locale's rules cost time.
    await ctx.query(
      `CREATE TABLE ${STORE} (
         schema_name text COLLATE "C" NOT NULL, table_name text COLLATE "C" NOT NULL,
         origin uuid NOT NULL, origin_key text COLLATE "C" NOT NULL,
         local_key text COLLATE "C" NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now())`,
    );
    await ctx.query(
      `COMMENT ON SCHEMA ${ident(LINEAGE_SCHEMA)} IS 'MR4 Studio: which rows of other databases became rows of this one (the lineage of ids). ` +
        `Dropping it loses nothing but that pairing: mr4 then recognises rows by natural keys and content only.'`,
    );
    await ctx.query('RELEASE SAVEPOINT mr4_lineage');
    return 'new';
  } catch (error) {
    if (ctx.cancelled) throw error;
    await ctx.query('ROLLBACK TO SAVEPOINT mr4_lineage');
    return 'denied';
  }
}

/** Gives a store this run created its keys, once its rows are in. */
export async function indexLineageStore(ctx: RunContext): Promise<void> {
  await ctx.query(`ALTER TABLE ${STORE} ADD PRIMARY KEY (schema_name, table_name, origin, origin_key)`);
  await ctx.query(`CREATE INDEX lineage_local ON ${STORE} (schema_name, table_name, local_key)`);
  // Its statistics now, not at autovacuum's next visit: the next table's pairs are joined to it.
  await ctx.query(`ANALYZE ${STORE}`);
}

/**
 * Records, in the target's store, that each archived row of `t` (named `srcKey` in the source) became
 * target row `tgtKey`, and the origins the archive's lineage gives that source row. A pair the source
 * states again replaces the one before (the row may have been re-created); an origin seen through the
 * source is added where the target knows none. Into a store this run created (no keys yet, nothing
 * to replace), rows are only appended. Returns the number of pairs written.
 */
export async function recordPairs(
  ctx: RunContext,
  store: Exclude<LineageStore, 'denied'>,
  schema: string,
  t: StagedTable,
  pairs: string,
  source: LineageSide,
  targetIdentity: string,
): Promise<number> {
  if (!source.identity || source.identity === targetIdentity || t.rows === 0) return 0;
  const fresh = store === 'new';
  const head = `INSERT INTO ${STORE} AS l (schema_name, table_name, origin, origin_key, local_key)`;
  // An undo of this run puts back the pairs it replaces (the pairs it adds carry its time, now()).
  const undo = lineageUndo.get(ctx);
  if (undo && !fresh) {
    await ctx.query(
      `INSERT INTO ${undo} (table_name, op, before)
       SELECT ${literal(t.plan.name)}, 'L', to_jsonb(l) FROM ${STORE} l JOIN (SELECT src, min(tgt) AS tgt FROM ${pairs} p GROUP BY src) p
         ON l.schema_name = ${literal(schema)} AND l.table_name = ${literal(t.plan.name)} AND l.origin = ${literal(source.identity)}::uuid AND l.origin_key = p.src
       WHERE l.local_key IS DISTINCT FROM p.tgt`,
    );
  }
  // One pair per source key (a crafted archive may repeat an id), found by hashing, not sorting.
  // Pairs the store holds already (a row paired by this very lineage) are not written again.
  const known = fresh
    ? ''
    : `WHERE NOT EXISTS (SELECT 1 FROM ${STORE} k WHERE k.schema_name = ${literal(schema)} AND k.table_name = ${literal(t.plan.name)}
         AND k.origin = ${literal(source.identity)}::uuid AND k.origin_key = p.src::text COLLATE "C" AND k.local_key = p.tgt::text COLLATE "C")`;
  const own = await ctx.query(
    `${head} SELECT ${literal(schema)}, ${literal(t.plan.name)}, ${literal(source.identity)}::uuid, src, min(tgt) FROM ${pairs} p ${known} GROUP BY src
     ${
       fresh
         ? ''
         : `ON CONFLICT (schema_name, table_name, origin, origin_key) DO UPDATE SET local_key = EXCLUDED.local_key, recorded_at = now()
     WHERE l.local_key IS DISTINCT FROM EXCLUDED.local_key`
     }`,
  );
  let n = own.rowCount ?? 0;
  if (source.lineage) {
    const inherited = await ctx.query(
      `${head} SELECT DISTINCT ON (a.origin, a.origin_key) ${literal(schema)}, ${literal(t.plan.name)}, a.origin, a.origin_key, p.tgt
       FROM ${pairs} p JOIN ${source.lineage} a ON a.table_name = ${literal(t.plan.name)} AND a.local_key = p.src
       WHERE a.origin <> ${literal(targetIdentity)}::uuid AND a.origin <> ${literal(source.identity)}::uuid ORDER BY a.origin, a.origin_key, p.tgt
       ${fresh ? '' : 'ON CONFLICT (schema_name, table_name, origin, origin_key) DO NOTHING'}`,
    );
    n += inherited.rowCount ?? 0;
  }
  return n;
}
