// Remembers which archive seeded which database, so a later merge back can be three-way. When an
// import writes an archive into a database (through the app or the CLI), the archive is kept here (by
// its sha256) and the database — named by its server's system identifier and its name, since dev
// databases are recreated — is recorded as seeded from it. A later export of that database writes the
// sha256 into index.json; merging that export back finds the kept copy, checked against its hash.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportReport } from '../../src-common/contract';
import { archiveSha256 } from '../engine/archive/reader';
import { writeFileAtomic } from './fs-util';

interface Seed {
  server: string;
  database: string;
  baseSha256: string;
  at: string;
}

interface Registry {
  version: 1;
  /** sha256 → file name under bases/ and where it came from. */
  bases: Record<string, { file: string; database: string; timestamp: string; keptAt: string }>;
  seeds: Seed[];
}

export interface DatabaseIdentity {
  systemIdentifier: string | null;
  database: string;
  /** Used to name the server when its system identifier cannot be read (no pg_monitor rights). */
  label?: string;
}

function serverOf(id: DatabaseIdentity): string {
  return id.systemIdentifier ?? `label:${id.label?.replace(/\/[^/]*$/, '') ?? 'unknown'}`;
}

export class BaseRegistry {
  readonly file: string;
  private readonly dir: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'bases.json');
    this.dir = join(dataDir, 'bases');
  }

  private async read(): Promise<Registry> {
    try {
      const json = JSON.parse(await readFile(this.file, 'utf8')) as Registry;
      if (json.version === 1 && json.bases && Array.isArray(json.seeds)) return json;
    } catch {
      // A missing or unreadable registry is an empty one: three-way merges then need --base.
    }
    return { version: 1, bases: {}, seeds: [] };
  }

  /** After a real import: keep the archive and record the target as seeded from it. */
  async recordSeed(report: ImportReport, archivePath: string): Promise<void> {
    if (report.dryRun || !report.archive.sha256) return;
    const registry = await this.read();
    const sha = report.archive.sha256;
    if (!registry.bases[sha] || !existsSync(join(this.dir, registry.bases[sha].file))) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const file = `${sha}.tar.gz`;
      await copyFile(archivePath, join(this.dir, file));
      registry.bases[sha] = { file, database: report.archive.database, timestamp: report.archive.timestamp, keptAt: new Date().toISOString() };
    }
    const server = serverOf({ systemIdentifier: report.target.systemIdentifier, database: report.target.database, label: report.target.label });
    registry.seeds = registry.seeds.filter((s) => !(s.server === server && s.database === report.target.database));
    registry.seeds.push({ server, database: report.target.database, baseSha256: sha, at: new Date().toISOString() });
    await writeFileAtomic(this.file, `${JSON.stringify(registry, null, 2)}\n`);
  }

  /** The archive the database was last seeded from, for its exports' index.json. */
  async baseFor(id: DatabaseIdentity): Promise<string | undefined> {
    const registry = await this.read();
    const server = serverOf(id);
    return registry.seeds.find((s) => s.server === server && s.database === id.database)?.baseSha256;
  }

  /** The kept copy of a base, if its content still has that hash. */
  async find(sha256: string): Promise<{ path: string; verified: boolean; database: string; timestamp: string; reason?: string } | null> {
    const registry = await this.read();
    const entry = registry.bases[sha256];
    if (!entry) return null;
    const path = join(this.dir, entry.file);
    const about = { path, database: entry.database, timestamp: entry.timestamp };
    if (!existsSync(path)) return { ...about, verified: false, reason: 'the kept copy of the base was removed' };
    const actual = await archiveSha256(path);
    return actual === sha256 ? { ...about, verified: true } : { ...about, verified: false, reason: 'the kept copy of the base no longer matches its hash' };
  }
}

/** The same lookup from inside an engine worker, by the registry file's path. */
export async function baseFromRegistry(dataDir: string, id: DatabaseIdentity): Promise<string | undefined> {
  return new BaseRegistry(dataDir).baseFor(id);
}
