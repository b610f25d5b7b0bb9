// What the diff specs share: waiting for a job through the API, exporting and opening an archive, a
// connection draft for a test database, a cell of the preview's summary grid, a small keyed table.
import type { Locator, Page } from '@playwright/test';
import type { ApiRequest, ArchiveInfo, JobInfo, SavedConnection } from '../src-common/contract';
import { expect, type E2EApp, type TestDatabase } from './fixtures';

export const ITEM = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);`;

export async function waitJob(app: E2EApp, job: JobInfo): Promise<JobInfo> {
  await expect
    .poll(async () => (await app.api('jobs.get', { jobId: job.id })).state, { timeout: 90_000, intervals: [100, 200, 300] })
    .toMatch(/succeeded|failed|cancelled/);
  return app.api('jobs.get', { jobId: job.id });
}

export async function runJob(app: E2EApp, request: ApiRequest<'jobs.start'>): Promise<JobInfo> {
  const job = await waitJob(app, await app.api('jobs.start', request));
  expect(job.state, `${request.kind}: ${job.error?.title ?? ''} ${job.error?.message ?? ''}`).toBe('succeeded');
  return job;
}

export async function exportAndOpen(app: E2EApp, conn: SavedConnection): Promise<ArchiveInfo> {
  // Unmasked: these previews are about what changed, not about masking.
  const exported = await runJob(app, { kind: 'export', sourceId: conn.id, mask: false });
  const opened = await runJob(app, { kind: 'open-archive', file: exported.files![0]!.handle });
  return opened.result as ArchiveInfo;
}

export function connectionDraft(db: TestDatabase, name: string, tag: 'dev' | 'production') {
  const u = new URL(db.url);
  return {
    name,
    host: u.hostname,
    port: Number(u.port),
    database: db.name,
    user: decodeURIComponent(u.username) || 'postgres',
    sslMode: 'disable' as const,
    tag,
  };
}

export function summaryCell(page: Page, table: string, kind: string): Locator {
  return page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);
}
