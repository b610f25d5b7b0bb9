// Where a database remembers that some of its columns hold masked values: a real import of an archive
// with masked columns records them in the target's _mr4 schema (beside the lineage of ids), and every
// export of that database names them in its index as masked by their origin. So dev, seeded from a
// masked export of production, says in its own archives that users.sysmail holds masked values, and an
// import of such an archive into production never writes them over production's real ones — with or
// without a base, from any machine.
//
// A database never records masks made by itself (its values there are the real ones). Dropping the
// table forgets them: dev's archives then carry those values as its own.
import type { ArchiveTable } from './archive/format';
import type { RunContext } from './run-context';
import { ident, literal } from './sql';
import { LINEAGE_SCHEMA } from './staged/lineage';

const STORE = `${ident(LINEAGE_SCHEMA)}.masked`;

export interface StoredMask {
  column: string;
  rule: string;
  origin: string;
}

async function hasStore(ctx: RunContext): Promise<boolean> {
  const res = await ctx.query<{ ok: boolean }>(`SELECT to_regclass(${literal(`${LINEAGE_SCHEMA}.masked`)}) IS NOT NULL AS ok`);
  return res.rows[0].ok;
}

/** The masked columns this database received, per table of `schema`. */
export async function readStoredMasks(ctx: RunContext, schema: string): Promise<Map<string, StoredMask[]>> {
  const out = new Map<string, StoredMask[]>();
  if (!(await hasStore(ctx))) return out;
  const res = await ctx.query<{ table_name: string; column_name: string; rule: string; origin: string }>(
    `SELECT table_name, column_name, rule, origin::text AS origin FROM ${STORE} WHERE schema_name = $1 ORDER BY table_name, column_name, recorded_at`,
    [schema],
  );
  for (const r of res.rows) {
    const list = out.get(r.table_name) ?? [];
    if (!list.some((m) => m.column === r.column_name)) list.push({ column: r.column_name, rule: r.rule, origin: r.origin });
    out.set(r.table_name, list);
  }
  return out;
}

/**
 * Records, inside the import's transaction, the archive's masked columns of the tables it imported
 * (those masked by another database than the target). Returns a warning where it may not.
 */
export async function recordMasks(
  ctx: RunContext,
  schema: string,
  tables: { name: string; archive: ArchiveTable; staged: string[] }[],
  sourceIdentity: string | undefined,
  targetIdentity: string,
): Promise<string | null> {
  const rows: [string, string, string, string][] = [];
  for (const t of tables) {
    for (const m of t.archive.masked ?? []) {
      const origin = m.origin ?? sourceIdentity;
      if (!origin || origin === targetIdentity || !t.staged.includes(m.column)) continue;
      rows.push([t.name, m.column, m.rule, origin]);
    }
  }
  if (!rows.length) return null;
  await ctx.query('SAVEPOINT mr4_masked');
  try {
    if (!(await hasStore(ctx))) {
      await ctx.query(`SELECT pg_advisory_xact_lock(hashtext('mr4 masked store'))`);
      await ctx.query(`CREATE SCHEMA IF NOT EXISTS ${ident(LINEAGE_SCHEMA)}`);
      await ctx.query(
        `CREATE TABLE IF NOT EXISTS ${STORE} (
           schema_name text COLLATE "C" NOT NULL, table_name text COLLATE "C" NOT NULL, column_name text COLLATE "C" NOT NULL,
           origin uuid NOT NULL, rule text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (schema_name, table_name, column_name, origin))`,
      );
      await ctx.query(
        `COMMENT ON TABLE ${STORE} IS 'MR4 Studio: columns of this database that hold values masked by another database''s export. Its exports say so, and an import never writes them over real values.'`,
      );
    }
    await ctx.query(
      `INSERT INTO ${STORE} (schema_name, table_name, column_name, origin, rule)
       SELECT $1, t, c, o::uuid, r FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(t, c, r, o)
       ON CONFLICT (schema_name, table_name, column_name, origin) DO UPDATE SET rule = EXCLUDED.rule`,
      [schema, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
    );
    await ctx.query('RELEASE SAVEPOINT mr4_masked');
    return null;
  } catch (error) {
    if (ctx.cancelled) throw error;
    await ctx.query('ROLLBACK TO SAVEPOINT mr4_masked');
    return `which columns hold masked values could not be recorded in schema _mr4 (${(error as Error).message}); this database's own exports will not say they are masked`;
  }
}
