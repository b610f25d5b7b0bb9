// Archives written by the original MR4 system of the Crearis platform (format "1.0"), read as well as
// they can be read. Such an archive is index.json plus one pretty-printed JSON file per table whose rows
// are objects holding whatever node-postgres returned, passed through the original adapter (which turned
// every numeric-looking string into a number) and JSON.stringify. It carries no types and, for several
// tables, no ids.
//
// This adapter turns it into what the import reads: a format-2 index synthesised against the TARGET
// catalog (types, keys and references come from there) and a TableSource that streams canonical table
// files (every value null or PostgreSQL's text form). Along the way it
//   - converts values by the target column's type (numbers, booleans, Buffer JSON, arrays, JSON, and
//     timestamps that were turned into UTC instants);
//   - gives rows of tables without exported ids synthetic source ids (their 1-based row position), so
//     rows that point at them through a field the format does carry can be linked;
//   - resolves the two fields the format adds to rows (users.instructor_xmlid, projects.regio_domaincode);
//   - sets every reference it cannot resolve to NULL (or drops the row where the column cannot be NULL
//     or identifies the row) and reports each one as a RowProblem.
// References to tables whose ids were exported pass through as source ids; the import rewrites them
// through natural keys as for any archive.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RowProblem } from '../report-types';
import { type Catalog, type Column, findTable, type Table } from '../catalog';
import type { TableSource } from './source';
import { buildPlan, type Plan, type PlannedReference, type TablePlan } from '../plan';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  ArchiveError,
  type ArchiveIndex,
  type ArchiveTable,
  INDEX_FILE,
  tableFileNames,
} from './format';
import { type ArchiveLimits, countJsonValues, DEFAULT_LIMITS, type OpenedArchive, walkArchive } from './reader';
import { sizeText } from './lines';
import { tableFileHeader } from './table-file';

export interface LegacyArchive {
  index: ArchiveIndex;
  source: TableSource;
  warnings: string[];
  /** Rows that cannot exist without a reference the archive does not identify: not imported. */
  dropped: RowProblem[];
  /** References the archive does not identify, imported as NULL. */
  nulled: RowProblem[];
}

// ─── What format 1.0 is ──────────────────────────────────────────────────────────────────────────────

/**
 * The facts of format 1.0 that its files do not state themselves (server/database/backup/export.ts and
 * late-seed-config.ts of crearis-vue). Everything else is read from the archive and the target catalog.
 */
export const FORMAT_1_0 = {
  version: '1.0',
  /** EXPORT_ENTITIES: one file per table, in this order. */
  entities: [
    'tags',
    'status',
    'users',
    'projects',
    'images',
    'instructors',
    'locations',
    'participants',
    'posts',
    'events',
    'interactions',
    'pages',
    'tasks',
  ],
  /** Tables written inside their parent's file under "detailTables", whole (parentKey is only a label). */
  detailTables: { projects: ['project_members'], tags: ['events_tags', 'posts_tags'], events: ['event_instructors'] } as Record<
    string,
    string[]
  >,
  /** Tables whose id late-seed-config left out: no reference to their rows can be resolved. (The
   *  adapter decides by each file's "columns", so an archive that does carry an id is used fully.) */
  withoutIds: ['tags', 'instructors', 'locations', 'participants', 'posts', 'events', 'interactions', 'pages'],
  /** Fields added to rows but not to "columns": each names a parent row by its natural key and stands in
   *  for a reference column that was not exported. */
  extraFields: [
    { table: 'users', field: 'instructor_xmlid', column: 'instructor_id', parent: 'instructors', parentKey: 'xmlid' },
    { table: 'projects', field: 'regio_domaincode', column: 'regio', parent: 'projects', parentKey: 'domaincode' },
  ],
} as const;

type ExtraField = (typeof FORMAT_1_0.extraFields)[number];

// ─── Reading the archive ─────────────────────────────────────────────────────────────────────────────

interface LegacyIndex {
  version: string | null;
  timestamp: string;
  database: string;
  description?: string;
  entities: string[];
  files: Map<string, string>;
  checksums: Map<string, string>;
}

