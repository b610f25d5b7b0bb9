// Shared helpers for the UI specs: real databases (Crearis copies made from a template database, and small
// generic schemas), connections and archives set up through the app's API (and removed again after each
// test, since the tests of a Playwright worker share one app and data folder), waiting for jobs, holding a job at a known point
// with a table lock, dropping files on the window, recording texts that may only be on screen for a
// moment, and screenshots plus axe checks of a settled screen.
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page, type Request } from '@playwright/test';
import pg from 'pg';
import type { ApiRequest, ArchiveInfo, EnvTag, JobInfo, SavedConnection } from '../src-common/contract';
import { applyDevEdits, seedCrearisDemo } from '../src-main/demo/crearis-demo-data';
import { test as base, SCREENSHOTS, type E2EApp, type TestDatabase } from './fixtures';

export { expect };

export const CREARIS_SCHEMA = readFileSync(new URL('../src-main/demo/crearis-schema.sql', import.meta.url), 'utf8');

/** Host, port and user of the test server, as the connection form wants them. */
export function serverParts(): { host: string; port: number; user: string } {
  const u = new URL(process.env.MR4_E2E_PG_URL!);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username) || 'postgres' };
}

/** A short random suffix, so names never collide between tests that share the app. */
export function uniq(): string {
  return Math.random().toString(36).slice(2, 7);
}

export interface Studio {
  /** Saves a connection to `db` through the API (deleted after the test). */
  connect(db: TestDatabase, name: string, tag: EnvTag | null): Promise<SavedConnection>;
  /** Remembers a connection made through the UI, so it is deleted after the test. */
  track(id: string): void;
  /** A new database holding the Crearis schema and its demo records. */
  crearis(options?: { seed?: boolean; edits?: (client: TestDatabase['client']) => Promise<void> }): Promise<TestDatabase>;
  /** Starts a job through the API and waits for it to end. */
  runJob(request: ApiRequest<'jobs.start'>): Promise<JobInfo>;
  /** Exports a connection through the API; returns the finished job (its files[0] is the archive).
   *  Unmasked unless asked: the tests that use it are about other things (masking by default from
   *  production is production-to-laptop.spec's). */
  exportVia(connectionId: string, options?: { mask?: boolean }): Promise<JobInfo>;
  /** Opens a kept archive through the API (as the window does after a drop); closed after the test. */
  openArchive(handle: string): Promise<ArchiveInfo>;
}

export const test = base.extend<{ studio: Studio }>({
  studio: async ({ app }, use) => {
    const connections = new Set<string>();
    const archives = new Set<string>();
    const copies: TestDatabase[] = [];
    const began = new Date(Date.now() - 1000).toISOString();

    async function waitJob(jobId: string, timeoutMs = 90_000): Promise<JobInfo> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = await app.api('jobs.get', { jobId });
        if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') return job;
        if (Date.now() > until) throw new Error(`job ${job.title} still ${job.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }

    const studio: Studio = {
      async connect(db, name, tag) {
        const { host, port, user } = serverParts();
        const saved = await app.api('connections.save', { name, host, port, database: db.name, user, sslMode: 'disable', tag });
        connections.add(saved.id);
        return saved;
      },
      track(id) {
        connections.add(id);
      },
      async crearis(options = {}) {
        // A copy of a template database (schema, and the demo records unless seed is false): copying is
        // much faster than loading the schema and the records for every database a test needs.
        const template = await crearisTemplate(options.seed !== false);
        const name = `e2e_crearis_${uniq()}${uniq()}`;
        await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
        const client = new pg.Client({ connectionString: withDatabase(name) });
        client.on('error', () => undefined);
        await client.connect();
        const db = { name, url: withDatabase(name), client };
        copies.push(db);
        if (options.edits) await options.edits(db.client);
        return db;
      },
      async runJob(request) {
        const job = await app.api('jobs.start', request);
        return waitJob(job.id);
      },
      async exportVia(connectionId, options = {}) {
        const job = await studio.runJob({ kind: 'export', sourceId: connectionId, mask: options.mask ?? false });
        expect(job.state, `export: ${job.error?.message ?? ''}`).toBe('succeeded');
        return job;
      },
      async openArchive(handle) {
        const job = await studio.runJob({ kind: 'open-archive', file: handle });
        expect(job.state, `open archive: ${job.error?.message ?? ''}`).toBe('succeeded');
        const info = job.result as ArchiveInfo;
        archives.add(info.archiveId);
        return info;
      },
    };
    await use(studio);

    // Leave the shared app as we found it: no connection or open archive of this test remains (archives
    // opened through the window, by a drop or a button, are found through their open-archive jobs).
    const jobs = await app.api('jobs.list', {}).catch(() => []);
    for (const job of jobs) {
      // A job a failed test left running is cancelled (and waited for) before its databases are dropped.
      if ((job.state === 'running' || job.state === 'cancelling') && job.startedAt >= began) {
        await app.api('jobs.cancel', { jobId: job.id }).catch(() => undefined);
        await waitJob(job.id, 60_000).catch(() => undefined);
      }
    }
    for (const job of jobs) {
      // Diffs a preview left open hold a transaction in the target: close them.
      if (job.kind === 'diff' && job.state === 'succeeded' && job.startedAt >= began)
        await app.api('diffs.close', { diffId: (job.result as { diffId: string }).diffId }).catch(() => undefined);
    }
    for (const job of jobs) {
      if (job.kind === 'open-archive' && job.state === 'succeeded' && job.startedAt >= began)
        archives.add((job.result as ArchiveInfo).archiveId);
    }
    for (const archiveId of archives) await app.api('archives.close', { archiveId }).catch(() => undefined);
    for (const id of connections) await app.api('connections.delete', { id }).catch(() => undefined);
    for (const db of copies) {
      await db.client.end().catch(() => undefined);
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`)).catch(() => undefined);
    }
  },
});

