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
import type { TablePlan } from '../plan';
import type { RunContext } from '../run-context';
import { ident, literal } from '../sql';
import { LINEAGE_SCHEMA } from './lineage';

export const SEQUENCE_MARKS = `${ident(LINEAGE_SCHEMA)}.sequence_marks`;

const INTEGER = /^(smallint|integer|bigint)$/;

export type SequencedTable = TablePlan & { surrogate: string; surrogateSequence: string };

/** The tables whose ids can be checked: an integer surrogate drawn from a sequence. */
export function sequenced(tables: TablePlan[]): SequencedTable[] {
  return tables.filter(
    (t): t is SequencedTable =>
      !!t.surrogate && !!t.surrogateSequence && INTEGER.test(t.columns.find((c) => c.name === t.surrogate)?.type ?? ''),
  );
}

async function hasSequenceMarks(ctx: RunContext): Promise<boolean> {
  const res = await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${LINEAGE_SCHEMA}.sequence_marks`)}) IS NOT NULL AS ok`);
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
  if (!checked.length || !(await hasSequenceMarks(ctx))) return new Map();
  const res = await ctx.query<{ table_name: string; recorded_at: Date }>(
    `SELECT m.table_name, m.recorded_at FROM ${SEQUENCE_MARKS} m JOIN (VALUES ${sequencesOf(checked)}) AS s (table_name, seq)
       ON m.schema_name = ${literal(schema)} AND m.table_name = s.table_name COLLATE "C"
     WHERE m.filenode IS DISTINCT FROM pg_relation_filenode(s.seq)`,
  );
  return new Map(res.rows.map((r) => [r.table_name, r.recorded_at.toISOString()]));
}

/**
 * Marks, inside the import's transaction, the relfilenode each table's sequence has now. Returns a
 * warning where the store cannot be created (the lineage is recorded all the same).
 */
export async function recordSequenceMarks(ctx: RunContext, schema: string, tables: TablePlan[]): Promise<string | null> {
  const checked = sequenced(tables);
  if (!checked.length) return null;
  await ctx.query('SAVEPOINT mr4_sequence_marks');
  try {
    if (!(await hasSequenceMarks(ctx))) {
      // Two imports creating it at once: the second waits here, then finds it.
      await ctx.query(`SELECT pg_advisory_xact_lock(hashtext('mr4 sequence marks'))`);
      await ctx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(LINEAGE_SCHEMA)}`);
      await ctx.query(
        `CREATE TABLE IF NOT EXISTS ${SEQUENCE_MARKS} (
           schema_name text COLLATE "C" NOT NULL, table_name text COLLATE "C" NOT NULL, filenode oid NOT NULL,
           recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, table_name))`,
      );
      await ctx.query(
        `COMMENT ON TABLE ${SEQUENCE_MARKS} IS 'MR4 Studio: the relfilenode of each table''s id sequence after the last import that recorded its lineage of ids. ` +
          `Another one now means the sequence was restarted since, and the ids that lineage names may be other rows.'`,
      );
    }
    await ctx.query(
      `INSERT INTO ${SEQUENCE_MARKS} (schema_name, table_name, filenode)
       SELECT ${literal(schema)}, s.table_name, pg_relation_filenode(s.seq) FROM (VALUES ${sequencesOf(checked)}) AS s (table_name, seq)
       ON CONFLICT (schema_name, table_name) DO UPDATE SET filenode = EXCLUDED.filenode, recorded_at = now()`,
    );
    await ctx.query('RELEASE SAVEPOINT mr4_sequence_marks');
    return null;
  } catch (error) {
    if (ctx.cancelled) throw error;
    await ctx.query('ROLLBACK TO SAVEPOINT mr4_sequence_marks');
    return (
      `restarts of id sequences could not be recorded in schema _mr4 (${(error as Error).message}): a table whose ids are ` +
      `restarted and refilled as far as before goes unnoticed by later runs (grant CREATE on schema _mr4)`
    );
  }
}

/** Forgets the marks of `tables` (with their lineage): the next import marks them afresh. */
export async function forgetSequenceMarks(ctx: RunContext, schema: string, tables: string[]): Promise<void> {
  if (await hasSequenceMarks(ctx)) {
    await ctx.query(`DELETE FROM ${SEQUENCE_MARKS} WHERE schema_name = $1 AND table_name = ANY ($2::text[])`, [schema, tables]);
  }
}
