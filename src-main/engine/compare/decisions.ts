// What the user decided after looking at a diff: how each conflict is resolved (per row or per field)
// and what is left out of a merge (tables, rows or single fields). Written by the app or by hand:
//
//   {
//     "format": "mr4-decisions", "version": 1,
//     "onConflict": "target",                                    (optional: for every conflict left open)
//     "decisions": [
//       { "table": "events", "key": { "xmlid": "e1" }, "field": "teaser", "choice": "source" },
//       { "table": "pages", "key": { "project": { "domaincode": "tp" }, "page_type": "team" }, "choice": "target" },
//       { "table": "employee", "key": { "employee_id": "3" }, "choice": "same" }
//     ],
//     "probableEdits": "same",                                   (optional: for every probable edit left open)
//     "exclude": [
//       { "table": "posts" },
//       { "table": "events", "key": { "xmlid": "e2" } },
//       { "table": "events", "key": { "xmlid": "e3" }, "field": "name" }
//     ]
//   }
//
// A row is named by its natural key as a JSON object: column → value as text (null for NULL); a key
// column that is a foreign key is written as the parent's natural key object. `mr4 diff --json` prints
// every row's key in exactly this form. "source"/"target" settle conflicts ("source" for a row deleted
// in the target brings it back, edited in the source or not); "same"/"new" answer a
// probable edit (a row that only looks like an edit of the target's row with its id): it is that row,
// or another one.
import { readFile } from 'node:fs/promises';
import { decisionsFileSchema, type DecisionsFile } from '../../../src-common/decisions';
import { type MatchContext, remapRefs } from '../staged/match';
import { type StagedTable, temp } from '../staged/types';
import type { RunContext } from '../run-context';
import { ident, literal } from '../sql';
import type { Analysis } from './analyze';

/** A decisions file's content, as the engine takes it. */
export type Decisions = DecisionsFile;

export class DecisionsError extends Error {
  override name = 'DecisionsError';
}

export function parseDecisions(value: unknown, origin: string): Decisions {
  const result = decisionsFileSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new DecisionsError(`The decisions in ${origin} are not valid:\n${problems}\nSee "Decisions files" in the README.`);
  }
  return result.data;
}

export async function loadDecisions(path: string): Promise<Decisions> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new DecisionsError(`Cannot read the decisions file ${path}: ${(error as Error).message}`);
  }
  return parseDecisions(json, path);
}

/** Key values compare as text, as the diff writes them (a hand-written 5 means "5"). */
function canonicalKey(key: unknown): unknown {
  if (key === null || key === undefined) return null;
  if (typeof key === 'object' && !Array.isArray(key)) return Object.fromEntries(Object.entries(key).map(([k, v]) => [k, canonicalKey(v)]));
  return String(key);
}

export interface OpenConflict {
  table: string;
  key: Record<string, unknown> | null;
  field: string | null;
  source: string | null;
  target: string | null;
  base: string | null;
  reason: string;
}

export class ConflictsError extends Error {
  override name = 'ConflictsError';
  constructor(readonly conflicts: OpenConflict[]) {
    const shown = conflicts.slice(0, 50).map((c) => `  - ${c.table} ${JSON.stringify(c.key)}${c.field ? ` ${c.field}` : ''}: ${c.reason}`);
    const rows = new Set(conflicts.map((c) => `${c.table}\u0000${JSON.stringify(c.key)}`)).size;
    super(
      `${rows} row(s) with conflicts (${conflicts.length} field(s)) between the source's and the target's edits since the base; nothing was written:\n${shown.join('\n')}` +
        `${conflicts.length > 50 ? `\n  … and ${conflicts.length - 50} more (mr4 diff --json lists them all)` : ''}\n` +
        'Decide them with --on-conflict source|target, or per row or field in a decisions file (--decisions); ' +
        '--base none compares two ways instead (the archive then wins wherever the two differ).',
    );
  }
}

export class SelectionError extends Error {
  override name = 'SelectionError';
  constructor(readonly problems: string[]) {
    super(
      `The selection leaves out rows that included rows need:\n${problems.map((p) => `  - ${p}`).join('\n')}\nInclude the parent, or exclude the child too.`,
    );
  }
}

const ROW_ANSWERS = 'pg_temp.mr4_same_or_new';

/** The answers to probable edits (same / new, per row), as the temp table matching reads; null if
 *  there are none. */
export async function loadRowAnswers(ctx: RunContext, decisions: Decisions | undefined): Promise<string | null> {
  const answers = (decisions?.decisions ?? []).filter((d) => d.choice === 'same' || d.choice === 'new');
  if (!answers.length) return null;
  await ctx.query(`CREATE TEMP TABLE ${ROW_ANSWERS} (tbl text, key jsonb, choice text) ON COMMIT DROP`);
  await ctx.query(`INSERT INTO ${ROW_ANSWERS} SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(tbl text, key jsonb, choice text)`, [
    JSON.stringify(answers.map((d) => ({ tbl: d.table, key: canonicalKey(d.key), choice: d.choice }))),
  ]);
  return ROW_ANSWERS;
}

