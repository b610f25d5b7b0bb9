// Options an export and a plan share: masking and subsets.
import { InvalidArgumentError } from 'commander';
import type { MaskMode } from '../engine/plan';
import { parseWhere, type SubsetCondition, SubsetError, type SubsetOptions } from '../engine/subset';
import { UsageError } from './options';

/** --where "table:condition", repeatable. */
export function collectWhere(value: string, previous: SubsetCondition[] = []): SubsetCondition[] {
  try {
    return [...previous, parseWhere(value)];
  } catch (error) {
    if (error instanceof SubsetError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export interface MaskAndSubsetOptions {
  mask?: boolean;
  where?: SubsetCondition[];
  withChildren?: boolean;
}

/** --mask: the configuration's rules and the profile's defaults; --no-mask: nothing; neither: the
 *  configuration's rules. */
export function maskMode(opts: MaskAndSubsetOptions): MaskMode {
  return opts.mask === true ? 'all' : opts.mask === false ? 'off' : 'config';
}

export function subsetOf(opts: MaskAndSubsetOptions): SubsetOptions | undefined {
  if (!opts.where?.length) {
    if (opts.withChildren)
      throw new UsageError('--with-children goes with --where (it brings the rows that point at the rows a condition keeps).');
    return undefined;
  }
  return { where: opts.where, withChildren: !!opts.withChildren };
}

export const MASK_HELP =
  'mask personal data: the configuration’s rules and the profile’s defaults (Crearis: every e-mail address and phone number, password hashes); masked on the server, never in the archive';
export const NO_MASK_HELP = 'mask nothing, not even the configuration’s rules';
export const WHERE_HELP =
  'export a subset: rows of TABLE that meet CONDITION (an SQL expression), with every parent they need; repeatable, e.g. --where "events:start_date > now() - interval \'90 days\'"';
export const CHILDREN_HELP = "with --where: also the rows that point at kept rows (recursively), e.g. an event's tags";
