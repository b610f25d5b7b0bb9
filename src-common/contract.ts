// The one contract between MR4 Studio's front doors (Electron window, browser mode, CLI) and its
// services and engine: the events a run emits and the reports it returns. It imports nothing of Node,
// Electron, pg or Vue, so main, preload, renderer, the browser-mode server and the CLI all share it.

export const EXPORT_PHASES = ['Read catalog', 'Copy tables', 'Write archive'] as const;
export const IMPORT_PHASES = ['Check archive', 'Stage rows', 'Match and write', 'Late seed', 'Finish'] as const;

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
  | { type: 'log'; level: 'info' | 'warn'; message: string };

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

export interface ImportReport {
  mode: ImportMode;
  dryRun: boolean;
  tables: TableCounts[];
  durationMs: number;
  archive: { path: string; format: string; database: string; timestamp: string };
  target: { database: string; label: string };
  /** Rows refused (with allowFailures) or unresolved references left NULL. */
  failures: RowProblem[];
  warnings: string[];
  /** Columns of the archive or target that were left out because ignoreMissingColumns allowed it. */
  ignoredColumns: string[];
  triggersDisabled: boolean;
}

export interface ExportReport {
  file: string;
  bytes: number;
  sha256: string;
  database: string;
  tables: { table: string; role: 'data' | 'reference'; rows: number; bytes: number }[];
  durationMs: number;
}
