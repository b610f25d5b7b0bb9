// What the user decided after looking at a diff, said once: a side for each conflict (per row or per
// field), an answer for each probable edit, and what is left out of a merge (tables, rows or single
// fields). The decisions file (engine/compare/decisions.ts), the app's import request and the review
// document are this schema. It imports nothing but zod.
import { z } from 'zod';
import { tableName } from './import-settings';

/** A row by its natural key: column → value as text (null for NULL); a key column that is a foreign
 *  key is written as the parent's natural key object. */
const rowKey = z.record(z.string(), z.unknown());
const columnName = z.string().max(63);

/** "source"/"target" settle a conflict; "same"/"new" answer a probable edit (a row that only looks
 *  like an edit of the target's row with its id): it is that row, or another one. */
export const rowDecisionSchema = z
  .object({ table: tableName, key: rowKey, field: columnName.optional(), choice: z.enum(['source', 'target', 'same', 'new']) })
  .strict();
/** A table (no key), a row (a key) or one field of a row left out. */
export const exclusionSchema = z.object({ table: tableName, key: rowKey.optional(), field: columnName.optional() }).strict();

/** One decision per row of a large diff at most. */
const MAX_ENTRIES = 100_000;

export const decisionsSchema = z
  .object({
    /** For every conflict no decision covers. */
    onConflict: z.enum(['source', 'target']).optional(),
    /** For every probable edit no decision answers. */
    probableEdits: z.enum(['same', 'new']).optional(),
    decisions: z.array(rowDecisionSchema).max(MAX_ENTRIES),
    exclude: z.array(exclusionSchema).max(MAX_ENTRIES),
  })
  .strict();
export type Decisions = z.infer<typeof decisionsSchema>;

/** The decisions file (`mr4 import --decisions`): the decisions under a header, each list optional
 *  and as long as the file is. */
export const decisionsFileSchema = decisionsSchema.extend({
  format: z.literal('mr4-decisions'),
  version: z.literal(1),
  decisions: z.array(rowDecisionSchema).default([]),
  exclude: z.array(exclusionSchema).default([]),
});
export type DecisionsFile = z.infer<typeof decisionsFileSchema>;
