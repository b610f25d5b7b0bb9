// Shorthands for service tests: an App over a fresh data folder (MR4_DATA_DIR), a call that fails the
// test on an error answer, events collected, and connection drafts for test databases.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ApiMethod,
  ApiRequest,
  ApiResponse,
  ConnectionDraft,
  EnvTag,
  JobRequest,
  PushEvent,
  UiError,
} from '../../src-common/contract';
import { createApp, defaultDataDir } from '../../src-main/app/create-app';
import type { AppOptions } from '../../src-main/app/types';
import type { SecretStore } from '../../src-main/services/secrets';
import { MemorySecretStore } from '../../src-main/services/secrets';
import { tempDir } from '../helpers/temp';

export type TestApp = Awaited<ReturnType<typeof createApp>> & {
  events: PushEvent[];
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  fail(method: string, request: unknown): Promise<{ error: UiError; status: number }>;
};

export function newDataDir(): string {
  const dir = tempDir('mr4-data-');
  process.env.MR4_DATA_DIR = dir;
  return dir;
}

export async function makeApp(options: Partial<AppOptions> & { secrets?: SecretStore[] } = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? (process.env.MR4_DATA_DIR ? defaultDataDir() : newDataDir());
  const app = await createApp({ door: 'browser', secrets: options.secrets ?? [new MemorySecretStore()], ...options, dataDir });
  const events: PushEvent[] = [];
  app.onEvent((e) => events.push(e));
  return Object.assign(app, {
    events,
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      const r = await app.dispatch<M>(method, request);
      if (!r.ok) throw new Error(`${method} failed (${r.status}): ${r.error.title}: ${r.error.message}\n${r.error.details}`);
      return r.value;
    },
    async fail(method: string, request: unknown) {
      const r = await app.dispatch(method, request);
      if (r.ok) throw new Error(`${method} unexpectedly succeeded: ${JSON.stringify(r.value).slice(0, 300)}`);
      return { error: r.error, status: r.status };
    },
  });
}

/** A connection draft for a postgres:// URL of the test server. */
export function draftFor(url: string, name: string, tag: EnvTag | null = 'dev', password?: string): ConnectionDraft {
  const u = new URL(url);
  return {
    name,
    host: u.hostname,
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username) || 'postgres',
    sslMode: 'disable',
    tag,
    ...(password !== undefined ? { password } : {}),
  };
}

/** Every regular file under `dir`, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  return allFiles(dir).filter((f) => statSync(f).size < 512 * 1024 * 1024 && readFileSync(f).includes(bytes));
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the job has ended; returns its final JobInfo. */
export async function waitJob(app: TestApp, jobId: string, timeoutMs = 120_000) {
  return waitFor(
    async () => {
      const j = await app.call('jobs.get', { jobId });
      return j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled' ? j : undefined;
    },
    timeoutMs,
    `job ${jobId}`,
  );
}

/** Exports `sourceId` through the app, opens the archive and merges it into `targetId` (a dev seeded
 *  from production); returns the opened archive's id. Each job is expected to succeed. */
export async function seedThroughApp(app: TestApp, sourceId: string, targetId: string): Promise<string> {
  const run = async (request: JobRequest) => waitJob(app, (await app.call('jobs.start', request)).id);
  const exported = await run({ kind: 'export', sourceId });
  if (exported.state !== 'succeeded') throw new Error(`export failed: ${JSON.stringify(exported.error)}`);
  const opened = await run({ kind: 'open-archive', file: exported.files![0]!.handle });
  const archiveId = (opened.result as { archiveId: string }).archiveId;
  const seeded = await run({ kind: 'import', archiveId, targetId, mode: 'merge', dryRun: false });
  if (seeded.state !== 'succeeded') throw new Error(`seeding failed: ${JSON.stringify(seeded.error)}`);
  return archiveId;
}
