// What the diff view shows and sends, kept pure: the words and icons of each kind and verdict (never
// colour alone), how a row is named, and how the user's selection and conflict decisions become the
// `decisions` of an import request (the decisions-file format).
import type { ApiRequest, BaseInfo, DiffField, DiffKind, DiffRow, DiffSummary } from '../../src-common/contract';
import { formatDateTime } from './format';

export type DiffKey = Record<string, unknown> | null;
export type Choice = 'source' | 'target';
/** The answer to a probable edit: the target's row with its id, edited (update it), or a new row. */
export type SameOrNew = 'same' | 'new';

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
  changed: {
    label: 'Changed',
    one: 'changed',
    icon: 'pi pi-pencil',
    sentence: 'The archive changed fields the target did not: the merge updates them.',
  },
  kept: {
    label: 'Kept',
    one: 'kept',
    icon: 'pi pi-lock',
    sentence: 'Differs only where the target edited it since the base: the target’s values stay.',
  },
  identical: { label: 'Identical', one: 'identical', icon: 'pi pi-equals', sentence: 'The same on both sides: nothing to do.' },
  conflict: {
    label: 'Conflicts',
    one: 'conflict',
    icon: 'pi pi-exclamation-triangle',
    sentence: 'Both sides changed it since the base: decide which side wins.',
  },
  probable_edit: {
    label: 'Probable edits',
    one: 'probable edit',
    icon: 'pi pi-question-circle',
    sentence:
      'Has the id and most of the values of a target row, but neither a lineage of ids nor a natural key says it is that row: decide whether it is the same row (update it) or a new one (insert it).',
  },
  deleted_in_target: {
    label: 'Gone in target',
    one: 'gone in target',
    icon: 'pi pi-trash',
    sentence: 'Deleted in the target since the base and not edited in the archive: it stays deleted.',
  },
  target_only: {
    label: 'Only in target',
    one: 'only in target',
    icon: 'pi pi-shield',
    sentence: 'Only in the target: it is never deleted.',
  },
  deleted_in_source: {
    label: 'Gone in source',
    one: 'gone in source',
    icon: 'pi pi-minus-circle',
    sentence: 'Gone from the archive since the base: it stays in the target, never deleted.',
  },
  refused: {
    label: 'Refused',
    one: 'refused',
    icon: 'pi pi-ban',
    sentence: 'The merge cannot write the archive’s row (the reason says why, and what to do): it is not written.',
  },
};

/** The order of the summary's columns; probable edits (after conflicts) and the rare kinds only when
 *  some table has them. */
export const SUMMARY_KINDS: DiffKind[] = ['new', 'changed', 'kept', 'conflict', 'probable_edit', 'target_only', 'identical'];
export const OPTIONAL_KINDS: DiffKind[] = ['probable_edit'];
export const RARE_KINDS: DiffKind[] = ['deleted_in_target', 'deleted_in_source', 'refused'];
/** Kinds the row list shows under "All differences". */
export const DIFFERENT_KINDS: DiffKind[] = [
  'new',
  'changed',
  'conflict',
  'probable_edit',
  'kept',
  'deleted_in_target',
  'target_only',
  'deleted_in_source',
  'refused',
];
/** Kinds a merge may write: only they have an include checkbox. */
export const WRITABLE_KINDS: DiffKind[] = ['new', 'changed', 'conflict', 'probable_edit'];

/** The two answers to a probable edit, as buttons say them. */
export const SAME_OR_NEW_LOOK: Record<SameOrNew, { label: string; short: string; icon: string; sentence: string }> = {
  same: {
    label: 'Same row (update it)',
    short: 'same row',
    icon: 'pi pi-pencil',
    sentence: 'It is the target’s row with this id, edited: the merge updates that row.',
  },
  new: {
    label: 'New row (insert it)',
    short: 'new row',
    icon: 'pi pi-plus-circle',
    sentence:
      'It is another row that only looks alike: the merge inserts it with an id of its own and leaves the target’s row alone. Rows of the archive that point at it follow it (the dry run counts them).',
  },
};

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

/** How a diff row is named: by its natural key; a probable edit (a table without one, named by its id)
 *  with the column names too ("id = 3"), since a bare number says nothing. */
export function rowKeyText(row: Pick<DiffRow, 'kind' | 'key'>): string {
  if (row.kind !== 'probable_edit' || !row.key) return keyText(row.key);
  return Object.entries(row.key)
    .map(([k, v]) => `${k} = ${v !== null && typeof v === 'object' ? keyText(v as Record<string, unknown>) : keyValue(v)}`)
    .join(', ');
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
  /** kind: what the row was in the diff (a probable edit left out still needs an answer for the engine). */
  excludedRows: Record<string, { table: string; key: DiffKey; kind?: DiffKind }>;
  excludedFields: Record<string, { table: string; key: DiffKey; field: string }>;
  /** rowId (whole row) or fieldId (one field) → choice. */
  decisions: Record<string, { table: string; key: DiffKey; field?: string; choice: Choice }>;
  /** rowId → the answer to that probable edit. */
  probable: Record<string, { table: string; key: DiffKey; choice: SameOrNew }>;
  /** The answer for every probable edit not answered row by row. */
  probableAll: SameOrNew | null;
}

