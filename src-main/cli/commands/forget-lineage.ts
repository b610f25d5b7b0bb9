// mr4 forget-lineage: forget which rows of other databases a table's rows came from (the lineage of ids
// in schema _mr4), the way out when the table's ids were reused (an import or diff refuses then,
// naming the tables). Its rows are then matched by natural key and content, as between databases
// never synced; rows nothing identifies are new rows.
import type { ForgetLineageReport } from '../../engine/forget-lineage';
import { type CommandModule, finish } from '../context';
import { grid, num } from '../format';
import { addCommonOptions, type CommonOptions, dbSpec, parseTables } from '../options';
import { runJob } from '../run-job';

interface ForgetLineageOptions extends CommonOptions {
  tables: string[];
}

export function formatForgetLineageReport(r: ForgetLineageReport): string {
  const rows = [['table', 'pairs forgotten'], ...r.tables.map((t) => [t.table, num(t.pairs)])];
  return (
    `Forgot the lineage of ids of ${r.tables.map((t) => t.table).join(', ')} in ${r.database} (schema ${r.schema}):\n${grid(rows, ['l', 'r'])}\n` +
    'Their rows are now matched by natural key and content; the next import records their lineage afresh.\n'
  );
}

export const forgetLineageCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('forget-lineage')
      .summary('forget where the rows of some tables came from (when their ids were reused)')
      .description(
        'Delete the lineage of ids of the given tables from the database (schema _mr4): which rows of other databases they came from. ' +
          'Do it when their ids were reused (TRUNCATE … RESTART IDENTITY, setval, fixtures reloaded): an import or diff then refuses, naming the tables. ' +
          'Their rows are afterwards matched by natural key and content; rows nothing identifies are new rows. Nothing but the pairing is lost.',
      ),
  )
    .requiredOption('--tables <list>', 'the tables whose lineage to forget (comma-separated)', parseTables)
    .addHelpText('after', '\nExample:\n  mr4 forget-lineage --db postgres://me@localhost/app_dev --tables items')
    .action(async (opts: ForgetLineageOptions) => {
      const outcome = await runJob<ForgetLineageReport>(
        ctx.io,
        { kind: 'forget-lineage', db: dbSpec(opts), schema: opts.schema, tables: opts.tables },
        { json: opts.json, phases: [] },
      );
      finish(ctx, opts, outcome, formatForgetLineageReport);
    });
};