interface LegacyTable {
  name: string;
  /** The archive file it was read from (a detail table's is its parent's). */
  file: string;
  parent: string | null;
  columns: string[];
  rows: Record<string, unknown>[];
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const PLAIN_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function readLegacyIndex(raw: unknown): LegacyIndex {
  const bad = (why: string) => new ArchiveError(`index.json is not a valid index of an original MR4 (1.0) archive: ${why}`);
  if (!isObject(raw) || !isObject(raw.metadata)) throw bad('it has no "metadata" object');
  const meta = raw.metadata;
  if (!Array.isArray(raw.entities) || raw.entities.some((e) => typeof e !== 'string' || !PLAIN_NAME.test(e)))
    throw bad('"entities" must list plain table names');
  if (!isObject(raw.files)) throw bad('"files" must map table names to file names');
  const entities = raw.entities as string[];
  if (new Set(entities).size !== entities.length) throw bad('"entities" lists a table twice');
  const files = new Map<string, string>();
  for (const e of entities) {
    const f = raw.files[e] ?? `${e}.json`;
    if (typeof f !== 'string' || !PLAIN_FILE.test(f) || f === INDEX_FILE) throw bad(`the file of table "${e}" must be a plain file name`);
    if ([...files.values()].includes(f)) throw bad(`file ${f} is given to two tables`);
    files.set(e, f);
  }
  const checksums = new Map<string, string>();
  if (isObject(raw.checksums)) {
    for (const [f, h] of Object.entries(raw.checksums))
      if (typeof h === 'string' && /^[0-9a-f]{64}$/i.test(h)) checksums.set(f, h.toLowerCase());
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    version: typeof meta.version === 'string' ? meta.version : null,
    timestamp: text(meta.timestamp),
    database: text(meta.database),
    description: typeof meta.description === 'string' ? meta.description : undefined,
    entities,
    files,
    checksums,
  };
}

function readTableFile(json: unknown, file: string, expected: string, parent: string | null): LegacyTable {
  const bad = (why: string) => new ArchiveError(`${file} in the 1.0 archive is malformed: ${why}`);
  if (!isObject(json)) throw bad('it is not a JSON object');
  const name = json.tableName;
  if (name !== expected) throw bad(`it holds table ${JSON.stringify(name)}, not ${expected}`);
  const columns = json.columns;
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string' || !PLAIN_NAME.test(c)))
    throw bad(`"columns" of ${expected} must list plain column names`);
  if (new Set(columns).size !== columns.length) throw bad(`"columns" of ${expected} lists a column twice`);
  const rows = json.rows;
  if (!Array.isArray(rows) || rows.some((r) => !isObject(r))) throw bad(`"rows" of ${expected} must be an array of objects`);
  if (json.rowCount !== undefined && json.rowCount !== rows.length)
    throw bad(`${expected} says it holds ${String(json.rowCount)} rows but holds ${rows.length}`);
  return { name: expected, file, parent, columns: columns as string[], rows: rows as Record<string, unknown>[] };
}

/**
 * What of a 1.0 archive is read into memory. Its table files are single JSON documents that refer to
 * each other (rows without ids are resolved through other tables' rows), so the archive is read whole,
 * within these limits on all its table files together; a larger one is refused before it is parsed.
 * (The original MR4 system's archives were a few megabytes.)
 */
export const LEGACY_LIMITS = { maxBytes: 16 * 1024 * 1024, maxValues: 500_000 };

export interface LegacyFiles {
  /** Each wanted file's parsed JSON, by file name. */
  docs: Map<string, unknown>;
  /** Each wanted file's sha256. */
  sha256: Map<string, string>;
  /** Files the archive holds that were not wanted (index.json aside). */
  stray: string[];
}

/** Reads the wanted files of a 1.0 archive whole, within LEGACY_LIMITS (and the archive's limits). */
export async function readLegacyFiles(
  path: string,
  wanted: ReadonlySet<string>,
  options: { limits?: ArchiveLimits; signal?: AbortSignal; onBytes?: (compressed: number) => void; budget?: typeof LEGACY_LIMITS } = {},
): Promise<LegacyFiles> {
  const budget = options.budget ?? LEGACY_LIMITS;
  const out: LegacyFiles = { docs: new Map(), sha256: new Map(), stray: [] };
  let bytes = 0;
  let values = 0;
  const tooBig = (what: string) =>
    new ArchiveError(
      `this archive of the original MR4 system (format 1.0) holds more than ${what} in its table files. A 1.0 archive is read whole, ` +
        `so mr4 reads at most ${sizeText(budget.maxBytes)} and ${budget.maxValues.toLocaleString('en-US')} JSON values (keys included) of one; this one is refused`,
    );
  await walkArchive(
    path,
    async (name, entry, size) => {
      if (!wanted.has(name)) {
        if (name !== INDEX_FILE) out.stray.push(name);
        entry.resume();
        return;
      }
      if (bytes + size > budget.maxBytes) throw tooBig(sizeText(budget.maxBytes));
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let count = { inString: false, escaped: false, count: 0 };
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > budget.maxBytes) throw tooBig(sizeText(budget.maxBytes));
        count = countJsonValues(chunk, 0, chunk.length, count);
        if (values + count.count > budget.maxValues) throw tooBig(`${budget.maxValues.toLocaleString('en-US')} JSON values`);
        hash.update(chunk);
        parts.push(chunk);
      }
      values += count.count;
      const body = Buffer.concat(parts);
      parts.length = 0;
      let doc: unknown;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new ArchiveError(`${name} in the archive is not valid JSON (${(error as Error).message})`);
      }
      out.docs.set(name, doc);
      out.sha256.set(name, hash.digest('hex'));
    },
    { limits: options.limits, signal: options.signal, onBytes: options.onBytes },
  );
  return out;
}

