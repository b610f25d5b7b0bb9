// The archive's index.json (format 2) and its validation. An archive is untrusted input: everything read
// from it is checked here before any other stage sees it.
import { z } from 'zod';
import { DATABASE_WIDE_SCHEMA } from '../catalog';

export const ARCHIVE_FORMAT = 'mr4-archive';
/** 2.2: masked columns and subsets are recorded (2.0 and 2.1 archives read as before). 2.3: the
 *  identity names the exported schema of the database, not the whole database (see catalog.ts). */
export const ARCHIVE_FORMAT_VERSION = '2.3';
/** The lineage of ids the exporting database holds (format 2.1): which rows of other databases became
 *  its rows. A table file in form, with these columns; never a table's name. */
export const LINEAGE_FILE = 'mr4-lineage.json';
export const LINEAGE_COLUMNS = ['table_name', 'local_key', 'origin', 'origin_key'] as const;
/** The tableName its file's header carries. */
export const LINEAGE_LABEL = 'mr4-lineage';
export const INDEX_FILE = 'index.json';

const name = z.string().min(1).max(63);
const fileName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\.json$/, 'file names are plain names ending in .json')
  .refine((f) => f !== INDEX_FILE, 'a table file cannot be named index.json');

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a lower-case uuid');

const columnSchema = z.object({ name, type: z.string().min(1).max(200), notNull: z.boolean() });

const tableSchema = z.object({
  file: fileName,
  role: z.enum(['data', 'reference']),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  columns: z.array(columnSchema).min(1),
  primaryKey: z.array(name),
  surrogate: name.nullable(),
  key: z.object({ kind: z.enum(['key', 'content']), columns: z.array(name), source: z.string() }),
  references: z.array(z.object({ columns: z.array(name).min(1), parent: name, parentColumns: z.array(name), remap: z.boolean() })),
  excludedColumns: z.array(z.object({ name, reason: z.string() })),
  /** (2.2) Columns whose values are masked (see mask.ts): never compared, never written over a
   *  target's value. `origin` is the database that masked them (an export of masked data it received
   *  says so too). */
  masked: z.array(z.object({ column: name, rule: z.string().max(40), origin: uuid.optional() })).optional(),
  /** (2.2) The table's rows are a subset: "filtered" by a condition, or "dependent" on filtered
   *  tables (with the parents kept rows need). Rows absent from the archive were not exported. */
  subset: z.enum(['filtered', 'dependent']).optional(),
  /** (2.2) The highest id the table's sequence had handed out or its rows held at export (integer
   *  ids drawn from a sequence): a lineage naming a higher id of this database names a reused id. */
  idsIssued: z
    .string()
    .regex(/^-?[0-9]{1,19}$/)
    .optional(),
  /** (2.2) The table's id sequence was restarted since the import of this time (ISO), the last one
   *  that recorded its lineage in this database: the ids its lineage names may be other rows now. */
  idsRestartedSince: z.iso.datetime().optional(),
  /** (2.2) The generation of the table's ids: its id sequence's relfilenode, which a restart changes.
   *  A database whose lineage names this database's ids recorded against another one names ids that
   *  may be other rows now. */
  idsGeneration: z
    .string()
    .regex(/^[0-9]{1,10}$/)
    .optional(),
  /** (2.2) Per origin database (identity), the generation of its ids this database's lineage of the
   *  table was recorded against (the origin's idsGeneration then), and when. */
  originIdsGenerations: z
    .record(uuid, z.object({ generation: z.string().regex(/^[0-9]{1,10}$/), recordedAt: z.iso.datetime() }))
    .optional(),
});

export const indexSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: z.string().regex(/^2\.\d+$/, 'this version reads archive format 2.x'),
  metadata: z.object({
    timestamp: z.string(),
    database: z.string(),
    schema: z.string(),
    /** startedAt: when the exporting server was started (see staged/copies.ts); an archive written
     *  before it was recorded, or by an agreement, has none. */
    server: z.object({ version: z.string(), systemIdentifier: z.string().nullable(), startedAt: z.iso.datetime().optional() }),
    tool: z.string(),
    profile: z.string().nullable(),
    description: z.string().optional(),
    /** sha256 of the archive the exported database was seeded from (three-way merges). */
    baseSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    tables: z.array(name).optional(),
    /** The identity of the exported schema of its database (see catalog.ts): what the lineage names it by. */
    identity: uuid.optional(),
    /** (2.3) The identity earlier versions gave the whole database (what their lineage names it by). */
    databaseIdentity: uuid.optional(),
    /** (2.2) The export masked values: which key (named, never revealed) and whether it came from a
     *  seed (archives masked with one seed mask alike). */
    masking: z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/), seeded: z.boolean() }).optional(),
    /** (2.2) The export is a subset: the conditions, as given, and whether children came along. */
    subset: z
      .object({ where: z.array(z.object({ table: name, where: z.string().max(10_000) })).max(1000), withChildren: z.boolean() })
      .optional(),
  }),
  entities: z.array(name),
  files: z.record(name, fileName),
  tables: z.record(name, tableSchema),
  excluded: z.array(z.object({ table: name, reason: z.string() })),
  lineage: z
    .object({
      file: z.literal(LINEAGE_FILE),
      rows: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    })
    .optional(),
});

