// What the diff view shows and sends, kept pure: the words and icons of each kind and verdict (never
// colour alone), how a row is named, and how the user's selection and conflict decisions become the
// `decisions` of an import request (the decisions-file format).
import type { ApiRequest, BaseInfo, DiffField, DiffKind, DiffRow, DiffSummary } from '../../src-common/contract';
import { formatDateTime } from './format';

export type DiffKey = Record<string, unknown> | null;
export type Choice = 'source' | 'target';

export interface KindLook {
  /** Column header and filter label. */
  label: string;
  /** One row of this kind, in a list. */
  one: string;
  icon: string;
  /** What a merge does with it. */
  sentence: string;
}

export const KIND_LOOK: Record<DiffKind, KindLook> = {
  new: { label: 'New', one: 'new', icon: 'pi pi-plus-circle', sentence: 'Only in the archive: the merge inserts it.' },
  changed: { label: 'Changed', one: 'changed', icon: 'pi pi-pencil', sentence: 'The archive changed fields the target did not: the merge updates them.' },
  kept: { label: 'Kept', one: 'kept', icon: 'pi pi-lock', sentence: 'Differs only where the target edited it since the base: the target’s values stay.' },
  identical: { label: 'Identical', one: 'identical', icon: 'pi pi-equals', sentence: 'The same on both sides: nothing to do.' },
  conflict: { label: 'Conflicts', one: 'conflict', icon: 'pi pi-exclamation-triangle', sentence: 'Both sides changed it since the base: decide which side wins.' },
  deleted_in_target: { label: 'Gone in target', one: 'gone in target', icon: 'pi pi-trash', sentence: 'Deleted in the target since the base and not edited in the archive: it stays deleted.' },
  target_only: { label: 'Only in target', one: 'only in target', icon: 'pi pi-shield', sentence: 'Only in the target: it is never deleted.' },
  deleted_in_source: { label: 'Gone in source', one: 'gone in source', icon: 'pi pi-minus-circle', sentence: 'Gone from the archive since the base: it stays in the target, never deleted.' },
  refused: { label: 'Refused', one: 'refused', icon: 'pi pi-ban', sentence: 'The archive’s row cannot be resolved in the target (a parent is missing): it is not written.' },
};

/** The order of the summary's columns; the last three only when some table has them. */
export const SUMMARY_KINDS: DiffKind[] = ['new', 'changed', 'kept', 'conflict', 'target_only', 'identical'];
export const RARE_KINDS: DiffKind[] = ['deleted_in_target', 'deleted_in_source', 'refused'];
/** Kinds the row list shows under "All differences". */
export const DIFFERENT_KINDS: DiffKind[] = ['new', 'changed', 'conflict', 'kept', 'deleted_in_target', 'target_only', 'deleted_in_source', 'refused'];
/** Kinds a merge may write: only they have an include checkbox. */
export const WRITABLE_KINDS: DiffKind[] = ['new', 'changed', 'conflict'];

export const VERDICT_LOOK: Record<DiffField['verdict'], { label: string; icon: string }> = {
  apply: { label: 'Apply', icon: 'pi pi-arrow-right' },
  keep: { label: 'Keep target', icon: 'pi pi-lock' },
  conflict: { label: 'Conflict', icon: 'pi pi-exclamation-triangle' },
};

/** One string per row of a table: how selections and decisions are keyed. */
export function rowId(table: string, key: DiffKey): string {
  return `${table}\u0000${JSON.stringify(key)}`;
}

export function fieldId(table: string, key: DiffKey, field: string): string {
  return `${rowId(table, key)}\u0000${field}`;
}

function keyValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return keyText(v as Record<string, unknown>);
  return String(v);
}

/** A natural key as people read it: "xmlid = _demo.event_x", a foreign key as "project → domaincode = tp". */
export function keyText(key: DiffKey): string {
  if (!key) return '(no natural key: matched by content)';
  const entries = Object.entries(key);
  if (entries.length === 1 && (typeof entries[0]![1] !== 'object' || entries[0]![1] === null)) return keyValue(entries[0]![1]);
  return entries.map(([k, v]) => (v !== null && typeof v === 'object' ? `${k} → ${keyValue(v)}` : `${k} = ${keyValue(v)}`)).join(', ');
}

/** A row deleted in the target since the base but edited in the source: decided for the whole row. */
export function isRowConflict(row: DiffRow): boolean {
  return row.deletedInTarget === true;
}

