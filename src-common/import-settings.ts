// How an import runs, said once. The app's request picks from this schema, the CLI's flags are
// validated through it, and the worker's job and the engine's options carry it as it is: a new
// setting is a field here and its flag. It imports nothing but zod.
import { z } from 'zod';

/** A PostgreSQL identifier (at most 63 bytes, which is at most 63 characters). */
export const tableName = z.string().min(1).max(63);

export const FOREIGN_KEY_RELOAD_MODES = ['auto', 'always', 'never'] as const;

export const importSettingsSchema = z
  .object({
    /** skip: only insert new rows; merge: insert new rows and update changed ones. */
    mode: z.enum(['skip', 'merge']),
    /** Do everything, report it, then roll back. */
    dryRun: z.boolean().optional(),
    /** Import every row that fits and report the others as failed, instead of stopping. */
    allowFailures: z.boolean().optional(),
    /** Leave out columns present on only one side (reported) instead of stopping. */
    ignoreMissingColumns: z.boolean().optional(),
    /** Run with the target's user triggers disabled (takes an exclusive lock on those tables). */
    disableTriggers: z.boolean().optional(),
    /** The foreign keys of a table receiving many rows are dropped before it is written and added
     *  again with validation in the same transaction, where the user may ('auto', the default);
     *  'always' whatever the number of rows (still only where the user may); 'never': their triggers
     *  check every row. */
    foreignKeyReload: z.enum(FOREIGN_KEY_RELOAD_MODES).optional(),
    /** Import only these tables of the archive. */
    tables: z.array(tableName).max(10_000).optional(),
    /** The user states source and target are copies of each other: for rows no lineage or natural
     *  key identifies, the same id is the same row (pgsync's model; rows added on both sides at one
     *  id are then taken for one row). */
    sameIds: z.boolean().optional(),
    /** A row that only looks like an edit of the target row with its id (no lineage, no natural
     *  key): 'same' updates that row, 'new' inserts it as another row. Unset, the import stops and
     *  lists them. */
    probableEdits: z.enum(['same', 'new']).optional(),
    /** How to decide every conflict no decision covers. */
    onConflict: z.enum(['source', 'target']).optional(),
    /** Pair rows through the lineage of ids, and record it in the target (default true). */
    lineage: z.boolean().optional(),
    /** Keep an undo log in the target (what the run inserted and the values it overwrote), so `mr4
     *  undo` can revert it (default true; a dry run keeps none). */
    undo: z.boolean().optional(),
  })
  .strict();

export type ImportSettings = z.infer<typeof importSettingsSchema>;

/** The import settings among other fields (a door's options): the schema's fields that are set, checked. */
export function importSettingsOf(fields: object): ImportSettings {
  return setFieldsOf(importSettingsSchema, fields);
}

/** The fields of `schema` that are set among `fields`, checked by it. */
function setFieldsOf<S extends z.ZodObject>(schema: S, fields: object): z.infer<S> {
  const given = fields as Record<string, unknown>;
  const set = schema.keyof().options.filter((k) => given[k as string] !== undefined);
  return schema.parse(Object.fromEntries(set.map((k) => [k, given[k as string]])));
}

/** What a diff takes of an import's settings: how rows are paired, and whether columns present on
 *  one side only are left out of the comparison. */
export const comparisonSettingsSchema = importSettingsSchema.pick({
  sameIds: true,
  probableEdits: true,
  lineage: true,
  ignoreMissingColumns: true,
});

export type ComparisonSettings = z.infer<typeof comparisonSettingsSchema>;

/** The comparison settings among other fields (a door's options, a job): those that are set, checked. */
export function comparisonSettingsOf(fields: object): ComparisonSettings {
  return setFieldsOf(comparisonSettingsSchema, fields);
}
