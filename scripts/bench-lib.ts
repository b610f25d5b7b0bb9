// What the benchmark scripts share: timing a command as its own process (elapsed seconds and peak RSS
// under /usr/bin/time), the load it ran under, medians, and small database helpers.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '..');
const MR4 = join(ROOT, 'bin', 'mr4.js');
const TIME = '/usr/bin/time';

const started = Date.now();
export function log(msg: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
  process.stdout.write(`[${s} s] ${msg}\n`);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const mb = (bytes: number) => bytes / 1024 / 1024;
export const fmt = (n: number, digits = 2) => n.toFixed(digits);

export function dbUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The data folder mr4 keeps agreements in during the run (never the user's own). */
let benchDataDir = '';
export function useDataDir(dir: string): void {
  benchDataDir = dir;
}

/** The environment of a child: no connection settings of the machine running the benchmark, and a
 *  data folder of the benchmark's own. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = benchDataDir ? { MR4_DATA_DIR: benchDataDir } : {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k.startsWith('PG') || k === 'NODE_OPTIONS' || k === 'MR4_TRACE_SQL' || k === 'MR4_DATA_DIR') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface Timed {
  seconds: number;
  rssMb: number;
  stdout: string;
  stderr: string;
}

/** The 1-minute load average when each timed command started: other work on the machine skews the figures. */
export const loads: number[] = [];

/** Runs a command under /usr/bin/time -f '%e %M': elapsed seconds and peak RSS (KB) on stderr's last line. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = childEnv()): Promise<Timed> {
  loads.push(loadavg()[0]);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TIME, ['-f', '%e %M', cmd, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stderr.trimEnd().split('\n');
      const last = lines.pop() ?? '';
      const rest = lines.filter((l) => !/^Command exited with non-zero status/.test(l)).join('\n');
      const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(last.trim());
      const shown = [cmd === process.execPath ? 'mr4' : cmd.split('/').pop(), ...args.slice(cmd === process.execPath ? 1 : 0)].join(' ');
      if (code !== 0 || !m) {
        reject(new Error(`${shown} failed (exit ${code}):\n${rest.slice(-4000)}\n${stdout.slice(-2000)}`));
        return;
      }
      resolvePromise({ seconds: Number(m[1]), rssMb: Number(m[2]) / 1024, stdout, stderr: rest });
    });
  });
}

export const mr4 = (args: string[], env?: NodeJS.ProcessEnv) => timed(process.execPath, [MR4, ...args], env);

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows per table; a partitioned table's rows are counted in its partitions (its own count would hold them twice). */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const { t } of tables.rows) counts[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
    return counts;
  });
}

/** pg_restore's fastest legitimate data-only load, which mr4's imports are measured against (a plain
 *  data-only restore fails on foreign-key cycles). */
export const PG_RESTORE_DATA = ['--data-only', '--disable-triggers', '--single-transaction', '--exit-on-error'];

/** One statement of an MR4_TRACE_SQL run: its line and its duration. */
export interface TracedStatement {
  line: string;
  ms: number;
}

/** The statements MR4_TRACE_SQL printed (COPY streams are not among them). */
export function tracedStatements(stderr: string): TracedStatement[] {
  return stderr
    .split('\n')
    .map((line) => ({ line, ms: Number(/^\[sql (\d+) ms\]/.exec(line)?.[1] ?? -1) }))
    .filter((x) => x.ms >= 0);
}

/** A statement's kind: its first words, with names and numbers left out, so one kind spans tables. */
export function statementKind(line: string): string {
  return line
    .replace(/^\[sql \d+ ms\] /, '')
    .replace(/"[^"]*"(\."[^"]*")?/g, '…')
    .replace(/pg_temp\.…/g, 'temp')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .split(/\s+/)
    .slice(0, 5)
    .join(' ');
}

/** Where a traced run's time went: per kind of statement, how many and how long, longest first. */
export function timeByKind(statements: TracedStatement[], top = 12): string[] {
  const kinds = new Map<string, { n: number; ms: number }>();
  for (const s of statements) {
    const k = statementKind(s.line);
    const v = kinds.get(k) ?? { n: 0, ms: 0 };
    kinds.set(k, { n: v.n + 1, ms: v.ms + s.ms });
  }
  return [...kinds]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([k, v]) => `${String(v.ms).padStart(6)} ms  ${String(v.n).padStart(4)} ×  ${k}`);
}