export type ArchiveIndex = z.infer<typeof indexSchema>;
export type ArchiveTable = z.infer<typeof tableSchema>;
export type ArchiveColumn = z.infer<typeof columnSchema>;
export type ArchiveLineage = NonNullable<ArchiveIndex['lineage']>;

export class ArchiveError extends Error {
  override name = 'ArchiveError';
  /** Whether damaged bytes could be the cause (false for a limit): then the gzip data is checked, to
   *  say "corrupt" when it is. */
  damage = true;
}

const MAX_TABLES = 10_000;
/** PostgreSQL's own limit of columns in a table. */
const MAX_COLUMNS = 1600;

/**
 * Bounds the index's lists before the schema reads it: the schema reports every element that is
 * wrong, and a list of a million wrong elements would be a million reports (gigabytes).
 */
function precheckIndex(json: unknown): void {
  const fail = (what: string) => {
    throw new ArchiveError(`index.json is not a valid MR4 archive index:\n  ${what}`);
  };
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const list = (v: unknown, max: number, where: string) => {
    if (v !== undefined && (!Array.isArray(v) || v.length > max)) fail(`${where}: a list of at most ${max} entries`);
  };
  const record = (v: unknown, max: number, where: string) => {
    if (v !== undefined && (!isObj(v) || Object.keys(v).length > max)) fail(`${where}: an object of at most ${max} entries`);
  };
  if (!isObj(json)) fail('(root): an object');
  const j = json as Record<string, unknown>;
  list(j.entities, MAX_TABLES, 'entities');
  list(j.excluded, MAX_TABLES, 'excluded');
  record(j.files, MAX_TABLES, 'files');
  record(j.tables, MAX_TABLES, 'tables');
  if (isObj(j.metadata)) list(j.metadata.tables, MAX_TABLES, 'metadata.tables');
  if (isObj(j.tables)) {
    for (const [name, t] of Object.entries(j.tables)) {
      if (!isObj(t)) continue;
      for (const key of ['columns', 'primaryKey', 'references', 'excludedColumns', 'masked'])
        list(t[key], MAX_COLUMNS, `tables.${name}.${key}`);
      if (isObj(t.key)) list(t.key.columns, MAX_COLUMNS, `tables.${name}.key.columns`);
      if (Array.isArray(t.references)) {
        for (const r of t.references)
          if (isObj(r)) for (const key of ['columns', 'parentColumns']) list(r[key], MAX_COLUMNS, `tables.${name}.references`);
      }
    }
  }
}

export function parseIndex(json: unknown): ArchiveIndex {
  precheckIndex(json);
  const result = indexSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 8).map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ArchiveError(`index.json is not a valid MR4 archive index:\n${issues.join('\n')}`);
  }
  const index = result.data;
  const entities = new Set(index.entities);
  if (entities.size !== index.entities.length) throw new ArchiveError('index.json lists a table twice in "entities"');
  const files = new Set<string>();
  for (const entity of index.entities) {
    const table = index.tables[entity];
    if (!table) throw new ArchiveError(`index.json lists table "${entity}" without describing it under "tables"`);
    if (index.files[entity] !== table.file) throw new ArchiveError(`index.json gives two different files for table "${entity}"`);
    if (files.has(table.file)) throw new ArchiveError(`index.json gives file ${table.file} to two tables`);
    if (table.file === LINEAGE_FILE) throw new ArchiveError(`index.json gives table "${entity}" the lineage's file name`);
    files.add(table.file);
  }
  for (const t of Object.keys(index.tables))
    if (!entities.has(t)) throw new ArchiveError(`index.json describes table "${t}" but does not list it`);
  return withoutDatabaseWideIdentity(index);
}

/**
 * Before 2.3 an archive's identity named its whole database: for any schema but public (whose identity
 * it still is) it cannot tell which schema it was, so such an archive says nothing about its identity —
 * no lineage, no same-database pairing, no kept agreement — rather than pass for another schema. It is
 * kept as the database's, which tells that the two synced before.
 */
function withoutDatabaseWideIdentity(index: ArchiveIndex): ArchiveIndex {
  const schemaWide = Number(index.formatVersion.split('.')[1]) >= 3;
  if (schemaWide || index.metadata.schema === DATABASE_WIDE_SCHEMA || !index.metadata.identity) return index;
  const { identity: databaseIdentity, ...metadata } = index.metadata;
  return { ...index, metadata: { ...metadata, databaseIdentity } };
}

/** Every file the index names: table files and the lineage. */
export function listedFiles(index: ArchiveIndex): Set<string> {
  return new Set([...Object.values(index.files), ...(index.lineage ? [index.lineage.file] : [])]);
}

/** A file name for each table: plain characters, unique, never index.json. */
export function tableFileNames(tables: readonly string[]): Map<string, string> {
  const used = new Set<string>([INDEX_FILE, LINEAGE_FILE]);
  const out = new Map<string, string>();
  for (const t of tables) {
    const base =
      t
        .replace(/[^A-Za-z0-9_.-]/g, '_')
        .replace(/^[.-]/, '_')
        .slice(0, 90) || 'table';
    let candidate = `${base}.json`;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}-${n}.json`;
    used.add(candidate);
    out.set(t, candidate);
  }
  return out;
}
