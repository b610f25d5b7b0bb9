// Remembers what two databases last agreed on, so a later merge between them can be three-way. Every
// real import writes (inside its transaction) an archive of the rows the archive's database and the
// target now hold alike, carrying forward what they agreed on before for every other row (see
// engine/import/agreement.ts); it is kept here, for that pair of databases (by their identities, see
// engine/catalog.ts), replacing the one before. "auto" as a base finds it again, whichever of the two
// is the source. Only the newest agreement of each pair is kept.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportReport } from '../../src-common/contract';
import { archiveSha256 } from '../engine/archive/reader';
import type { AgreedState, AgreementStore } from '../engine/staged/agreed';
import { writeFileAtomic } from './fs-util';

interface Agreement {
  /** The two databases' identities, sorted. */
  between: [string, string];
  /** Whose ids the rows hold. */
  identity: string;
  file: string;
  sha256: string;
  /** Names to show: identity → database name. */
  databases: Record<string, string>;
  at: string;
  /** Per database, the time of its state the agreement holds (see engine/staged/agreed.ts). */
  asOf?: Record<string, string>;
  /** The import that wrote it (its undo log's id in the target), if it kept one. */
  run?: string;
  /** The agreement it replaced, kept (file and all) so that undoing that import can put it back. */
  previous?: Omit<Agreement, 'previous'>;
}

interface Registry {
  version: 2;
  agreements: Agreement[];
}

export interface KeptAgreement {
  path: string;
  identity: string;
  sha256: string;
  databases: Record<string, string>;
  at: string;
  asOf?: Record<string, string>;
}

const pair = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);
const same = (x: [string, string], y: [string, string]) => x[0] === y[0] && x[1] === y[1];

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
      if (json.version === 2 && Array.isArray(json.agreements)) return json;
    } catch {
      // A missing or unreadable registry is an empty one: three-way merges then need a base file.
    }
    // Version 1 remembered whole archives as bases, which was wrong after a partial pull; its entries
    // are not used (and its files are pruned with the next agreement).
    return { version: 2, agreements: [] };
  }

  /** The newest agreement of two databases, if its file is still intact. */
  async find(a: string, b: string): Promise<KeptAgreement | null> {
    const entry = (await this.read()).agreements.find((x) => same(x.between, pair(a, b)));
    if (!entry) return null;
    const path = join(this.dir, entry.file);
    if (!existsSync(path) || (await archiveSha256(path)) !== entry.sha256) return null;
    return { path, identity: entry.identity, sha256: entry.sha256, databases: entry.databases, at: entry.at, asOf: entry.asOf };
  }

  async newPath(): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    return join(this.dir, `agreed-${randomBytes(8).toString('hex')}.tar.gz`);
  }

  /** After a real import: keep what it wrote as the pair's agreement, and drop the one before. */
  async record(report: ImportReport): Promise<void> {
    const written = report.agreement;
    if (report.dryRun || !written) return;
    await chmod(written.path, 0o600).catch(() => undefined);
    const registry = await this.read();
    const between = pair(written.between[0], written.between[1]);
    const replaced = registry.agreements.find((x) => same(x.between, between));
    registry.agreements = registry.agreements.filter((x) => !same(x.between, between));
    const { previous: _older, ...before } = replaced ?? ({} as Partial<Agreement>);
    const at = new Date().toISOString();
    // The source's rows as exported, the target's as the import left them.
    const asOf = report.archive.identity
      ? { [report.archive.identity]: report.archive.timestamp, [report.target.identity]: at }
      : undefined;
    registry.agreements.push({
      between,
      identity: written.identity,
      file: written.path.slice(this.dir.length + 1),
      sha256: written.sha256,
      databases: { [written.between[0]]: report.archive.database, [written.between[1]]: report.target.database },
      at,
      ...(asOf ? { asOf } : {}),
      ...(report.undo?.run ? { run: report.undo.run } : {}),
      // Only an import that can be undone needs the agreement before it.
      ...(report.undo?.run && replaced ? { previous: before as Omit<Agreement, 'previous'> } : {}),
    });
    await writeFileAtomic(this.file, `${JSON.stringify(registry, null, 2)}\n`);
    await this.prune(registry);
  }

  /**
   * After an import was undone (run `run`, at `at`, from database `a` into `b`): what the two agree on
   * goes back to what it was before that import. The agreement that import wrote is replaced by the
   * one it replaced (kept for this), or forgotten if there was none or its file is gone; an agreement
   * written after the import (an import the other way since) is forgotten too, since it counted rows
   * the undo changed; an older one (the import kept none, --no-remember) stays. The next three-way
   * merge then compares with that, or asks for a base.
   */
  async undone(run: string, at: string, a: string, b: string): Promise<'restored' | 'forgotten' | 'unchanged'> {
    const registry = await this.read();
    const between = pair(a, b);
    const entry = registry.agreements.find((x) => same(x.between, between));
    if (!entry) return 'unchanged';
    let outcome: 'restored' | 'forgotten' | 'unchanged';
    if (entry.run === run) {
      const prev = entry.previous;
      const intact = prev && existsSync(join(this.dir, prev.file)) && (await archiveSha256(join(this.dir, prev.file))) === prev.sha256;
      registry.agreements = registry.agreements.filter((x) => x !== entry);
      if (prev && intact) registry.agreements.push(prev);
      outcome = prev && intact ? 'restored' : 'forgotten';
    } else if (new Date(entry.at).getTime() > new Date(at).getTime()) {
      registry.agreements = registry.agreements.filter((x) => x !== entry);
      outcome = 'forgotten';
    } else {
      return 'unchanged';
    }
    await writeFileAtomic(this.file, `${JSON.stringify(registry, null, 2)}\n`);
    await this.prune(registry);
    return outcome;
  }

  /** Removes kept files no agreement names (those replaced, or left by a run that failed), once they
   *  are an hour old: a file younger than that may be an import's that has not finished yet. */
  private async prune(registry: Registry): Promise<void> {
    const kept = new Set(registry.agreements.flatMap((x) => [x.file, ...(x.previous ? [x.previous.file] : [])]));
    const files = await readdir(this.dir).catch(() => [] as string[]);
    for (const f of files) {
      if (kept.has(f)) continue;
      const path = join(this.dir, f);
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 3_600_000) await rm(path, { force: true }).catch(() => undefined);
    }
  }
}

/**
 * The base a run compares with, from what the user said of it (the CLI's --base, the app's choice):
 * "none" → two ways (undefined); "auto" → what the two databases last agreed on, kept in the data
 * folder (the run stops if none is); anything else names a file, made a path by `file`. Nothing said
 * is `unsaid`: for the CLI "kept" (that agreement, if one is kept), for the app two ways.
 */
export function chosenBase(said: string | undefined, unsaid: 'kept' | undefined, file: (name: string) => string): string | undefined {
  if (said === undefined) return unsaid;
  if (said === 'none') return undefined;
  if (said === 'auto') return 'auto';
  return file(said);
}

/** The file a base names, if it names one. */
export function baseFile(said: string | undefined): string | undefined {
  const base = chosenBase(said, undefined, (name) => name);
  return base === 'auto' ? undefined : base;
}

/** The engine's view of the registry, for a worker that knows only the data folder; `keep` false
 *  reads agreements but writes none. */
export function agreementStore(dataDir: string, keep = true): AgreementStore {
  const registry = new BaseRegistry(dataDir);
  return {
    find: async (a, b): Promise<AgreedState | null> => registry.find(a, b),
    ...(keep ? { newPath: () => registry.newPath() } : {}),
  };
}
