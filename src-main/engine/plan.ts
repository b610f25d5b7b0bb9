// From a catalog (and optional configuration) to a plan: which tables and columns move, how each table's
// rows are recognised (natural key or content), which columns carry surrogate ids to rewrite, the order
// tables are written in, and which columns are filled late to break cycles.
import { type Catalog, type Column, type ForeignKey, partitionRoot, sequencePrefix, type Table, type UniqueKey } from './catalog';
import { mergeConfigs, type Mr4Config, type ReferenceConfig, type TableConfig } from './config';
import { DETERMINISTIC, describeRule, type MaskedColumn, type MaskRuleConfig, ruleOf, ruleProblem } from './mask';
import { crearisMaskDefaults, crearisProfile, isCrearis } from './profiles/crearis';
import { ident, literal } from './sql';

export interface PlannedColumn {
  name: string;
  type: string;
  category: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: '' | 'a' | 'd';
}

export interface PlannedReference {
  /** Constraint name, or "declared" for references from the configuration (for one read off a
   *  multi-column reference, see `via`, that reference's). */
  name: string;
  columns: string[];
  parentSchema: string;
  parent: string;
  parentColumns: string[];
  /** The values are the parent's surrogate ids and are rewritten through the parent's natural key. */
  remap: boolean;
  /** Filled in once every table's rows exist, to break a cycle between tables. */
  late: boolean;
  self: boolean;
  /** The parent lives outside the planned schema: values are copied as they are. */
  external: boolean;
  declared: boolean;
  onDelete: string;
  /** ON DELETE SET NULL / SET DEFAULT: what the parent's deletion writes into this row, each column it
   *  sets with the SQL of its new value (NULL, or the column's default). Absent for other actions, and
   *  for a default drawn from a sequence (what it set cannot be known). */
  deletionSets?: { column: string; value: string }[];
  /** MATCH FULL: its columns are all NULL or none is (see lateFilledColumns). */
  matchFull?: boolean;
  /** DEFERRABLE: checked at commit where deferred (mr4 does not rely on it to break a cycle). */
  deferrable?: boolean;
  /** Declared on these partitions of the table rather than on the table itself. */
  partitions?: string[];
  /** Not a constraint of its own: a column of the multi-column reference `columns` → `parent`, whose
   *  column `parentColumn` there holds ids mr4 renumbers (that table's own id, or a reference it
   *  rewrites), so this column holds the same ids and is rewritten through them. */
  via?: { columns: string[]; parent: string; parentColumn: string };
  /** Values of its one column that point at no row (the configuration's "none", WordPress's 0 for "no
   *  parent"): kept as they are, as a NULL is (see pointsAtNoRow). */
  none?: (number | string)[];
}

/** SQL: `value` (of the column's type `type`) is one of the reference's "none" values. */
export function noneValue(r: Pick<PlannedReference, 'none'>, value: string, type: string): string {
  if (!r.none?.length) return 'false';
  return `${value} IN (${r.none.map((v) => `${literal(String(v))}::${type}`).join(', ')})`;
}

/** SQL: what a reference's column holds before its parents are known: a "none" value as it is, else NULL. */
export function noneOrNull(r: Pick<PlannedReference, 'none'> | undefined, value: string, type: string): string {
  return r?.none?.length ? `CASE WHEN ${noneValue(r, value, type)} THEN ${value} END` : `NULL::${type}`;
}

/** SQL: `value` points at no row through the reference: NULL, or one of its "none" values. Such a value
 *  is kept as it is: never rewritten, refused, followed or filled late. */
export function pointsAtNoRow(r: Pick<PlannedReference, 'none'>, value: string, type: string): string {
  return r.none?.length ? `(${value} IS NULL OR ${noneValue(r, value, type)})` : `${value} IS NULL`;
}

export interface PolymorphicReference {
  column: string;
  typeColumn: string;
  /** Django's generic relations: the type column references a content-type table whose app_label
   *  and model name the table (`auth` + `user` → auth_user). Absent: the type holds a class name. */
  contentTypes?: { table: string; id: string };
  /** Stated in the configuration ("polymorphic"): rewritten whatever the rows say. A pair found by
   *  its names alone is rewritten only where its rows show it is a reference (polymorphicParents). */
  declared?: true;
}

/** A reference mr4 derives itself rather than reads from a constraint: rewritten, not late, by name
 *  none of the schema's constraints (fk-reload never takes it for one). */
export function derivedReference(
  parent: string,
  columns: string[],
  parentColumns: string[],
  fields: Partial<PlannedReference> = {},
): PlannedReference {
  const defaults = { name: 'derived', parentSchema: '', remap: true, late: false, self: false, external: false, declared: false };
  return { ...defaults, onDelete: 'NO ACTION', columns, parent, parentColumns, ...fields };
}

export interface NumberedColumn {
  column: string;
  /** The sequence it draws from, schema-qualified. */
  sequence: string;
  /** The unique constraint or index it is in. */
  unique: string;
}

export interface NaturalKey {
  kind: 'key' | 'content';
  columns: string[];
  /** Constraint or index name, "primary key", "configuration", or "content". */
  source: string;
  nullable: boolean;
}

/** A unique index on expressions or with a condition (lower(email); email WHERE deleted_at IS NULL):
 *  no natural key, but a content-matched row whose values there equal a target row's is that row —
 *  the target could not hold both. Terms and condition are SQL over the table's unqualified columns. */
export interface PairingIndex {
  name: string;
  terms: string[];
  predicate: string | null;
  reads: string[];
}

export interface TablePlan {
  name: string;
  /** data: rows are imported; reference: rows only identify parents of imported rows. */
  role: 'data' | 'reference';
  columns: PlannedColumn[];
  excludedColumns: { name: string; reason: string }[];
  primaryKey: string[];
  /** The id column whose values the database draws (serial, identity, a generating default). */
  surrogate: string | null;
  /** A primary key that is itself a reference to a parent's id (Django's OneToOneField(primary_key=True),
   *  every multi-table-inheritance child): its values are the parent's ids, rewritten through the
   *  parent's, and references to this table are rewritten by composing the two. */
  inheritedId: { column: string; parent: string } | null;
  /** The sequence new surrogate ids come from, if any, schema-qualified. */
  surrogateSequence: string | null;
  /** The surrogate column's default expression (new ids where there is no sequence). */
  surrogateDefault: string | null;
  /** Other tables' integer columns the surrogate's sequence also numbers (one sequence several tables'
   *  defaults share, or the configuration names for several): an id names one row among all of them,
   *  so a source id is kept only where none of them holds it either. */
  sharedIds: { table: string; column: string }[];
  /** Unique columns other than the id whose values a sequence draws (an invoice number): ids too,
   *  never a natural key, never overwritten; a new row draws a fresh value where its own is taken. */
  numbered: NumberedColumn[];
  key: NaturalKey;
  /** Where the key is the content (found, not configured): the unique indexes its rows are also paired by. */
  pairingIndexes: PairingIndex[];
  /** Columns compared to recognise a row: the key's, or for content matching every column but the
   *  surrogate id, late-filled and self-referencing ones. */
  matchColumns: string[];
  references: PlannedReference[];
  /** Polymorphic references: an id column beside a column naming the table it points into, by class
   *  (Rails: `journalized_type` = 'Issue' → issues) or by content type (Django's generic relations).
   *  Rewritten per row through the named table's ids. */
  polymorphic: PolymorphicReference[];
  insertOnly: string[];
  /** Columns an export masks, and how (empty unless the plan was made with masking). */
  masked: MaskedColumn[];
  triggers: string[];
  warnings: string[];
  note?: string;
  level: number;
  rowEstimate: number;
  /** Bytes on disk (see the catalog's Table.bytes). */
  bytes: number;
}

export interface CycleBreak {
  tables: string[];
  lateColumns: string[];
}

export interface Plan {
  schema: string;
  database: string;
  serverVersion: number;
  profile: string | null;
  tables: TablePlan[];
  excluded: { table: string; reason: string }[];
  cycles: CycleBreak[];
  warnings: string[];
}

export interface PlanOptions {
  config?: Mr4Config;
  /** Only these tables carry data (an export's --tables); parents they need become reference tables. */
  tables?: string[];
  /** Masking (exports): "off" (the default: imports and diffs never mask), "config" (the
   *  configuration's rules), "all" (those and the profile's defaults). */
  mask?: MaskMode;
}

export type MaskMode = 'off' | 'config' | 'all';

/** The profile's masking defaults (applied with mask "all"). */
export function profileMaskDefaults(profile: string | null): Record<string, Record<string, MaskRuleConfig>> {
  return profile === 'crearis' ? crearisMaskDefaults : {};
}

export class PlanError extends Error {
  override name = 'PlanError';
}

export function resolveConfig(catalog: Catalog, user?: Mr4Config): { config: Mr4Config; profile: string | null } {
  const wanted = user?.profile ?? 'auto';
  let base: Mr4Config = { tables: {} };
  let profile: string | null = null;
  if (wanted === 'crearis' || (wanted === 'auto' && isCrearis(catalog))) {
    base = crearisProfile;
    profile = 'crearis';
  } else if (wanted !== 'auto' && wanted !== 'none') {
    throw new PlanError(`Unknown profile "${wanted}" in the configuration. Known: crearis, none, auto.`);
  }
  return { config: user ? mergeConfigs(base, { ...user, profile: profile ?? undefined }) : base, profile };
}

/** The table's surrogate id: one the database draws, or one the configuration states the application draws. */
function surrogateOf(table: Table, cfg: TableConfig | undefined): string | null {
  return cfg?.surrogate?.column ?? isSurrogate(table) ?? idBesideConfiguredKey(table, cfg);
}

/**
 * A one-column primary key that a key stated in the configuration leaves out: the configuration says
 * that key, not the primary key, is what names a row in every database, so the primary key is each
 * database's own id (Keycloak's realm: a uuid each installation drew for its 'master'). Updated like a
 * value, it would renumber the target's row under every reference the schema does not declare; as a
 * surrogate the row keeps the target's id and the archive's references follow it. Not a key that is
 * also a reference (its values are its parent's ids).
 */
function idBesideConfiguredKey(table: Table, cfg: TableConfig | undefined): string | null {
  const pk = table.primaryKey?.columns;
  if (!Array.isArray(cfg?.key) || !pk || pk.length !== 1 || cfg.key.includes(pk[0])) return null;
  if (table.foreignKeys.some((fk) => fk.columns.includes(pk[0]))) return null;
  return pk[0];
}