/** Reads every table file the index lists (each whole: they are plain JSON documents). */
async function readLegacyTables(
  opened: OpenedArchive,
  index: LegacyIndex,
  limits: ArchiveLimits,
  warnings: string[],
): Promise<LegacyTable[]> {
  const read = await readLegacyFiles(opened.path, new Set(index.files.values()), { limits });
  for (const [name, sum] of index.checksums) {
    const actual = read.sha256.get(name);
    if (actual !== undefined && actual !== sum)
      throw new ArchiveError(`${name} does not match its checksum in index.json; the archive is corrupt or was altered`);
  }
  const contents = read.docs;
  const stray = read.stray;
  if (stray.length) warnings.push(`the 1.0 archive holds ${stray.join(', ')}, which its index.json does not list; ignored`);
  const out: LegacyTable[] = [];
  const seen = new Set<string>();
  for (const entity of index.entities) {
    const file = index.files.get(entity)!;
    if (!contents.has(file)) throw new ArchiveError(`the archive lacks ${file}, which its index.json lists for table ${entity}`);
    const json = contents.get(file);
    const main = readTableFile(json, file, entity, null);
    out.push(main);
    seen.add(entity);
    const details = (json as Record<string, unknown>).detailTables;
    if (details === undefined || details === null) continue;
    if (!Array.isArray(details)) throw new ArchiveError(`${file} in the 1.0 archive is malformed: "detailTables" must be an array`);
    for (const d of details) {
      const name = isObject(d) ? d.tableName : undefined;
      if (typeof name !== 'string' || !PLAIN_NAME.test(name))
        throw new ArchiveError(`${file} in the 1.0 archive is malformed: a detail table has no plain "tableName"`);
      if (seen.has(name)) throw new ArchiveError(`the 1.0 archive holds table ${name} twice`);
      seen.add(name);
      out.push(readTableFile(d, file, name, entity));
    }
  }
  return out;
}

// ─── Values ──────────────────────────────────────────────────────────────────────────────────────────

/** What was noticed while converting one table's values, reported once per table or column. */
interface Notes {
  numbersInText: Map<string, { count: number; example: string }>;
  shifted: Set<string>;
  imprecise: Set<string>;
  odd: Set<string>;
}

const TIMESTAMP = /^timestamp(\(\d+\))? without time zone$/;
const ISO_UTC = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/;

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return isObject(v) && v.type === 'Buffer' && Array.isArray(v.data);
}

function bufferHex(v: { data: unknown[] }, where: string): string {
  if (v.data.some((b) => typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new ArchiveError(`${where}: a Buffer value holds something other than bytes`);
  }
  return `\\x${Buffer.from(v.data as number[]).toString('hex')}`;
}

function scalarText(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isBufferJson(v)) return bufferHex(v, where);
  return JSON.stringify(v);
}

