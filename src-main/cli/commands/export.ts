// mr4 export: one consistent snapshot of a schema into a .tar.gz archive.
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { type ExportReport, EXPORT_PHASES } from '../../../src-common/contract';
import { type CommandModule, finish } from '../context';
import { formatExportReport } from '../format-report';
import { addCommonOptions, type CommonOptions, configPath, dbSpec, parseNonEmpty, parseTables } from '../options';
import { runJob } from '../run-job';

interface ExportOptions extends CommonOptions {
  out: string;
  tables?: string[];
  description?: string;
  compression?: number;
  lineage: boolean;
}

export const exportCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('export')
      .summary('write the schema’s data to an archive (.tar.gz)')
      .description('Export the schema’s data, as one consistent snapshot, to an archive that `mr4 import` reads.'),
  )
    .requiredOption('--out <file>', 'archive to write, e.g. backup.tar.gz', parseNonEmpty('a file name, e.g. --out backup.tar.gz'))
    .option('--tables <list>', 'export only these tables (comma-separated); parents they point at are added as reference tables', parseTables)
    .option('--description <text>', 'a note stored in the archive')
    .option('--compression <level>', 'gzip level 0 (none) to 9 (smallest, slowest); default 3', (v: string) => {
      if (!/^[0-9]$/.test(v)) throw new InvalidArgumentError('give a level from 0 to 9');
      return Number(v);
    })
    .option('--no-lineage', 'leave out the database’s lineage of ids (which rows came from which database)')
    .addHelpText('after', '\nExamples:\n  mr4 export --db postgres://me@localhost:5432/app --out app.tar.gz\n  DATABASE_URL=postgres://me@db/app mr4 export --out app.tar.gz --json')
    .action(async (opts: ExportOptions) => {
      const outcome = await runJob<ExportReport>(
        ctx.io,
        {
          kind: 'export',
          db: dbSpec(opts),
          out: resolve(opts.out),
          schema: opts.schema,
          tables: opts.tables,
          description: opts.description,
          configPath: configPath(opts),
          compressionLevel: opts.compression,
          lineage: opts.lineage,
        },
        { json: opts.json, phases: EXPORT_PHASES },
      );
      finish(ctx, opts, outcome, (report) => formatExportReport(report));
    });
};