function isSurrogate(table: Table): string | null {
  const pk = table.primaryKey;
  if (!pk) return null;
  if (pk.columns.length > 1) return surrogateInCompositeKey(table, pk.columns);
  const col = table.columns.find((c) => c.name === pk.columns[0]);
  if (!col) return null;
  if (col.identity || col.sequences.length > 0) return col.name;
  // A default that calls a function (gen_random_uuid(), nextval(…)) generates values; a constant does not.
  if (col.default && /[A-Za-z_]\s*\(/.test(col.default.replace(/'(?:[^']|'')*'/g, "''"))) return col.name;
  return null;
}

/**
 * A composite primary key with one column the database numbers (identity or a sequence), such as a
 * partitioned table's (payment_date, payment_id): that column is a surrogate id all the same. The
 * primary key cannot identify a row across databases — it would pair unrelated rows that happen to
 * share an id and a date — and a new row needs a fresh id where the source's is taken.
 */
function surrogateInCompositeKey(table: Table, columns: string[]): string | null {
  const numbered = columns.filter((name) => {
    const c = table.columns.find((x) => x.name === name);
    return !!c && (!!c.identity || c.sequences.length > 0);
  });
  return numbered.length === 1 ? numbered[0] : null;
}

/**
 * Tables whose single-column primary key is a reference to a parent's id: their ids are the parent's.
 * Found from the parents down, so a chain (place → restaurant → italian restaurant) composes.
 */
function inheritedIds(
  tables: Table[],
  surrogates: Map<string, string | null>,
  referencesOf: (t: Table) => ForeignKey[],
): Map<string, { column: string; parent: string }> {
  const out = new Map<string, { column: string; parent: string }>();
  const idOf = (name: string) => surrogates.get(name) ?? out.get(name)?.column ?? null;
  for (let found = true; found;) {
    found = false;
    for (const t of tables) {
      const pk = t.primaryKey?.columns;
      if (out.has(t.name) || surrogates.get(t.name) || !pk || pk.length !== 1) continue;
      const fk = referencesOf(t).find(
        (f) =>
          f.columns.length === 1 &&
          f.columns[0] === pk[0] &&
          f.refSchema === t.schema &&
          f.refTable !== t.name &&
          idOf(f.refTable) === f.refColumns[0],
      );
      if (!fk) continue;
      out.set(t.name, { column: pk[0], parent: fk.refTable });
      found = true;
    }
  }
  return out;
}

/** The column through which children point at a table's rows and get rewritten: its drawn id or the
 *  id it inherits from a parent. */
export function idColumn(tp: Pick<TablePlan, 'surrogate' | 'inheritedId'>): string | null {
  return tp.surrogate ?? tp.inheritedId?.column ?? null;
}

const TEXT_CATEGORY = 'S';

/** The sequence the configuration says a table's ids are drawn from, as the catalog names it. */
function statedSequence(catalog: Catalog, table: string, sequence: string): string {
  const unquoted = (name: string) => name.replace(/"/g, '');
  const found = catalog.freeSequences.find((q) => unquoted(q) === sequence || unquoted(q).split('.').pop() === sequence);
  if (found) return found;
  const known = catalog.freeSequences.length ? catalog.freeSequences.join(', ') : 'none';
  throw new PlanError(
    `The configuration says table "${table}" draws its ids from sequence "${sequence}", which is not a sequence of schema "${catalog.schema}" that no column owns (those are: ${known}). Name one of them.`,
  );
}

/** Columns drawn from a sequence (a nextval default, an identity) in a unique key, other than the id.
 *  One that other rows reference is not among them: renumbered, it would leave those references
 *  naming other rows (they are copied as they are; see referencedNumberWarnings). */
function numberedColumns(table: Table, surrogate: string | null, usable: Set<string>, referenced: Set<string>): NumberedColumn[] {
  const out: NumberedColumn[] = [];
  for (const c of table.columns) {
    if (c.name === surrogate || !usable.has(c.name) || !c.sequences.length || referenced.has(c.name)) continue;
    const unique = uniqueKeyHolding(table, c.name);
    if (unique) out.push({ column: c.name, sequence: c.sequences[0], unique: unique.kind === 'primary' ? 'primary key' : unique.name });
  }
  return out;
}

function uniqueKeyHolding(table: Table, column: string): UniqueKey | undefined {
  return [...(table.primaryKey ? [table.primaryKey] : []), ...table.uniqueKeys].find((k) => k.columns.includes(column));
}

/** The columns of each table that a foreign key (declared or stated) of the schema points at. */
function referencedColumns(tables: Table[], referencesOf: (t: Table) => ForeignKey[], schema: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const t of tables)
    for (const fk of referencesOf(t)) {
      if (fk.refSchema !== schema) continue;
      const set = out.get(fk.refTable) ?? new Set<string>();
      for (const c of fk.refColumns) set.add(c);
      out.set(fk.refTable, set);
    }
  return out;
}

/** Unique sequence-drawn columns other rows reference (a country's serial id beside its code key):
 *  copied as they are, with the references to them, and said so. */
function referencedNumberWarnings(tp: TablePlan, table: Table, drafts: Map<string, TablePlan>): string[] {
  const numbered = new Set(tp.numbered.map((n) => n.column));
  return table.columns.flatMap((c) => {
    if (c.name === tp.surrogate || numbered.has(c.name) || !c.sequences.length || !uniqueKeyHolding(table, c.name)) return [];
    const children = [...drafts.values()].flatMap((d) =>
      d.references
        .filter((r) => !r.external && r.parent === tp.name && r.parentColumns.includes(c.name))
        .map((r) => `${d.name}.${r.columns.join(', ')}`),
    );
    if (!children.length) return [];
    return [
      `${tp.name}.${c.name} is unique and drawn from sequence ${c.sequences[0]}, and ${children.join(', ')} refer${children.length === 1 ? 's' : ''} to it: mr4 does not renumber it, so its values are copied as they are, and so are the references to it. Where the two databases numbered the same ${tp.name} rows differently, a merge that would change those numbers is refused if rows refer to them (where none does yet, they take the source's numbers). To have the references followed, point them at the primary key${tp.key.kind === 'key' ? ` (${tp.key.columns.join(', ')})` : ''}.`,
    ];
  });
}

/** The unique indexes a content-matched table's rows are paired by: on expressions or partial, reading
 *  only imported columns, none of them an id each database draws. */
function pairingIndexesOf(table: Table, surrogate: string | null, usable: Set<string>): PairingIndex[] {
  return table.uniqueKeys
    .filter(
      (k) =>
        (k.partial || k.expression) &&
        k.reads.length > 0 &&
        k.reads.every((c) => usable.has(c) && c !== surrogate && !drawnFromSequence(table, c)),
    )
    .map((k) => ({ name: k.name, terms: [...k.terms], predicate: k.predicate, reads: [...k.reads] }));
}

/** Whether a column's values are drawn from a sequence (and so are ids, not what a row is). */
function drawnFromSequence(table: Table, column: string): boolean {
  const c = table.columns.find((x) => x.name === column);
  return !!c && (c.identity !== '' || c.sequences.length > 0);
}

function chooseKey(table: Table, surrogate: string | null, usable: Set<string>, cfg: TableConfig | undefined): NaturalKey {
  const col = (n: string) => table.columns.find((c) => c.name === n) as Column;
  if (cfg?.key === 'content') return { kind: 'content', columns: [], source: 'configuration', nullable: false };
  if (cfg?.key) {
    for (const c of cfg.key) {
      if (!usable.has(c))
        throw new PlanError(`Configuration key of table "${table.name}" names column "${c}", which is not an imported column of it.`);
    }
    return { kind: 'key', columns: [...cfg.key], source: 'configuration', nullable: cfg.key.some((c) => !col(c).notNull) };
  }
  const candidates: UniqueKey[] = [...(table.primaryKey && !surrogate ? [table.primaryKey] : []), ...table.uniqueKeys].filter(
    (k) =>
      !k.partial &&
      !k.expression &&
      k.columns.length > 0 &&
      k.columns.every((c) => usable.has(c)) &&
      !(surrogate && k.columns.includes(surrogate)) &&
      // Each side draws its own next number: equal numbers added on both sides are different rows.
      !k.columns.some((c) => drawnFromSequence(table, c)),
  );
  const rank = (k: UniqueKey) => [
    k.columns.every((c) => col(c).notNull) ? 0 : 1,
    k.columns.length,
    k.columns.every((c) => col(c).typeCategory === TEXT_CATEGORY) ? 0 : 1,
  ];
  candidates.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const best = candidates[0];
  if (!best) return { kind: 'content', columns: [], source: 'content', nullable: false };
  return {
    kind: 'key',
    columns: [...best.columns],
    source: best.kind === 'primary' ? 'primary key' : best.name,
    nullable: best.columns.some((c) => !col(c).notNull),
  };
}

interface Edge {
  child: string;
  ref: PlannedReference;
  eligible: boolean;
  cost: number;
  /** The columns written NULL first if this edge breaks a cycle (lateFilledColumns). */
  late: string[];
  /** The child's single-column references over those columns: NULL until filled too, so they are
   *  filled late with it and their edges go with it. */
  riders: PlannedReference[];
}

/**
 * The columns a reference filled late writes NULL first and fills once every table is written: a
 * single column; of a multi-column reference under MATCH SIMPLE its nullable columns (a NULL in any
 * column and the key is not checked, so a tenant_id NOT NULL beside a nullable cover_doc_id is
 * written with the row); under MATCH FULL all of them or none. A reference table is never written:
 * every column is left out of its matching.
 */
export function lateFilledColumns(tp: Pick<TablePlan, 'columns' | 'role'>, ref: PlannedReference): string[] {
  if (tp.role === 'reference') return ref.columns;
  const nullable = ref.columns.filter((c) => !tp.columns.find((x) => x.name === c)?.notNull);
  const allOrNone = ref.columns.length === 1 || ref.matchFull;
  return allOrNone && nullable.length < ref.columns.length ? [] : nullable;
}

/** Strongly connected components (Tarjan), each as a list of table names. */
function components(nodes: string[], edges: Edge[]): string[][] {
  const adj = new Map(nodes.map((n) => [n, [] as string[]]));
  for (const e of edges) adj.get(e.child)?.push(e.ref.parent);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return out;
}

function acyclic(nodes: string[], edges: Edge[]): boolean {
  return components(nodes, edges).every((c) => c.length === 1);
}

/** The cheapest set of eligible edges whose removal makes the component acyclic. Exact for small
 *  components, greedy beyond. */
function breakCycle(nodes: string[], edges: Edge[]): Edge[] | null {
  const eligible = edges.filter((e) => e.eligible).sort((a, b) => a.cost - b.cost || key(a).localeCompare(key(b)));
  const fixed = edges.filter((e) => !e.eligible);
  // An edge broken takes its riders' edges with it.
  const without = (kept: Edge[], removed: Edge[]) => {
    const gone = new Set(removed.flatMap((e) => [e.ref, ...e.riders]));
    return kept.filter((e) => !gone.has(e.ref));
  };
  if (!acyclic(nodes, without(fixed, eligible))) return null;
  if (eligible.length <= 16) {
    let best: Edge[] | null = null;
    let bestCost = Infinity;
    for (let mask = 1; mask < 1 << eligible.length; mask++) {
      let cost = 0;
      const removed: Edge[] = [];
      const kept: Edge[] = [...fixed];
      eligible.forEach((e, i) => (mask & (1 << i) ? (removed.push(e), (cost += e.cost)) : kept.push(e)));
      if (cost >= bestCost) continue;
      if (acyclic(nodes, without(kept, removed))) {
        best = removed;
        bestCost = cost;
      }
    }
    return best;
  }
  const removed: Edge[] = [];
  for (const e of eligible) {
    if (acyclic(nodes, without(edges, removed))) break;
    removed.push(e);
  }
  return acyclic(nodes, without(edges, removed)) ? removed : null;
}

const key = (e: Edge) => `${e.child}.${e.ref.columns.join(',')}`;

/** What the steps of planning read: the catalog, its tables by name, and each table's configuration. */
interface PlanInput {
  catalog: Catalog;
  byName: Map<string, Table>;
  configOf: (table: string) => TableConfig | undefined;
}

/** How other rows point at a table's rows: the id the database draws, or the one it inherits. */
interface SchemaIds {
  surrogates: Map<string, string | null>;
  inherited: Map<string, { column: string; parent: string }>;
}

export function buildPlan(catalog: Catalog, options: PlanOptions = {}): Plan {
  const { config, profile } = resolveConfig(catalog, options.config);
  const masking = options.mask ?? 'off';
  const byName = new Map(catalog.tables.map((t) => [t.name, t]));
  checkConfigNames(catalog, byName, options.config, masking);
  const input: PlanInput = { catalog, byName, configOf: configLookup(config, byName) };
  const { selected, excluded } = selectTables(input, options.tables);
  const drafts = draftTables(input);
  const inPlan = tablesInPlan(selected, drafts);
  refuseInheritance(byName, selected, inPlan, drafts);
  refuseRowSecurity(byName, selected, inPlan, drafts);
  refuseStagingColumnNames(byName, selected, inPlan, drafts);
  const edges = dependencies(inPlan);
  const names = [...inPlan.keys()].sort();
  const cycles = breakCycles(names, edges);
  const tables = inWriteOrder(names, inPlan, edges);
  const warnings: string[] = [];
  if (masking !== 'off') planMasks(catalog, tables, config, profile, masking, warnings);
  for (const tp of tables)
    warnings.push(
      ...unexportedParents(tp, catalog.schema, inPlan),
      ...copiedIds(tp, catalog, drafts, input.configOf(tp.name)),
      ...numberedColumnWarnings(tp),
      ...referencedNumberWarnings(tp, byName.get(tp.name)!, drafts),
      ...applicationIdWarnings(tp, catalog, drafts),
      ...textFromSequenceWarnings(tp, byName.get(tp.name)!),
      ...triggersWritingPlannedTables(tp, byName.get(tp.name)!, tables),
    );
  return {
    schema: catalog.schema,
    database: catalog.database,
    serverVersion: catalog.serverVersion,
    profile,
    tables,
    // A table not selected that the selected ones need comes as a reference table: not left out.
    excluded: excluded.filter((e) => !inPlan.has(e.table)),
    cycles,
    warnings,
  };
}

/** Text columns drawn from a sequence in a shape whose number an import cannot read back (it moves
 *  the sequence past `'INV-' || nextval(…)` values itself, see advanceSequences). */
function textFromSequenceWarnings(tp: TablePlan, table: Table): string[] {
  return table.columns
    .filter((c) => c.typeCategory === TEXT_CATEGORY && c.sequences.length > 0 && sequencePrefix(c) === null)
    .filter((c) => tp.columns.some((pc) => pc.name === c.name))
    .map(
      (c) =>
        `${tp.name}.${c.name} (${c.type}) draws its values from ${c.sequences.join(', ')} (${c.default}), in a shape mr4 cannot read the number back from: an import does not move the sequence past the values it writes, so the target's next default may give a value a row already has. After an import, move the sequence past them yourself (setval).`,
    );
}

/** Unique columns drawn from a sequence: said once, with what an import does with them. */
function numberedColumnWarnings(tp: TablePlan): string[] {
  return tp.numbered.map(
    (n) =>
      `${tp.name}.${n.column} is unique (${n.unique}) but drawn from sequence ${n.sequence}: an id each database numbers itself, not a natural key, so rows added on both sides with the same ${n.column} are different rows. Rows are matched without it (the lineage of ids, then ${tp.key.kind === 'key' ? 'the natural key' : 'their content'}); a new row keeps its ${n.column} where the target has no row with it, else draws the next one from the target's sequence; a merge never overwrites it.`,
  );
}

const INTEGER_TYPE = /^(smallint|integer|bigint)$/;

/**
 * A user trigger of a table the run writes whose function writes another table the run writes (an
 * INSERT, UPDATE or DELETE naming it in its source: a heuristic, it may be dynamic SQL or a branch
 * never taken). What such a trigger writes comes on top of what the archive brings: a counter cache
 * counted twice (the archive's counter and the trigger's increment for the same new child), a child
 * row made twice (the trigger's and the archive's). The way out is a run with the triggers disabled.
 */
function triggersWritingPlannedTables(tp: TablePlan, table: Table, tables: TablePlan[]): string[] {
  if (tp.role !== 'data') return [];
  const others = tables.filter((o) => o.role === 'data' && o.name !== tp.name);
  return table.triggers
    .filter((tr) => tr.enabled)
    .flatMap((tr) => {
      const named = others.filter((o) => writesTable(tr.source, o.name)).map((o) => o.name);
      if (!named.length) return [];
      return [
        `Trigger ${tr.name} of ${tp.name} writes ${named.join(', ')}, which this run writes too (a guess from its function's source): what it writes while the run writes ${tp.name} comes on top of the archive's rows and values — a counter it keeps is counted twice, a row it makes is there twice or found "unchanged" against the archive's. Import with --disable-triggers to write only what the archive holds.`,
      ];
    });
}

/** Whether SQL source text inserts into, updates or deletes from a table (quoted or not, schema-qualified or not). */
function writesTable(source: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const table = /^[a-z_][a-z0-9_$]*$/.test(name) ? `(${escaped}|"${escaped}")` : `"${escaped}"`;
  const qualifier = '((\\w+|"[^"]+")\\.)?';
  return new RegExp(`\\b(insert\\s+into|update|delete\\s+from)\\s+(only\\s+)?${qualifier}${table}($|[^\\w$])`, 'i').test(source);
}

/**
 * An integer single-column primary key without a default, matched as a natural key, where the
 * database has sequences no column draws from or other tables point at the table: probably ids the
 * application draws (Hibernate's hibernate_sequence). Matching them by value takes rows added on both
 * sides at the same id for one row, so the plan asks.
 */
function applicationIdWarnings(tp: TablePlan, catalog: Catalog, drafts: Map<string, TablePlan>): string[] {
  const [id] = tp.primaryKey;
  const column = tp.columns.find((c) => c.name === id);
  if (tp.primaryKey.length !== 1 || tp.key.source !== 'primary key' || !column || column.hasDefault || !INTEGER_TYPE.test(column.type))
    return [];
  // A primary key that points at a parent holds the parent's ids (a one-to-one extension): not drawn here.
  if (tp.references.some((r) => r.columns.includes(id))) return [];
  const referenced = [...drafts.values()].some(
    (d) => d.name !== tp.name && d.references.some((r) => r.parent === tp.name && r.parentColumns.includes(id)),
  );
  if (!catalog.freeSequences.length && !referenced) return [];
  const why = catalog.freeSequences.length
    ? `the database has sequences no column draws from (${catalog.freeSequences.join(', ')})`
    : 'other tables point at it';
  const sequence = catalog.freeSequences[0]?.split('.').pop()?.replace(/"/g, '') ?? '<sequence>';
  return [
    `${tp.name}.${id} is an integer primary key without a default and ${why}: are ${tp.name}'s ids drawn by the application? Then rows added on both sides since the databases met may share an id while being different rows, and matching by id would take them for one. State it in the configuration, "${tp.name}": {"surrogate": {"column": "${id}", "sequence": "${sequence}"}}: rows are then matched by the lineage of ids and a new row whose id is taken gets the next one from that sequence. If the ids mean the same row in every database, state "key": ["${id}"] instead.`,
  ];
}

/** Refuses a user's configuration that names a table or column the schema lacks. */
function checkConfigNames(catalog: Catalog, byName: Map<string, Table>, user: Mr4Config | undefined, masking: MaskMode): void {
  for (const [name, cfg] of Object.entries(user?.tables ?? {})) {
    const t = byName.get(name);
    if (!t) throw new PlanError(`The configuration names table "${name}", which is not in schema "${catalog.schema}".`);
    const masked = masking === 'off' ? [] : Object.keys(cfg.mask ?? {});
    for (const c of [
      ...(cfg.excludeColumns ?? []),
      ...(cfg.insertOnly ?? []),
      ...(cfg.notReferences ?? []),
      ...(cfg.polymorphic ?? []).flatMap((p) => [p.column, p.typeColumn]),
      ...(cfg.key === 'content' ? [] : (cfg.key ?? [])),
      ...(cfg.surrogate ? [cfg.surrogate.column] : []),
      ...masked,
    ]) {
      if (!t.columns.some((x) => x.name === c)) throw new PlanError(`The configuration names column "${name}.${c}", which does not exist.`);
    }
    for (const r of cfg.references ?? []) checkDeclaredReference(catalog, byName, t, r);
    if (cfg.surrogate && (t.primaryKey?.columns.length !== 1 || t.primaryKey.columns[0] !== cfg.surrogate.column)) {
      throw new PlanError(
        `The configuration states "${name}.${cfg.surrogate.column}" a surrogate id, but it is not ${name}'s primary key on its own. Name the single column of its primary key.`,
      );
    }
  }
}

/** Refuses a declared reference that names what the schema lacks, or whose column holds several ids
 *  (an array: mr4 rewrites a reference's whole value, never the ids inside it). */
function checkDeclaredReference(catalog: Catalog, byName: Map<string, Table>, t: Table, r: ReferenceConfig): void {
  const parent = byName.get(r.table);
  if (!parent)
    throw new PlanError(
      `The configuration declares a reference of "${t.name}" to table "${r.table}", which is not in schema "${catalog.schema}".`,
    );
  const refColumns = r.refColumns ?? parent.primaryKey?.columns ?? [];
  for (const c of refColumns)
    if (!parent.columns.some((x) => x.name === c))
      throw new PlanError(`The configuration declares a reference of "${t.name}" to "${r.table}.${c}", which does not exist.`);
  r.columns.forEach((c, i) => {
    const column = t.columns.find((x) => x.name === c);
    if (!column) throw new PlanError(`The configuration names column "${t.name}.${c}", which does not exist.`);
    const held = parent.columns.find((x) => x.name === refColumns[i]);
    if (column.typeCategory === 'A' || /^jsonb?$/.test(column.type))
      throw new PlanError(
        `The configuration declares "${t.name}.${c}" (${column.type}) a reference to ${r.table}, but it holds ids inside ${column.typeCategory === 'A' ? 'an array' : 'a document'}: mr4 rewrites a reference's whole value, not the ids inside it. Leave it out ("excludeColumns"), or list it under "notReferences" where its ids are the same in both databases.`,
      );
    if (held && held.typeCategory !== column.typeCategory)
      throw new PlanError(
        `The configuration declares "${t.name}.${c}" (${column.type}) a reference to "${r.table}.${held.name}" (${held.type}): the two cannot hold the same values. Declare it a polymorphic reference if it names rows of several tables, or list it under "notReferences".`,
      );
  });
}

function configLookup(config: Mr4Config, byName: Map<string, Table>): PlanInput['configOf'] {
  return (name) => {
    const cfg = config.tables[name];
    const t = byName.get(name);
    if (!cfg || !t) return cfg;
    // Profile entries for columns a variant of the schema lacks are dropped quietly.
    const has = (c: string) => t.columns.some((x) => x.name === c);
    return {
      ...cfg,
      excludeColumns: cfg.excludeColumns?.filter(has),
      insertOnly: cfg.insertOnly?.filter(has),
      references: cfg.references?.filter((r) => r.columns.every(has) && byName.has(r.table)),
    };
  };
}

/** The tables whose rows move (the ones asked for, or all but those the configuration excludes), and
 *  the others, each with why. */
function selectTables(input: PlanInput, wanted: string[] | undefined): { selected: Set<string>; excluded: Plan['excluded'] } {
  const { catalog, configOf } = input;
  const excluded: Plan['excluded'] = [];
  for (const t of catalog.tables) {
    const cfg = configOf(t.name);
    if (cfg?.exclude) excluded.push({ table: t.name, reason: cfg.note ? `configuration: ${cfg.note}` : 'configuration' });
  }
  const excludedNames = new Set(excluded.map((e) => e.table));
  if (!wanted) return { selected: new Set(catalog.tables.map((t) => t.name).filter((n) => !excludedNames.has(n))), excluded };
  for (const n of wanted) checkWantedTable(input, n);
  const selected = new Set(wanted);
  for (const t of catalog.tables)
    if (!selected.has(t.name) && !excludedNames.has(t.name)) excluded.push({ table: t.name, reason: 'not selected' });
  return { selected, excluded };
}

function checkWantedTable({ catalog, byName }: PlanInput, name: string): void {
  if (byName.has(name)) return;
  const root = partitionRoot(catalog, name);
  if (root) {
    throw new PlanError(
      `Table "${name}" is a partition of "${root.name}": mr4 moves a partitioned table with all its partitions. Name "${root.name}" instead.`,
    );
  }
  throw new PlanError(`Table "${name}" is not in schema "${catalog.schema}" of database "${catalog.database}".`);
}

/** Every table of the schema planned as if its rows moved: columns, surrogate, references, key. */
function draftTables(input: PlanInput): Map<string, TablePlan> {
  const { catalog } = input;
  const referencesOf = (t: Table): ForeignKey[] => [...t.foreignKeys, ...declaredReferences(t, input)];
  const surrogates = new Map(catalog.tables.map((t) => [t.name, surrogateOf(t, input.configOf(t.name))]));
  const ids: SchemaIds = { surrogates, inherited: inheritedIds(catalog.tables, surrogates, referencesOf) };
  const referenced = referencedColumns(catalog.tables, referencesOf, catalog.schema);
  const drafts = new Map(
    catalog.tables.map((t) => [t.name, draftTable(t, input, ids, referencesOf(t), referenced.get(t.name) ?? new Set())]),
  );
  addReferencesInComposites(drafts);
  addSharedIds(drafts, catalog);
  return drafts;
}

/** The other columns of the schema that the sequence of each table's integer id also numbers: one
 *  index of the integer columns by sequence (a default's, or the one configured for a table's id). */
function addSharedIds(drafts: Map<string, TablePlan>, catalog: Catalog): void {
  const bySequence = new Map<string, { table: string; column: string }[]>();
  const add = (seq: string, table: string, column: string) => {
    const list = bySequence.get(seq) ?? [];
    if (!list.some((h) => h.table === table && h.column === column)) list.push({ table, column });
    bySequence.set(seq, list);
  };
  for (const t of catalog.tables) {
    const configured = drafts.get(t.name);
    for (const c of t.columns) {
      if (!INTEGER_TYPE.test(c.type)) continue;
      for (const seq of c.sequences) add(seq, t.name, c.name);
      if (configured?.surrogate === c.name && configured.surrogateSequence) add(configured.surrogateSequence, t.name, c.name);
    }
  }
  for (const tp of drafts.values()) {
    const holders = tp.surrogate && tp.surrogateSequence ? (bySequence.get(tp.surrogateSequence) ?? []) : [];
    // Only an integer id of its own shares (its own column is then among the holders).
    if (!holders.some((h) => h.table === tp.name && h.column === tp.surrogate)) continue;
    tp.sharedIds = holders.filter((h) => h.table !== tp.name);
  }
}

/** The table whose ids a column of `tp` holds where mr4 renumbers them: its own id, or the parent of a
 *  single-column reference it rewrites. */
function idsHeldBy(tp: TablePlan, column: string): string | null {
  if (column === idColumn(tp)) return tp.name;
  return tp.references.find((r) => r.remap && !r.external && r.columns.length === 1 && r.columns[0] === column)?.parent ?? null;
}

/**
 * A multi-column reference whose parent column holds renumbered ids (boarding_passes (ticket_no,
 * flight_id) → ticket_flights, whose flight_id is rewritten through flights; notes (tenant, doc_id) →
 * docs (tenant, id)) holds the same ids in the child's column at that position: each such column gets
 * a single-column reference of its own to the table those ids are of, rewritten like any other. Both
 * sides of the multi-column reference are then rewritten alike, so it still holds in the target.
 * Repeated until none is added, so a chain of such references composes.
 */
function addReferencesInComposites(drafts: Map<string, TablePlan>): void {
  for (let added = true; added;) {
    added = false;
    for (const tp of drafts.values()) {
      for (const r of tp.references.filter((x) => x.columns.length > 1 && !x.external)) {
        const parent = drafts.get(r.parent);
        if (!parent) continue;
        r.parentColumns.forEach((parentColumn, i) => {
          const ids = idsHeldBy(parent, parentColumn);
          const column = r.columns[i];
          if (!ids || column === idColumn(tp) || tp.references.some((x) => x.remap && x.columns.length === 1 && x.columns[0] === column))
            return;
          tp.references.push(
            derivedReference(ids, [column], [idColumn(drafts.get(ids)!)!], {
              name: r.name,
              parentSchema: r.parentSchema,
              self: ids === tp.name,
              declared: r.declared,
              onDelete: r.onDelete,
              via: { columns: r.columns, parent: r.parent, parentColumn },
            }),
          );
          added = true;
        });
      }
    }
  }
}

/** The configuration's references of a table, as foreign keys. */
function declaredReferences(t: Table, { byName, configOf }: PlanInput): ForeignKey[] {
  return (configOf(t.name)?.references ?? []).map((r) => {
    const parent = byName.get(r.table)!;
    return {
      name: 'declared',
      columns: r.columns,
      refSchema: t.schema,
      refTable: r.table,
      refColumns: r.refColumns ?? parent.primaryKey?.columns ?? [],
      onDelete: 'a',
      deferrable: false,
      declared: true,
      ...(r.none ? { none: r.none } : {}),
    } satisfies ForeignKey;
  });
}

function idOf(ids: SchemaIds, table: string): string | null {
  return ids.surrogates.get(table) ?? ids.inherited.get(table)?.column ?? null;
}

function draftTable(t: Table, input: PlanInput, ids: SchemaIds, fks: ForeignKey[], referenced: Set<string>): TablePlan {
  const cfg = input.configOf(t.name);
  const surrogate = ids.surrogates.get(t.name) ?? null;
  const surrogateColumn = surrogate ? t.columns.find((c) => c.name === surrogate)! : null;
  const { columns, excludedColumns } = plannedColumns(t, cfg);
  const usable = new Set(columns.map((c) => c.name));
  const references = fks.filter((fk) => fk.columns.every((c) => usable.has(c))).map((fk) => plannedReference(t, fk, input.byName, ids));
  const key = chooseKey(t, surrogate, usable, cfg);
  return {
    name: t.name,
    role: 'data',
    columns,
    excludedColumns,
    primaryKey: t.primaryKey?.columns ?? [],
    surrogate,
    inheritedId: ids.inherited.get(t.name) ?? null,
    surrogateSequence: cfg?.surrogate
      ? statedSequence(input.catalog, t.name, cfg.surrogate.sequence)
      : (surrogateColumn?.sequences[0] ?? null),
    surrogateDefault: surrogateColumn ? (surrogateColumn.default ?? null) : null,
    sharedIds: [],
    numbered: numberedColumns(t, surrogate, usable, referenced),
    key,
    // A row without an id is never updated (it is its content): paired, it could only be left as it is.
    pairingIndexes:
      key.kind === 'content' && key.source === 'content' && (surrogate || ids.inherited.has(t.name))
        ? pairingIndexesOf(t, surrogate, usable)
        : [],
    matchColumns: [],
    references,
    polymorphic: polymorphicReferences(columns, references, cfg, input.byName),
    insertOnly: (cfg?.insertOnly ?? []).filter((c) => usable.has(c)),
    masked: [],
    triggers: t.triggers.filter((tr) => tr.enabled).map((tr) => tr.name),
    warnings: [],
    note: cfg?.note,
    level: 0,
    rowEstimate: t.rowEstimate,
    bytes: t.bytes,
  };
}

/** The columns whose values move, and the ones left out (generated, or by the configuration). */
function plannedColumns(t: Table, cfg: TableConfig | undefined): Pick<TablePlan, 'columns' | 'excludedColumns'> {
  const excludedColumns: TablePlan['excludedColumns'] = [];
  const columns: PlannedColumn[] = [];
  for (const c of t.columns) {
    if (c.generated) excludedColumns.push({ name: c.name, reason: c.generated === 'v' ? 'generated (virtual)' : 'generated' });
    else if (cfg?.excludeColumns?.includes(c.name))
      excludedColumns.push({ name: c.name, reason: cfg.note ? `configuration: ${cfg.note}` : 'configuration' });
    else
      columns.push({
        name: c.name,
        type: c.type,
        category: c.typeCategory,
        notNull: c.notNull,
        hasDefault: c.default !== null || c.identity !== '',
        identity: c.identity,
      });
  }
  return { columns, excludedColumns };
}

function plannedReference(t: Table, fk: ForeignKey, byName: Map<string, Table>, ids: SchemaIds): PlannedReference {
  const external = fk.refSchema !== t.schema || !byName.has(fk.refTable);
  if (fk.declared && fk.refColumns.length !== fk.columns.length) {
    throw new PlanError(
      `Declared reference ${t.name}(${fk.columns.join(', ')}) → ${fk.refTable} needs refColumns: the parent has no primary key.`,
    );
  }
  const parentIdColumn = external ? null : idOf(ids, fk.refTable);
  return {
    name: fk.name,
    columns: fk.columns,
    parentSchema: fk.refSchema,
    parent: fk.refTable,
    parentColumns: fk.refColumns,
    remap: !!parentIdColumn && fk.refColumns.length === 1 && fk.refColumns[0] === parentIdColumn,
    late: false,
    self: fk.refTable === t.name && !external,
    external,
    declared: !!fk.declared,
    onDelete: fk.onDelete,
    ...deletionSetsOf(t, fk),
    ...(fk.matchFull ? { matchFull: true } : {}),
    ...(fk.deferrable ? { deferrable: true } : {}),
    ...(fk.partitions ? { partitions: fk.partitions } : {}),
    ...(fk.none ? { none: noneValues(t, fk) } : {}),
  };
}

/** A declared reference's "none" values, checked against its column's type: a number column's are integers. */
function noneValues(t: Table, fk: ForeignKey): (number | string)[] {
  const type = t.columns.find((c) => c.name === fk.columns[0])?.type ?? '';
  const bad = /^(smallint|integer|bigint)$/.test(type) ? fk.none!.filter((v) => !/^-?\d+$/.test(String(v))) : [];
  if (bad.length)
    throw new PlanError(
      `Declared reference ${t.name}(${fk.columns.join(', ')}) → ${fk.refTable}: its "none" values ${bad.map((v) => JSON.stringify(v)).join(', ')} are no ${type}s.`,
    );
  return fk.none!;
}

/** What deleting the parent writes into the child row, for ON DELETE SET NULL ('n') and SET DEFAULT ('d'). */
function deletionSetsOf(t: Table, fk: ForeignKey): Pick<PlannedReference, 'deletionSets'> {
  if (fk.onDelete !== 'n' && fk.onDelete !== 'd') return {};
  const sets: { column: string; value: string }[] = [];
  for (const name of fk.onDeleteSetColumns ?? fk.columns) {
    const column = t.columns.find((c) => c.name === name);
    if (!column) return {};
    if (fk.onDelete === 'n' || column.default === null) sets.push({ column: name, value: 'NULL' });
    else if (column.sequences.length || column.identity) return {};
    else sets.push({ column: name, value: `(${column.default})` });
  }
  return { deletionSets: sets };
}

/** The selected tables, plus parents whose ids their rows carry (as reference tables). */
function tablesInPlan(selected: Set<string>, drafts: Map<string, TablePlan>): Map<string, TablePlan> {
  const inPlan = new Map<string, TablePlan>();
  const addReference = (name: string) => {
    if (inPlan.has(name)) return;
    const d = drafts.get(name)!;
    inPlan.set(name, { ...d, role: 'reference' });
    for (const r of d.references) if (r.remap && !r.self && !r.external && identifiesBy(d, r)) addReference(r.parent);
  };
  for (const n of selected) inPlan.set(n, drafts.get(n)!);
  for (const n of selected)
    for (const r of drafts.get(n)!.references) if (r.remap && !r.self && !selected.has(r.parent)) addReference(r.parent);
  return inPlan;
}

/**
 * Refuses a plan that reads or writes a table of a table-inheritance hierarchy, whatever rows it
 * holds: PostgreSQL reads a parent with its children's rows and numbers the whole hierarchy from one
 * sequence, so a parent's rows would be matched and written as the children's and ids duplicated.
 */
function refuseInheritance(
  byName: Map<string, Table>,
  selected: Set<string>,
  inPlan: Map<string, TablePlan>,
  drafts: Map<string, TablePlan>,
): void {
  const inHierarchy = (name: string) => (byName.get(name)?.inheritance.length ?? 0) > 0;
  const touched = [...inPlan.keys()].filter(inHierarchy);
  if (!touched.length) return;
  const hierarchy = [...new Set(touched.flatMap((n) => byName.get(n)!.inheritance))].sort();
  throw new PlanError(
    `Tables ${hierarchy.join(', ')} form a table-inheritance hierarchy (INHERITS): PostgreSQL reads a parent with its children's rows ` +
      `and numbers them all from one sequence, which mr4 does not handle: it would overwrite rows and duplicate ids. ` +
      `It reads and writes none of them, even empty. ${wayOutWithout(inHierarchy, selected, drafts)}`,
  );
}

/** What to do where row-level security filters the user's rows (also said where PostgreSQL stops a
 *  query for it: a policy the plan did not see). */
export const ROW_SECURITY_STOP = /query would be affected by row-level security policy/;
export const ROW_SECURITY_WAY_OUT =
  "Connect as a role that bypasses it (a superuser, a role WITH BYPASSRLS, or the tables' owner where FORCE ROW LEVEL SECURITY is not set).";

/**
 * Refuses a plan that reads or writes a table whose row-level security filters this user's rows: mr4
 * would export, match or write part of the table as if it were all of it. (The connections also run
 * with row_security off, so a policy the catalog did not foresee is an error, never a filter.)
 */
function refuseRowSecurity(
  byName: Map<string, Table>,
  selected: Set<string>,
  inPlan: Map<string, TablePlan>,
  drafts: Map<string, TablePlan>,
): void {
  const filtered = (name: string) => byName.get(name)?.rowSecurity ?? false;
  const touched = [...inPlan.keys()].filter(filtered).sort();
  if (!touched.length) return;
  throw new PlanError(
    `Row-level security applies to ${touched.join(', ')} for this user: PostgreSQL would let mr4 see and write only the rows its ` +
      `policies allow, and mr4 would export, match or overwrite part of a table as if it were all of it. ${ROW_SECURITY_WAY_OUT} ` +
      wayOutWithout(filtered, selected, drafts),
  );
}

/** The names of the columns mr4's staging tables put beside a table's own columns (a row's number in
 *  the archive, its match in the target, its references' checks): a table column with one of these names
 *  would be specified twice. Numbered ones repeat per key column or reference; the others are _mr4_…. */
const STAGING_COLUMN_NAMES = /^_(row|hit|tgt|loc|src|n|ctid|via|mr4_.*|(miss|selfmiss|polymiss|polyself|uk|lk)[0-9]*)$/;

/** Refuses a plan that reads or writes a table with a column named like one of mr4's staging columns,
 *  before anything is read: every import and diff of it would fail on the duplicate column. */
function refuseStagingColumnNames(
  byName: Map<string, Table>,
  selected: Set<string>,
  inPlan: Map<string, TablePlan>,
  drafts: Map<string, TablePlan>,
): void {
  const clashing = (name: string) => (byName.get(name)?.columns ?? []).filter((c) => STAGING_COLUMN_NAMES.test(c.name)).map((c) => c.name);
  const touched = [...inPlan.keys()].filter((n) => clashing(n).length).sort();
  if (!touched.length) return;
  const named = touched.map((n) => `${n} (${clashing(n).join(', ')})`).join(', ');
  throw new PlanError(
    `Columns ${named} have names mr4 uses for its own staging columns, so it cannot import or compare these tables: ` +
      `rename the columns in both databases (ALTER TABLE … RENAME COLUMN). ` +
      wayOutWithout((n) => clashing(n).length > 0, selected, drafts),
  );
}

/** A refusal's way out: the selected tables that move without touching an affected one, as --tables,
 *  or the others excluded in the configuration. */
function wayOutWithout(affected: (name: string) => boolean, selected: Set<string>, drafts: Map<string, TablePlan>): string {
  const movable = [...selected].filter((n) => ![...tablesInPlan(new Set([n]), drafts).keys()].some(affected)).sort();
  const leftOut = [...selected].filter((n) => !movable.includes(n)).sort();
  const pointing = leftOut.filter((n) => !affected(n));
  const why = pointing.length ? ` (${pointing.join(', ')} ${pointing.length === 1 ? 'points' : 'point'} at them)` : '';
  return movable.length
    ? `Leave them out: --tables ${movable.join(',')}, or "exclude": true for ${leftOut.join(', ')}${why} in the --config file's "tables".`
    : `Every table asked for is one of them or points at one${why}: there is nothing mr4 can move here.`;
}

/** A data table's rows need their parents written first; a reference table needs the parents its key
 *  points at matched first. Self references are resolved inside one statement. */
function dependencies(inPlan: Map<string, TablePlan>): Edge[] {
  const edges: Edge[] = [];
  for (const tp of inPlan.values()) {
    for (const ref of tp.references) {
      if (ref.external || ref.self || !inPlan.has(ref.parent)) continue;
      if (tp.role === 'reference' && !identifiesBy(tp, ref)) continue;
      const late = lateFilledColumns(tp, ref);
      const inKey = keyColumnsOf(tp).some((c) => late.includes(c));
      edges.push({
        child: tp.name,
        ref,
        // A reference-only parent's map is as complete at the end as a data parent's. Filling a
        // column late needs the row's surrogate id to find it again. A reference table is never
        // written: a column left out of its matching breaks a cycle there just as well.
        eligible: tp.role === 'data' ? late.length > 0 && !inKey && tp.surrogate !== null && !breaksMatchFull(tp, late) : !inKey,
        cost: late.length * 2 - (ref.onDelete === 'n' ? 1 : 0),
        late,
        riders: tp.references.filter((r) => r !== ref && !r.external && r.columns.length === 1 && late.includes(r.columns[0])),
      });
    }
  }
  return edges;
}

/** Whether NULLing `late` leaves a MATCH FULL reference of the table with some columns NULL and
 *  others not, which that reference refuses. */
function breaksMatchFull(tp: TablePlan, late: string[]): boolean {
  return tp.references.some((r) => r.matchFull && r.columns.some((c) => late.includes(c)) && !r.columns.every((c) => late.includes(c)));
}

/** Marks the references filled late so that no tables depend on each other in a cycle. */
function breakCycles(names: string[], edges: Edge[]): CycleBreak[] {
  const cycles: CycleBreak[] = [];
  for (const comp of components(names, edges)) {
    if (comp.length < 2) continue;
    const set = new Set(comp);
    const inner = edges.filter((e) => set.has(e.child) && set.has(e.ref.parent));
    const broken = breakCycle(comp, inner);
    if (!broken) {
      const deferred = inner.filter((e) => e.ref.deferrable).map((e) => `${e.child}.${e.ref.columns.join(', ')}`);
      throw new PlanError(
        `Tables ${comp.join(', ')} reference each other in a cycle that no nullable foreign-key column can break ` +
          `(every candidate is NOT NULL, part of a natural key, or in a MATCH FULL key with NOT NULL columns). Make one of those columns nullable, or exclude a table.` +
          (deferred.length
            ? ` Their keys on ${deferred.join('; ')} are DEFERRABLE, but mr4 does not break a cycle by deferring a check: it writes one table before the other and fills a nullable column late.`
            : ''),
      );
    }
    for (const e of broken) for (const r of [e.ref, ...e.riders]) r.late = true;
    cycles.push({ tables: comp, lateColumns: broken.map((e) => `${e.child}.${e.late.join(', ')}`).sort() });
  }
  return cycles;
}

/** The tables by level, then name, each finished for its level. */
function inWriteOrder(names: string[], inPlan: Map<string, TablePlan>, edges: Edge[]): TablePlan[] {
  const live = edges.filter((e) => !e.ref.late);
  const level = levels(names, [...live, ...polymorphicOrder(names, inPlan, live)]);
  return names
    .map((n) => inPlan.get(n)!)
    .sort((a, b) => level.get(a.name)! - level.get(b.name)! || (a.name < b.name ? -1 : 1))
    .map((tp) => finishTable(tp, level.get(tp.name)!));
}

/** A table with a polymorphic reference is written after every table with ids it may name (its type
 *  values are data, unknown to the plan), so that their ids are known when its rows are rewritten;
 *  except where that would close a cycle, whose tables then keep their order (the values naming a
 *  table written after it are filled once every table is written). */
function polymorphicOrder(names: string[], inPlan: Map<string, TablePlan>, live: Edge[]): Edge[] {
  const added: Edge[] = [];
  for (const child of names.filter((n) => inPlan.get(n)!.polymorphic.length)) {
    for (const parent of names) {
      const tp = inPlan.get(parent)!;
      if (parent === child || (!tp.surrogate && !tp.inheritedId)) continue;
      const ref = derivedReference(parent, [], [], { name: 'polymorphic', remap: false });
      const edge: Edge = { child, ref, eligible: false, cost: 0, late: [], riders: [] };
      if (acyclic(names, [...live, ...added, edge])) added.push(edge);
    }
  }
  return added;
}

/** Each table's longest path from tables that depend on nothing. */
function levels(names: string[], live: Edge[]): Map<string, number> {
  const level = new Map<string, number>();
  const depth = (n: string, seen: Set<string>): number => {
    if (level.has(n)) return level.get(n)!;
    if (seen.has(n)) throw new PlanError(`internal: cycle left at ${n}`);
    seen.add(n);
    let d = 0;
    for (const e of live) if (e.child === n) d = Math.max(d, depth(e.ref.parent, seen) + 1);
    seen.delete(n);
    level.set(n, d);
    return d;
  };
  for (const n of names) depth(n, new Set());
  return level;
}

/** References whose values are copied as they are: to a parent outside the schema, or not exported. */
function unexportedParents(tp: TablePlan, schema: string, inPlan: Map<string, TablePlan>): string[] {
  const out: string[] = [];
  for (const r of tp.references) {
    if (r.external) {
      const parent = `${r.parentSchema}.${r.parent}`;
      out.push(
        `${tp.name}.${r.columns.join(', ')} references ${parent}, outside schema "${schema}": mr4 neither moves nor compares its rows, so the values are copied as they are and each row points at whatever row of ${parent} has that ${r.parentColumns.join(', ')} in the target, another row where the two databases numbered ${parent} differently. Check that both give those rows the same ${r.parentColumns.join(', ')}, or leave the column out ("excludeColumns").`,
      );
    } else if (!r.self && !inPlan.has(r.parent) && !r.remap) {
      out.push(
        `${tp.name}.${r.columns.join(', ')} references ${r.parent}, which is not exported: its values must already exist in the target.`,
      );
    }
  }
  return out;
}

/**
 * Which columns an export masks: the configuration's rules (and with "all" the profile's defaults),
 * checked against each column, then carried along references whose values are copied (a column that
 * points at a masked column, or that a masked column points at, must mask the same way, or the
 * reference would point at nothing). Columns holding ids (surrogates, rewritten references) are never
 * masked: rows are recognised and referenced through them.
 */
function planMasks(
  catalog: Catalog,
  tables: TablePlan[],
  config: Mr4Config,
  profile: string | null,
  masking: MaskMode,
  warnings: string[],
): void {
  const defaults = masking === 'all' ? profileMaskDefaults(profile) : {};
  const byName = new Map(tables.map((t) => [t.name, t]));
  const uniqueIn = (table: string, column: string) => {
    const t = catalog.tables.find((x) => x.name === table);
    return (
      !!t &&
      [...(t.primaryKey ? [t.primaryKey] : []), ...t.uniqueKeys].some((k) => !k.partial && !k.expression && k.columns.includes(column))
    );
  };
  const idColumns = (tp: TablePlan) =>
    new Set([
      ...(tp.surrogate ? [tp.surrogate] : []),
      ...(tp.inheritedId ? [tp.inheritedId.column] : []),
      ...tp.references.filter((r) => r.remap).flatMap((r) => r.columns),
    ]);
  const assigned = new Map<string, MaskedColumn & { table: string }>();
  const at = (table: string, column: string) => `${table}\u0000${column}`;
  for (const tp of tables) {
    const fromProfile = defaults[tp.name] ?? {};
    const fromConfig = config.tables[tp.name]?.mask ?? {};
    const rules: [string, MaskRuleConfig, string][] = [
      ...Object.entries(fromProfile)
        .filter(([c]) => !(c in fromConfig))
        .map(([c, r]) => [c, r, 'profile'] as [string, MaskRuleConfig, string]),
      ...Object.entries(fromConfig).map(([c, r]) => [c, r, 'configuration'] as [string, MaskRuleConfig, string]),
    ];
    const ids = idColumns(tp);
    for (const [column, cfg, source] of rules) {
      const rule = ruleOf(cfg);
      if (!rule) continue;
      const col = tp.columns.find((c) => c.name === column);
      // Left out (excluded, generated) or, for a profile default, absent in this variant of the schema.
      if (!col) continue;
      if (ids.has(column)) {
        throw new PlanError(
          `Cannot mask ${tp.name}.${column}: it holds ids that rows are recognised and referenced by (mr4 rewrites them instead). Mask the columns that hold personal data.`,
        );
      }
      const problem = ruleProblem(rule, col, uniqueIn(tp.name, column));
      if (problem) throw new PlanError(`Cannot mask ${tp.name}.${column} with ${describeRule(rule)}: ${problem}.`);
      assigned.set(at(tp.name, column), { ...rule, column, source, table: tp.name });
    }
  }

  // Columns joined by references whose values are copied as they are: one rule for each group.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    while (parent.has(x) && parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const union = (a: string, b: string) => {
    for (const x of [a, b]) if (!parent.has(x)) parent.set(x, x);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const tp of tables) {
    for (const r of tp.references) {
      if (r.remap || r.external || !byName.has(r.parent)) continue;
      r.columns.forEach((c, i) => {
        if (r.parentColumns[i]) union(at(tp.name, c), at(r.parent, r.parentColumns[i]));
      });
    }
  }
  const members = new Map<string, string[]>();
  for (const tp of tables) {
    for (const c of tp.columns) {
      const key = at(tp.name, c.name);
      if (!parent.has(key)) continue;
      const root = find(key);
      members.set(root, [...(members.get(root) ?? []), key]);
    }
  }
  for (const group of members.values()) {
    const masked = group.map((k) => assigned.get(k)).filter((m): m is MaskedColumn & { table: string } => !!m);
    if (!masked.length) continue;
    const first = masked[0];
    for (const m of masked) {
      if (m.rule !== first.rule || m.value !== first.value) {
        throw new PlanError(
          `${first.table}.${first.column} (${describeRule(first)}) and ${m.table}.${m.column} (${describeRule(m)}) are joined by a foreign key, so they must be masked alike.`,
        );
      }
    }
    if (!DETERMINISTIC.has(first.rule) && first.rule !== 'null' && first.rule !== 'fixed') {
      throw new PlanError(
        `${first.table}.${first.column} is joined to other columns by a foreign key; ${first.rule} would leave them pointing at nothing. Use email, phone, name or hash.`,
      );
    }
    for (const key of group) {
      if (assigned.has(key)) continue;
      const [table, column] = key.split('\u0000');
      const tp = byName.get(table)!;
      const col = tp.columns.find((c) => c.name === column)!;
      const problem = ruleProblem(first, col, uniqueIn(table, column));
      if (problem)
        throw new PlanError(
          `${table}.${column} must be masked like ${first.table}.${first.column} (a foreign key joins them), but ${describeRule(first)} cannot mask it: ${problem}.`,
        );
      assigned.set(key, {
        rule: first.rule,
        ...(first.value !== undefined ? { value: first.value } : {}),
        column,
        source: `follows ${first.table}.${first.column}`,
        table,
      });
    }
  }
  for (const tp of tables) {
    tp.masked = tp.columns
      .filter((c) => assigned.has(at(tp.name, c.name)))
      .map((c) => {
        const { table: _t, ...m } = assigned.get(at(tp.name, c.name))!;
        return m;
      });
    const key = tp.key.kind === 'key' ? tp.masked.filter((m) => tp.key.columns.includes(m.column)).map((m) => m.column) : [];
    if (key.length && tp.role === 'data') {
      warnings.push(
        `${tp.name}.${key.join(', ')} ${key.length > 1 ? 'are' : 'is'} masked and part of ${tp.name}'s natural key: an import recognises these rows only through the lineage of ids (which every import records); where there is none, it stops rather than take them for new rows.`,
      );
    }
  }
}

/** Whether recognising a row of `tp` needs the parent of `ref` recognised first. */
/** Whether a reference is part of what identifies a table's rows (its natural key, or its content). */
export function identifiesBy(tp: Pick<TablePlan, 'key'>, ref: Pick<PlannedReference, 'columns'>): boolean {
  return tp.key.kind === 'content' || tp.key.columns.some((c) => ref.columns.includes(c));
}

function keyColumnsOf(tp: TablePlan): string[] {
  return tp.key.kind === 'key' ? tp.key.columns : [];
}

function finishTable(tp: TablePlan, level: number): TablePlan {
  const late = new Set(tp.references.filter((r) => r.late).flatMap((r) => lateFilledColumns(tp, r)));
  const self = new Set(tp.references.filter((r) => r.self && r.remap && !r.late).flatMap((r) => r.columns));
  const numbered = new Set(tp.numbered.map((n) => n.column));
  const matchColumns =
    tp.key.kind === 'key'
      ? tp.key.columns
      : tp.columns.map((c) => c.name).filter((c) => c !== tp.surrogate && !late.has(c) && !self.has(c) && !numbered.has(c));
  const polymorphicIds = new Set(tp.polymorphic.map((p) => p.column));
  // Those columns hold the archive's values until every row is matched: nothing to compare yet.
  const pairingIndexes = tp.pairingIndexes.filter((p) => !p.reads.some((c) => late.has(c) || self.has(c) || polymorphicIds.has(c)));
  const warnings: string[] = [];
  if (tp.key.kind === 'content' && pairingIndexes.length) {
    const by = pairingIndexes.map((p) => `${describePairingIndex(p)} (unique index ${p.name})`).join(' or ');
    warnings.push(
      `no natural key: a row is paired with a target row ${tp.surrogate || tp.inheritedId ? 'by the lineage of ids (or --same-ids), or ' : ''}where their ${by} are equal — the target cannot hold both — and then updated; others are recognised by their whole content, so they are only ever new or identical`,
    );
  } else if (tp.key.kind === 'content') {
    warnings.push(
      tp.surrogate || tp.inheritedId
        ? 'no natural key: a row the lineage of ids (or --same-ids) pairs with a target row is updated; others are recognised by their whole content, so they are only ever new or identical'
        : 'no natural key: rows are recognised by their whole content, so they are only ever new or identical, never updated',
    );
  }
  if (tp.key.kind === 'content') {
    if (late.size) warnings.push(`content matching leaves out ${[...late].join(', ')} (filled from references)`);
    if (self.size) {
      warnings.push(`content matching follows ${[...self].join(', ')}: a row matches only under the match of its parent, parents first`);
    }
  } else if (tp.key.nullable) {
    warnings.push(`rows whose key (${tp.key.columns.join(', ')}) is NULL are recognised by their content`);
  }
  if (tp.key.source === 'configuration' && tp.key.kind === 'key') {
    warnings.push('key from configuration: a target row is matched only if exactly one row has that key');
  }
  const selfInKey = tp.references.filter((r) => r.self && r.remap && tp.key.columns.some((c) => r.columns.includes(c)));
  if (selfInKey.length)
    warnings.push(
      `key includes the self reference ${selfInKey.map((r) => r.columns.join(',')).join('; ')}: rows are matched level by level`,
    );
  return { ...tp, pairingIndexes, matchColumns, level, warnings };
}

/** An index's terms and condition as a person reads them: `lower(email) where deleted_at IS NULL`. */
export function describePairingIndex(p: PairingIndex): string {
  return `${p.terms.join(', ')}${p.predicate ? ` where ${p.predicate}` : ''}`;
}

const ID_TYPE = /^(smallint|integer|bigint|uuid)$/;
const TEXT_ID_TYPE = /^(text|character varying(\(\d+\))?)$/;

/** Whether a new row whose id the target holds can be given another: from the id's sequence (an
 *  integer id) or its default. Not an id each database draws on its own beside a configured key. */
export function drawsNewIds(tp: TablePlan, idType: string): boolean {
  return (!!tp.surrogateSequence && INTEGER_TYPE.test(idType)) || !!tp.surrogateDefault;
}

/** The type of a table's id column ('' where it has none). */
function surrogateType(t: Table, drafts: Map<string, TablePlan>): string {
  const sur = drafts.get(t.name)?.surrogate;
  return t.columns.find((c) => c.name === sur)?.type ?? '';
}
const WHAT_TO_DO =
  'Declare it in the configuration ("references", for a column that always points at one table), leave it out ("excludeColumns"), or list it under "notReferences" if it holds no ids of other rows.';

/** Types whose values number large objects (`lo` is the lo extension's domain over oid). */
export const LARGE_OBJECT_TYPE = /^(oid|(\w+\.)?lo)$/;

/** Last words of a column that holds another row's id whatever its table: post_parent, post_author,
 *  created_by, owner. */
const REFERENCE_WORDS = new Set(['parent', 'owner', 'author', 'creator', 'by']);
/** Words before `_id` that name no table but a row of any (object_id); a `*_id` naming no table of the
 *  schema otherwise (tenant_id, stripe_id) holds numbers from elsewhere, which no import changes. */
const ANY_ROW_WORDS = new Set([...REFERENCE_WORDS, 'object', 'item', 'entity', 'record', 'node', 'target']);

function namedLikeAReference(column: string): boolean {
  const w = words(column);
  const last = w[w.length - 1];
  return REFERENCE_WORDS.has(last) || (last === 'id' && w.length > 1 && ANY_ROW_WORDS.has(w[w.length - 2]));
}

/** A table whose ids each database draws itself, so the same id may name different rows. */
function drawsIds(d: TablePlan | undefined): boolean {
  return !!d && (d.surrogate !== null || d.inheritedId !== null);
}

/** The configuration entries that declare a column a reference, or plain data. */
function declareOrNot(table: string, column: string, parent: TablePlan | null, catalog: Catalog): string {
  const target = parent
    ? `"table": "${parent.name}", "refColumns": ["${idColumn(parent)}"]`
    : `"table": "<the table it points at>", "refColumns": ["<its id column>"]`;
  // WordPress's post_parent, user_id: NOT NULL DEFAULT 0, where 0 names no row.
  const zero = catalog.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column)?.default === '0';
  const none = zero ? `, "none": [0]` : '';
  const why = zero ? ` ("none": its default 0 points at no row, kept as it is)` : '';
  return `If it points at one table, declare it in the configuration: "tables": {"${table}": {"references": [{"columns": ["${column}"], ${target}${none}}]}}${why}; if it holds no ids of other rows, list "${column}" under "notReferences"; or leave it out ("excludeColumns").`;
}

/** What a user writes to state whether a pair found by its names is a polymorphic reference. */
export function declarePolymorphic(table: string, p: PolymorphicReference): string {
  const pair = `{"column": "${p.column}", "typeColumn": "${p.typeColumn}"}`;
  return `If it is one, state it in the configuration: "tables": {"${table}": {"polymorphic": [${pair}]}}; if it is not, list "${p.column}" under "notReferences".`;
}

/** Lower-case words of a name: `legacyCategory_id` → legacy, category, id. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function singular(word: string): string {
  if (/ies$/.test(word)) return word.replace(/ies$/, 'y');
  if (/(ss|us)$/.test(word)) return word;
  if (/(sh|ch|x|ss)es$/.test(word)) return word.replace(/es$/, '');
  return word.replace(/s$/, '');
}

/** Polymorphic references, neither a declared reference nor stated to hold no ids: those the
 *  configuration states, Rails' <name>_type (text) beside <name>_id, Odoo's model name (text: res_model,
 *  or model) beside res_id, and Django's generic relations (a reference to a content-type table with
 *  app_label and model beside object_id). */
function polymorphicReferences(
  columns: PlannedColumn[],
  references: PlannedReference[],
  cfg: TableConfig | undefined,
  byName: Map<string, Table>,
): PolymorphicReference[] {
  const taken = new Set([...references.flatMap((r) => r.columns), ...(cfg?.notReferences ?? [])]);
  const usable = new Set(columns.map((c) => c.name));
  const declared = (cfg?.polymorphic ?? [])
    .filter((p) => usable.has(p.column) && usable.has(p.typeColumn) && !taken.has(p.column))
    .map((p) => ({ column: p.column, typeColumn: p.typeColumn, declared: true as const }));
  for (const p of declared) taken.add(p.column);
  const byClass = columns.flatMap((c) => {
    // Odoo names a record by its model ('sale.order', the table sale_order) and id: mail_message and
    // ir_model_data hold `model` and res_id, ir_attachment and mail_activity res_model and res_id. The
    // type is text, or an enum of the class names (CREATE TYPE commentable AS ENUM ('Post', 'Photo')).
    const stem = c.name === 'model' ? 'res' : /^(.+)_(type|model)$/.exec(c.name)?.[1];
    const column = `${stem}_id`;
    const fits = stem && (c.category === 'S' || c.category === 'E') && usable.has(column) && !taken.has(column);
    if (!fits) return [];
    taken.add(column);
    return [{ column, typeColumn: c.name }];
  });
  const byContentType = references.flatMap((r) => {
    const parent = byName.get(r.parent);
    const named = !!parent && ['app_label', 'model'].every((c) => parent.columns.some((x) => x.name === c));
    if (!named || r.columns.length !== 1 || r.parentColumns.length !== 1) return [];
    // Each content type beside its own object: actor_content_type_id with actor_object_id, a lone
    // content_type_id with object_id (django-activity-stream has three such pairs in one table).
    const prefix = r.columns[0].toLowerCase().replace(/content_?type(_id)?$/, '');
    const object = columns.find((c) => [`${prefix}object_id`, `${prefix}object_pk`].includes(c.name.toLowerCase()) && !taken.has(c.name));
    return object ? [{ column: object.name, typeColumn: r.columns[0], contentTypes: { table: r.parent, id: r.parentColumns[0] } }] : [];
  });
  return [...declared, ...byClass, ...byContentType];
}

/** The table a polymorphic type value names: Rails stores the class (`WikiPage`, `Admin::User`,
 *  `Person`) of a table named by its plural (wiki_pages, admin_users, people); Laravel the class with
 *  its PHP namespace (`App\Models\BlogPost`), which the table's name leaves out (blog_posts); Odoo the
 *  model (`sale.order`, `res.users`) of a table named by its words (sale_order, res_users); some
 *  applications store the table's own name, or a singular one. */
export function tableNamedByClass(value: string, tables: Iterable<string>): string | null {
  const w = words(value);
  const names = [...tables];
  const plural = [...w.slice(0, -1), pluralOf(w[w.length - 1] ?? '')].join('_');
  const wanted = w.map(singular).join('_');
  const namespaced = /\\([^\\]+)$/.exec(value)?.[1];
  return (
    names.find((n) => n === value) ??
    names.find((n) => n === plural) ??
    names.find((n) => n === w.join('_')) ??
    names.find((n) => words(n).map(singular).join('_') === wanted) ??
    (namespaced ? tableNamedByClass(namespaced, names) : null)
  );
}

/** A polymorphic reference's type value: as text, the name it gives its table (the value itself, or a
 *  content type's app_label_model) and a content type's model, the table's other name. */
export interface TypeValue {
  v: string;
  name: string;
  model?: string;
  /** How many rows hold it. */
  n: string;
}

/** The table of `tables` a type value names: one named as the value names it, else by class or model. */
export function tableNamedByValue(value: Pick<TypeValue, 'v' | 'name' | 'model'>, tables: Iterable<string>): string | null {
  const names = [...tables];
  // A Django model's table is app_label_model unless its Meta.db_table names another: then the model's.
  return names.includes(value.name) ? value.name : tableNamedByClass(value.model ?? value.v, names);
}

/** The type values of a polymorphic reference's rows (`rows`, a relation with its columns), each with
 *  its count; `contentTypes` is where its content types are (a relation), for a Django generic one. */
export function typeValuesSql(p: PolymorphicReference, rows: string, contentTypes: string | null): string {
  const [id, type] = [ident(p.column), ident(p.typeColumn)];
  if (!p.contentTypes)
    return `SELECT s.${type}::text AS v, s.${type}::text AS name, count(*) AS n FROM ${rows} s WHERE s.${type} IS NOT NULL AND s.${id} IS NOT NULL GROUP BY 1 ORDER BY 1`;
  return `SELECT s.${type}::text AS v, COALESCE(ct.app_label || '_' || ct.model, '') AS name, COALESCE(ct.model, '') AS model, count(*) AS n
     FROM ${rows} s LEFT JOIN ${contentTypes} ct ON ct.${ident(p.contentTypes.id)} = s.${type}
     WHERE s.${type} IS NOT NULL AND s.${id} IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1`;
}

const IRREGULAR_PLURALS: Record<string, string> = {
  person: 'people',
  man: 'men',
  woman: 'women',
  child: 'children',
  mouse: 'mice',
  goose: 'geese',
  tooth: 'teeth',
  foot: 'feet',
  ox: 'oxen',
};

/** English plurals as Rails' inflector makes them for table names (the common rules). */
function pluralOf(word: string): string {
  if (IRREGULAR_PLURALS[word]) return IRREGULAR_PLURALS[word];
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return word.replace(/y$/, 'ies');
  if (/([^f]fe|[lr]f)$/.test(word)) return word.replace(/fe?$/, 'ves');
  return `${word}s`;
}

/** The tables an id column's name points at: `customer_id` → customer(s); `legacy_category_id` → a
 *  table whose name ends in category (main_category). */
function tablesNamedBy(column: string, own: string, catalog: Catalog): Table[] {
  const w = words(column);
  if (w.length < 2 || w[w.length - 1] !== 'id') return [];
  const stem = w.slice(0, -1);
  const last = stem[stem.length - 1];
  return catalog.tables.filter((t) => {
    if (t.name === own) return false;
    const tw = words(t.name);
    return (tw.length === stem.length && tw.every((x, i) => sameNoun(x, stem[i]))) || sameNoun(tw[tw.length - 1], last);
  });
}

/** One noun, singular or plural: a table's word and a column's (statuses and status, categories and
 *  category). singular() alone cannot tell status from statuse, nor course from cours. */
function sameNoun(a: string, b: string): boolean {
  return a === b || singular(a) === singular(b) || a === pluralOf(b) || b === pluralOf(a);
}

/**
 * Columns that may hold another row's id but that the import cannot rewrite, each with what to do: an
 * id-like column without a reference whose name points at a table, a generic reference (Django's
 * content_type + object_id, Rails' *_type + *_id), ids inside arrays or JSON, a column of a
 * multi-column reference that holds a parent's renumbered id but cannot be rewritten through it.
 */
function copiedIds(tp: TablePlan, catalog: Catalog, drafts: Map<string, TablePlan>, cfg: TableConfig | undefined): string[] {
  const out: string[] = [];
  const stated = new Set(cfg?.notReferences ?? []);
  const referencing = new Set(tp.references.flatMap((r) => r.columns));
  const ownKey = tp.primaryKey.length === 1 ? tp.primaryKey[0] : null;
  // Generic references: a reference to a content-type table beside a column that names the object.
  for (const r of tp.references) {
    const parent = catalog.tables.find((t) => t.name === r.parent);
    const isContentType =
      /content_?type/i.test(r.parent) || (!!parent && ['app_label', 'model'].every((c) => parent.columns.some((x) => x.name === c)));
    if (!isContentType) continue;
    for (const c of tp.columns) {
      if (stated.has(c.name) || referencing.has(c.name) || !/^(object_id|object_pk|.+_object_id)$/i.test(c.name)) continue;
      if (tp.polymorphic.some((p) => p.column === c.name)) continue;
      out.push(
        `${tp.name}.${c.name} is a generic reference (with ${r.columns.join(', ')} naming the table): it holds ids of rows in whichever table the content type names, which mr4 cannot rewrite, so in a target whose ids differ it points at other rows. ${WHAT_TO_DO}`,
      );
      stated.add(c.name);
    }
  }
  for (const p of tp.polymorphic) {
    const names = p.contentTypes
      ? `${p.typeColumn} names the table through ${p.contentTypes.table}'s app_label and model, auth + user → auth_user`
      : /model$/.test(p.typeColumn)
        ? `${p.typeColumn} names the table by model, 'sale.order' → sale_order`
        : `${p.typeColumn} names the table by class, 'Issue' → issues`;
    const rewritten = `rewritten through the named table's ids where that table is in the run (its own rows through the ids they are given, a table written after it once that is written); any other value is copied as it is and named in the run's warnings.`;
    out.push(
      p.contentTypes || p.declared
        ? `${tp.name}.${p.column} is a ${p.contentTypes ? 'generic' : 'polymorphic'} reference (${names}): ${rewritten} ${WHAT_TO_DO}`
        : `${tp.name}.${p.column} looks like a polymorphic reference (${names}), by its columns' names alone: ${rewritten} Only if the archive's rows show it is one: where the ids beside a type name no rows of its table it is copied as it is, and where some do and some do not the run stops. ${declarePolymorphic(tp.name, p)}`,
    );
    // A pair found by names whose id also names a table (car_model beside car_id, with cars) may be
    // that table's id beside a model name: said below as well.
    const alsoAnId = !p.declared && !p.contentTypes && tablesNamedBy(p.column, tp.name, catalog).some((t) => drawsIds(drafts.get(t.name)));
    if (!alsoAnId) stated.add(p.column);
  }
  const idsDiffer = [...drafts.values()].some(drawsIds);
  for (const c of tp.columns) {
    if (stated.has(c.name) || referencing.has(c.name) || c.name === ownKey || c.name === tp.surrogate) continue;
    if (LARGE_OBJECT_TYPE.test(c.type)) {
      out.push(
        `${tp.name}.${c.name} (${c.type}) holds numbers of large objects, which are not in the archive: its values are copied as numbers, so in the target they name another large object or none. Move the large objects yourself and leave the column out ("excludeColumns"), or list it under "notReferences" if it names no large objects.`,
      );
    } else if (ID_TYPE.test(c.type) || TEXT_ID_TYPE.test(c.type)) {
      // A text column names a table whose ids are text (uuids an application keeps as text).
      const named = tablesNamedBy(c.name, tp.name, catalog).filter(
        (t) => drawsIds(drafts.get(t.name)) && (!TEXT_ID_TYPE.test(c.type) || TEXT_ID_TYPE.test(surrogateType(t, drafts))),
      );
      if (named.length > 0)
        out.push(
          `${tp.name}.${c.name} (${c.type}) looks like an id of ${named.map((t) => t.name).join(' or ')} but has no foreign key: its values are copied as they are, so in a target whose ids differ they point at other rows. ${declareOrNot(tp.name, c.name, named.length === 1 ? drafts.get(named[0].name)! : null, catalog)}`,
        );
      else if (idsDiffer && INTEGER_TYPE.test(c.type) && namedLikeAReference(c.name))
        out.push(
          `${tp.name}.${c.name} (${c.type}) is named like a reference but has no foreign key: its values are copied as they are, so where they are ids of rows the databases numbered differently they point at other rows in the target. ${declareOrNot(tp.name, c.name, null, catalog)}`,
        );
    } else if (c.category === 'A' && /^(smallint|integer|bigint|uuid)\[\]/.test(c.type)) {
      out.push(
        `${tp.name}.${c.name} (${c.type}) may hold ids: values inside arrays are copied, not rewritten, so where they are ids of rows the two databases number differently they point at other rows in the target. Leave it out ("excludeColumns"), or list it under "notReferences" if it holds no ids of other rows or the same ids on both sides.`,
      );
    } else if ((c.type === 'jsonb' || c.type === 'json') && /_ids?$/i.test(c.name)) {
      out.push(
        `${tp.name}.${c.name} (${c.type}) may hold ids: values inside JSON are copied, not rewritten, so where they are ids of rows the two databases number differently they point at other rows in the target. Leave it out ("excludeColumns"), or list it under "notReferences" if it holds no ids of other rows or the same ids on both sides.`,
      );
    }
  }
  for (const r of tp.references) {
    const parent = drafts.get(r.parent);
    if (r.columns.length < 2 || !parent || r.external) continue;
    // Columns holding ids mr4 renumbers that the child cannot rewrite through a reference of its own
    // (addReferencesInComposites): its own id, or a column rewritten through another table already.
    const copied = r.parentColumns.flatMap((pc, i) => {
      const ids = idsHeldBy(parent, pc);
      return ids && idsHeldBy(tp, r.columns[i]) !== ids ? [{ column: r.columns[i], parentColumn: pc, ids }] : [];
    });
    if (!copied.length) continue;
    const what = copied
      .map((c) => (c.parentColumn === idColumn(parent) ? `its id column ${c.parentColumn}` : `${c.parentColumn} (an id of ${c.ids})`))
      .join(' and ');
    const why = copied
      .map((c) =>
        c.column === idColumn(tp)
          ? `${c.column} is ${tp.name}'s own id`
          : `${c.column} is rewritten through ${idsHeldBy(tp, c.column)} already`,
      )
      .join('; ');
    out.push(
      `${tp.name}(${r.columns.join(', ')}) references ${r.parent}(${r.parentColumns.join(', ')}), which includes ${what}: mr4 cannot rewrite ${copied.map((c) => c.column).join(', ')} through those ids (${why}), so its values are copied as they are, and in a target whose ids differ they point at other rows. Reference the id alone, or exclude the table.`,
    );
  }
  return out;
}

export function tablePlan(plan: Plan, name: string): TablePlan {
  const tp = plan.tables.find((t) => t.name === name);
  if (!tp) throw new PlanError(`internal: table ${name} is not in the plan`);
  return tp;
}
