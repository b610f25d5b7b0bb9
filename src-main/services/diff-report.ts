// The review of an open diff as a document: a self-contained HTML page (inline CSS, no script, no
// external resource, every value escaped) or JSON — the diff's facts, every table's counts, every
// differing row with its fields (base, archive, target) and what the merge does with it by the
// decisions and exclusions made in the preview. Rows are read from the diff session page by page and
// written to the file as they come, so memory does not grow with the size of the diff.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  type apiRequests,
  type DiffField,
  type DiffKind,
  type DiffReportFile,
  type DiffRow,
  type DiffSummary,
  type ImportMode,
} from '../../src-common/contract';
import { fieldView, type Piece } from '../../src-common/text-diff';
import { DIFF_KINDS } from '../engine/report-types';
import { TOOL_NAME } from '../engine/version';
import type { DiffService } from './diff-service';
import { type FileService, safeFilePart, timestampForFile } from './files';
import { ensurePrivateDir } from './fs-util';

export type ReportRequest = z.output<(typeof apiRequests)['diffs.report']>;
export type ReviewDecisions = NonNullable<ReportRequest['decisions']>;

/** Where the rows come from: an open diff session (or anything that pages like one). */
export interface ReportPager {
  summary: DiffSummary;
  page(request: { table: string; kinds: DiffKind[]; offset: number; limit: number }): Promise<{ rows: DiffRow[]; total: number }>;
}

export interface ReportOptions {
  format: 'html' | 'json';
  mode?: ImportMode;
  decisions?: ReviewDecisions;
  sourceLabel?: string;
  targetLabel?: string;
  createdAt?: Date;
  /** Rows read per page (default 500). */
  pageSize?: number;
}

/** Every kind but identical: the rows a review lists. */
export const REPORT_KINDS: DiffKind[] = DIFF_KINDS.filter((k) => k !== 'identical');

const KIND_WORDS: Record<DiffKind, string> = {
  new: 'New',
  changed: 'Changed',
  kept: 'Kept',
  identical: 'Identical',
  conflict: 'Conflict',
  probable_edit: 'Probable edit',
  deleted_in_target: 'Gone in target',
  target_only: 'Only in target',
  deleted_in_source: 'Gone in source',
  refused: 'Refused',
};

// ── decisions, as the merge reads them ──

/** One text per key whatever the order of its columns. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

class Decided {
  private readonly tables = new Set<string>();
  private readonly rows = new Set<string>();
  private readonly fields = new Set<string>();
  private readonly choices = new Map<string, string>();
  constructor(
    private readonly d: ReviewDecisions | undefined,
    readonly mode: ImportMode,
  ) {
    for (const x of d?.exclude ?? []) {
      if (!x.key) this.tables.add(x.table);
      else if (x.field === undefined) this.rows.add(this.id(x.table, x.key));
      else this.fields.add(this.id(x.table, x.key, x.field));
    }
    for (const x of d?.decisions ?? []) this.choices.set(this.id(x.table, x.key, x.field), x.choice);
  }
  private id(table: string, key: unknown, field?: string): string {
    return `${table}\u0000${canonical(key ?? {})}${field === undefined ? '' : `\u0000${field}`}`;
  }
  tableOut(table: string): boolean {
    return this.tables.has(table);
  }
  rowOut(row: DiffRow): boolean {
    return this.tableOut(row.table) || this.rows.has(this.id(row.table, row.key));
  }
  fieldOut(row: DiffRow, field: string): boolean {
    return this.fields.has(this.id(row.table, row.key, field));
  }
  choice(row: DiffRow, field?: string): string | undefined {
    return (
      (field !== undefined ? this.choices.get(this.id(row.table, row.key, field)) : undefined) ??
      this.choices.get(this.id(row.table, row.key))
    );
  }
  conflictChoice(row: DiffRow, field?: string): 'source' | 'target' | undefined {
    const c = this.choice(row, field) ?? this.d?.onConflict;
    return c === 'source' || c === 'target' ? c : undefined;
  }
  probable(row: DiffRow): 'same' | 'new' | undefined {
    const c = this.choice(row) ?? this.d?.probableEdits;
    return c === 'same' || c === 'new' ? c : undefined;
  }
  counts(): { tables: number; rows: number; fields: number; decisions: number } {
    return { tables: this.tables.size, rows: this.rows.size, fields: this.fields.size, decisions: this.choices.size };
  }
}

/** What the merge does with a row, in words. */
export function rowOutcome(row: DiffRow, d: Decided): string {
  const writable = row.kind === 'new' || row.kind === 'changed' || row.kind === 'conflict' || row.kind === 'probable_edit';
  if (writable && d.tableOut(row.table)) return 'Left out: its table is left out of the merge';
  if (writable && d.rowOut(row)) return 'Left out: the merge does not touch this row';
  switch (row.kind) {
    case 'new':
      return 'Inserted';
    case 'changed':
      return d.mode === 'skip' ? 'Not updated (add new records only)' : 'Updated';
    case 'conflict':
      if (row.deletedInTarget) {
        const c = d.conflictChoice(row);
        return c === 'source' ? 'Decided: bring it back' : c === 'target' ? 'Decided: leave it deleted' : 'Not decided yet';
      }
      return d.mode === 'skip' ? 'Not updated (add new records only): the target’s values stay' : 'Updated as decided field by field';
    case 'probable_edit': {
      const c = d.probable(row);
      if (c === 'same')
        return d.mode === 'skip' ? 'Answered: the same row (left as it is: add new records only)' : 'Answered: the same row (updated)';
      return c === 'new' ? 'Answered: a new row (inserted with an id of its own)' : 'Not answered yet';
    }
    case 'kept':
      return 'The target’s values stay';
    case 'target_only':
      return 'Only in the target: never deleted';
    case 'deleted_in_target':
      return 'Deleted in the target since the base: stays deleted';
    case 'deleted_in_source':
      return 'Gone from the archive: stays in the target, never deleted';
    case 'refused':
      return 'Refused: not written';
    default:
      return KIND_WORDS[row.kind];
  }
}

