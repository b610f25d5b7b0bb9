// Export and import reports for people.
import type { ExportReport, ImportReport } from '../../src-common/contract';
import { formatRowProblems } from './errors';
import { bytes, duration, grid, num, plural } from './format';

export function formatExportReport(r: ExportReport, label?: string): string {
  const out: string[] = [];
  out.push(`Exported ${label ?? r.database} to ${r.file}`);
  out.push(`Size: ${bytes(r.bytes)} (sha256 ${r.sha256})`);
  out.push('');
  const rows = [['table', 'rows', 'uncompressed', '']];
  for (const t of r.tables) rows.push([t.table, num(t.rows), bytes(t.bytes), t.role === 'reference' ? 'reference only' : '']);
  out.push(grid(rows, ['l', 'r', 'r', 'l']));
  const total = r.tables.reduce((s, t) => s + t.rows, 0);
  out.push('');
  out.push(`${plural(total, 'row')} in ${plural(r.tables.length, 'table')}, ${duration(r.durationMs)}.`);
  if (r.masked?.length) {
    const own = r.masked.filter((m) => !m.inherited);
    const received = r.masked.filter((m) => m.inherited);
    if (own.length) out.push(`Masked on the server: ${own.map((m) => `${m.table}.${m.column} (${m.rule})`).join(', ')}.`);
    if (received.length) out.push(`Received masked (the archive says so): ${received.map((m) => `${m.table}.${m.column}`).join(', ')}.`);
  }
  if (r.subset) {
    const cut = r.subset.tables.filter((t) => t.role !== 'full').map((t) => `${t.table} ${num(t.rows ?? 0)}`);
    out.push(
      `Subset (${r.subset.where.map((w) => `${w.table}: ${w.where}`).join('; ')}${r.subset.withChildren ? ', with children' : ''}): ${cut.join(', ')} rows; other tables in full.`,
    );
  }
  if (r.encrypted) out.push('Encrypted (AES-256-GCM): the archive opens only with its passphrase or key file.');
  return out.join('\n') + '\n';
}

export function formatImportReport(r: ImportReport): string {
  const out: string[] = [];
  const dry = 'DRY RUN — nothing was written';
  if (r.dryRun) out.push(dry, '');
  out.push(`${r.dryRun ? 'Would import' : 'Imported'} ${r.archive.path} (${r.mode} mode) into ${r.target.label}`);
  out.push(`Archive: database "${r.archive.database}", exported ${r.archive.timestamp}, format ${r.archive.format}`);
  if (r.base)
    out.push(
      r.base.kept
        ? `Base: what "${r.archive.database}" and "${r.target.database}" last agreed on (the target's edits since are kept)`
        : `Base: ${r.base.path}`,
    );
  out.push('');
  const rows = [['table', 'inserted', 'updated', 'unchanged', 'skipped', 'failed']];
  const sum = { inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 };
  for (const t of r.tables) {
    rows.push([t.table, num(t.inserted), num(t.updated), num(t.unchanged), num(t.skipped), num(t.failed)]);
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t[k];
  }
  if (r.tables.length > 1) rows.push(['total', num(sum.inserted), num(sum.updated), num(sum.unchanged), num(sum.skipped), num(sum.failed)]);
  out.push(r.tables.length ? grid(rows, ['l', 'r', 'r', 'r', 'r', 'r']) : '  No tables were imported.');
  if (r.failures.length) {
    out.push('', `Failures (${num(r.failures.length)}):`);
    out.push(...formatRowProblems(r.failures, '  ', '(use --json to list them all)'));
  }
  if (r.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of r.warnings) out.push(`  - ${w}`);
  }
  if (r.ignoredColumns.length) out.push('', `Columns left out (--ignore-missing-columns): ${r.ignoredColumns.join(', ')}`);
  if (r.triggersDisabled) out.push('', 'User triggers were disabled during the run and enabled again.');
  if (r.foreignKeys && r.foreignKeys.path !== 'none') {
    const how = { reloaded: 'reloaded', triggers: 'checked by their triggers', disabled: 'triggers disabled', none: '' }[
      r.foreignKeys.path
    ];
    out.push('', `Foreign keys: ${how} (${r.foreignKeys.reason}).`);
  }
  if (r.lineage?.recorded) out.push('', `Lineage of ids: ${plural(r.lineage.recorded, 'pair')} recorded in the target (schema _mr4).`);
  if (r.agreement)
    out.push(
      `Kept what "${r.archive.database}" and "${r.target.database}" now agree on: the base of --base auto for the next merge between them.`,
    );
  out.push('', `Done in ${duration(r.durationMs)}.`);
  if (r.dryRun) out.push(`${dry}. Run the same command without --dry-run to apply it.`);
  return out.join('\n') + '\n';
}
