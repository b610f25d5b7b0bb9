// Before anything is written: does the archive fit the target? Every problem is collected, so the user
// sees them all at once. Names from the archive are only ever used after they matched the catalog.
import type { ArchiveIndex } from '../archive/format';
import type { Catalog } from '../catalog';
import type { Plan } from '../plan';
import { ImportCheckError, type StagedTable } from './types';

export interface ReconcileOptions {
  ignoreMissingColumns?: boolean;
  /** The archive's tables the run imports (archiveDataTables); a table left out cannot be missing. */
  tables?: string[];
}

export interface Reconciled {
  tables: StagedTable[];
  warnings: string[];
  ignoredColumns: string[];
}

/** The archive's data tables that the target should receive (its configuration may exclude some). */
export function archiveDataTables(index: ArchiveIndex, excluded: Set<string>, only?: string[]): { tables: string[]; skipped: string[] } {
  const data = index.entities.filter((e) => index.tables[e].role === 'data');
  const unknown = (only ?? []).filter((t) => !data.includes(t));
  if (unknown.length) {
    throw new ImportCheckError(
      unknown.map((t) => `table "${t}" was asked for but the archive does not carry its rows (it has: ${data.join(', ')})`),
    );
  }
  const wanted = only ? data.filter((t) => only.includes(t)) : data;
  return { tables: wanted.filter((t) => !excluded.has(t)), skipped: wanted.filter((t) => excluded.has(t)) };
}

export function reconcile(index: ArchiveIndex, catalog: Catalog, plan: Plan, options: ReconcileOptions = {}, stagePrefix = ''): Reconciled {
  const problems: string[] = [];
  const warnings: string[] = [];
  const ignoredColumns: string[] = [];
  const tables: StagedTable[] = [];
  const where = `database "${catalog.database}" (schema "${catalog.schema}")`;

  for (const entity of options.tables ?? index.entities) {
    if (index.tables[entity].role === 'data' && !catalog.tables.some((t) => t.name === entity)) {
      problems.push(`table "${entity}" is in the archive but not in ${where}`);
    }
  }

  plan.tables.forEach((tp, position) => {
    const at = index.tables[tp.name];
    if (!at) {
      const needers = plan.tables.filter((c) => c.references.some((r) => r.parent === tp.name && r.remap)).map((c) => c.name);
      problems.push(
        `the archive does not carry table "${tp.name}", which ${needers.join(', ')} point(s) at; export those tables together or in full`,
      );
      return;
    }
    const targetTable = catalog.tables.find((t) => t.name === tp.name)!;
    const planned = new Map(tp.columns.map((c) => [c.name, c]));
    const staged: string[] = [];
    const pick: number[] = [];
    at.columns.forEach((ac, i) => {
      const tc = planned.get(ac.name);
      if (!tc) {
        const exists = targetTable.columns.find((c) => c.name === ac.name);
        const what = exists
          ? exists.generated
            ? 'is generated in the target'
            : 'is excluded by the configuration'
          : 'does not exist in the target';
        if (exists || options.ignoreMissingColumns) {
          ignoredColumns.push(`${tp.name}.${ac.name}`);
          if (exists) warnings.push(`${tp.name}.${ac.name} ${what}; its archived values are not imported`);
        } else {
          problems.push(`column ${tp.name}.${ac.name} is in the archive but ${what}`);
        }
        return;
      }
      if (ac.type !== tc.type) {
        problems.push(`column ${tp.name}.${ac.name} is ${ac.type} in the archive but ${tc.type} in the target`);
        return;
      }
      staged.push(ac.name);
      pick.push(i);
    });
    if (tp.role === 'data') {
      const archived = new Set(at.columns.map((c) => c.name));
      const excludedAtSource = new Set(at.excludedColumns.map((c) => c.name));
      for (const tc of tp.columns) {
        if (archived.has(tc.name)) continue;
        if (tc.notNull && !tc.hasDefault) {
          problems.push(`column ${tp.name}.${tc.name} is NOT NULL without a default in the target, and the archive has no values for it`);
        } else if (!excludedAtSource.has(tc.name) && tc.name !== tp.surrogate) {
          if (options.ignoreMissingColumns) ignoredColumns.push(`${tp.name}.${tc.name}`);
          else problems.push(`column ${tp.name}.${tc.name} of the target is not in the archive`);
        }
      }
    }
    const missingMatch = tp.matchColumns.filter((c) => !staged.includes(c));
    if (missingMatch.length && tp.key.kind === 'key') {
      problems.push(`rows of ${tp.name} cannot be recognised: the archive lacks its key column(s) ${missingMatch.join(', ')}`);
    }
    const referenced = plan.tables.some((c) => c.references.some((r) => r.parent === tp.name && r.remap && !r.external));
    if (referenced && tp.surrogate && !staged.includes(tp.surrogate)) {
      problems.push(`the archive lacks ${tp.name}.${tp.surrogate}, so references to ${tp.name} cannot be resolved`);
    }
    tables.push({
      plan: tp,
      catalog: targetTable,
      archive: at,
      staged,
      pick,
      masked: (at.masked ?? []).map((m) => m.column).filter((c) => staged.includes(c)),
      stage: `${stagePrefix}${position}`,
      tag: `${stagePrefix}${position}`,
      counts: { table: tp.name, inserted: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 },
      rows: 0,
    });
  });

  if (problems.length) throw new ImportCheckError(problems);
  return { tables, warnings, ignoredColumns };
}
