// What a file of sync tests shares: a scratch folder (removed after the file) holding the data folder
// where agreements are kept, the file's databases, and archives exported into it one after another.
import { join } from 'node:path';
import type { ImportReport } from '../../src-common/contract';
import { agreementStore, BaseRegistry } from '../../src-main/services/bases';
import type { TestDb } from './db';
import { databasesForFile, exportDb, importInto, scratchDir } from './engine';

export interface MergeWorkspace {
  dir: string;
  dataDir: string;
  /** A database with `sql` run in it, dropped after the file. */
  db: (sql: string) => Promise<TestDb>;
  registry: BaseRegistry;
  /** Exports `from` to a new archive in the folder. */
  archiveOf: (from: TestDb) => Promise<string>;
}

export function mergeWorkspace(): MergeWorkspace {
  const dir = scratchDir();
  const dataDir = join(dir, 'data');
  let n = 0;
  return {
    dir,
    dataDir,
    db: databasesForFile(),
    registry: new BaseRegistry(dataDir),
    archiveOf: async (from) => {
      const archive = join(dir, `a-${++n}.tar.gz`);
      await exportDb(from, archive);
      return archive;
    },
  };
}

/** One merge as the CLI runs it: the pair's agreement kept in `dataDir` and compared against
 *  (`--base auto`), or two ways (null, as `--base none`). */
export async function importKept(to: TestDb, file: string, dataDir: string, base: 'auto' | null = 'auto'): Promise<ImportReport> {
  const report = await importInto(to, file, 'merge', { agreement: agreementStore(dataDir), ...(base ? { base } : {}) });
  await new BaseRegistry(dataDir).record(report);
  return report;
}

/** A sync as the CLI runs it: `from` exported to a new archive in `dir`, imported into `to` with the
 *  pair's agreement kept in `dataDir`. Returns the report and the archive. */
export function syncer(dir: string) {
  let n = 0;
  return async (
    from: TestDb,
    to: TestDb,
    dataDir: string,
    mode: 'skip' | 'merge',
    options: Parameters<typeof importInto>[3] = {},
  ): Promise<{ report: ImportReport; file: string }> => {
    const file = join(dir, `sync-${++n}.tar.gz`);
    await exportDb(from, file, { config: options.config });
    const report = await importInto(to, file, mode, { agreement: agreementStore(dataDir), ...options });
    await new BaseRegistry(dataDir).record(report);
    return { report, file };
  };
}
