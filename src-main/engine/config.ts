// The optional configuration file (JSON) that adjusts what the catalog alone decides: a table's natural
// key, excluded tables and columns, references without a foreign-key constraint, insert-only columns.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const identifier = z.string().min(1).max(63);

const referenceSchema = z
  .object({
    columns: z.array(identifier).min(1),
    table: identifier,
    refColumns: z.array(identifier).min(1).optional(),
    /** Values of the column that point at no row (WordPress's 0 for "no parent"): kept as they are, as
     *  a NULL is, never rewritten nor refused. */
    none: z.array(z.union([z.number(), z.string().max(1000)])).optional(),
  })
  .superRefine((r, ctx) => {
    if (!r.none) return;
    if (!r.none.length) ctx.addIssue({ code: 'custom', path: ['none'], message: '"none" lists at least one value' });
    else if (r.columns.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['none'],
        message: `"none" applies to a single-column reference only, not to (${r.columns.join(', ')})`,
      });
  });

/** A polymorphic reference: the id column holds ids of the table the type column names by class. */
const polymorphicSchema = z.object({ column: identifier, typeColumn: identifier }).strict();

/** A masking rule for one column (see mask.ts): a rule's name, or {"fixed": "value"}. */
const maskRuleSchema = z.union([
  z.enum(['keep', 'null', 'email', 'phone', 'name', 'hash', 'emails-inside', 'random']),
  z.object({ fixed: z.string().max(10_000) }).strict(),
]);

/** A table's id drawn by the application (Hibernate's hibernate_sequence), stated to be a surrogate. */
const surrogateSchema = z.object({ column: identifier, sequence: z.string().min(1).max(200) }).strict();

const tableConfigSchema = z
  .object({
    key: z.union([z.array(identifier).min(1), z.literal('content')]).optional(),
    /** The id column is a surrogate whose values the application draws from this sequence: matched by
     *  the lineage of ids, renumbered from the sequence where the source's id is taken. */
    surrogate: surrogateSchema.optional(),
    exclude: z.boolean().optional(),
    excludeColumns: z.array(identifier).optional(),
    insertOnly: z.array(identifier).optional(),
    /** Columns that look like ids of other rows but are not (silences the plan's warning). */
    notReferences: z.array(identifier).optional(),
    references: z.array(referenceSchema).optional(),
    /** Polymorphic references stated to be ones: rewritten whatever the rows say (see polymorphicParents). */
    polymorphic: z.array(polymorphicSchema).optional(),
    /** Masking on export: column → rule (applied unless masking is turned off). */
    mask: z.record(identifier, maskRuleSchema).optional(),
    note: z.string().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    /** "auto" (default) applies a built-in profile when the schema is recognised; "none" never does;
     *  a profile name forces that profile. The file's own settings apply on top. */
    profile: z.string().optional(),
    tables: z.record(identifier, tableConfigSchema).default({}),
  })
  .strict();

export type TableConfig = z.infer<typeof tableConfigSchema>;
export type ReferenceConfig = z.infer<typeof referenceSchema>;
export type MaskRuleConfigEntry = z.infer<typeof maskRuleSchema>;
export type Mr4Config = z.infer<typeof configSchema>;

export function parseConfig(value: unknown, origin: string): Mr4Config {
  const result = configSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`Configuration ${origin} is not valid:\n${problems}\nSee "Configuration file" in the README.`);
  }
  return result.data;
}

export async function loadConfigFile(path: string): Promise<Mr4Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read configuration file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`Configuration file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(json, path);
}

/** Per-table settings of `over` replace those of `base`, field by field. */
export function mergeConfigs(base: Mr4Config, over: Mr4Config): Mr4Config {
  const tables: Record<string, TableConfig> = { ...base.tables };
  for (const [name, cfg] of Object.entries(over.tables)) {
    const mask = tables[name]?.mask || cfg.mask ? { ...tables[name]?.mask, ...cfg.mask } : undefined;
    tables[name] = { ...tables[name], ...cfg, ...(mask ? { mask } : {}) };
  }
  return { profile: over.profile ?? base.profile, tables };
}