export function conflictFields(row: DiffRow): DiffField[] {
  return row.fields.filter((f) => f.verdict === 'conflict');
}

export function hasRareKinds(summary: DiffSummary, kind: DiffKind): boolean {
  return summary.tables.some((t) => t.counts[kind] > 0);
}

export function differences(counts: Record<DiffKind, number>): number {
  return DIFFERENT_KINDS.reduce((n, k) => n + counts[k], 0);
}

/** What the user chose in the diff view. */
export interface Selection {
  excludedTables: Record<string, true>;
  excludedRows: Record<string, { table: string; key: DiffKey }>;
  excludedFields: Record<string, { table: string; key: DiffKey; field: string }>;
  /** rowId (whole row) or fieldId (one field) → choice. */
  decisions: Record<string, { table: string; key: DiffKey; field?: string; choice: Choice }>;
}

export function emptySelection(): Selection {
  return { excludedTables: {}, excludedRows: {}, excludedFields: {}, decisions: {} };
}

export function isRowIncluded(s: Selection, table: string, key: DiffKey): boolean {
  return !s.excludedTables[table] && !s.excludedRows[rowId(table, key)];
}

export function isFieldIncluded(s: Selection, table: string, key: DiffKey, field: string): boolean {
  return isRowIncluded(s, table, key) && !s.excludedFields[fieldId(table, key, field)];
}

/** The choice that decides a conflicting field (or a whole-row conflict when field is omitted). */
export function decisionFor(s: Selection, table: string, key: DiffKey, field?: string): Choice | null {
  if (field !== undefined) {
    const f = s.decisions[fieldId(table, key, field)];
    if (f) return f.choice;
  }
  return s.decisions[rowId(table, key)]?.choice ?? null;
}

/** Conflicts that still need a decision: per conflicting field, or per row deleted in the target. */
export function openConflicts(rows: readonly DiffRow[], s: Selection): { open: number; total: number } {
  let open = 0;
  let total = 0;
  for (const row of rows) {
    if (row.kind !== 'conflict') continue;
    if (isRowConflict(row)) {
      total++;
      if (isRowIncluded(s, row.table, row.key) && !decisionFor(s, row.table, row.key)) open++;
      continue;
    }
    for (const f of conflictFields(row)) {
      total++;
      if (isFieldIncluded(s, row.table, row.key, f.column) && !decisionFor(s, row.table, row.key, f.column)) open++;
    }
  }
  return { open, total };
}

type Decisions = NonNullable<Extract<ApiRequest<'jobs.start'>, { kind: 'import' }>['decisions']>;

/** The selection as the import request's `decisions`: a table left out is sent once, not its rows. */
export function toDecisions(s: Selection): Decisions {
  const exclude: Decisions['exclude'] = [];
  for (const table of Object.keys(s.excludedTables).sort()) exclude.push({ table });
  for (const r of Object.values(s.excludedRows)) if (!s.excludedTables[r.table]) exclude.push({ table: r.table, key: r.key ?? {} });
  for (const f of Object.values(s.excludedFields)) {
    if (!s.excludedTables[f.table] && !s.excludedRows[rowId(f.table, f.key)]) exclude.push({ table: f.table, key: f.key ?? {}, field: f.field });
  }
  const decisions: Decisions['decisions'] = [];
  for (const d of Object.values(s.decisions)) {
    if (!isRowIncluded(s, d.table, d.key)) continue;
    decisions.push({ table: d.table, key: d.key ?? {}, ...(d.field !== undefined ? { field: d.field } : {}), choice: d.choice });
  }
  return { decisions, exclude };
}

/** Short for a value cell: NULL and empty text are named, not left blank. */
export function valueText(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (v === '') return '(empty)';
  return v;
}

/** A kept base is stored under its SHA-256: show the start of the hash, not 64 hex digits. */
/** The remembered base as people know it: what it is an export of, and when. */
export function rememberedBaseLabel(info: BaseInfo): string {
  if (info.export) return `export of ${info.export.database}, ${formatDateTime(info.export.timestamp)}`;
  return info.file ? baseFileLabel(info.file.name) : '';
}

export function baseFileLabel(name: string): string {
  const m = /^([0-9a-f]{12})[0-9a-f]{52}(\.tar\.gz|\.tgz)?$/i.exec(name);
  return m ? `${m[1]}…${m[2] ?? ''}` : name;
}
