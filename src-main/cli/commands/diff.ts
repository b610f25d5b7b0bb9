// mr4 diff: what an import of the archive would change in the database, without writing anything.
import { resolve } from 'node:path';
import type { DiffResult } from '../../services/diff-job';
import { DIFF_PHASES } from '../../engine/diff/index';
import { type CommandModule, finish } from '../context';
import { formatDiff } from '../format-diff';
import { addCommonOptions, archiveFileProblem, type CommonOptions, configPath, dbSpec, EXIT, parseTables } from '../options';
import { runJob } from '../run-job';
import { InvalidArgumentError, Option } from 'commander';
import { defaultDataDir } from '../../services/data-dir';
import { baseFile, chosenBase } from '../../services/bases';
import { PASSPHRASE_ENV, secretForReading, type SecretOptions } from '../archive-secret';
import { comparisonSettingsOf } from '../../../src-common/import-settings';

interface DiffOptions extends CommonOptions, SecretOptions {
  base?: string;
  sameIds?: boolean;
  probableEdits?: 'same' | 'new';
  lineage: boolean;
  ignoreMissingColumns?: boolean;
  tables?: string[];
  rows: number;
  rowsOut?: string;
  fingerprints?: string;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 100_000) throw new InvalidArgumentError('give a whole number of rows (0 to 100000)');
  return n;
}

export const diffCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('diff')
      .summary('show what importing an archive would change, row by row (three ways with --base)')
      .description(
        'Compare the archive with the database through natural keys (foreign keys compared as what they point at, generated columns ignored): ' +
          'new rows, changed rows with every differing field, identical rows, rows only in the database. With --base (the archive the ' +
          'source was seeded from) each field is classified three ways: changed only in the archive (apply), only in the database (keep), ' +
          'or on both sides to different values (conflict). Nothing is written.',
      )
      .argument('<file>', 'the archive (.tar.gz) written by mr4 export'),
  )
    .option(
      '--base <file>',
      'what the source and the target last agreed on (an archive). Default: what this data folder kept of their last sync, if anything ("auto": require it; "none": compare two ways)',
    )
    .option('--same-ids', 'the two databases are copies of each other: rows no lineage or natural key identifies are paired by their ids')
    .addOption(
      new Option(
        '--probable-edits <answer>',
        'rows that only look like edits of target rows: show them as the same rows or as new ones (unset: listed as probable edits)',
      ).choices(['same', 'new']),
    )
    .option('--no-lineage', 'do not pair rows by the lineage of ids')
    .option(
      '--ignore-missing-columns',
      'leave out of the comparison columns present on only one side (as mr4 import --ignore-missing-columns does)',
    )
    .option('--tables <list>', 'compare only these tables of the archive', parseTables)
    .option('--rows <n>', 'rows of each kind per table to show (conflicts are always all shown)', parseCount, 20)
    .option('--rows-out <file>', 'write every differing row to this file, one JSON object per line')
    .option('--fingerprints <file>', 'write what the compared target rows looked like, for mr4 import --expect-fingerprints')
    .option(
      '--passphrase-file <file>',
      `an encrypted archive's passphrase (the file's first line; or ${PASSPHRASE_ENV}; asked on a terminal otherwise)`,
    )
    .option('--key-file <file>', 'the key file an archive was encrypted with')
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 diff dev.tar.gz --db postgres://me@prod/app --base prod-before.tar.gz\n  mr4 diff dev.tar.gz --json --rows 0 > conflicts.json',
    )
    .action(async (file: string, opts: DiffOptions) => {
      const named = baseFile(opts.base);
      for (const path of [file, named].filter((p): p is string => !!p)) {
        const problem = archiveFileProblem(resolve(path));
        if (problem) {
          ctx.io.err(`Error: ${problem}\n`);
          ctx.exitCode = EXIT.failure;
          return;
        }
      }
      const secret = await secretForReading([resolve(file), ...(named ? [resolve(named)] : [])], opts);
      const outcome = await runJob<DiffResult>(
        ctx.io,
        {
          kind: 'diff',
          db: dbSpec(opts),
          archive: resolve(file),
          base: chosenBase(opts.base, 'kept', (file) => resolve(file)),
          dataDir: defaultDataDir(),
          ...comparisonSettingsOf(opts),
          schema: opts.schema,
          tables: opts.tables,
          rowsPerKind: opts.rows,
          rowsOut: opts.rowsOut ? resolve(opts.rowsOut) : undefined,
          fingerprintsOut: opts.fingerprints ? resolve(opts.fingerprints) : undefined,
          configPath: configPath(opts),
          ...(secret ? { secret } : {}),
        },
        { json: opts.json, phases: DIFF_PHASES },
      );
      finish(ctx, opts, outcome, formatDiff);
    });
};
