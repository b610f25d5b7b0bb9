// Analysis: every table of the run matched against the target without writing anything (new rows get
// virtual ids), and — for a three-way comparison — every row of the base archive matched to the
// source row it is (by lineage, natural key or content), or else to the target row, so all three
// sides speak the target's ids.
import type { LineageSide } from '../staged/lineage';
import type { PreparedRun, StagedBase } from '../staged/prepare';
import {
  againstTarget,
  buildResolved,
  type MatchAgainst,
  type MatchContext,
  matchRows,
  matchTable,
  publishMap,
  type RowIdentity,
} from '../staged/match';
import { forPass, type StagedTable, temp } from '../staged/types';
import type { RunContext } from '../run-context';
import { ident } from '../sql';

export interface Analysis {
  /** The source pass: maps, matches and virtual ids of the archive's rows. */
  m: MatchContext;
  tables: StagedTable[];
  /** The base pass, when a base archive was given. */
  base: { m: MatchContext; tables: Map<string, StagedTable> } | null;
}

function againstSource(t: StagedTable, side: LineageSide): MatchAgainst {
  const sur = t.plan.surrogate;
  return {
    rel: `(SELECT w.* FROM ${temp(t, 'work')} w WHERE NOT EXISTS (SELECT 1 FROM ${temp(t, 'refused')} x WHERE x._row = w._row)) t`,
    side,
    id: sur && t.staged.includes(sur) ? (alias) => `${alias}.${ident(sur)}` : null,
    loc: (alias) => `${alias}._row`,
    locType: 'bigint',
    ctid: false,
    followsSelfKeys: false,
    isTarget: false,
  };
}

/**
 * The base's side of the lineage. A base kept in the target's own ids (what the two databases agreed
 * on, in the ids of the database that began the pair) is the target's rows as they were, so the
 * target's lineage pairs them with the source's too: dev's row that an earlier merge gave another id
 * in production is the base's row at that id, and dev's edit of it since is dev's alone.
 */
function baseSide(base: LineageSide, target: LineageSide): LineageSide {
  if (!base.identity || base.identity !== target.identity || !target.lineage) return base;
  if (!base.lineage) return { identity: base.identity, lineage: target.lineage };
  // One collation for both (the store's keys are "C"): equality on text needs one.
  const columns = `table_name COLLATE "C" AS table_name, local_key COLLATE "C" AS local_key, origin, origin_key COLLATE "C" AS origin_key`;
  return {
    identity: base.identity,
    lineage: `(SELECT ${columns} FROM ${base.lineage} b UNION ALL SELECT ${columns} FROM ${target.lineage} s)`,
  };
}

async function matchBase(mb: MatchContext, m: MatchContext, tb: StagedTable, ts: StagedTable): Promise<void> {
  const direct = await buildResolved(mb, tb);
  // Base rows are found among the source's rows first, then among the target's rows.
  await matchRows(mb, tb, direct, temp(tb, 'baseInSource'), againstSource(ts, m.identity.source), mb.identity.source);
  const rest: StagedTable = { ...tb, tag: `${tb.tag}t` };
  await mb.ctx.query(
    `CREATE TEMP VIEW ${temp(rest, 'resolved')} AS SELECT r.* FROM ${temp(tb, 'resolved')} r WHERE NOT EXISTS (SELECT 1 FROM ${temp(tb, 'baseInSource')} k WHERE k._row = r._row)`,
  );
  await matchRows(mb, rest, direct, temp(tb, 'baseInTarget'), againstTarget(m, ts), mb.identity.source);
  const sur = ts.plan.surrogate;
  const inherited = ts.plan.inheritedId?.column;
  const name = temp(tb, 'idMap');
  if (sur && tb.staged.includes(sur)) {
    // The base's ids, in the target's id space: through the source row, or the target row.
    await mb.ctx.query(
      `CREATE TEMP TABLE ${name} ON COMMIT DROP AS
       SELECT DISTINCT ON (s.${ident(sur)}) s.${ident(sur)} AS src, COALESCE(sa._tgt, kt._tgt) AS tgt
       FROM ${temp(tb, 'staged')} s
       LEFT JOIN ${temp(tb, 'baseInSource')} kb ON kb._row = s._row LEFT JOIN ${temp(ts, 'ids')} sa ON sa._row = kb._tgt
       LEFT JOIN ${temp(tb, 'baseInTarget')} kt ON kt._row = s._row
       WHERE s.${ident(sur)} IS NOT NULL AND COALESCE(sa._tgt, kt._tgt) IS NOT NULL`,
    );
  } else if (inherited && tb.staged.includes(inherited)) {
    // An id inherited from the parent: rewritten through the parent's base map already.
    await mb.ctx.query(
      `CREATE TEMP TABLE ${name} ON COMMIT DROP AS
       SELECT DISTINCT ON (s.${ident(inherited)}) s.${ident(inherited)} AS src, r.${ident(inherited)} AS tgt
       FROM ${temp(tb, 'staged')} s JOIN ${temp(tb, 'resolved')} r ON r._row = s._row
       WHERE s.${ident(inherited)} IS NOT NULL AND r.${ident(inherited)} IS NOT NULL`,
    );
  } else return;
  await mb.ctx.query(`CREATE UNIQUE INDEX ON ${name} (src)`);
  await mb.ctx.query(`ANALYZE ${name}`);
  mb.maps.set(tb.plan.name, name);
}

/** Runs the analysis pass over a prepared run (its rows staged, its tables locked or snapshotted). */
export async function analyze(
  ctx: RunContext,
  run: PreparedRun,
  base: StagedBase | null,
  identity: RowIdentity,
  onTable: (t: StagedTable, done: boolean) => void,
): Promise<Analysis> {
  const tables = run.tables.map((t) => forPass(t, 'a'));
  const m: MatchContext = {
    ctx,
    schema: run.catalog.schema,
    mode: 'merge',
    ids: 'virtual',
    maps: new Map(),
    tables: new Map(tables.map((t) => [t.plan.name, t])),
    identity,
    warnings: run.warnings,
    polymorphic: new Map(),
    judgedPairs: new Map(),
  };
  // Base rows are never asked about: one the source or the target does not identify is left unmatched.
  const mb: MatchContext | null = base
    ? {
        ...m,
        maps: new Map(),
        polymorphic: new Map(),
        tables: new Map(base.tables),
        identity: { ...identity, source: baseSide(base.side, identity.target), sameIds: false, probable: 'new', decisions: null },
        warnings: undefined,
      }
    : null;
  for (const t of tables) {
    onTable(t, false);
    await matchTable(m, t);
    await publishMap(m, t);
    const tb = base?.tables.get(t.plan.name);
    if (mb && tb) await matchBase(mb, m, tb, t);
    onTable(t, true);
  }
  return { m, tables, base: mb && base ? { m: mb, tables: base.tables } : null };
}