/** What the merge does with one field of a row, in words. */
export function fieldOutcome(row: DiffRow, f: DiffField, d: Decided): string {
  if (d.rowOut(row)) return 'Left out (the row)';
  if (d.fieldOut(row, f.column)) return 'Left out: not updated';
  if (row.kind === 'probable_edit') {
    const c = d.probable(row);
    if (c === 'same') return d.mode === 'merge' && f.verdict === 'apply' ? 'Update' : 'Left alone';
    return c === 'new' ? 'New row' : 'Not answered yet';
  }
  if (f.verdict === 'keep') return 'Keep target';
  if (f.verdict === 'apply') return d.mode === 'skip' || row.kind === 'kept' ? 'Not updated' : 'Apply';
  const c = d.conflictChoice(row, f.column);
  if (d.mode === 'skip') return 'Keep target (add new records only)';
  return c === 'source' ? 'Decided: take source' : c === 'target' ? 'Decided: keep target' : 'Not decided yet';
}

// ── text ──

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function keyValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return keyText(v as Record<string, unknown>);
  return String(v);
}
/** A natural key as people read it (as the app writes it). */
export function keyText(key: Record<string, unknown> | null): string {
  if (!key) return '(no natural key: matched by content)';
  const entries = Object.entries(key);
  if (entries.length === 1 && (typeof entries[0]![1] !== 'object' || entries[0]![1] === null)) return keyValue(entries[0]![1]);
  return entries.map(([k, v]) => (v !== null && typeof v === 'object' ? `${k} → ${keyValue(v)}` : `${k} = ${keyValue(v)}`)).join(', ');
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

// ── HTML ──

const CSS = `
:root { color-scheme: light dark; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; font-size: 14px; line-height: 1.45; }
body { margin: 0 auto; padding: 1.5rem; max-width: 80rem; background: #fff; color: #1e293b; }
h1 { font-size: 1.5rem; margin: 0 0 0.5rem; } h2 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; } h3 { font-size: 0.95rem; margin: 0; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0 1rem; } dl.facts dt { font-weight: 650; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; table-layout: auto; font-size: 0.85rem; margin: 0.4rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.35rem 0.5rem; border: 1px solid #cbd5e1; }
thead th { background: #f1f5f9; font-size: 0.78rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 650; padding: 0.3rem 0; }
.v { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.8rem; }
.null { font-style: italic; color: #6d28d9; }
.empty { font-style: italic; color: #475569; }
article.row { border: 1px solid #cbd5e1; border-left: 4px solid #64748b; border-radius: 6px; padding: 0.6rem 0.8rem; margin: 0.6rem 0; break-inside: avoid; }
article.k-new { border-left-color: #15803d; } article.k-changed { border-left-color: #1d4ed8; } article.k-conflict, article.k-probable_edit { border-left-color: #b45309; }
article.out { border-left-style: dashed; }
.kind { display: inline-block; font-size: 0.72rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; border: 1px solid currentColor; border-radius: 999px; padding: 0 0.45rem; margin-right: 0.4rem; font-family: system-ui, sans-serif; }
.outcome { margin: 0.35rem 0; font-weight: 600; }
.note { margin: 0.25rem 0; color: #334155; }
.muted { color: #475569; }
ins { background: #bbf7d0; color: inherit; text-decoration: underline; text-decoration-thickness: 2px; text-underline-offset: 2px; }
del { background: #fecaca; color: inherit; text-decoration: line-through; text-decoration-thickness: 2px; }
del.by-target { background: #fde68a; }
ins::before, ins::after, del::before, del::after { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
ins::before { content: ' added: '; } del::before { content: ' removed: '; }
del.by-source::before { content: ' removed in archive: '; } del.by-target::before { content: ' removed in target: '; } del.by-both::before { content: ' removed on both sides: '; }
ins::after { content: ' (end added) '; } del::after { content: ' (end removed) '; }
.legend ins, .legend del { padding: 0 0.25rem; }
ul.warnings { padding-left: 1.2rem; }
@media (prefers-color-scheme: dark) {
  body { background: #18181b; color: #e4e4e7; }
  th, td, article.row { border-color: #3f3f46; }
  thead th { background: #27272a; }
  .null { color: #c4b5fd; } .empty, .muted, .note { color: #a1a1aa; }
  ins { background: #166534; } del { background: #7f1d1d; } del.by-target { background: #78350f; }
}
@media print { body { max-width: none; } }
`;

function htmlPieces(pieces: Piece[]): string {
  return pieces
    .map((p) => {
      if (p.op === 'add') return `<ins>${escapeHtml(p.text)}</ins>`;
      if (p.op === 'del') return `<del${p.by ? ` class="by-${p.by}"` : ''}>${escapeHtml(p.text)}</del>`;
      if (p.op === 'gap') return '';
      return escapeHtml(p.text);
    })
    .join('');
}

function htmlValue(text: string | null, pieces: Piece[] | null = null): string {
  if (text === null) return '<span class="null">NULL</span>';
  if (text === '') return '<span class="empty">(empty text)</span>';
  return `<span class="v">${pieces ? htmlPieces(pieces) : escapeHtml(text)}</span>`;
}

/** Marking the changed words of a whole report may take at most this long; the rows after that show
 *  their values unmarked (the report says from where). */
const MARKING_BUDGET_MS = 30_000;
interface Marking {
  spentMs: number;
  /** The first row written unmarked (1-based), once the budget is spent. */
  stoppedAt: number | null;
}

function viewOf(f: DiffField, three: boolean, deleted: boolean, marking: Marking, rowNumber: number): ReturnType<typeof fieldView> {
  if (marking.spentMs > MARKING_BUDGET_MS) {
    marking.stoppedAt ??= rowNumber;
    return {
      json: false,
      base: { text: f.base, pieces: null },
      source: { text: f.source, pieces: null },
      target: { text: deleted ? null : f.target, pieces: null },
    };
  }
  const started = performance.now();
  const view = fieldView(f, three, deleted);
  marking.spentMs += performance.now() - started;
  return view;
}

function htmlRow(
  row: DiffRow,
  d: Decided,
  threeWay: boolean,
  labels: { source: string; target: string },
  marking: Marking,
  rowNumber: number,
): string {
  const out = d.rowOut(row);
  const parts: string[] = [];
  parts.push(`<article class="row k-${row.kind}${out ? ' out' : ''}" data-kind="${row.kind}">`);
  parts.push(
    `<h3><span class="kind">${escapeHtml(row.deletedInTarget ? 'Conflict: deleted in target' : KIND_WORDS[row.kind])}</span>${escapeHtml(keyText(row.key))}</h3>`,
  );
  parts.push(`<p class="outcome">Decision: ${escapeHtml(rowOutcome(row, d))}</p>`);
  if (row.row !== null) parts.push(`<p class="note muted">Row ${n(row.row)} of the archive’s table file.</p>`);
  if (row.hint) parts.push(`<p class="note"><strong>Hint:</strong> ${escapeHtml(row.hint)}</p>`);
  if (row.reason) parts.push(`<p class="note"><strong>Reason:</strong> ${escapeHtml(row.reason)}</p>`);
  const showFields = row.fields.length > 0 && !['new', 'target_only', 'refused'].includes(row.kind);
  if (showFields) {
    const three = threeWay && row.kind !== 'probable_edit';
    parts.push(
      `<table class="fields"><caption>Fields that differ</caption><thead><tr><th scope="col">Field</th>${three ? '<th scope="col">Base</th>' : ''}<th scope="col">Archive (${escapeHtml(labels.source)})</th><th scope="col">Target (${escapeHtml(labels.target)})</th><th scope="col">Verdict</th><th scope="col">Decision</th></tr></thead><tbody>`,
    );
    for (const f of row.fields) {
      const view = viewOf(f, three || !!row.deletedInTarget, !!row.deletedInTarget, marking, rowNumber);
      const verdict = f.verdict === 'apply' ? 'Apply' : f.verdict === 'keep' ? 'Keep target' : 'Conflict';
      parts.push(
        `<tr data-field="${escapeHtml(f.column)}"><th scope="row"><code>${escapeHtml(f.column)}</code></th>` +
          (three ? `<td>${htmlValue(view.base.text, view.base.pieces)}</td>` : '') +
          `<td>${htmlValue(view.source.text, view.source.pieces)}</td>` +
          `<td>${row.deletedInTarget ? '<em>deleted in target</em>' : htmlValue(view.target.text, view.target.pieces)}</td>` +
          `<td>${escapeHtml(row.kind === 'probable_edit' ? 'Probable edit' : verdict)}${f.reason ? `<br><span class="note">${escapeHtml(f.reason)}</span>` : ''}</td><td>${escapeHtml(fieldOutcome(row, f, d))}</td></tr>`,
      );
    }
    parts.push('</tbody></table>');
  }
  if (row.values) {
    const where =
      row.kind === 'target_only' || row.kind === 'deleted_in_source' ? `Value in the target (${labels.target})` : 'Value in the archive';
    parts.push(
      `<table class="values"><caption>All values</caption><thead><tr><th scope="col">Column</th><th scope="col">${escapeHtml(where)}</th></tr></thead><tbody>`,
    );
    for (const [col, v] of Object.entries(row.values))
      parts.push(`<tr><th scope="row"><code>${escapeHtml(col)}</code></th><td>${htmlValue(v)}</td></tr>`);
    parts.push('</tbody></table>');
  }
  parts.push('</article>\n');
  return parts.join('');
}

function summaryKinds(summary: DiffSummary): DiffKind[] {
  const always: DiffKind[] = ['new', 'changed', 'kept', 'conflict', 'target_only', 'identical'];
  return DIFF_KINDS.filter((k) => always.includes(k) || summary.tables.some((t) => t.counts[k] > 0));
}

function differing(counts: Record<DiffKind, number>): number {
  return REPORT_KINDS.reduce((s, k) => s + counts[k], 0);
}

function htmlHead(summary: DiffSummary, o: ReportOptions, d: Decided, labels: { source: string; target: string }): string {
  const title = `Review: ${labels.source} → ${labels.target}`;
  const kinds = summaryKinds(summary);
  const total = (k: DiffKind) => summary.tables.reduce((s, t) => s + t.counts[k], 0);
  const c = d.counts();
  const facts: [string, string][] = [
    ['Archive', `${summary.archive.database}, exported ${summary.archive.timestamp}`],
    ['Target', `${labels.target} (database ${summary.target.database})`],
    [
      'Base',
      summary.base
        ? `${summary.base.database}, ${summary.base.timestamp} (three-way)`
        : 'none: compared two ways (every field that differs takes the archive’s value)',
    ],
    ['Mode', (o.mode ?? 'merge') === 'merge' ? 'Merge changes' : 'Add new records only'],
    ['Left out', `${n(c.tables)} tables, ${n(c.rows)} rows, ${n(c.fields)} fields`],
    [
      'Decisions',
      `${n(c.decisions)} made one by one${o.decisions?.onConflict ? `; every other conflict: ${o.decisions.onConflict === 'source' ? 'take source' : 'keep target'}` : ''}${o.decisions?.probableEdits ? `; every other probable edit: ${o.decisions.probableEdits === 'same' ? 'the same row' : 'a new row'}` : ''}`,
    ],
    ['Made', `${(o.createdAt ?? new Date()).toISOString()} by ${TOOL_NAME}`],
  ];
  const rows = summary.tables
    .map(
      (t) =>
        `<tr><th scope="row"><a href="#t-${encodeURIComponent(t.table)}"><code>${escapeHtml(t.table)}</code></a></th><td>${d.tableOut(t.table) ? 'left out' : 'included'}</td>${kinds.map((k) => `<td class="num">${n(t.counts[k])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(TOOL_NAME)}">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="muted">What a merge of this archive into the target would do, as reviewed in the preview: every table’s counts, then every row that differs with its fields and the decision. Nothing was written.</p>
<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<p class="legend muted">Inside a value, <ins>added text</ins> is underlined on a green ground and <del>removed text</del> struck through on a red one (in the base: what the archive or the target removed); NULL is written as NULL.</p>
</header>
<main>
${summary.warnings.length ? `<section aria-labelledby="warnings"><h2 id="warnings">Warnings</h2><ul class="warnings">${summary.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></section>` : ''}
<section aria-labelledby="summary">
<h2 id="summary">Summary</h2>
<table class="summary"><caption>Rows per table and kind</caption>
<thead><tr><th scope="col">Table</th><th scope="col">Merge</th>${kinds.map((k) => `<th scope="col" class="num">${KIND_WORDS[k]}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th scope="row">All tables</th><td></td>${kinds.map((k) => `<td class="num">${n(total(k))}</td>`).join('')}</tr></tfoot>
</table>
</section>
`;
}

// ── writing ──

class Out {
  private error: Error | null = null;
  readonly stream: WriteStream;
  bytes = 0;
  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.stream.on('error', (e) => (this.error = e));
  }
  async write(s: string): Promise<void> {
    if (this.error) throw this.error;
    this.bytes += Buffer.byteLength(s);
    if (!this.stream.write(s)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => (this.stream.off('error', fail), resolve());
        const fail = (e: Error) => (this.stream.off('drain', done), reject(e));
        this.stream.once('drain', done);
        this.stream.once('error', fail);
      });
    }
  }
  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
  destroy(): void {
    this.stream.destroy();
  }
}

/** Reads every differing row of a table, page by page. */
async function* rowsOf(pager: ReportPager, table: string, pageSize: number): AsyncGenerator<DiffRow> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await pager.page({ table, kinds: REPORT_KINDS, offset, limit: pageSize });
    yield* page.rows;
    if (page.rows.length < pageSize) return;
  }
}

