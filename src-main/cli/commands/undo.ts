// mr4 undo: put the target back as it was before its newest import, from the undo log that import kept
// in the target (schema _mr4), in one transaction. Rows changed since the import stop it (each named),
// unless --keep-changed leaves them as they are now. What the two databases agree on, kept in the data
// folder, goes back to what it was before that import too (--no-remember leaves it alone).
import { UNDO_PHASES, type RunInfo, type UndoReport } from '../../engine/undo';
import { defaultDataDir } from '../../services/data-dir';
import { BaseRegistry } from '../../services/bases';
import { type CommandModule, finish } from '../context';
import { formatRowProblems } from '../errors';
import { grid, num, plural, duration } from '../format';
import { addCommonOptions, type CommonOptions, dbSpec, parseSecondsToMs } from '../options';
import { runJob } from '../run-job';

interface UndoOptions extends CommonOptions {
  run?: string;
  dryRun?: boolean;
  keepChanged?: boolean;
  list?: boolean;
  lockTimeout?: number;
  remember: boolean;
}

type Listing = { runs: RunInfo[]; next: RunInfo | null; database: string };

function describeRun(r: RunInfo): string {
  return `${r.archive.name ?? 'an archive'} from ${r.sourceDatabase ?? 'another database'} (${r.mode ?? '?'}), ${r.at}`;
}

export function formatUndoReport(r: UndoReport & { agreement?: string }): string {
  const out: string[] = [];
  if (r.dryRun) out.push('DRY RUN — nothing was written', '');
  out.push(`${r.dryRun ? 'Would undo' : 'Undid'} the import of ${describeRun(r.run)} in ${r.target.database}.`);
  out.push('');
  const rows = [['table', 'deleted', 'restored', 'kept as they are']];
  for (const t of r.tables) rows.push([t.table, num(t.deleted), num(t.restored), num(t.kept)]);
  out.push(r.tables.length ? grid(rows, ['l', 'r', 'r', 'r']) : '  The import wrote no rows.');
  out.push('', `Lineage of ids: ${plural(r.lineage.removed, 'pair')} removed, ${plural(r.lineage.restored, 'pair')} put back.`);
  if (r.changed.length)
    out.push('', `Rows changed after the import, left as they are now (${num(r.changed.length)}):`, ...formatRowProblems(r.changed, '  '));
  if (r.agreement) out.push('', r.agreement);
  out.push('', `Sequences are not moved back: ids the import drew stay used. ${duration(r.durationMs)}.`);
  return out.join('\n') + '\n';
}

function formatListing(l: Listing): string {
  if (!l.runs.length) return `No import into ${l.database} recorded an undo log.\n`;
  const rows = [['import', 'at', 'from', 'archive', 'mode', 'undo']];
  for (const r of l.runs) {
    rows.push([
      r.id,
      r.at,
      r.sourceDatabase ?? '?',
      r.archive.name ?? '?',
      r.mode ?? '?',
      r.undoneAt
        ? `undone ${r.undoneAt}`
        : r === l.next
          ? r.undoable
            ? 'next: mr4 undo'
            : 'no log'
          : r.undoable
            ? 'after the newer ones'
            : 'no log',
    ]);
  }
  return `Imports into ${l.database}, newest first:\n${grid(rows, ['l', 'l', 'l', 'l', 'l', 'l'])}\n`;
}

const AGREEMENT_WORDS = {
  restored: 'What the two databases agree on (kept in the data folder) is back to what it was before that import.',
  forgotten:
    'What the two databases agreed on is forgotten (it counted rows the undo changed): the next three-way merge between them asks for a base.',
  unchanged: '',
} as const;

export const undoCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('undo')
      .summary('put the database back as it was before its newest import')
      .description(
        'Revert the newest import into the database from the undo log it kept there (schema _mr4), in one transaction: ' +
          'rows it inserted are deleted, rows it updated get their old values back, the lineage of ids it recorded is rolled back. ' +
          'A row changed after the import stops the undo, named, unless --keep-changed. Undo again for the import before it.',
      ),
  )
    .option('--run <id>', 'the import to undo (it must be the newest not yet undone; see --list)')
    .option('--list', 'list the imports the database recorded, and which one an undo would revert')
    .option('--dry-run', 'do everything, report it, then roll back')
    .option('--keep-changed', 'leave rows changed after the import as they are now, and undo the rest')
    .option('--lock-timeout <seconds>', 'how long to wait for other writers (default 10)', parseSecondsToMs)
    .option('--no-remember', 'leave what the data folder keeps of the two databases’ agreement as it is')
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 undo --db postgres://me@localhost/app_dev --list\n  mr4 undo --db postgres://me@localhost/app_dev --dry-run\n  mr4 undo --db postgres://me@localhost/app_dev',
    )
    .action(async (opts: UndoOptions) => {
      if (opts.list) {
        const listed = await runJob<Listing>(
          ctx.io,
          { kind: 'undo', db: dbSpec(opts), schema: opts.schema, list: true },
          { json: opts.json, phases: UNDO_PHASES },
        );
        finish(ctx, opts, listed, formatListing);
        return;
      }
      const outcome = await runJob<UndoReport & { agreement?: string }>(
        ctx.io,
        {
          kind: 'undo',
          db: dbSpec(opts),
          schema: opts.schema,
          run: opts.run,
          dryRun: !!opts.dryRun,
          keepChanged: !!opts.keepChanged,
          lockTimeoutMs: opts.lockTimeout,
        },
        { json: opts.json, phases: UNDO_PHASES },
      );
      if (outcome.ok && !outcome.result.dryRun && opts.remember && outcome.result.run.sourceIdentity) {
        const r = outcome.result;
        const done = await new BaseRegistry(defaultDataDir())
          .undone(r.run.id, r.run.at, r.run.sourceIdentity!, r.target.identity)
          .catch((e) => {
            ctx.io.err(`Warning: what the two databases agree on could not be updated: ${(e as Error).message}\n`);
            return 'unchanged' as const;
          });
        r.agreement = AGREEMENT_WORDS[done];
      }
      finish(ctx, opts, outcome, formatUndoReport);
    });
};