async function loadIntoSession(m: MatchContext, decisions: Decisions): Promise<void> {
  await m.ctx.query(`CREATE TEMP TABLE pg_temp.mr4_dec (tbl text, key jsonb, field text, choice text) ON COMMIT DROP`);
  await m.ctx.query(`CREATE TEMP TABLE pg_temp.mr4_exc (tbl text, key jsonb, field text) ON COMMIT DROP`);
  await m.ctx.query(
    `INSERT INTO pg_temp.mr4_dec SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(tbl text, key jsonb, field text, choice text)`,
    [
      JSON.stringify(
        decisions.decisions
          .filter((d) => d.choice === 'source' || d.choice === 'target')
          .map((d) => ({ tbl: d.table, key: canonicalKey(d.key), field: d.field ?? null, choice: d.choice })),
      ),
    ],
  );
  await m.ctx.query(`INSERT INTO pg_temp.mr4_exc SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(tbl text, key jsonb, field text)`, [
    JSON.stringify(decisions.exclude.map((e) => ({ tbl: e.table, key: e.key ? canonicalKey(e.key) : null, field: e.field ?? null }))),
  ]);
}

/**
 * Applies exclusions and conflict decisions to every table's classification (d), then checks that
 * nothing included needs something excluded. Returns the conflicts no decision resolves and the
 * decisions that matched no row.
 */
export async function applyDecisions(
  a: Analysis,
  decisions: Decisions,
  onConflict: 'source' | 'target' | undefined,
): Promise<{ open: OpenConflict[]; unmatched: string[] }> {
  const m = a.m;
  await loadIntoSession(m, decisions);
  const fallback = onConflict ?? decisions.onConflict ?? null;
  const data = a.tables.filter((t) => t.plan.role === 'data');
  const known = new Set(data.map((t) => t.plan.name));
  const unmatched: string[] = [];
  for (const e of decisions.exclude) if (!known.has(e.table)) unmatched.push(`exclude: table ${e.table} is not in this merge`);
  for (const d of decisions.decisions) if (!known.has(d.table)) unmatched.push(`decision: table ${d.table} is not in this merge`);
  const open: OpenConflict[] = [];
  for (const t of data) {
    const D = temp(t, 'classified');
    const tbl = literal(t.plan.name);
    await m.ctx.query(
      `UPDATE ${D} SET excluded = true WHERE EXISTS (SELECT 1 FROM pg_temp.mr4_exc x WHERE x.tbl = ${tbl} AND x.key IS NULL AND x.field IS NULL)`,
    );
    await m.ctx.query(
      `UPDATE ${D} d SET excluded = true FROM pg_temp.mr4_exc x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field IS NULL`,
    );
    const fieldExcluded = (col: string) =>
      `EXISTS (SELECT 1 FROM pg_temp.mr4_exc x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field = ${col})`;
    const decided = (col: string) =>
      `COALESCE((SELECT x.choice FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field = ${col} LIMIT 1),
                (SELECT x.choice FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field IS NULL LIMIT 1),
                ${fallback ? literal(fallback) : 'NULL'})`;
    // Conflicting fields of rows both sides have: the chosen side wins, field by field.
    await m.ctx.query(
      `UPDATE ${D} d SET apply = d.apply || ARRAY(
         SELECT e->>'column' FROM jsonb_array_elements(d.fields) e
         WHERE e->>'verdict' = 'conflict' AND ${decided(`e->>'column'`)} = 'source')
       WHERE d.kind = 'conflict' AND NOT d.gone_from_target AND NOT d.excluded`,
    );
    // A row deleted in the target but edited in the source comes back only if the source is chosen.
    await m.ctx.query(
      `UPDATE ${D} d SET kind = CASE ${decided('NULL')} WHEN 'source' THEN 'resurrect' ELSE 'deleted_in_target' END
       WHERE d.kind = 'conflict' AND d.gone_from_target AND NOT d.excluded AND ${decided('NULL')} IS NOT NULL`,
    );
    // A row deleted in the target that the source did not edit stays deleted, unless a decision for
    // that very row (not the run's fallback) chooses the source: then it comes back too.
    await m.ctx.query(
      `UPDATE ${D} d SET kind = 'resurrect'
       WHERE d.kind = 'deleted_in_target' AND NOT d.excluded
         AND (SELECT x.choice FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field IS NULL LIMIT 1) = 'source'`,
    );
    // A field left out, or decided "target" for that field or row (not by the fallback, which settles
    // conflicts only), keeps the target's value though the source's would apply.
    const keptByDecision = (col: string) =>
      `COALESCE((SELECT x.choice FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field = ${col} LIMIT 1),
                (SELECT x.choice FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field IS NULL LIMIT 1)) = 'target'`;
    // A field left out is no answer: the agreement afterwards must not take the archive's value for it.
    await m.ctx.query(
      `UPDATE ${D} d SET left_out = ARRAY(SELECT e->>'column' FROM jsonb_array_elements(d.fields) e WHERE ${fieldExcluded(`e->>'column'`)})
       WHERE EXISTS (SELECT 1 FROM pg_temp.mr4_exc x WHERE x.tbl = ${tbl} AND x.key = d.key AND x.field IS NOT NULL)`,
    );
    await m.ctx.query(
      `UPDATE ${D} d SET apply = ARRAY(SELECT c FROM unnest(d.apply) c WHERE NOT ${fieldExcluded('c')} AND NOT COALESCE(${keptByDecision('c')}, false))
       WHERE cardinality(d.apply) > 0`,
    );
    const rows = await m.ctx.query<{
      key: Record<string, unknown> | null;
      field: string | null;
      source: string | null;
      target: string | null;
      base: string | null;
      gone: boolean;
      added: boolean;
    }>(
      `SELECT d.key, CASE WHEN d.gone_from_target THEN NULL ELSE e->>'column' END AS field, e->>'source' AS source, e->>'target' AS target,
              e->>'base' AS base, d.gone_from_target AS gone, d.brow IS NULL AS added
       FROM ${D} d CROSS JOIN LATERAL jsonb_array_elements(d.fields) e
       WHERE d.kind = 'conflict' AND NOT d.excluded AND e->>'verdict' = 'conflict'
         AND (d.gone_from_target OR (${decided(`e->>'column'`)} IS NULL AND NOT ${fieldExcluded(`e->>'column'`)}))
       ORDER BY d.srow`,
    );
    const seenGone = new Set<string>();
    for (const r of rows.rows) {
      if (r.gone) {
        const k = JSON.stringify(r.key);
        if (seenGone.has(k)) continue;
        seenGone.add(k);
      }
      open.push({
        table: t.plan.name,
        key: r.key,
        field: r.field,
        source: r.source,
        target: r.target,
        base: r.base,
        reason: r.gone
          ? 'deleted in the target since the base, but edited in the source'
          : r.added
            ? addedOnBothSides(t)
            : 'changed on both sides since the base, to different values',
      });
    }
    const stray = await m.ctx.query<{ what: string }>(
      `SELECT 'decision: ' || x.tbl || ' ' || x.key::text AS what FROM pg_temp.mr4_dec x WHERE x.tbl = ${tbl} AND NOT EXISTS (SELECT 1 FROM ${D} d WHERE d.key = x.key)
       UNION ALL
       SELECT 'exclude: ' || x.tbl || ' ' || x.key::text FROM pg_temp.mr4_exc x WHERE x.tbl = ${tbl} AND x.key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${D} d WHERE d.key = x.key)`,
    );
    for (const s of stray.rows) unmatched.push(`${s.what} matches no row of the archive`);
  }
  await checkSelection(m, data);
  return { open, unmatched };
}