/** A row for the JSON report: the diff's row without its fingerprint, with what the merge does. */
function jsonRow(row: DiffRow, d: Decided): unknown {
  const { fingerprint: _f, ...rest } = row;
  return { ...rest, outcome: rowOutcome(row, d), fields: row.fields.map((f) => ({ ...f, outcome: fieldOutcome(row, f, d) })) };
}

/** Writes the report to `path` (a new file), reading the rows page by page. Returns how many rows it lists. */
export async function writeDiffReport(pager: ReportPager, options: ReportOptions, path: string): Promise<{ rows: number; bytes: number }> {
  const summary = pager.summary;
  const d = new Decided(options.decisions, options.mode ?? 'merge');
  const labels = { source: options.sourceLabel || summary.archive.database, target: options.targetLabel || summary.target.label };
  const pageSize = options.pageSize ?? 500;
  const out = new Out(path);
  const marking: Marking = { spentMs: 0, stoppedAt: null };
  let rows = 0;
  try {
    if (options.format === 'html') {
      await out.write(htmlHead(summary, options, d, labels));
      for (const t of summary.tables) {
        const count = differing(t.counts);
        if (!count) continue;
        await out.write(
          `<section class="table" id="t-${escapeHtml(encodeURIComponent(t.table))}" aria-labelledby="h-${escapeHtml(encodeURIComponent(t.table))}">\n<h2 id="h-${escapeHtml(encodeURIComponent(t.table))}"><code>${escapeHtml(t.table)}</code> — ${n(count)} ${count === 1 ? 'row differs' : 'rows differ'}${d.tableOut(t.table) ? ' (the table is left out of the merge)' : ''}</h2>\n`,
        );
        for await (const row of rowsOf(pager, t.table, pageSize)) {
          rows++;
          await out.write(htmlRow(row, d, summary.threeWay, labels, marking, rows));
        }
        await out.write('</section>\n');
      }
      const unmarked = marking.stoppedAt
        ? ` Changed words are marked inside the values of the first ${n(marking.stoppedAt - 1)} rows; the values after those are shown whole, unmarked (marking them would have taken too long).`
        : '';
      await out.write(
        `</main>\n<footer><p class="muted">${n(rows)} differing ${rows === 1 ? 'row' : 'rows'} listed.${unmarked} Made by ${escapeHtml(TOOL_NAME)}.</p></footer>\n</body>\n</html>\n`,
      );
    } else {
      const head = {
        format: 'mr4-review-report',
        version: 1,
        createdAt: (options.createdAt ?? new Date()).toISOString(),
        tool: TOOL_NAME,
        mode: options.mode ?? 'merge',
        threeWay: summary.threeWay,
        archive: summary.archive,
        base: summary.base,
        target: summary.target,
        labels,
        warnings: summary.warnings,
        decisions: options.decisions ?? { decisions: [], exclude: [] },
      };
      await out.write(`${JSON.stringify(head, null, 1).replace(/\n}$/, '')},\n "tables": [`);
      let firstTable = true;
      for (const t of summary.tables) {
        await out.write(
          `${firstTable ? '' : ','}\n  {"table": ${JSON.stringify(t.table)}, "leftOut": ${d.tableOut(t.table)}, "counts": ${JSON.stringify(t.counts)}, "rows": [`,
        );
        firstTable = false;
        let first = true;
        if (differing(t.counts)) {
          for await (const row of rowsOf(pager, t.table, pageSize)) {
            await out.write(`${first ? '' : ','}\n   ${JSON.stringify(jsonRow(row, d))}`);
            first = false;
            rows++;
          }
        }
        await out.write(']}');
      }
      await out.write(`\n ],\n "rows": ${rows}\n}\n`);
    }
    await out.end();
  } catch (error) {
    out.destroy();
    await rm(path, { force: true });
    throw error;
  }
  return { rows, bytes: out.bytes };
}

