// Words shared by the screens that say how rows without a natural key are identified: the Import and
// Sync options, the error of an import that met rows that only look like edits, and the preview.
import type { RowProblem } from '../../src-common/contract';

/** 'ask': stop and list them (the engine's default); otherwise the answer for all of them. */
export type ProbableEditsSetting = 'ask' | 'same' | 'new';

export const PROBABLE_EDIT_OPTIONS: { value: ProbableEditsSetting; label: string }[] = [
  { value: 'ask', label: 'Stop and list them' },
  { value: 'same', label: 'They are the same rows: update them' },
  { value: 'new', label: 'They are new rows: insert them' },
];

/** The risk of "copies of each other", in one sentence, said where it is chosen. */
export const SAME_IDS_RISK =
  'Risk: rows added on both sides at the same id since the copy are taken for one row, and a merge then overwrites the target’s with the source’s.';

/** A row's key as people read it: "id = 3", "project → domaincode = tp, page_type = team". */
export function keyWords(key: Record<string, unknown> | null | undefined): string {
  if (!key) return '';
  const value = (v: unknown): string =>
    v === null || v === undefined ? 'NULL' : typeof v === 'object' ? keyWords(v as Record<string, unknown>) : String(v);
  return Object.entries(key)
    .map(([k, v]) => (v !== null && typeof v === 'object' ? `${k} → ${value(v)}` : `${k} = ${value(v)}`))
    .join(', ');
}

/** One refused or listed row: its table, key (or position in the archive) and reason. */
export function rowProblemWords(r: RowProblem): string {
  const where = r.key ? keyWords(r.key) : r.row ? `row ${r.row}` : '';
  return `${where}${r.key && r.row ? ` (row ${r.row})` : ''}${r.column ? `, column ${r.column}` : ''}: ${r.reason}`;
}
