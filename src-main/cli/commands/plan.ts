// mr4 plan: what an export or import of this schema would do, without moving any data.
import type { PlanResult } from '../../services/engine-jobs';
import { type CommandModule, finish } from '../context';
import { formatPlan } from '../format-plan';
import { addCommonOptions, type CommonOptions, configPath, dbSpec, parseTables } from '../options';
import { runJob } from '../run-job';
import { configProfile } from '../target';

interface PlanOptions extends CommonOptions {
  tables?: string[];
}

export const planCommand: CommandModule = (program, ctx) => {
  addCommonOptions(
    program
      .command('plan')
      .summary('show how tables would move: write order, natural keys, references, cycles')
      .description(
        'Show what an export or import of the schema would do: the profile applied, the tables in write order grouped by level, ' +
          'how each table’s rows are recognised (natural key or whole content), which columns carry ids that are rewritten, ' +
          'which are filled late to break cycles, and what is left out. Reads the catalog only.',
      ),
  )
    .option('--tables <list>', 'plan only these tables (comma-separated); parents they point at come along as reference tables', parseTables)
    .addHelpText('after', '\nExamples:\n  mr4 plan --db postgres://me@localhost:5432/app\n  mr4 plan --tables users,projects --json')
    .action(async (opts: PlanOptions) => {
      const config = configPath(opts);
      const outcome = await runJob<PlanResult>(
        ctx.io,
        { kind: 'plan', db: dbSpec(opts), schema: opts.schema, tables: opts.tables, configPath: config },
        { json: opts.json, phases: [] },
      );
      const profile = outcome.ok && !opts.json ? await configProfile(config) : undefined;
      finish(ctx, opts, outcome, (result) => formatPlan(result, { configProfile: profile, configPath: config }));
    });
};
