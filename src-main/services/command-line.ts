// A run of the app as the mr4 command line that does the same (pgAdmin shows its command too), built
// from the run's request: mode, --base, --dry-run, tables, probable edits, the decisions file. Never a
// password: the connection is its URL without one (mr4 reads PGPASSWORD or ~/.pgpass), an SSH tunnel
// its --ssh user@host:port; an encrypted archive's passphrase is a --passphrase-file placeholder.
import type { ReviewDocument, ReviewSummary, SavedConnection } from '../../src-common/contract';
import type { ForgetLineageScope } from '../../src-common/forget-lineage';
import type { ImportSettings } from '../../src-common/import-settings';

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The connection as a postgres:// URL without its password. */
export function connectionUrlWithoutPassword(c: Pick<SavedConnection, 'host' | 'port' | 'database' | 'user' | 'sslMode'>): string {
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  const sslmode = c.sslMode === 'prefer' ? '' : `?sslmode=${c.sslMode}`;
  return `postgres://${encodeURIComponent(c.user)}@${host}:${c.port}/${encodeURIComponent(c.database)}${sslmode}`;
}

function connectionArgs(c: Pick<SavedConnection, 'host' | 'port' | 'database' | 'user' | 'sslMode' | 'ssh'>): string[] {
  const args = ['--db', connectionUrlWithoutPassword(c)];
  if (c.ssh) {
    args.push('--ssh', `${c.ssh.user}@${c.ssh.host}${c.ssh.port === 22 ? '' : `:${c.ssh.port}`}`);
    if (c.ssh.auth === 'key' && c.ssh.keyFile) args.push('--ssh-key', `~/.ssh/${c.ssh.keyFile}`);
    if (c.ssh.auth === 'password') args.push('--ssh-password');
  }
  return args;
}

const line = (words: string[]): string => words.map((w) => (w.startsWith('~/') ? `~/${shellQuote(w.slice(2))}` : shellQuote(w))).join(' ');

export interface ImportCommandInput extends ImportSettings {
  archive: string;
  target: SavedConnection;
  /** A base file, "none" (two ways), or undefined (what the data folder kept: the CLI's default). */
  base?: string;
  /** The review (decisions file) written for this run. */
  decisionsFile?: string;
  /** The comparison keys chosen in the app, written as a configuration file. */
  configFile?: string;
  encrypted?: boolean;
}

export function importCommandLine(o: ImportCommandInput): string {
  const words = ['mr4', 'import', o.archive, ...connectionArgs(o.target), '--mode', o.mode];
  if (o.base) words.push('--base', o.base);
  if (o.tables?.length) words.push('--tables', o.tables.join(','));
  if (o.sameIds) words.push('--same-ids');
  if (o.probableEdits) words.push('--probable-edits', o.probableEdits);
  if (o.onConflict) words.push('--on-conflict', o.onConflict);
  if (o.decisionsFile) words.push('--decisions', o.decisionsFile);
  if (o.configFile) words.push('--config', o.configFile);
  if (o.allowFailures) words.push('--allow-failures');
  if (o.ignoreMissingColumns) words.push('--ignore-missing-columns');
  if (o.disableTriggers) words.push('--disable-triggers');
  if (o.encrypted) words.push('--passphrase-file', 'PASSPHRASE_FILE');
  if (o.dryRun) words.push('--dry-run');
  return line(words);
}

export interface ExportCommandInput {
  source: SavedConnection;
  out: string;
  tables?: string[];
  /** undefined: the configuration's rules (the CLI's default). */
  mask?: boolean;
  where?: { table: string; where: string }[];
  withChildren?: boolean;
  encrypted?: boolean;
}

export function exportCommandLine(o: ExportCommandInput): string {
  const words = ['mr4', 'export', ...connectionArgs(o.source), '--out', o.out];
  if (o.tables?.length) words.push('--tables', o.tables.join(','));
  if (o.mask !== undefined) words.push(o.mask ? '--mask' : '--no-mask');
  for (const w of o.where ?? []) words.push('--where', `${w.table}:${w.where}`);
  if (o.withChildren) words.push('--with-children');
  if (o.encrypted) words.push('--encrypt', '--passphrase-file', 'PASSPHRASE_FILE');
  return line(words);
}

export function undoCommandLine(o: { target: SavedConnection; run?: string; dryRun: boolean; keepChanged?: boolean }): string {
  const words = ['mr4', 'undo', ...connectionArgs(o.target)];
  if (o.run) words.push('--run', o.run);
  if (o.keepChanged) words.push('--keep-changed');
  if (o.dryRun) words.push('--dry-run');
  return line(words);
}

/** One line per ceiling where only the pairs above one were forgotten (--ids-above applies to every table given). */
export function forgetLineageCommandLine(o: { target: SavedConnection } & ForgetLineageScope): string {
  const base = ['mr4', 'forget-lineage', ...connectionArgs(o.target)];
  if (!o.idsAbove) return line([...base, '--tables', o.tables.join(',')]);
  const byCeiling = new Map<string, string[]>();
  for (const t of o.tables) byCeiling.set(o.idsAbove[t]!, [...(byCeiling.get(o.idsAbove[t]!) ?? []), t]);
  return [...byCeiling]
    .map(([above, tables]) => line([...base, '--tables', tables.join(','), '--ids-above', above, ...(o.of ? ['--of', o.of] : [])]))
    .join('\n');
}

type DecisionsIn = Pick<ReviewDocument, 'onConflict' | 'probableEdits' | 'decisions' | 'exclude'>;

/** What a review decided, in totals (the history's record of a reviewed merge). */
export function reviewSummary(decisions: DecisionsIn | undefined, base: string | null, probableEdits?: 'same' | 'new'): ReviewSummary {
  const list = decisions?.decisions ?? [];
  const exclude = decisions?.exclude ?? [];
  const all = probableEdits ?? decisions?.probableEdits;
  return {
    base,
    conflictsDecided: list.filter((d) => d.choice === 'source' || d.choice === 'target').length,
    probableEditsAnswered: list.filter((d) => d.choice === 'same' || d.choice === 'new').length,
    ...(decisions?.onConflict ? { onConflict: decisions.onConflict } : {}),
    ...(all ? { probableEdits: all } : {}),
    rowsLeftOut: exclude.filter((e) => e.key).length,
    tablesLeftOut: exclude.filter((e) => !e.key).map((e) => e.table),
  };
}