export function emptySelection(): Selection {
  return { excludedTables: {}, excludedRows: {}, excludedFields: {}, decisions: {}, probable: {}, probableAll: null };
}

/** The answer that decides a probable edit: its own, else the one for all; null while open. */
export function probableChoice(s: Selection, table: string, key: DiffKey): SameOrNew | null {
  return s.probable[rowId(table, key)]?.choice ?? s.probableAll;
}

/**
 * Probable edits still to answer, from the summary's counts (the rows themselves are paged): every
 * probable edit of an included table, less those answered row by row and those left out (a row left
 * out needs no answer). None while an answer for all is set.
 */
export function openProbableEdits(summary: DiffSummary | undefined, s: Selection): { open: number; total: number } {
  let total = 0;
  let open = 0;
  for (const t of summary?.tables ?? []) {
    const n = t.counts.probable_edit;
    if (!n) continue;
    total += n;
    if (s.excludedTables[t.table] || s.probableAll) continue;
    const settled = new Set<string>();
    for (const [id, p] of Object.entries(s.probable)) if (p.table === t.table) settled.add(id);
    for (const [id, r] of Object.entries(s.excludedRows)) if (r.table === t.table && r.kind === 'probable_edit') settled.add(id);
    open += Math.max(0, n - settled.size);
  }
  return { open, total };
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

/**
 * The selection as the import request's `decisions`: a table left out is sent once, not its rows.
 * Probable edits: each answer row by row, and the answer for all as `probableEdits`. A probable edit
 * left out is sent as "same" (the engine asks about every probable edit, written or not): matched to
 * the target's row and left alone, which is what leaving it out means; in a table left out, the same
 * through the answer for all (`leftOutProbable` says there may be such rows; the app's merge also
 * settles them row by row on the server).
 */
export function toDecisions(s: Selection, leftOutProbable = false): Decisions {
  const exclude: Decisions['exclude'] = [];
  for (const table of Object.keys(s.excludedTables).sort()) exclude.push({ table });
  for (const r of Object.values(s.excludedRows)) if (!s.excludedTables[r.table]) exclude.push({ table: r.table, key: r.key ?? {} });
  for (const f of Object.values(s.excludedFields)) {
    if (!s.excludedTables[f.table] && !s.excludedRows[rowId(f.table, f.key)])
      exclude.push({ table: f.table, key: f.key ?? {}, field: f.field });
  }
  const decisions: Decisions['decisions'] = [];
  for (const d of Object.values(s.decisions)) {
    if (!isRowIncluded(s, d.table, d.key)) continue;
    decisions.push({ table: d.table, key: d.key ?? {}, ...(d.field !== undefined ? { field: d.field } : {}), choice: d.choice });
  }
  // A probable edit left out is matched to the target's row and left alone, whatever it was answered.
  for (const p of Object.values(s.probable))
    decisions.push({ table: p.table, key: p.key ?? {}, choice: isRowIncluded(s, p.table, p.key) ? p.choice : 'same' });
  for (const [id, r] of Object.entries(s.excludedRows)) {
    if (r.kind === 'probable_edit' && !s.probable[id]) decisions.push({ table: r.table, key: r.key ?? {}, choice: 'same' });
  }
  const probableEdits = s.probableAll ?? (leftOutProbable ? 'same' : undefined);
  return { ...(probableEdits ? { probableEdits } : {}), decisions, exclude };
}

/** Short for a value cell: NULL and empty text are named, not left blank. */
export function valueText(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (v === '') return '(empty)';
  return v;
}

/** The kept agreement as people know it: which two databases agreed, and when they last synced. */
export function rememberedBaseLabel(info: BaseInfo): string {
  if (info.between)
    return `What ${info.between.archive} and ${info.between.target} agreed on when they last synced, ${formatDateTime(info.between.at)}`;
  return info.file ? `What the two databases last agreed on (${baseFileLabel(info.file.name)})` : '';
}

/** A kept base is stored under its SHA-256: show the start of the hash, not 64 hex digits. */
export function baseFileLabel(name: string): string {
  const m = /^([0-9a-f]{12})[0-9a-f]{52}(\.tar\.gz|\.tgz)?$/i.exec(name);
  return m ? `${m[1]}…${m[2] ?? ''}` : name;
}