function withDatabase(name: string): string {
  const u = new URL(process.env.MR4_E2E_PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: process.env.MR4_E2E_PG_URL! });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

const templates = new Map<boolean, Promise<string>>();

/** The Crearis template database on the test server (made once per server; seeded or schema only). */
function crearisTemplate(seeded: boolean): Promise<string> {
  let pending = templates.get(seeded);
  if (!pending) {
    const name = seeded ? 'e2e_template_crearis_demo' : 'e2e_template_crearis_schema';
    pending = withAdmin(async (admin) => {
      await admin.query('SELECT pg_advisory_lock(4343)');
      try {
        if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) return name;
        const building = `${name}_building`;
        await admin.query(`DROP DATABASE IF EXISTS ${building}`);
        await admin.query(`CREATE DATABASE ${building}`);
        const c = new pg.Client({ connectionString: withDatabase(building) });
        await c.connect();
        try {
          await c.query(CREARIS_SCHEMA);
          if (seeded) await seedCrearisDemo(c);
        } finally {
          await c.end();
        }
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
        return name;
      } finally {
        await admin.query('SELECT pg_advisory_unlock(4343)');
      }
    });
    pending.catch(() => templates.delete(seeded));
    templates.set(seeded, pending);
  }
  return pending;
}

// ── navigation and widgets ──

/** Opens the app (token in the address) on the given screen. */
export async function openApp(page: Page, app: E2EApp, screen?: string): Promise<void> {
  await page.goto(app.url);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  if (screen) await go(page, screen);
}

/** Clicks a screen in the sidebar and waits for its heading. */
export async function go(page: Page, screen: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: screen }).click();
  await expect(page.getByRole('heading', { level: 1, name: screen, exact: true })).toBeVisible();
}

/** The screen's own content (not the sidebar, whose buttons share names like "Export"). */
export function main(page: Page): Locator {
  return page.getByRole('main');
}

/** Picks a saved connection in one of the app's connection selects. */
export async function chooseConnection(page: Page, label: string, name: string): Promise<void> {
  await expect(page.getByRole('listbox')).toHaveCount(0); // another select's list has closed
  await page.getByRole('combobox', { name: label }).click();
  await page
    .getByRole('listbox')
    .getByRole('option', { name: new RegExp(`^${escapeRegExp(name)}(\\s|$)`) })
    .click();
  await expect(page.getByRole('combobox', { name: label })).toContainText(name);
  await expect(page.getByRole('listbox')).toHaveCount(0);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The value shown after a <dt> in a description list (the app's "facts"). */
export function fact(scope: Locator, term: string): Locator {
  return scope.locator('dt', { hasText: new RegExp(`^${escapeRegExp(term)}$`) }).locator('xpath=following-sibling::dd[1]');
}

// ── texts that may only be on screen for a moment ──

/**
 * Starts recording, in the page, every text of `patterns` that appears anywhere in the page (checked on
 * every DOM change), so a test can later assert a state was shown even if it lasted one frame.
 */
export async function recordTexts(page: Page, patterns: string[]): Promise<void> {
  await page.evaluate((list) => {
    const w = window as unknown as { __seen: Set<string>; __seenObserver?: MutationObserver };
    w.__seen = new Set();
    w.__seenObserver?.disconnect();
    const check = () => {
      const text = document.body.innerText;
      for (const p of list) if (!w.__seen.has(p) && text.includes(p)) w.__seen.add(p);
    };
    w.__seenObserver = new MutationObserver(check);
    w.__seenObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
    check();
  }, patterns);
}

export async function seenTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => [...((window as unknown as { __seen?: Set<string> }).__seen ?? [])]);
}

