// mr4 forget-lineage: forget which rows of other databases a table's rows came from (the lineage of ids
// in schema _mr4), the way out when the table's ids were reused (an import or diff refuses then,
// naming the tables). Its rows are then matched by natural key and content, as between databases
// never synced; rows nothing identifies are new rows. With --ids-above, only the pairs naming ids above
// that one (this database's, or with --of another's): where the ids only went back, the rows up to it
// stay paired.
import { InvalidArgumentError } from 'commander';
import { databaseIdentity, idCeiling } from '../../../src-common/forget-lineage';
import type { ForgetLineageReport } from '../../engine/forget-lineage';
import { type CommandModule, finish } from '../context';
import { grid, num } from '../format';
import { addCommonOptions, type CommonOptions, dbSpec, parseTables, UsageError } from '../options';
import { runJob } from '../run-job';

interface ForgetLineageOptions extends CommonOptions {
  tables: string[];
  idsAbove?: string;
  of?: string;
}

function parseIdsAbove(value: string): string {
  if (!idCeiling.safeParse(value.trim()).success)
    throw new InvalidArgumentError(`"${value}" is not an integer id; give the ceiling the refusal named, e.g. --ids-above 2`);
  return value.trim();
}

function parseIdentity(value: string): string {
  const v = value.trim().toLowerCase();
  if (!databaseIdentity.safeParse(v).success)
    throw new InvalidArgumentError(`"${value}" is not a database identity; give the uuid the refusal named after --of`);
  return v;
}

export function formatForgetLineageReport(r: ForgetLineageReport): string {
  const rows = [
    ['table', ...(r.idsOf ? ['ids above'] : []), 'pairs forgotten'],
    ...r.tables.map((t) => [t.table, ...(r.idsOf ? [t.idsAbove!] : []), num(t.pairs)]),
  ];
  const whose = r.idsOf ? (r.idsOf.own ? 'its own ids' : `the ids of database ${r.idsOf.identity}`) : '';
  const what = r.idsOf
    ? `Forgot the pairs of ${r.tables.map((t) => t.table).join(', ')} naming ${whose} above the ceiling in ${r.database} (schema ${r.schema}):`
    : `Forgot the lineage of ids of ${r.tables.map((t) => t.table).join(', ')} in ${r.database} (schema ${r.schema}):`;
  const after = r.idsOf
    ? 'The rows up to the ceiling stay paired; the rest are matched by natural key and content.'
    : 'Their rows are now matched by natural key and content; the next import records their lineage afresh.';
  return `${what}\n${grid(rows, r.idsOf ? ['l', 'r', 'r'] : ['l', 'r'])}\n${after}\n`;
}

export const forgetLineageCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('forget-lineage')
      .summary('forget where the rows of some tables came from (when their ids were reused)')
      .description(
        'Delete the lineage of ids of the given tables from the database (schema _mr4): which rows of other databases they came from. ' +
          'Do it when their ids were reused (TRUNCATE … RESTART IDENTITY, setval, fixtures reloaded): an import or diff then refuses, naming the tables. ' +
          'Their rows are afterwards matched by natural key and content; rows nothing identifies are new rows. Nothing but the pairing is lost. ' +
          'Where the ids only went back (the newest rows deleted, the sequence set back; not restarted), --ids-above forgets only the pairs naming ids above ' +
          'that one — the rows up to it stay paired — if those rows are still the rows they were.',
      ),
  )
    .requiredOption('--tables <list>', 'the tables whose lineage to forget (comma-separated)', parseTables)
    .option(
      '--ids-above <id>',
      'only the pairs naming ids above this one (the ceiling the refusal named), of each table given',
      parseIdsAbove,
    )
    .option(
      '--of <identity>',
      "with --ids-above: another database's ids (its identity, as the refusal named it); left out, this database's own",
      parseIdentity,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 forget-lineage --db postgres://me@localhost/app_dev --tables items\n' +
        '  mr4 forget-lineage --db postgres://me@localhost/app_dev --tables notes --ids-above 2',
    )
    .action(async (opts: ForgetLineageOptions) => {
      if (opts.of !== undefined && opts.idsAbove === undefined)
        throw new UsageError('--of names whose ids are forgotten above a ceiling: give --ids-above too (the refusal names both).');
      const idsAbove = opts.idsAbove === undefined ? undefined : Object.fromEntries(opts.tables.map((t) => [t, opts.idsAbove!]));
      const outcome = await runJob<ForgetLineageReport>(
        ctx.io,
        {
          kind: 'forget-lineage',
          db: dbSpec(opts),
          schema: opts.schema,
          tables: opts.tables,
          ...(idsAbove ? { idsAbove } : {}),
          ...(opts.of ? { of: opts.of } : {}),
        },
        { json: opts.json, phases: [] },
      );
      finish(ctx, opts, outcome, formatForgetLineageReport);
    });
};