/** Why a row added on both sides is a conflict; where its key is an integer id, that the two may be
 *  different rows each side numbered alike. */
function addedOnBothSides(t: StagedTable): string {
  const reason = 'added on both sides since the base, with different values';
  const [id] = t.plan.key.columns;
  const type = t.plan.columns.find((c) => c.name === id)?.type ?? '';
  if (t.plan.key.kind !== 'key' || t.plan.key.columns.length !== 1 || !/^(smallint|integer|bigint)$/.test(type)) return reason;
  return `${reason}; ${id} is an integer id, so these may be different rows that each side gave the same id (are ${t.plan.name}'s ids drawn by the application? then state "${t.plan.name}": {"surrogate": {"column": "${id}", "sequence": "…"}} in the configuration, and they are matched by the lineage of ids instead)`;
}

/** Refuses a selection that includes a row whose reference points at a new row that is left out. */
async function checkSelection(m: MatchContext, data: StagedTable[]): Promise<void> {
  const problems: string[] = [];
  for (const child of data) {
    for (const ref of remapRefs(m, child)) {
      const parent = m.tables.get(ref.parent);
      if (!parent || parent.plan.role !== 'data' || !parent.plan.surrogate) continue;
      const col = ref.columns[0];
      // The child's reference, in the target's id space (late and self references still hold source ids).
      const value = ref.late || ref.self ? `pm.tgt` : `w.${ident(col)}`;
      const pmJoin = ref.late || ref.self ? `JOIN ${m.maps.get(ref.parent)} pm ON pm.src = w.${ident(col)}` : '';
      const res = await m.ctx.query<{ child: string; parent: string }>(
        `SELECT dc.key::text AS child, dp.key::text AS parent
         FROM ${temp(child, 'classified')} dc
         JOIN ${temp(child, 'work')} w ON w._row = dc.srow
         ${pmJoin}
         JOIN ${temp(parent, 'ids')} pa ON pa._tgt = ${value}
         JOIN ${temp(parent, 'classified')} dp ON dp.srow = pa._row
         WHERE NOT dc.excluded AND (dc.kind IN ('new', 'resurrect') OR ${literal(col)} = ANY (dc.apply))
           AND dp.excluded AND dp.kind IN ('new', 'resurrect')
         LIMIT 100`,
      );
      for (const r of res.rows)
        problems.push(`${child.plan.name} ${r.child} needs ${parent.plan.name} ${r.parent} (through ${col}), which is left out`);
    }
  }
  if (problems.length) throw new SelectionError(problems);
}
