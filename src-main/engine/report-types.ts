// What the engine's runs emit and return: the phases of each run, its events, and its reports. The
// engine's own types, in a file that imports nothing, so that src-common/contract.ts can re-export
// them to every door and the window without the engine importing the contract.

export const EXPORT_PHASES = ['Read catalog', 'Copy tables', 'Write archive'] as const;
export const IMPORT_PHASES = ['Check archive', 'Stage rows', 'Match and write', 'Late seed', 'Finish'] as const;
export const DIFF_PHASES = ['Check archive', 'Stage rows', 'Match', 'Compare'] as const;
export const UNDO_PHASES = ['Find the import', 'Check rows', 'Undo', 'Finish'] as const;

export type ImportMode = 'skip' | 'merge';

export type EngineEvent =
  | { type: 'phase'; index: number; name: string }
  | {
      type: 'table';
      table: string;
      /** Index into the phases of the run. */
      phase: number;
      rowsDone: number;
      rowsTotal: number | null;
      bytes?: number;
      done?: boolean;
    }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  /** Bytes of the input read so far, of `total` (an archive being opened: compressed bytes). */
  | { type: 'progress'; done: number; total: number };

export interface TableCounts {
  table: string;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

/** A row the import refused or could not fully resolve, named by its natural key. */
export interface RowProblem {
  table: string;
  /** The row's natural key as column → text value (foreign keys as the parent's key), or null. */
  key: Record<string, unknown> | null;
  /** 1-based position of the row in the archive's table file. */
  row: number | null;
  column?: string;
  reason: string;
}

/**
 * How an import checks the foreign keys of the tables it writes (always after mr4's own set-wise
 * check of every row): 'reloaded' — those of the tables receiving many rows were dropped before
 * writing and added again with validation in the same transaction (`reloaded` names them), the others
 * fired their triggers; 'triggers' — every key's triggers fired row by row; 'disabled' — the
 * foreign-key triggers were disabled (--disable-triggers as a superuser); 'none' — no foreign keys.
 */
export interface ForeignKeyPath {
  path: 'reloaded' | 'triggers' | 'disabled' | 'none';
  reason: string;
  /** The constraints dropped and added again, as relation.constraint. */
  reloaded: string[];
}

export interface ImportReport {
  mode: ImportMode;
  dryRun: boolean;
  tables: TableCounts[];
  durationMs: number;
  archive: { path: string; format: string; database: string; timestamp: string; sha256: string; baseSha256?: string; identity?: string };
  target: { database: string; label: string; systemIdentifier: string | null; identity: string };
  /** Rows refused (with allowFailures) or unresolved references left NULL. */
  failures: RowProblem[];
  warnings: string[];
  /** Columns of the archive or target that were left out because ignoreMissingColumns allowed it. */
  ignoredColumns: string[];
  triggersDisabled: boolean;
  /** How the foreign keys of the tables written were checked, and why (see ForeignKeyPath). */
  foreignKeys?: ForeignKeyPath;
  /** The lineage of ids the run recorded in the target (pairs written; stored false where the user may
   *  not create its schema); null for a dry run or with lineage turned off. */
  lineage: { recorded: number; stored: boolean } | null;
  /** What the archive's database and the target agree on after the run (an archive of those rows,
   *  written for the next three-way merge between them); null for a dry run, or when not kept. */
  agreement: { path: string; sha256: string; identity: string; between: [string, string] } | null;
  /** The base the run compared with (three-way), and whether it is the kept agreement of the two
   *  databases; null for a two-way run. */
  base: { path: string; kept: boolean } | null;
  /** The undo log the run kept in the target (_mr4): its id (mr4 undo --run) and how many rows it
   *  holds; null for a dry run, with --no-undo, or where the user may not create it (a warning says so). */
  undo?: { run: string; rows: number } | null;
}

export interface ExportReport {
  file: string;
  bytes: number;
  sha256: string;
  database: string;
  tables: { table: string; role: 'data' | 'reference'; rows: number; bytes: number }[];
  durationMs: number;
  /** Columns whose values the archive holds masked (inherited: masked before they reached this
   *  database, by the export it was seeded from). */
  masked?: MaskedColumnInfo[];
  /** The rows of a subset export, per table. */
  subset?: SubsetInfo;
  /** The archive is encrypted. */
  encrypted?: boolean;
}

export interface MaskedColumnInfo {
  table: string;
  column: string;
  /** keep, null, fixed, email, phone, name, hash, emails-inside, random. */
  rule: string;
  inherited: boolean;
}

/** A subset: the conditions as given, and per data table what it exports (rows null: all of them). */
export interface SubsetInfo {
  where: { table: string; where: string }[];
  withChildren: boolean;
  tables: {
    table: string;
    role: 'filtered' | 'dependent' | 'full';
    rows: number | null;
    byCondition?: number;
    asChildren?: number;
    asParents?: number;
    unnamed?: number;
  }[];
}

export const DIFF_KINDS = [
  'new',
  'changed',
  'kept',
  'identical',
  'conflict',
  'probable_edit',
  'deleted_in_target',
  'target_only',
  'deleted_in_source',
  'refused',
] as const;
/** new: only in the archive · changed: fields to apply · kept: differs only where the target edited
 *  since the base · identical · conflict · probable_edit: has the id and most values of a target row
 *  that nothing else says it is (same row, edited, or a new one? the user decides) ·
 *  deleted_in_target: in base and archive, gone from the target · target_only · deleted_in_source: in
 *  base and target, gone from the archive · refused. */
export type DiffKind = (typeof DIFF_KINDS)[number];

export interface DiffField {
  column: string;
  /** Values as text; a foreign key as the natural key of the row it points at. */
  source: string | null;
  target: string | null;
  base: string | null;
  verdict: 'apply' | 'keep' | 'conflict';
  /** Why, where the values alone do not say it: a reference kept because its parent's deletion in the
   *  source set it (ON DELETE SET NULL / SET DEFAULT), not an edit. */
  reason?: string;
}

export interface DiffRow {
  table: string;
  kind: DiffKind;
  /** The row's natural key (a foreign key in it as the parent's key): how decisions name it. */
  key: Record<string, unknown> | null;
  /** 1-based row of the archive's table file; null for a row only in the target. */
  row: number | null;
  fields: DiffField[];
  /** New rows and rows only in the target, in full (text values). */
  values?: Record<string, string | null>;
  reason?: string;
  /** E.g. that a new row and a row gone from the archive look like one row whose key was renamed. */
  hint?: string;
  /** md5 of the target row as it was classified. */
  fingerprint: string | null;
  /** A conflict whose row the target deleted since the base (decided as a whole: bring it back or not). */
  deletedInTarget?: true;
}

export interface DiffSummary {
  threeWay: boolean;
  archive: { path: string; database: string; timestamp: string };
  base: { path: string; database: string; timestamp: string } | null;
  target: { database: string; label: string };
  tables: { table: string; counts: Record<DiffKind, number> }[];
  warnings: string[];
  durationMs: number;
}

/** An import as the target's _mr4.runs records it. */
export interface UndoRunInfo {
  id: string;
  at: string;
  schema: string;
  sourceIdentity: string | null;
  sourceDatabase: string | null;
  archive: { sha256: string | null; name: string | null };
  mode: string | null;
  tool: string | null;
  /** Its undo log still exists. */
  undoable: boolean;
  undoneAt: string | null;
  logRows: number | null;
}

/** What an undo did. */
export interface UndoReport {
  dryRun: boolean;
  run: UndoRunInfo;
  target: { database: string; identity: string };
  tables: { table: string; deleted: number; restored: number; kept: number }[];
  /** Rows changed or deleted after the import, left as they are (keepChanged). */
  changed: RowProblem[];
  lineage: { removed: number; restored: number };
  durationMs: number;
}

/** One table whose ids went back in one database since a lineage of ids named them (a run refused). */
export interface ReusedIds {
  table: string;
  /** The database whose ids went back or whose id sequence was restarted… */
  database: string;
  /** …and its identity (the origin other databases' lineage names it by), where known. */
  identity: string | null;
  /** The highest of its ids the lineage names, and the highest its sequence or rows reach now (null
   *  where that could not be read); the ids went back where `named` is the higher. */
  named: string;
  issued: string | null;
  /** Where its id sequence was restarted since the lineage of ids was recorded: the time of the
   *  import that recorded it (ISO); else null. */
  restartedSince: string | null;
  /** The databases whose lineage names those ids (its own, the other's, or both)… */
  namedBy: string[];
  /** …and which side of the run each is (the archive's database or the target), in the same order:
   *  where the lineage is to be forgotten. */
  namedBySides: ('archive' | 'target')[];
  /** When the target's lineage last recorded one of them (null where only an archive names them). */
  recordedAt: string | null;
  /** Whether that database is the archive's (forgetting there means exporting it again). */
  isArchive: boolean;
}

/** What forgetting some tables' lineage of ids did. */
export interface ForgetLineageReport {
  database: string;
  schema: string;
  /** Per table asked for, the pairs forgotten (0 where the lineage held none); `idsAbove` where only
   *  the pairs naming its ids above that one were forgotten. */
  tables: { table: string; pairs: number; idsAbove?: string }[];
  /** Where only pairs above a ceiling were forgotten: whose ids they name — this database's own, or
   *  another's (its identity, as its lineage names it). */
  idsOf?: { identity: string; own: boolean };
}
