// Comparison keys chosen in the app, per target connection and table: the columns that identify a row
// where the schema has no natural key for it (or a better one than the catalog's), or "content" (the
// whole row), as data-compare tools let you choose. Kept in table-keys.json in the data folder, keyed
// by connection id → table → columns | "content", and handed to the engine as configuration
// ({ tables: { <table>: { key } } }) for every import, sync and diff into that connection.
import { join } from 'node:path';
import type { ArchiveTableInfo, TableKey, TableKeys } from '../../src-common/contract';
import type { Mr4Config } from '../engine/config';
import { readJsonFile, Serial, writeFileAtomic } from './fs-util';

interface KeyFile {
  version: 1;
  connections: Record<string, TableKeys>;
}

function isKey(v: unknown): v is TableKey {
  return v === 'content' || (Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string' && c.length > 0));
}

/** What a run into a target receives: the configuration, and lines for its log (keys used or not). */
export interface KeysForRun {
  config: Mr4Config | undefined;
  notes: { level: 'info' | 'warn'; message: string }[];
}

export function describeKey(key: TableKey): string {
  return key === 'content' ? 'its whole content' : key.join(', ');
}

export class TableKeyService {
  readonly file: string;
  private readonly serial = new Serial();

  constructor(
    dataDir: string,
    private readonly changed: () => void = () => undefined,
  ) {
    this.file = join(dataDir, 'table-keys.json');
  }

  private async read(): Promise<KeyFile> {
    const json = await readJsonFile<Partial<KeyFile>>(this.file, { version: 1, connections: {} });
    const connections: Record<string, TableKeys> = {};
    // Anything unreadable in the file is dropped rather than handed to the engine.
    for (const [conn, tables] of Object.entries(json.connections ?? {})) {
      if (!tables || typeof tables !== 'object') continue;
      const kept: TableKeys = {};
      for (const [table, key] of Object.entries(tables)) if (isKey(key)) kept[table] = key;
      if (Object.keys(kept).length) connections[conn] = kept;
    }
    return { version: 1, connections };
  }

  /** The comparison keys chosen for tables of this connection (empty when none). */
  async get(connectionId: string): Promise<TableKeys> {
    return (await this.read()).connections[connectionId] ?? {};
  }

  /** Sets (or, with null, forgets) one table's comparison key; returns the connection's keys. */
  set(connectionId: string, table: string, key: TableKey | null): Promise<TableKeys> {
    return this.serial.run(async () => {
      const file = await this.read();
      const keys = { ...(file.connections[connectionId] ?? {}) };
      if (key === null) delete keys[table];
      else keys[table] = key === 'content' ? 'content' : [...key];
      if (Object.keys(keys).length) file.connections[connectionId] = keys;
      else delete file.connections[connectionId];
      await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`);
      this.changed();
      return keys;
    });
  }

  /** Forgets every key of a connection (when it is deleted). */
  forget(connectionId: string): Promise<void> {
    return this.serial.run(async () => {
      const file = await this.read();
      if (!file.connections[connectionId]) return;
      delete file.connections[connectionId];
      await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`);
      this.changed();
    });
  }

  /**
   * The configuration for a run into `connectionId`: only keys of tables the archive holds, and only
   * where every key column is one of the archive's (the engine refuses a configuration that names a
   * table or column the target lacks; the window checks against the archive when a key is chosen, and
   * a key that no longer fits is left out here, saying so). `tables` as names only (a sync, before its
   * archive is read) keeps keys of those tables and leaves the columns to the engine's check.
   */
  async forRun(connectionId: string, tables: readonly ArchiveTableInfo[] | readonly string[]): Promise<KeysForRun> {
    const keys = await this.get(connectionId);
    const notes: KeysForRun['notes'] = [];
    const chosen: Record<string, { key: TableKey }> = {};
    for (const [table, key] of Object.entries(keys)) {
      const info = tables.find((t) => (typeof t === 'string' ? t : t.name) === table);
      if (!info) continue;
      if (typeof info !== 'string' && key !== 'content') {
        const missing = key.filter((c) => !info.columns.some((x) => x.name === c));
        if (missing.length) {
          notes.push({
            level: 'warn',
            message: `The comparison key chosen for ${table} (${key.join(', ')}) is not used: the archive has no column ${missing.join(', ')}.`,
          });
          continue;
        }
      }
      chosen[table] = { key };
      notes.push({
        level: 'info',
        message: `Rows of ${table} are compared by ${describeKey(key)} (the comparison key chosen in the app).`,
      });
    }
    return { config: Object.keys(chosen).length ? { tables: chosen } : undefined, notes };
  }
}
