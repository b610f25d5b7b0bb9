// Open diffs: each is a worker holding one snapshot of the target with the diff's classification in
// temporary tables, paged by windows until closed (or idle for 30 minutes). A merge of a reviewed diff
// asks it for the fingerprints of the rows it showed, so the merge can refuse a stale preview.
import { join } from 'node:path';
import { unlink } from 'node:fs/promises';
import type { DiffKind, DiffRow, DiffSummary } from '../../src-common/contract';
import type { RunningSession } from './jobs';
import { notFound } from './service-error';

export const DIFF_IDLE_MS = 30 * 60_000;

export interface OpenDiff {
  diffId: string;
  session: RunningSession<DiffSummary>;
  archiveId: string;
  targetId: string;
  /** The base archive used (three-way), as a path. */
  basePath?: string;
  summary: DiffSummary;
  lastUsed: number;
}

export class DiffService {
  private readonly open = new Map<string, OpenDiff>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly cacheDir: string) {
    this.sweeper = setInterval(() => void this.closeIdle(), 60_000);
    this.sweeper.unref();
  }

  register(diff: Omit<OpenDiff, 'lastUsed'>): void {
    this.open.set(diff.diffId, { ...diff, lastUsed: Date.now() });
  }

  get(diffId: string): OpenDiff {
    const d = this.open.get(diffId);
    if (!d) throw notFound('diff', diffId);
    d.lastUsed = Date.now();
    return d;
  }

  page(request: {
    diffId: string;
    table: string;
    kinds: DiffKind[];
    offset: number;
    limit: number;
    search?: string;
  }): Promise<{ rows: DiffRow[]; total: number }> {
    const { diffId, ...page } = request;
    return this.get(diffId).session.call('page', page);
  }

  conflicts(diffId: string): Promise<DiffRow[]> {
    return this.get(diffId).session.call('conflicts');
  }

  /** Writes the diff's fingerprints to a file a merge re-checks; the caller deletes it after. */
  async fingerprints(diffId: string): Promise<string> {
    const path = join(this.cacheDir, `diff-${diffId}-${Date.now()}.jsonl`);
    await this.get(diffId).session.call('fingerprints', { path });
    return path;
  }

  async close(diffId: string): Promise<{ ok: true }> {
    const d = this.open.get(diffId);
    this.open.delete(diffId);
    await d?.session.close();
    return { ok: true };
  }

  private async closeIdle(): Promise<void> {
    const now = Date.now();
    for (const d of [...this.open.values()]) if (now - d.lastUsed > DIFF_IDLE_MS) await this.close(d.diffId);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.open.keys()].map((id) => this.close(id)));
  }
}

export async function removeQuietly(path: string | undefined): Promise<void> {
  if (path) await unlink(path).catch(() => undefined);
}
