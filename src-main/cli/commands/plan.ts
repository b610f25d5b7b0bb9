// mr4 plan: what an export or import of this schema would do, without moving any data.
import type { PlanResult } from '../../services/engine-jobs';
import { type CommandModule, finish } from '../context';
import { formatPlan } from '../format-plan';
import { addCommonOptions, type CommonOptions, configPath, dbSpec, parseTables } from '../options';
import { runJob } from '../run-job';
import { configProfile } from '../target';
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

interface PlanOptions extends CommonOptions, MaskAndSubsetOptions {
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
    .option(
      '--tables <list>',
      'plan only these tables (comma-separated); parents they point at come along as reference tables',
      parseTables,
    )
    .option('--mask', `what an export with --mask masks: ${MASK_HELP.replace(/^mask /, '')}`)
    .option('--no-mask', `what an export with --no-mask does: ${NO_MASK_HELP}`)
    .option(
      '--where <table:condition>',
      `what a subset export takes (its rows counted in one read-only snapshot): ${WHERE_HELP.replace(/^export a subset: /, '')}`,
      collectWhere,
    )
    .option('--with-children', CHILDREN_HELP)
    .addHelpText(
      'after',
      '\nExamples:\n  mr4 plan --db postgres://me@localhost:5432/app\n  mr4 plan --tables users,projects --json\n' +
        `  mr4 plan --db $PROD --mask --where "events:start_date > now() - interval '90 days'" --with-children`,
    )
    .action(async (opts: PlanOptions) => {
      const config = configPath(opts);
      const subset = subsetOf(opts);
      const outcome = await runJob<PlanResult>(
        ctx.io,
        {
          kind: 'plan',
          db: dbSpec(opts),
          schema: opts.schema,
          tables: opts.tables,
          configPath: config,
          mask: maskMode(opts),
          ...(subset ? { subset } : {}),
        },
        { json: opts.json, phases: [] },
      );
      const profile = outcome.ok && !opts.json ? await configProfile(config) : undefined;
      finish(ctx, opts, outcome, (result) => formatPlan(result, { configProfile: profile, configPath: config }));
    });
};