const REPORT_TTL_MS = 24 * 3600_000;

/** diffs.report: the review of an open diff written to the data folder's reports/ (in browser mode
 *  older reports are removed after a day), handed to the window as a file to download or show. */
export async function writeReviewReport(
  s: { diffs: DiffService; files: FileService },
  options: { dataDir: string; door: 'electron' | 'browser' },
  request: ReportRequest,
): Promise<DiffReportFile> {
  const diff = s.diffs.get(request.diffId);
  const dir = join(options.dataDir, 'reports');
  await ensurePrivateDir(dir);
  if (options.door === 'browser') {
    const now = Date.now();
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const st = await stat(join(dir, name)).catch(() => null);
      if (st && now - st.mtimeMs > REPORT_TTL_MS) await rm(join(dir, name), { force: true });
    }
  }
  const stem = `review-${safeFilePart(diff.summary.target.database)}-${timestampForFile()}`;
  let name = '';
  for (let i = 1; ; i++) {
    name = `${stem}${i === 1 ? '' : `-${i}`}.${request.format}`;
    if (!(await stat(join(dir, name)).catch(() => null))) break;
  }
  const partial = join(dir, `.${name}.partial`);
  const pager: ReportPager = { summary: diff.summary, page: (p) => s.diffs.page({ diffId: request.diffId, ...p }) };
  const { rows } = await writeDiffReport(
    pager,
    {
      format: request.format,
      ...(request.mode ? { mode: request.mode } : {}),
      ...(request.decisions ? { decisions: request.decisions } : {}),
      ...(request.sourceLabel ? { sourceLabel: request.sourceLabel } : {}),
      ...(request.targetLabel ? { targetLabel: request.targetLabel } : {}),
    },
    partial,
  );
  const path = join(dir, name);
  await rename(partial, path);
  const file = await s.files.registerPath(path, 'write');
  return { file, format: request.format, rows };
}
