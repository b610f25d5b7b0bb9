// Shared pieces of the fault suite (tests/fault): a database big enough that each phase of an export or
// an import takes a moment, runs of the CLI stopped at a random point of a phase, and the checks that
// follow every fault: no session left, no staging or spool leftovers, the target as it was.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, type RunningCli, spawnCli } from './cli';
import type { TestDb } from './db';

export const SCHEMA = `
  CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);
  CREATE TABLE tag (id serial PRIMARY KEY, item_id int NOT NULL REFERENCES item(id), label text, UNIQUE (item_id, label));`;

/** Rows enough that staging and writing each take about a second on two cores. */
export function sourceData(rows = 200_000): string {
  return `INSERT INTO item (code, body) SELECT 'c' || g, md5(g::text) || repeat('x', 60) FROM generate_series(1, ${rows}) g;
          INSERT INTO tag (item_id, label) SELECT id, 'l' FROM item;`;
}

/** A target holding rows of its own (which must survive every fault untouched). */
export const TARGET_DATA = `INSERT INTO item (code, body) VALUES ('mine', 'kept'); INSERT INTO tag (item_id, label) SELECT id, 'mine' FROM item;`;

/** A random delay below `maxMs`; the seed is printed by the caller's failure messages. */
export function randomMs(maxMs: number): number {
  return Math.floor(Math.random() * maxMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the CLI to print `Phase n/…` (plain progress on a pipe), then a random part of `withinMs`. */
export async function atRandomPointOf(run: RunningCli, phase: RegExp, withinMs: number): Promise<number> {
  await run.waitForStderr(phase, 120_000);
  const wait = randomMs(withinMs);
  await sleep(wait);
  return wait;
}

/** Sessions on the database other than the test's own (the run's must be gone). */
export async function otherSessions(db: TestDb, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    if (r.rows[0].n === 0 || Date.now() > deadline) return r.rows[0].n;
    await sleep(100);
  }
}

/** Tables left in temporary schemas, and objects of mr4's own besides its lineage store. */
export async function stagingLeftovers(db: TestDb): Promise<string[]> {
  const r = await db.client.query<{ t: string }>(
    `SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname LIKE 'pg_temp%' AND c.relkind IN ('r', 'p', 'S', 'v')`,
  );
  return r.rows.map((x) => x.t);
}

/** Spool folders and partial archives (hidden, `.mr4-…`) in a folder. */
export function spoolLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.mr4-'));
}

/** `mr4 …` that records its peak memory (resident set, KiB) in `rssFile` as it exits. */
export function spawnMeasured(args: string[], rssFile: string, env = cleanEnv()): RunningCli {
  const hook = join(rssFile + '.cjs');
  writeFileSync(
    hook,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  return spawnCli(args, { env: { ...env, NODE_OPTIONS: `--require ${hook}` } });
}

export function peakRssMb(rssFile: string): number {
  return Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024);
}

export function expectNoLeftovers(dir: string): void {
  expect(spoolLeftovers(dir), `hidden spool or partial files in ${dir}`).toEqual([]);
}
