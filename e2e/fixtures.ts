// What a UI test gets: the app's address (with its token; one app server per worker), real databases
// of its own on the test server, the app's API for setting up state quickly, screenshots saved as
// artifacts, and an axe-core accessibility check.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';
import pg from 'pg';
import type { ApiMethod, ApiRequest, ApiResponse } from '../src-common/contract';

export const SCREENSHOTS = join('test-results', 'screenshots');

export interface TestDatabase {
  name: string;
  url: string;
  client: pg.Client;
}

export interface E2EApp {
  /** The app's address, token included (open it with page.goto). */
  url: string;
  token: string;
  /** The app's data folder (connections, known_hosts, kept archives): one per Playwright worker. */
  dataDir: string;
  /** A new database on the test server, with `sql` run in it. Dropped after the test. */
  database(sql?: string): Promise<TestDatabase>;
  /** Calls the app's API as the page does (for setting up state, not for what a test checks). */
  api<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  /** Saves a screenshot of the page under test-results/screenshots/<name>.png. */
  shot(page: Page, name: string): Promise<void>;
  /** Fails on serious or critical axe-core violations of the page as it is now. */
  accessible(page: Page, what: string): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** One `mr4 serve` per Playwright worker, over a data folder of its own (the tests of a worker share it). */
interface AppServer {
  url: string;
  dataDir: string;
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`mr4 serve printed no address in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`mr4 serve exited (${code}):\n${out}`)));
  });
}

export const test = base.extend<{ app: E2EApp }, { appServer: AppServer }>({
  appServer: [
    async ({}, use) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'mr4-e2e-data-'));
      const serve = spawn(process.execPath, ['bin/mr4.js', 'serve', '--port', '0', '--no-demo', '--data-dir', dataDir], {
        env: { ...process.env, MR4_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const url = await waitForUrl(serve);
      await use({ url, dataDir });
      const exited = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  app: async ({ appServer }, use, testInfo) => {
    const { url, dataDir } = appServer;
    const pgUrl = process.env.MR4_E2E_PG_URL!;
    const token = new URL(url).hash.replace('#token=', '');
    const origin = new URL(url).origin;
    const created: TestDatabase[] = [];
    mkdirSync(SCREENSHOTS, { recursive: true });
    await use({
      url,
      token,
      dataDir,
      async database(sql) {
        const name = `e2e_${testInfo.testId.replace(/\W/g, '').slice(0, 20)}_${created.length}_${Date.now() % 100000}`.toLowerCase();
        const admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${name}`);
        await admin.end();
        const client = new pg.Client({ connectionString: withDatabase(pgUrl, name) });
        await client.connect();
        if (sql) await client.query(sql);
        const db = { name, url: withDatabase(pgUrl, name), client };
        created.push(db);
        return db;
      },
      async api(method, request) {
        const res = await fetch(`${origin}/api/call/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify(request),
        });
        const body = await res.json();
        if (!res.ok) throw new Error(`${method} failed (${res.status}): ${JSON.stringify(body.error)}`);
        return body;
      },
      async shot(page, name) {
        await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
      },
      async accessible(page, what) {
        // Legacy mode runs axe in the page itself. The default opens a new page for every check to gather
        // results from cross-origin frames (the app has none) and loads axe into both: 2.0-3.2 s a
        // check where this takes 1.2-2.2 s, the same rules over the same document.
        const results = await new AxeBuilder({ page }).setLegacyMode(true).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
        const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(
          serious.map(
            (v) =>
              `${v.id}: ${v.help} (${v.nodes
                .map((n) => n.target.join(' '))
                .slice(0, 3)
                .join('; ')})`,
          ),
          `accessibility of ${what}`,
        ).toEqual([]);
      },
    });
    for (const db of created) {
      await db.client.end().catch(() => undefined);
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  },
});

export { expect };
