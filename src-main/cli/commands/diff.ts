// mr4 diff: what an import of the archive would change in the database, without writing anything.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DiffResult } from '../../services/diff-job';
import { DIFF_PHASES } from '../../engine/diff/index';
import { type CommandModule, finish } from '../context';
import { formatDiff } from '../format-diff';
import { addCommonOptions, type CommonOptions, configPath, dbSpec, EXIT, parseTables } from '../options';
import { runJob } from '../run-job';
import { InvalidArgumentError } from 'commander';

interface DiffOptions extends CommonOptions {
  base?: string;
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
    .option('--base <file>', 'the archive the source database was seeded from')
    .option('--tables <list>', 'compare only these tables of the archive', parseTables)
    .option('--rows <n>', 'rows of each kind per table to show (conflicts are always all shown)', parseCount, 20)
    .option('--rows-out <file>', 'write every differing row to this file, one JSON object per line')
    .option('--fingerprints <file>', 'write what the compared target rows looked like, for mr4 import --expect-fingerprints')
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 diff dev.tar.gz --db postgres://me@prod/app --base prod-before.tar.gz\n  mr4 diff dev.tar.gz --json --rows 0 > conflicts.json',
    )
    .action(async (file: string, opts: DiffOptions) => {
      for (const path of [file, opts.base].filter((p): p is string => !!p)) {
        if (!existsSync(resolve(path)) || !statSync(resolve(path)).isFile()) {
          ctx.io.err(`Error: cannot open archive ${resolve(path)}: no such file.\nGive the path of a .tar.gz written by mr4 export.\n`);
          ctx.exitCode = EXIT.failure;
          return;
        }
      }
      const outcome = await runJob<DiffResult>(
        ctx.io,
        {
          kind: 'diff',
          db: dbSpec(opts),
          archive: resolve(file),
          base: opts.base ? resolve(opts.base) : undefined,
          schema: opts.schema,
          tables: opts.tables,
          rowsPerKind: opts.rows,
          rowsOut: opts.rowsOut ? resolve(opts.rowsOut) : undefined,
          fingerprintsOut: opts.fingerprints ? resolve(opts.fingerprints) : undefined,
          configPath: configPath(opts),
        },
        { json: opts.json, phases: DIFF_PHASES },
      );
      finish(ctx, opts, outcome, formatDiff);
    });
};
