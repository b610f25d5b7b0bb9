// A diff for people: counts per table, every conflict, and the first rows of each kind.
import type { DiffResult } from '../services/diff-job';
import type { DiffRow } from '../engine/diff/index';
import { grid, num, plural } from './format';

const COLUMNS = [
  'new',
  'changed',
  'kept',
  'identical',
  'conflict',
  'deleted_in_target',
  'target_only',
  'deleted_in_source',
  'refused',
] as const;
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  new: 'new',
  changed: 'changed',
  kept: 'kept',
  identical: 'identical',
  conflict: 'conflict',
  deleted_in_target: 'gone in target',
  target_only: 'only in target',
  deleted_in_source: 'gone in source',
  refused: 'refused',
};

function cell(v: string | null): string {
  if (v === null) return 'NULL';
  const oneLine = v.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${JSON.stringify(oneLine.slice(0, 57))}…` : JSON.stringify(oneLine);
}

/** A row without a key, told apart by its values (the first few columns). */
function rowValues(values: Record<string, string | null>): string {
  const all = Object.entries(values);
  const shown = all.slice(0, 8).map(([c, v]) => `${c} ${cell(v)}`);
  return all.length > shown.length ? `${shown.join(', ')}, … (${all.length - shown.length} more)` : shown.join(', ');
}

function describeRow(r: DiffRow, threeWay: boolean): string[] {
  // An archived row is named by its row in the archive; a row only the target has, by its key in the
  // target's ids, which may equal an archived row's key in the source's ids.
  const where = r.row ? ` (row ${r.row})` : ' (in the target)';
  const out = [
    `  ${r.table} ${r.key ? JSON.stringify(r.key) : '(no key)'}${where}: ${r.kind.replace(/_/g, ' ')}${r.reason ? ` — ${r.reason}` : ''}`,
  ];
  if (!r.key && r.values) out.push(`      ${rowValues(r.values)}`);
  for (const f of r.fields) {
    const base = threeWay ? `, base ${cell(f.base)}` : '';
    out.push(
      `      ${f.column}: archive ${cell(f.source)}, target ${cell(f.target)}${base} → ${f.verdict === 'apply' ? 'apply' : f.verdict === 'keep' ? 'keep target' : 'CONFLICT'}${f.reason ? ` (${f.reason})` : ''}`,
    );
  }
  if (r.hint) out.push(`      hint: ${r.hint}`);
  return out;
}

export function formatDiff(d: DiffResult): string {
  const s = d.summary;
  const out: string[] = [];
  out.push(
    `${s.threeWay ? 'Three-way' : 'Two-way'} diff of ${s.archive.path} (database "${s.archive.database}", ${s.archive.timestamp}) against ${s.target.label}`,
  );
  if (s.base) out.push(`Base: ${s.base.path} (database "${s.base.database}", ${s.base.timestamp})`);
  out.push('');
  const used = COLUMNS.filter((k) => s.tables.some((t) => t.counts[k] > 0));
  const rows = [['table', ...used.map((k) => HEADINGS[k])]];
  for (const t of s.tables) rows.push([t.table, ...used.map((k) => (t.counts[k] ? num(t.counts[k]) : '·'))]);
  out.push(grid(rows, ['l', ...used.map(() => 'r' as const)]));
  if (d.conflicts.length) {
    out.push('', `Conflicts (${plural(d.conflicts.length, 'row')}): both sides changed these since the base.`);
    for (const r of d.conflicts) out.push(...describeRow(r, s.threeWay));
  }
  if (d.rows.length) {
    out.push(
      '',
      `Differences (up to ${d.rowsPerKind} of each kind per table${d.rowsOut ? `; all of them in ${d.rowsOut}` : '; --rows-out FILE writes all'}):`,
    );
    for (const r of d.rows) out.push(...describeRow(r, s.threeWay));
  }
  if (s.warnings.length) out.push('', 'Warnings:', ...s.warnings.map((w) => `  - ${w}`));
  if (d.fingerprintsOut)
    out.push(
      '',
      `Fingerprints written to ${d.fingerprintsOut}: pass it to mr4 import --expect-fingerprints to refuse a merge if the target changes meanwhile.`,
    );
  const total = (k: (typeof COLUMNS)[number]) => s.tables.reduce((n, t) => n + t.counts[k], 0);
  const kept = s.threeWay && total('kept') ? `, keep the target's own edits in ${plural(total('kept'), 'row')}` : '';
  const open = total('conflict')
    ? `, and stops on ${plural(total('conflict'), 'conflicting row')} until ${total('conflict') === 1 ? 'it is' : 'they are'} decided`
    : '';
  const refused = total('refused');
  const stops = refused
    ? ` It refuses ${plural(refused, 'row')}, each with its reason: the merge writes nothing while ${refused === 1 ? 'it is' : 'they are'} refused (--allow-failures writes the rest).`
    : '';
  out.push('', `A merge would insert ${plural(total('new'), 'row')} and update ${plural(total('changed'), 'row')}${kept}${open}.${stops}`);
  return `${out.join('\n')}\n`;
}
