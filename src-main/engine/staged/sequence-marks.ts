// Restarts of id sequences: the signal beside the ceiling of ids (staged/reused-ids.ts). A sequence
// restarted and drawn from again as far as before (TRUNCATE … RESTART IDENTITY, then a seed script
// inserting as many rows) reaches the ceiling the lineage names, so "went back" sees nothing; but a
// restart gives the sequence a new relfilenode. Verified on PostgreSQL 15.18: TRUNCATE … RESTART
// IDENTITY, ALTER SEQUENCE … RESTART [WITH n] and ALTER TABLE … ALTER COLUMN … RESTART assign one;
// nextval and setval do not, nor a rolled-back restart, nor VACUUM FULL or CLUSTER of the table (the
// table's own relfilenode changes, the sequence's does not: hence the sequence's is the signal).
// Other ALTER SEQUENCE changes (INCREMENT, CACHE, AS) and an identity column's ALTER … TYPE assign one
// too, and read as a restart.
//
// Every import that records a table's lineage marks, in the target's _mr4 schema, the relfilenode its
// sequence has after the import; a later run finds the tables whose sequence has another one now.
//
// The same relfilenode is the generation of a database's ids as other databases see them: every export
// states its tables' (idsGeneration), and an import that records pairs naming the archive's ids marks the
// generation they were recorded against (_mr4.origin_marks, per table and origin). A restart in the
// archive's database is then seen by the database whose lineage names its ids, which its own marks cannot
// see (production's pairs naming dev's ids, dev reset and refilled).
import type { TablePlan } from '../plan';
import type { RunContext } from '../run-context';
import { ident, literal } from '../sql';
import { LINEAGE_SCHEMA, LINEAGE_STORE } from './lineage';

export const SEQUENCE_MARKS = `${ident(LINEAGE_SCHEMA)}.sequence_marks`;
export const ORIGIN_MARKS = `${ident(LINEAGE_SCHEMA)}.origin_marks`;

const INTEGER = /^(smallint|integer|bigint)$/;

export type SequencedTable = TablePlan & { surrogate: string; surrogateSequence: string };

/** The tables whose ids can be checked: an integer surrogate drawn from a sequence. */
export function sequenced(tables: TablePlan[]): SequencedTable[] {
  return tables.filter(
    (t): t is SequencedTable =>
      !!t.surrogate && !!t.surrogateSequence && INTEGER.test(t.columns.find((c) => c.name === t.surrogate)?.type ?? ''),
  );
}

async function hasStore(ctx: RunContext, name: 'sequence_marks' | 'origin_marks'): Promise<boolean> {
  const res = await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${LINEAGE_SCHEMA}.${name}`)}) IS NOT NULL AS ok`);
  return res.rows[0].ok;
}

function sequencesOf(tables: SequencedTable[]): string {
  return tables.map((t) => `(${literal(t.name)}, ${literal(t.surrogateSequence)}::regclass)`).join(', ');
}

/**
 * Per table of `schema` whose sequence was restarted since an import marked it: when that import ran
 * (ISO). A table never marked (never imported into with its lineage recorded) is left out.
 */
export async function restartedSince(ctx: RunContext, schema: string, tables: TablePlan[]): Promise<Map<string, string>> {
  const checked = sequenced(tables);
  if (!checked.length || !(await hasStore(ctx, 'sequence_marks'))) return new Map();
  const res = await ctx.query<{ table_name: string; recorded_at: Date }>(
    `SELECT m.table_name, m.recorded_at FROM ${SEQUENCE_MARKS} m JOIN (VALUES ${sequencesOf(checked)}) AS s (table_name, seq)
       ON m.schema_name = ${literal(schema)} AND m.table_name = s.table_name COLLATE "C"
     WHERE m.filenode IS DISTINCT FROM pg_relation_filenode(s.seq)`,
  );
  return new Map(res.rows.map((r) => [r.table_name, r.recorded_at.toISOString()]));
}

const MARK_STORES = {
  sequence_marks: {
    columns: 'schema_name text COLLATE "C" NOT NULL, table_name text COLLATE "C" NOT NULL, filenode oid NOT NULL',
    key: 'schema_name, table_name',
    comment:
      "the relfilenode of each table's id sequence after the last import that recorded its lineage of ids. " +
      'Another one now means the sequence was restarted since, and the ids that lineage names may be other rows.',
  },
  origin_marks: {
    columns: 'schema_name text COLLATE "C" NOT NULL, table_name text COLLATE "C" NOT NULL, origin uuid NOT NULL, filenode oid NOT NULL',
    key: 'schema_name, table_name, origin',
    comment:
      "per table and origin database, the relfilenode its id sequence had when this database's lineage recorded pairs naming its ids. " +
      'An export of that database stating another one means its ids were restarted since, and those pairs may name other rows.',
  },
} as const;

/**
 * Writes marks inside the import's transaction, creating their store first where it is missing.
 * Returns a warning where the store cannot be created (the lineage is recorded all the same).
 */