// ── dropping files on the window ──

/**
 * Drags a file over the window and (unless `drop` is false) drops it: a DataTransfer holding a File made
 * of `bytes`, dispatched as dragenter, dragover and drop on document.body (they bubble to the window's
 * listeners). Returns whether the page cancelled dragover and drop (a page that does not cancel them
 * lets the browser open the file instead, leaving the app).
 */
export async function dropFile(
  page: Page,
  file: { name: string; type: string; bytes: Buffer },
  options: { drop?: boolean } = {},
): Promise<{ dragoverCancelled: boolean; dropCancelled: boolean | null }> {
  return page.evaluate(
    async ({ name, type, b64, drop }) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      const fire = (kind: string) =>
        !document.body.dispatchEvent(
          new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt, clientX: 600, clientY: 400 }),
        );
      fire('dragenter');
      const dragoverCancelled = fire('dragover');
      (window as unknown as { __dt: DataTransfer }).__dt = dt;
      if (!drop) return { dragoverCancelled, dropCancelled: null };
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      return { dragoverCancelled, dropCancelled: fire('drop') };
    },
    { name: file.name, type: file.type, b64: file.bytes.toString('base64'), drop: options.drop !== false },
  );
}

/** Drops the file whose drag `dropFile(…, { drop: false })` started. */
export async function finishDrop(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const dt = (window as unknown as { __dt: DataTransfer }).__dt;
    return !document.body.dispatchEvent(
      new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt, clientX: 600, clientY: 400 }),
    );
  });
}

/** Row counts of the given tables. */
export async function countRows(db: TestDatabase, tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await db.client.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n);
  return out;
}

// ── screenshots and accessibility of a settled screen ──

/** Waits until no finite animation or transition runs (a dialog fading in, a toast sliding): axe's
 *  contrast check and screenshots must not see a half-faded element. Spinners (infinite) are ignored. */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => {
      const timing = a.effect?.getComputedTiming();
      return a.playState !== 'running' || timing?.iterations === Infinity;
    }),
  );
}

/** Saves a screenshot (test-results/screenshots/<name>.png); with MR4_DOC_SCREENSHOTS=1 also as
 *  docs/screenshots/<doc>.png for the docs (a plain test run leaves the checkout as it was). */
export async function docShot(page: Page, app: E2EApp, name: string, doc: string): Promise<void> {
  await settle(page);
  await app.shot(page, name);
  if (process.env.MR4_DOC_SCREENSHOTS !== '1') return;
  mkdirSync('docs/screenshots', { recursive: true });
  const to = join('docs/screenshots', `${doc}.png`);
  copyFileSync(join(SCREENSHOTS, `${name}.png`), to);
  expect(statSync(to).size, `${to} stays small`).toBeLessThan(300 * 1024);
}

/** Screenshot (test-results/screenshots/<name>.png) and axe check of the screen as it is now. */
export async function capture(page: Page, app: E2EApp, name: string, what: string): Promise<void> {
  await settle(page);
  await app.shot(page, name);
  await app.accessible(page, what);
}

/** A row of a virtually scrolled table (only the rows in view exist): wheels down until it is drawn. */
export async function scrollToRow(page: Page, table: Locator, text: string): Promise<Locator> {
  const row = table.getByRole('row').filter({ has: page.getByText(text, { exact: true }) });
  await table.hover();
  await expect(async () => {
    if (!(await row.count())) await page.mouse.wheel(0, 240);
    await expect(row).toBeVisible({ timeout: 300 });
  }).toPass({ timeout: 20_000 });
  await row.scrollIntoViewIfNeeded();
  return row;
}

// ── holding a job at a known point ──