/** A PostgreSQL array literal; every element quoted, so any element type reads it. */
function arrayLiteral(values: unknown[], where: string): string {
  const parts = values.map((e) => {
    if (e === null || e === undefined) return 'NULL';
    if (Array.isArray(e)) return arrayLiteral(e, where);
    return `"${scalarText(e, where).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  });
  return `{${parts.join(',')}}`;
}

/** PostgreSQL's text form of one archived value for a target column, or null. */
function toText(value: unknown, column: Column, table: string, notes: Notes): string | null {
  if (value === null || value === undefined) return null;
  const where = `${table}.${column.name}`;
  const type = column.type;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  if (column.typeCategory === 'A' && Array.isArray(value)) return arrayLiteral(value, where);
  if (type === 'bytea' && isBufferJson(value)) return bufferHex(value, where);
  switch (typeof value) {
    case 'string': {
      const m = ISO_UTC.exec(value);
      if (m && TIMESTAMP.test(type)) {
        notes.shifted.add(column.name);
        return `${m[1]} ${m[2]}`;
      }
      if (m && type === 'date') {
        notes.shifted.add(column.name);
        return m[1];
      }
      return value;
    }
    case 'number': {
      if (!Number.isFinite(value)) throw new ArchiveError(`${where}: a number that is not finite`);
      const text = String(value);
      if (column.typeCategory === 'S') {
        const n = notes.numbersInText.get(column.name) ?? { count: 0, example: text };
        n.count++;
        // The shortest is the likeliest to show a lost leading zero.
        if (text.length < n.example.length) n.example = text;
        notes.numbersInText.set(column.name, n);
      } else if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        notes.imprecise.add(column.name);
      }
      return text;
    }
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      notes.odd.add(column.name);
      return scalarText(value, where);
  }
}

// ─── Building the synthesised archive ────────────────────────────────────────────────────────────────

interface Built {
  table: LegacyTable;
  target: Table;
  plan: TablePlan;
  /** Canonical columns, in file order. */
  columns: Column[];
  /** Canonical values per kept row, with the row's 1-based position in the archive's rows. */
  rows: { position: number; values: (string | null)[] }[];
  /** Source id of each archived row (exported or synthetic), by position; null where there is none. */
  sourceIds: (string | null)[];
  idsExported: boolean;
  /** How each reference column is resolved, set once every table is built (a parent's rows decide it). */
  resolutions: Map<string, Resolution>;
}

type Resolution =
  | { kind: 'pass' }
  | { kind: 'derived'; extra: ExtraField; lookup: Map<string, string> }
  | { kind: 'unresolvable'; parent: string; why: string };

interface PendingProblem {
  table: string;
  position: number;
  /** Values of the row as written (or as they would have been) for naming it by its key. */
  values: (string | null)[];
  column: string;
  reason: string;
  /** The row is not imported (rather than imported with the reference NULL). */
  dropped: boolean;
}

function referencedInPlan(plan: Plan, table: string): boolean {
  return plan.tables.some((c) => c.references.some((r) => r.parent === table && r.remap && !r.external));
}

function tableWarnings(built: Built, notes: Notes, warnings: string[]): void {
  const t = built.table.name;
  for (const [c, n] of notes.numbersInText) {
    warnings.push(
      `${t}.${c} is text, but the 1.0 archive holds ${n.count} of its values as numbers (e.g. ${n.example}): the original exporter turned ` +
        'numeric-looking text into numbers, so leading zeros (01067 → 1067) and trailing decimal zeros are lost; they are imported as those numbers read',
    );
  }
  if (notes.shifted.size) {
    warnings.push(
      `${t}: ${[...notes.shifted].join(', ')} (timestamp without time zone) were written by the original exporter as UTC instants (…Z) after ` +
        "being read in its server's time zone; they are imported as written, so they are off by that server's UTC offset",
    );
  }
  for (const c of notes.imprecise)
    warnings.push(`${t}.${c}: the 1.0 archive holds integers beyond 2^53 as JSON numbers; they may have lost precision`);
  for (const c of notes.odd)
    warnings.push(
      `${t}.${c}: the 1.0 archive holds JSON objects or arrays for this ${built.columns.find((x) => x.name === c)?.type} column; imported as their JSON text`,
    );
}

export async function loadLegacyArchive(
  opened: OpenedArchive,
  catalog: Catalog,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<LegacyArchive> {
  const warnings: string[] = [];
  const legacyIndex = readLegacyIndex(opened.rawIndex);
  warnUnknownVersion(legacyIndex, warnings);
  const all = await readLegacyTables(opened, legacyIndex, limits, warnings);
  warnAbsentTables(all, catalog, warnings);
  const { legacy, excluded } = tablesInTarget(all, catalog, warnings);
  const legacyNames = new Set(legacy.map((t) => t.name));
  const missing = parentsNotCarried(catalog, legacyNames, warnings);
  const plan = buildPlan(catalog, { tables: [...legacyNames, ...missing] });
  const built = buildTables(legacy, catalog, plan, warnings);
  warnMissingIds(built, warnings);
  for (const b of built.values()) b.resolutions = referenceResolutions(b, built);
  const pending = [...built.values()].flatMap((b) => convertRows(b, warnings));
  const problem = (p: PendingProblem) => rowProblem(p, built);
  const dropped = pending.filter((p) => p.dropped).map(problem);
  const nulled = pending.filter((p) => !p.dropped).map(problem);
  const files = canonicalFiles(catalog, plan, built, missing);
  return { index: synthesisedIndex(legacyIndex, catalog, plan, files, excluded), source: sourceOf(files), warnings, dropped, nulled };
}

function warnUnknownVersion(index: LegacyIndex, warnings: string[]): void {
  if (index.version !== null && !/^1(\.|$)/.test(index.version)) {
    warnings.push(`index.json says version ${index.version}; read as an original MR4 archive of format 1.0`);
  }
}

function warnAbsentTables(all: LegacyTable[], catalog: Catalog, warnings: string[]): void {
  const archived = new Set(all.map((t) => t.name));
  const expected = FORMAT_1_0.entities.flatMap((e) => [e, ...(FORMAT_1_0.detailTables[e] ?? [])]);
  const absent = expected.filter((e) => !archived.has(e) && findTable(catalog, e));
  if (absent.length)
    warnings.push(`the original MR4 export always wrote ${absent.join(', ')}, but this archive lacks them; nothing is imported into them`);
}

/** The archived tables the target has; the others are excluded, each with a warning. */
function tablesInTarget(
  all: LegacyTable[],
  catalog: Catalog,
  warnings: string[],
): { legacy: LegacyTable[]; excluded: ArchiveIndex['excluded'] } {
  const legacy: LegacyTable[] = [];
  const excluded: ArchiveIndex['excluded'] = [];
  for (const t of all) {
    if (findTable(catalog, t.name)) legacy.push(t);
    else {
      warnings.push(`table ${t.name} is in the 1.0 archive but not in the target; not imported`);
      excluded.push({ table: t.name, reason: 'not in the target' });
    }
  }
  if (legacy.length === 0) throw new ArchiveError('none of the tables of this 1.0 archive exists in the target');
  return { legacy, excluded };
}

/**
 * Tables the archived rows point at but the format never carries (Crearis: domains). They are described
 * as empty data tables: as reference tables they could close a cycle no nullable column breaks.
 */
function parentsNotCarried(catalog: Catalog, legacyNames: Set<string>, warnings: string[]): string[] {
  const missing: string[] = [];
  for (const tp of buildPlan(catalog, { tables: [...legacyNames] }).tables) {
    if (!legacyNames.has(tp.name)) continue;
    for (const r of tp.references) {
      if (!r.remap || r.external || r.self || legacyNames.has(r.parent) || missing.includes(r.parent)) continue;
      missing.push(r.parent);
      warnings.push(
        `${tp.name}.${r.columns.join(', ')} refers to ${r.parent}, which a 1.0 archive does not carry: ${r.parent} is listed with no rows, and every such reference is reported`,
      );
    }
  }
  return missing;
}

/** Pass 1: which tables carry ids, source ids per row, canonical columns. */
function buildTables(legacy: LegacyTable[], catalog: Catalog, plan: Plan, warnings: string[]): Map<string, Built> {
  const built = new Map<string, Built>();
  for (const t of legacy) {
    const target = findTable(catalog, t.name)!;
    const tp = plan.tables.find((x) => x.name === t.name)!;
    const sur = tp.surrogate;
    const idsExported = !!sur && t.columns.includes(sur);
    const sourceIds = idsExported
      ? exportedIds(t, sur)
      : sur && referencedInPlan(plan, t.name)
        ? syntheticIds(t, target, sur)
        : t.rows.map(() => null);
    // The import locates rows by their surrogate: without ids it is NULL (new rows draw new ids), or
    // the synthetic id where rows of other tables must be able to point at the row.
    const surrogateColumn = sur && !idsExported ? target.columns.find((c) => c.name === sur)! : null;
    const columns = canonicalColumns(t, target, surrogateColumn, warnings);
    built.set(t.name, { table: t, target, plan: tp, columns, rows: [], sourceIds, idsExported, resolutions: new Map() });
  }
  return built;
}

function exportedIds(t: LegacyTable, sur: string): (string | null)[] {
  return t.rows.map((row) => {
    const v = row[sur];
    return v === null || v === undefined ? null : scalarText(v, `${t.name}.${sur}`);
  });
}

/** Ids for rows the archive gives none, so that rows of other tables can point at them: their positions. */
function syntheticIds(t: LegacyTable, target: Table, sur: string): string[] {
  const integral = /^(smallint|integer|bigint)$/.test(target.columns.find((c) => c.name === sur)!.type);
  return t.rows.map((_, i) => (integral ? String(i + 1) : `mr4-legacy-${t.name}-${i + 1}`));
}

/** The target columns the table file holds: the surrogate where ids were not exported, the archived
 *  columns the target has, and the columns the format's extra fields stand in for. */
function canonicalColumns(t: LegacyTable, target: Table, surrogateColumn: Column | null, warnings: string[]): Column[] {
  const columns: Column[] = surrogateColumn ? [surrogateColumn] : [];
  for (const name of t.columns) {
    const c = target.columns.find((x) => x.name === name);
    if (!c) warnings.push(`column ${t.name}.${name} of the 1.0 archive does not exist in the target; its values are not imported`);
    else if (c.generated) warnings.push(`${t.name}.${name} is a generated column in the target; its archived values are dropped`);
    else columns.push(c);
  }
  for (const extra of FORMAT_1_0.extraFields) {
    if (extra.table !== t.name || !t.rows.some((r) => extra.field in r)) continue;
    const c = target.columns.find((x) => x.name === extra.column);
    if (c && !c.generated && !columns.includes(c)) columns.push(c);
  }
  return columns;
}

function warnMissingIds(built: Map<string, Built>, warnings: string[]): void {
  for (const n of FORMAT_1_0.withoutIds) {
    if (built.get(n)?.idsExported)
      warnings.push(
        `this archive carries ${n} ids although the original MR4 export left them out; references to ${n} rows are resolved through them`,
      );
  }
  const without = [...built.values()].filter((b) => b.plan.surrogate && !b.idsExported).map((b) => b.table.name);
  if (without.length) {
    warnings.push(
      `this is an archive of the original MR4 system (format 1.0); it carries no ids for ${without.join(', ')}: references to their rows ` +
        'cannot be resolved (except through the fields it adds for that) and are reported row by row',
    );
  }
}

/** How each single-column reference of a table is resolved, by column. */
function referenceResolutions(b: Built, built: Map<string, Built>): Map<string, Resolution> {
  const res = new Map<string, Resolution>();
  for (const r of b.plan.references) {
    if (!r.remap || r.external || r.columns.length !== 1) continue;
    const c = r.columns[0];
    if (!b.columns.some((x) => x.name === c) || c === b.plan.surrogate) continue;
    const extra = FORMAT_1_0.extraFields.find(
      (e) => e.table === b.table.name && e.column === c && b.table.rows.some((row) => e.field in row),
    );
    const parent = built.get(r.parent);
    if (extra && extra.parent === r.parent && parent) {
      res.set(c, { kind: 'derived', extra, lookup: sourceIdsByKey(parent, extra.parentKey) });
    } else if (parent?.idsExported) {
      res.set(c, { kind: 'pass' });
    } else {
      res.set(c, {
        kind: 'unresolvable',
        parent: r.parent,
        why: parent ? `which the 1.0 archive does not identify (it carries no ${r.parent} ids)` : `which the 1.0 archive does not carry`,
      });
    }
  }
  return res;
}

/** The source id of the first row of each value of `key`. */
function sourceIdsByKey(parent: Built, key: string): Map<string, string> {
  const lookup = new Map<string, string>();
  parent.table.rows.forEach((row, i) => {
    const k = row[key];
    const id = parent.sourceIds[i];
    if (k !== null && k !== undefined && id !== null && !lookup.has(String(k))) lookup.set(String(k), id);
  });
  return lookup;
}

/** Pass 2: canonical values; unresolvable references become NULL, or drop the row. Returns the
 *  problems of the table's rows. */
function convertRows(b: Built, warnings: string[]): PendingProblem[] {
  const name = b.table.name;
  const pending: PendingProblem[] = [];
  const notes: Notes = { numbersInText: new Map(), shifted: new Set(), imprecise: new Set(), odd: new Set() };
  const keyCols = new Set([...b.plan.primaryKey, ...(b.plan.key.kind === 'key' ? b.plan.key.columns : [])]);
  const sur = b.plan.surrogate;
  b.table.rows.forEach((row, i) => {
    const position = i + 1;
    const converted = b.columns.map((c) => (c.name === sur && !b.idsExported ? b.sourceIds[i] : toText(row[c.name], c, name, notes)));
    const { values, misses } = resolveReferences(b, row, converted);
    const fatal = misses.filter((m) => m.column.notNull || keyCols.has(m.column.name));
    if (fatal.length) {
      // The row cannot exist without these values (or would be another row): it is not imported.
      pending.push({
        table: name,
        position,
        values: converted,
        column: fatal[0].column.name,
        reason: `${misses.map((m) => m.text).join('; ')}; the row was not imported`,
        dropped: true,
      });
      return;
    }
    for (const m of misses)
      pending.push({
        table: name,
        position,
        values,
        column: m.column.name,
        reason: `${m.text}; imported with ${m.column.name} NULL`,
        dropped: false,
      });
    b.rows.push({ position, values });
  });
  tableWarnings(b, notes, warnings);
  return pending;
}

/** A reference the archive does not identify. */
interface Miss {
  column: Column;
  text: string;
}

/** A row's values with its references resolved, and the ones that could not be. */
function resolveReferences(
  b: Built,
  row: Record<string, unknown>,
  converted: (string | null)[],
): { values: (string | null)[]; misses: Miss[] } {
  const misses: Miss[] = [];
  const values = converted.map((value, k) => {
    const column = b.columns[k];
    const how = b.resolutions.get(column.name);
    if (!how || how.kind === 'pass') return value;
    const { resolved, miss } = resolvedValue(how, column, value, row);
    if (miss) misses.push({ column, text: miss });
    return resolved;
  });
  return { values, misses };
}

/** One reference value resolved (through an extra field, or not at all), with why it is NULL where it
 *  was not. */
function resolvedValue(
  how: Exclude<Resolution, { kind: 'pass' }>,
  column: Column,
  value: string | null,
  row: Record<string, unknown>,
): { resolved: string | null; miss?: string } {
  if (how.kind === 'unresolvable') {
    return value === null ? { resolved: null } : { resolved: null, miss: `${column.name} refers to ${how.parent} id ${value}, ${how.why}` };
  }
  const field = row[how.extra.field];
  if (field === null || field === undefined) return { resolved: null };
  const id = how.lookup.get(String(field));
  if (id !== undefined) return { resolved: id };
  return {
    resolved: null,
    miss: `${how.extra.field} ${JSON.stringify(String(field))} names no ${how.extra.parent} row of the 1.0 archive (by ${how.extra.parentKey})`,
  };
}

/** Each problem names its row by the row's natural key and by its position in the rows of the 1.0
 *  archive's file (for a detail table: in its parent's file). */
function rowProblem(p: PendingProblem, built: Map<string, Built>): RowProblem {
  return { table: p.table, key: rowKey(built.get(p.table)!, p.values, built), row: p.position, column: p.column, reason: p.reason };
}

/** A row's natural key, a reference in the key named by its parent's key. */
function rowKey(b: Built, values: (string | null)[], built: Map<string, Built>, depth = 0): Record<string, unknown> | null {
  if (b.plan.key.kind !== 'key') return null;
  const out: Record<string, unknown> = {};
  for (const c of b.plan.key.columns) {
    const k = b.columns.findIndex((x) => x.name === c);
    const v = k === -1 ? null : values[k];
    const how = b.resolutions.get(c);
    const ref = b.plan.references.find((r) => r.remap && r.columns.length === 1 && r.columns[0] === c);
    const parent = ref && built.get(ref.parent);
    if (v !== null && how && how.kind !== 'unresolvable' && parent && depth < 4) {
      const at = parent.sourceIds.indexOf(v);
      const prow = at === -1 ? undefined : parent.rows.find((r) => r.position === at + 1);
      out[c] = prow ? (rowKey(parent, prow.values, built, depth + 1) ?? v) : v;
    } else {
      out[c] = v;
    }
  }
  return out;
}

/** The synthesised archive's table files, by entity, and how the index describes each. */
interface CanonicalFiles {
  entities: string[];
  fileNames: Map<string, string>;
  bodies: Map<string, Buffer>;
  tables: Record<string, ArchiveTable>;
}

interface TableContent {
  role: 'data' | 'reference';
  columns: Column[];
  rows: (string | null)[][];
  excludedColumns: ArchiveTable['excludedColumns'];
}

/** A file for every archived table, every parent the format never carries (empty), and every reference
 *  table the plan adds. */
function canonicalFiles(catalog: Catalog, plan: Plan, built: Map<string, Built>, missing: string[]): CanonicalFiles {
  const referenceOnly = plan.tables.filter((tp) => tp.role === 'reference' && !built.has(tp.name));
  const entities = [...built.keys(), ...missing, ...referenceOnly.map((tp) => tp.name)];
  const files: CanonicalFiles = { entities, fileNames: tableFileNames(entities), bodies: new Map(), tables: {} };
  const add = (tp: TablePlan, content: TableContent) => {
    const file = files.fileNames.get(tp.name)!;
    const { body, table } = canonicalFile(tp, file, content);
    files.bodies.set(file, body);
    files.tables[tp.name] = table;
  };
  for (const b of built.values())
    add(b.plan, { role: 'data', columns: b.columns, rows: b.rows.map((r) => r.values), excludedColumns: columnsNotArchived(b) });
  for (const name of missing) {
    const tp = plan.tables.find((x) => x.name === name)!;
    const target = findTable(catalog, name)!;
    add(tp, {
      role: 'data',
      columns: target.columns.filter((c) => tp.columns.some((x) => x.name === c.name)),
      rows: [],
      excludedColumns: [],
    });
  }
  for (const tp of referenceOnly) {
    // A parent the 1.0 format never carries: references to it were set to NULL above; the import
    // still expects the table to be described.
    const target = findTable(catalog, tp.name)!;
    const wanted = new Set([...tp.primaryKey, ...tp.matchColumns]);
    add(tp, {
      role: 'reference',
      columns: target.columns.filter((c) => wanted.has(c.name) && !c.generated),
      rows: [],
      excludedColumns: [],
    });
  }
  return files;
}

function columnsNotArchived(b: Built): ArchiveTable['excludedColumns'] {
  const have = new Set(b.columns.map((c) => c.name));
  return b.target.columns
    .filter((c) => !c.generated && !have.has(c.name))
    .map((c) => ({
      name: c.name,
      reason: 'not in the 1.0 archive (the original export left it out)',
    }));
}

function canonicalFile(
  tp: TablePlan,
  file: string,
  { role, columns, rows, excludedColumns }: TableContent,
): { body: Buffer; table: ArchiveTable } {
  const names = columns.map((c) => c.name);
  const body = Buffer.from(
    tableFileHeader(tp.name, names) + rows.map((r) => JSON.stringify(r)).join(',\n') + (rows.length ? '\n]}\n' : ']}\n'),
  );
  const table: ArchiveTable = {
    file,
    role,
    rows: rows.length,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    columns: columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull })),
    primaryKey: tp.primaryKey,
    surrogate: tp.surrogate,
    key: { kind: tp.key.kind, columns: tp.key.kind === 'key' ? tp.key.columns : tp.matchColumns, source: tp.key.source },
    references: tp.references
      .filter((r: PlannedReference) => !r.external && !r.via && names.includes(r.columns[0]))
      .map((r) => ({ columns: r.columns, parent: r.parent, parentColumns: r.parentColumns, remap: r.remap })),
    excludedColumns,
  };
  return { body, table };
}

function synthesisedIndex(
  legacyIndex: LegacyIndex,
  catalog: Catalog,
  plan: Plan,
  files: CanonicalFiles,
  excluded: ArchiveIndex['excluded'],
): ArchiveIndex {
  return {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    metadata: {
      timestamp: legacyIndex.timestamp,
      database: legacyIndex.database,
      schema: catalog.schema,
      server: { version: 'unknown (original MR4 archive, format 1.0)', systemIdentifier: null },
      tool: `original MR4 backup of the Crearis platform (format ${legacyIndex.version ?? '1.0'})`,
      profile: plan.profile,
      ...(legacyIndex.description ? { description: legacyIndex.description } : {}),
    },
    entities: files.entities,
    files: Object.fromEntries(files.entities.map((e) => [e, files.fileNames.get(e)!])),
    tables: files.tables,
    excluded,
  };
}

function sourceOf({ entities, fileNames, bodies }: CanonicalFiles): TableSource {
  return {
    async walk(visit, signal) {
      for (const e of entities) {
        signal?.throwIfAborted();
        const file = fileNames.get(e)!;
        await visit(file, Readable.from([bodies.get(file)!], { objectMode: false }));
      }
    },
  };
}
