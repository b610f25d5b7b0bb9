// mr4 export: one consistent snapshot of a schema into a .tar.gz archive.
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { type ExportReport, EXPORT_PHASES } from '../../engine/report-types';
import { type CommandModule, finish } from '../context';
import { formatExportReport } from '../format-report';
import { addCommonOptions, type CommonOptions, configPath, dbSpec, parseNonEmpty, parseTables, UsageError } from '../options';
import { runJob } from '../run-job';
import { DEFAULT_EXPORT_JOBS, MAX_EXPORT_JOBS, PARALLEL_EXPORT_FROM_BYTES } from '../../engine/snapshot-readers';
import { maskSeed, PASSPHRASE_ENV, secretForWriting, type SecretOptions } from '../archive-secret';
import {
  CHILDREN_HELP,
  collectWhere,
  MASK_HELP,
  type MaskAndSubsetOptions,
  maskMode,
  NO_MASK_HELP,
  subsetOf,
  WHERE_HELP,
} from '../export-options';

interface ExportOptions extends CommonOptions, MaskAndSubsetOptions, SecretOptions {
  out: string;
  tables?: string[];
  description?: string;
  compression?: number;
  jobs?: number;
  lineage: boolean;
  maskSeedFile?: string;
  encrypt?: boolean;
}

export const exportCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('export')
      .summary('write the schema’s data to an archive (.tar.gz)')
      .description('Export the schema’s data, as one consistent snapshot, to an archive that `mr4 import` reads.'),
  )
    .requiredOption('--out <file>', 'archive to write, e.g. backup.tar.gz', parseNonEmpty('a file name, e.g. --out backup.tar.gz'))
    .option(
      '--tables <list>',
      'export only these tables (comma-separated); parents they point at are added as reference tables',
      parseTables,
    )
    .option('--description <text>', 'a note stored in the archive')
    .option('--compression <level>', 'gzip level 0 (none) to 9 (smallest, slowest); default 3', (v: string) => {
      if (!/^[0-9]$/.test(v)) throw new InvalidArgumentError('give a level from 0 to 9');
      return Number(v);
    })
    .option(
      '-j, --jobs <n>',
      `connections reading tables at once, all on one snapshot (as pg_dump -j); 1 to ${MAX_EXPORT_JOBS}, default ${DEFAULT_EXPORT_JOBS} where the tables hold ${PARALLEL_EXPORT_FROM_BYTES / 1024 ** 2} MB or more, else 1; a subset (--where) reads over one`,
      (v: string) => {
        if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > MAX_EXPORT_JOBS)
          throw new InvalidArgumentError(`give a number from 1 to ${MAX_EXPORT_JOBS}`);
        return Number(v);
      },
    )
    .option('--no-lineage', 'leave out the database’s lineage of ids (which rows came from which database)')
    .option('--mask', MASK_HELP)
    .option('--no-mask', NO_MASK_HELP)
    .option(
      '--mask-seed-file <file>',
      'mask with a key derived from this seed (at least 16 bytes; or MR4_MASK_SEED), so archives masked with one seed agree; without it every export masks with a random key. Whoever has the seed can test guesses of masked values: keep it as secret as the data',
    )
    .option('--where <table:condition>', WHERE_HELP, collectWhere)
    .option('--with-children', CHILDREN_HELP)
    .option(
      '--encrypt',
      `encrypt the archive (AES-256-GCM, key from the passphrase by scrypt): the passphrase is asked on a terminal, or read from --passphrase-file FILE or ${PASSPHRASE_ENV}`,
    )
    .option('--passphrase-file <file>', 'with --encrypt: the passphrase (the file’s first line)')
    .option(
      '--key-file <file>',
      'encrypt with a key file (32 or more random bytes, e.g. head -c 32 /dev/urandom > archive.key) instead of a passphrase',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 export --db postgres://me@localhost:5432/app --out app.tar.gz\n  DATABASE_URL=postgres://me@db/app mr4 export --out app.tar.gz --json\n' +
        `  mr4 export --db $PROD --mask --where "events:start_date > now() - interval '90 days'" --with-children --encrypt --out prod.tar.gz.enc`,
    )
    .action(async (opts: ExportOptions) => {
      if (opts.encrypt && opts.keyFile) throw new UsageError('Give --encrypt (a passphrase) or --key-file, not both.');
      const subset = subsetOf(opts);
      const encrypt = await secretForWriting(!!opts.encrypt, opts);
      const seed = await maskSeed(opts.maskSeedFile);
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
          jobs: opts.jobs,
          lineage: opts.lineage,
          mask: maskMode(opts),
          ...(seed ? { maskSeed: seed } : {}),
          ...(subset ? { subset } : {}),
          ...(encrypt ? { encrypt } : {}),
        },
        { json: opts.json, phases: EXPORT_PHASES },
      );
      finish(ctx, opts, outcome, (report) => formatExportReport(report));
    });
};