async function writeMarks(ctx: RunContext, store: keyof typeof MARK_STORES, write: () => Promise<void>): Promise<string | null> {
  const { columns, key, comment } = MARK_STORES[store];
  const name = `${ident(LINEAGE_SCHEMA)}.${ident(store)}`;
  await ctx.query(`SAVEPOINT mr4_${store}`);
  try {
    if (!(await hasStore(ctx, store))) {
      // Two imports creating it at once: the second waits here, then finds it.
      await ctx.query(`SELECT pg_advisory_xact_lock(hashtext(${literal(`mr4 ${store}`)}))`);
      await ctx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(LINEAGE_SCHEMA)}`);
      await ctx.query(
        `CREATE TABLE IF NOT EXISTS ${name} (${columns}, recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (${key}))`,
      );
      await ctx.query(`COMMENT ON TABLE ${name} IS ${literal(`MR4 Studio: ${comment}`)}`);
    }
    await write();
    await ctx.query(`RELEASE SAVEPOINT mr4_${store}`);
    return null;
  } catch (error) {
    if (ctx.cancelled) throw error;
    await ctx.query(`ROLLBACK TO SAVEPOINT mr4_${store}`);
    return (
      `restarts of id sequences could not be recorded in schema _mr4 (${(error as Error).message}): a table whose ids are ` +
      `restarted and refilled as far as before goes unnoticed by later runs (grant CREATE on schema _mr4)`
    );
  }
}

/** Marks the relfilenode each table's sequence has now. */
export async function recordSequenceMarks(ctx: RunContext, schema: string, tables: TablePlan[]): Promise<string | null> {
  const checked = sequenced(tables);
  if (!checked.length) return null;
  return writeMarks(ctx, 'sequence_marks', async () => {
    await ctx.query(
      `INSERT INTO ${SEQUENCE_MARKS} (schema_name, table_name, filenode)
       SELECT ${literal(schema)}, s.table_name, pg_relation_filenode(s.seq) FROM (VALUES ${sequencesOf(checked)}) AS s (table_name, seq)
       ON CONFLICT (schema_name, table_name) DO UPDATE SET filenode = EXCLUDED.filenode, recorded_at = now()`,
    );
  });
}

/** Per table with an integer id drawn from a sequence: its sequence's relfilenode now (text). */
export async function idsGenerations(ctx: RunContext, tables: TablePlan[]): Promise<Map<string, string>> {
  const checked = sequenced(tables);
  if (!checked.length) return new Map();
  const res = await ctx.query<{ table_name: string; generation: string }>(
    `SELECT s.table_name, pg_relation_filenode(s.seq)::text AS generation FROM (VALUES ${sequencesOf(checked)}) AS s (table_name, seq)
     WHERE pg_relation_filenode(s.seq) IS NOT NULL`,
  );
  return new Map(res.rows.map((r) => [r.table_name, r.generation]));
}

/** The generation of another database's ids this database's lineage of a table was recorded against. */
export interface OriginMark {
  generation: string;
  recordedAt: string;
}

/** Per table of `schema`, per origin database (identity), its mark (where an import set one). */
export async function originMarks(ctx: RunContext, schema: string, tables: string[]): Promise<Map<string, Map<string, OriginMark>>> {
  const marks = new Map<string, Map<string, OriginMark>>();
  if (!tables.length || !(await hasStore(ctx, 'origin_marks'))) return marks;
  const res = await ctx.query<{ table_name: string; origin: string; generation: string; recorded_at: Date }>(
    `SELECT table_name, origin::text, filenode::text AS generation, recorded_at FROM ${ORIGIN_MARKS}
     WHERE schema_name = $1 AND table_name = ANY ($2::text[])`,
    [schema, tables],
  );
  for (const r of res.rows) {
    const byOrigin = marks.get(r.table_name) ?? new Map<string, OriginMark>();
    byOrigin.set(r.origin, { generation: r.generation, recordedAt: r.recorded_at.toISOString() });
    marks.set(r.table_name, byOrigin);
  }
  return marks;
}

/**
 * Marks, after the import recorded its pairs, the generation of the origin's ids they name (the
 * archive's idsGeneration per table). A mark of another generation is kept while pairs recorded before
 * this import remain: those may name ids of the old one, and the next run must still see them as such.
 */
export async function recordOriginMarks(
  ctx: RunContext,
  schema: string,
  origin: string,
  generations: Map<string, string>,
): Promise<string | null> {
  if (!generations.size) return null;
  const values = [...generations].map(([table, generation]) => `(${literal(table)}, ${literal(generation)}::oid)`).join(', ');
  return writeMarks(ctx, 'origin_marks', async () => {
    await ctx.query(
      `INSERT INTO ${ORIGIN_MARKS} AS m (schema_name, table_name, origin, filenode)
       SELECT ${literal(schema)}, g.table_name, ${literal(origin)}::uuid, g.filenode FROM (VALUES ${values}) AS g (table_name, filenode)
       ON CONFLICT (schema_name, table_name, origin) DO UPDATE SET filenode = EXCLUDED.filenode, recorded_at = now()
       WHERE m.filenode <> EXCLUDED.filenode AND NOT EXISTS (
         SELECT 1 FROM ${LINEAGE_STORE} l WHERE l.schema_name = m.schema_name AND l.table_name = m.table_name
           AND l.origin = m.origin AND l.recorded_at < now())`,
    );
  });
}

/** Forgets the marks of `tables` (with their lineage): the next import marks them afresh. */
export async function forgetSequenceMarks(ctx: RunContext, schema: string, tables: string[]): Promise<void> {
  for (const store of ['sequence_marks', 'origin_marks'] as const) {
    if (await hasStore(ctx, store)) {
      await ctx.query(`DELETE FROM ${ident(LINEAGE_SCHEMA)}.${ident(store)} WHERE schema_name = $1 AND table_name = ANY ($2::text[])`, [
        schema,
        tables,
      ]);
    }
  }
}