/**
 * Runs `start` (a click that starts a job) while `table` of `db` is locked by another session, so the
 * job cannot get past it (an import waits up to its 10 s lock timeout: the hold is far shorter); waits for `running` (the screen showing the job live) and for the window's
 * calls about jobs to be answered; then lets the job go on. The live state is observed (and can be
 * photographed) for certain, and the job's end reaches a window that has already read its start.
 *
 * (It also keeps a small job from ending before the window has read its start: the renderer once showed
 * such a job as running forever; "a job that ends before the window hears back" in runs-history.spec.ts
 * checks that case on purpose.)
 */
export async function holdJob(
  page: Page,
  db: TestDatabase,
  table: string,
  start: () => Promise<void>,
  running: () => Promise<void>,
  /** EXCLUSIVE stops writers (an import) but not readers (an open diff); ACCESS EXCLUSIVE stops readers too (an export, a diff). */
  mode: 'EXCLUSIVE' | 'ACCESS EXCLUSIVE' = 'EXCLUSIVE',
): Promise<void> {
  const pending = new Set<Request>();
  const onRequest = (r: Request) => void (r.url().includes('/api/call/jobs.') && pending.add(r));
  const onDone = (r: Request) => void pending.delete(r);
  const lock = new pg.Client({ connectionString: db.url });
  lock.on('error', () => undefined); // the test's database may be dropped under it
  await lock.connect();
  page.on('request', onRequest);
  page.on('requestfinished', onDone);
  page.on('requestfailed', onDone);
  try {
    await lock.query('BEGIN');
    await lock.query(`SET LOCAL lock_timeout = '5s'`);
    await lock.query(`LOCK TABLE ${table} IN ${mode} MODE`);
    await start();
    await running();
    await expect.poll(() => pending.size, { message: 'the window’s calls about the job are answered' }).toBe(0);
    // Let the page finish handling what it received (a macrotask after the last response).
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  } finally {
    page.off('request', onRequest);
    page.off('requestfinished', onDone);
    page.off('requestfailed', onDone);
    await lock.query('ROLLBACK').catch(() => undefined);
    await lock.end();
  }
}

// ── Crearis scenarios ──

export interface OpenedArchive {
  /** The database the archive was exported from. */
  source: TestDatabase;
  archive: ArchiveInfo;
}

/**
 * A Crearis database with the demo records and a developer's edits on top (three new events, two new
 * posts, a new location and image, edited event names and a project's texts), exported and opened through
 * the API, as the Archive screen leaves it. Import targets hold the plain demo records.
 */
export async function devEditsArchive(studio: Studio, label = 'Crearis dev work'): Promise<OpenedArchive> {
  const source = await studio.crearis({ edits: applyDevEdits });
  const conn = await studio.connect(source, `${label} ${uniq()}`, 'dev');
  const exported = await studio.exportVia(conn.id);
  const archive = await studio.openArchive(exported.files![0]!.handle);
  return { source, archive };
}

/** Chooses an open archive in the Import screen's Archive select. */
export async function chooseArchive(page: Page, fileName: string): Promise<void> {
  await expect(page.getByRole('listbox')).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Archive' }).click();
  await page.getByRole('listbox').getByRole('option').filter({ hasText: fileName }).click();
  await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(fileName);
  await expect(page.getByRole('listbox')).toHaveCount(0);
}

/** One table's row of an import's counts (Table, Inserted, Updated, Unchanged, Skipped, Failed). */
export async function countsRow(
  scope: Locator,
  table: string,
): Promise<{ inserted: number; updated: number; unchanged: number; skipped: number; failed: number }> {
  const row = scope.getByRole('row').filter({ has: scope.page().getByRole('cell', { name: table, exact: true }) });
  await expect(row).toHaveCount(1);
  const cells = (await row.getByRole('cell').allTextContents()).map((t) => Number(t.replace(/\D/g, '')));
  return { inserted: cells[1]!, updated: cells[2]!, unchanged: cells[3]!, skipped: cells[4]!, failed: cells[5]! };
}

/** Values of one column by natural key, for checking a database after a write. */
export async function byKey(
  db: TestDatabase,
  table: string,
  keyColumn: string,
  column: string,
  keys: readonly string[],
): Promise<Record<string, unknown>> {
  const rows = (await db.client.query(`SELECT ${keyColumn} AS k, ${column} AS v FROM ${table} WHERE ${keyColumn} = ANY($1)`, [keys])).rows;
  return Object.fromEntries(rows.map((r) => [r.k, r.v]));
}
