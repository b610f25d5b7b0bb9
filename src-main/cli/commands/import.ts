// mr4 import: an archive into the target, matching rows by natural key, in one transaction.
import { resolve } from 'node:path';
import { Option } from 'commander';
import { IMPORT_PHASES, type ImportReport } from '../../engine/report-types';
import { type ImportSettings, importSettingsOf } from '../../../src-common/import-settings';
import { type CommandModule, finish } from '../context';
import { formatImportReport } from '../format-report';
import {
  addCommonOptions,
  archiveFileProblem,
  type CommonOptions,
  configPath,
  dbSpec,
  EXIT,
  parseSecondsToMs,
  parseTables,
} from '../options';
import { runJob } from '../run-job';
import { defaultDataDir } from '../../services/data-dir';
import { BaseRegistry, baseFile, chosenBase } from '../../services/bases';
import { PASSPHRASE_ENV, secretForReading, type SecretOptions } from '../archive-secret';
import { readDecisionsFile } from '../review-file';

/** The flags as commander reads them: each import setting under its own name (but --fk-reload), and
 *  what only the command line says. */
type ImportFlags = CommonOptions &
  SecretOptions &
  Omit<ImportSettings, 'foreignKeyReload'> & {
    fkReload?: ImportSettings['foreignKeyReload'];
    lockTimeout?: number;
    base?: string;
    decisions?: string;
    expectFingerprints?: string;
    remember: boolean;
  };

export const importCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('import')
      .summary('bring an archive’s rows into the database (skip or merge)')
      .description(
        'Import an archive into the database in one transaction. Rows are matched by natural key: ' +
          '--mode skip inserts rows the target lacks and leaves existing ones alone; --mode merge also updates existing rows that differ. ' +
          'Ids are rewritten to the target’s own.',
      )
      .argument('<file>', 'the archive (.tar.gz) written by mr4 export'),
  )
    .addOption(
      new Option('--mode <mode>', 'skip: only insert new rows; merge: insert new rows and update changed ones')
        .choices(['skip', 'merge'])
        .makeOptionMandatory(),
    )
    .option('--dry-run', 'do everything, report it, then roll back: nothing is written')
    .option('--allow-failures', 'import every row that fits and report the others as failed, instead of stopping')
    .option('--ignore-missing-columns', 'leave out columns present on only one side (reported) instead of stopping')
    .option('--disable-triggers', 'run with the target’s user triggers disabled (locks the written tables exclusively)')
    .addOption(
      new Option(
        '--fk-reload <when>',
        'auto (default): where you own the tables, drop the foreign keys of a table receiving many rows before writing it and add them again with validation in the same transaction (readers of those tables wait until the run ends); always: whatever the number of rows; never: their triggers check every row',
      ).choices(['auto', 'always', 'never']),
    )
    .option('--lock-timeout <seconds>', 'how long to wait for other writers to release the tables (default 10)', parseSecondsToMs)
    .option('--tables <list>', 'import only these tables of the archive (comma-separated)', parseTables)
    .option(
      '--base <file>',
      'what the source and the target last agreed on (an archive): apply only the source’s own changes since, keep the target’s, stop on conflicts. Default: what this data folder kept of their last sync, if anything ("auto": require it; "none": compare two ways)',
    )
    .option(
      '--no-remember',
      'do not keep what the two databases agree on after this run (the base "auto" of the next three-way merge between them)',
    )
    .option(
      '--same-ids',
      'the two databases are copies of each other: rows no lineage or natural key identifies are paired by their ids (rows added on both sides at one id are taken for one row)',
    )
    .addOption(
      new Option(
        '--probable-edits <answer>',
        'rows that only look like edits of target rows with their ids: the same rows (update them) or new ones (insert them); unset, the import stops and lists them',
      ).choices(['same', 'new']),
    )
    .option('--no-lineage', 'neither use nor record the lineage of ids (the _mr4 schema in the target)')
    .option('--no-undo', 'keep no undo log in the target (mr4 undo cannot revert this run; a little faster)')
    .addOption(
      new Option('--on-conflict <side>', 'decide every conflict no decision covers: source or target').choices(['source', 'target']),
    )
    .option(
      '--decisions <file>',
      'a decisions file: per row or field, which side wins; tables, rows or fields to leave out. Or a review the app saved (checked: it must be of this archive and this database)',
    )
    .option('--expect-fingerprints <file>', 'refuse to merge if target rows changed since mr4 diff --fingerprints wrote this file')
    .option(
      '--passphrase-file <file>',
      `an encrypted archive's passphrase (the file's first line; or ${PASSPHRASE_ENV}; asked on a terminal otherwise)`,
    )
    .option('--key-file <file>', 'the key file an archive was encrypted with')
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 import app.tar.gz --mode skip --db postgres://me@localhost:5432/app --dry-run\n  mr4 import app.tar.gz --mode merge --json > report.json',
    )
    .action(async (file: string, opts: ImportFlags) => {
      const archive = resolve(file);
      const problem = archiveFileProblem(archive);
      if (problem) {
        ctx.io.err(`Error: ${problem}\n`);
        ctx.exitCode = EXIT.failure;
        return;
      }
      const base = chosenBase(opts.base, 'kept', (file) => resolve(file));
      let chosen: Awaited<ReturnType<typeof readDecisionsFile>> | undefined;
      if (opts.decisions) {
        try {
          chosen = await readDecisionsFile(resolve(opts.decisions), archive, opts.db);
        } catch (error) {
          ctx.io.err(`Error: ${(error as Error).message}\n`);
          ctx.exitCode = EXIT.failure;
          return;
        }
      }
      const named = baseFile(opts.base);
      const secret = await secretForReading([archive, ...(named ? [resolve(named)] : [])], opts);
      const outcome = await runJob<ImportReport>(
        ctx.io,
        {
          kind: 'import',
          db: dbSpec(opts),
          archive,
          settings: importSettingsOf({ ...opts, foreignKeyReload: opts.fkReload }),
          schema: opts.schema,
          lockTimeoutMs: opts.lockTimeout,
          configPath: configPath(opts),
          base,
          ...(chosen ? ('decisionsPath' in chosen ? { decisionsPath: chosen.decisionsPath } : { decisions: chosen.decisions }) : {}),
          expectFingerprints: opts.expectFingerprints ? resolve(opts.expectFingerprints) : undefined,
          // The base is what the two databases last agreed on, kept here; a real run keeps the new one.
          dataDir: defaultDataDir(),
          remember: opts.remember,
          ...(secret ? { secret } : {}),
        },
        { json: opts.json, phases: IMPORT_PHASES },
      );
      if (outcome.ok && opts.tables) {
        // The engine takes --tables as a filter over the archive; say so when a name matched nothing.
        const imported = new Set(outcome.result.tables.map((t) => t.table));
        const missing = opts.tables.filter((t) => !imported.has(t));
        if (missing.length) {
          ctx.io.err(
            `Warning: --tables named ${missing.map((t) => `"${t}"`).join(', ')}, which the archive does not carry as data (or the configuration excludes); nothing was imported for ${missing.length === 1 ? 'it' : 'them'}.\n`,
          );
        }
      }
      if (outcome.ok && !outcome.result.dryRun && opts.remember) {
        await new BaseRegistry(defaultDataDir())
          .record(outcome.result)
          .catch((e) => ctx.io.err(`Warning: what the two databases agree on could not be kept: ${(e as Error).message}\n`));
      }
      finish(ctx, opts, outcome, formatImportReport);
    });
};
