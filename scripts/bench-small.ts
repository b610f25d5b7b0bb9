// A small real-world database's import, where mr4's fixed cost dominates: the Pagila-like fixture
// (tests/fixtures/schemas/pagila-like.sql) grown to about 10,000 rows (more rentals and payments), exported
// once, then imported in-process (node's start not counted) into a fresh database holding its schema,
// --runs times, each figure the median; one more run counts the statements (MR4_TRACE_SQL's lines) by
// kind. A measurement, not a test.
//
//   tsx scripts/bench-small.ts [--runs N] [--disable-triggers] [--mode skip|merge] [--top N] [--export-jobs N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startThrowawayServer } from '../tests/helpers/pg-server';
import { timeByKind, tracedStatements } from './bench-lib';
import { PAGILA_SCHEMA, PAGILA_SIZED_SQL } from './pagila-sized';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}
const runs = Number(arg('--runs', '5'));
const top = Number(arg('--top', '0'));
const mode = arg('--mode', 'skip') as 'skip' | 'merge';
const disableTriggers = process.argv.includes('--disable-triggers');
// The export's connections; by default the engine's choice (one for a database this small).
const exportJobsAsked = Number(arg('--export-jobs', '0'));
// Several (--fk-reload never,auto) alternate run by run, so that both see the same load on the machine.
const fkModes = arg('--fk-reload', 'auto').split(',') as ('auto' | 'always' | 'never')[];

async function sql(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mr4-small-data-'));
  process.env.MR4_DATA_DIR = dataDir;
  const server = await startThrowawayServer({ onDisk: true, settings: { autovacuum: 'off' } });
  const work = mkdtempSync(join(tmpdir(), 'mr4-small-'));
  const url = (db: string) => server.url.replace(/\/postgres$/, `/${db}`);
  try {
    await sql(server.url, 'CREATE DATABASE small_src');
    await sql(url('small_src'), PAGILA_SIZED_SQL);
    await sql(url('small_src'), 'VACUUM ANALYZE');
    await sql(server.url, 'CREATE DATABASE small_empty');
    await sql(url('small_empty'), PAGILA_SCHEMA);
    const rows = await (async () => {
      const c = new pg.Client({ connectionString: url('small_src') });
      await c.connect();
      const r = await c.query<{ n: string }>(
        `SELECT sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', schemaname, relname), false, true, '')))[1]::text::bigint) AS n FROM pg_stat_user_tables WHERE schemaname = 'public'`,
      );
      await c.end();
      return Number(r.rows[0].n);
    })();
    // Traced throughout (MR4_TRACE_SQL is read when the engine loads); the lines are kept only for the
    // last run and dropped otherwise.
    process.env.MR4_TRACE_SQL = '1';
    const { dbTarget } = await import('../src-main/db/connect');
    const { exportArchive } = await import('../src-main/engine/export');
    const { importArchive } = await import('../src-main/engine/import/index');
    const archive = join(work, 'small.tar.gz');
    const exportMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const write = process.stderr.write.bind(process.stderr);
      (process.stderr as unknown as { write: () => boolean }).write = () => true;
      try {
        await exportArchive({ db: dbTarget(url('small_src')), out: archive, ...(exportJobsAsked ? { jobs: exportJobsAsked } : {}) });
      } finally {
        (process.stderr as unknown as { write: typeof write }).write = write;
      }
      exportMs.push(performance.now() - t0);
    }
    const importMs: number[] = [];
    const byMode = new Map<string, number[]>(fkModes.map((f) => [f, []]));
    let path = '';
    const total = runs * fkModes.length;
    for (let i = 0; i <= total; i++) {
      const fkReload = fkModes[i % fkModes.length];
      const name = `small_t${i}`;
      await sql(server.url, `CREATE DATABASE ${name} TEMPLATE small_empty`);
      if (mode === 'merge') await importArchive({ db: dbTarget(url(name)), archive, mode: 'skip' });
      // The last run is traced: its statements counted, its time not.
      const traced = i === total;
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => (traced ? lines.push(String(s)) : 0, true);
      const t0 = performance.now();
      try {
        const report = await importArchive({ db: dbTarget(url(name)), archive, mode, disableTriggers, foreignKeyReload: fkReload });
        path = JSON.stringify((report as unknown as Record<string, unknown>).foreignKeys ?? null);
      } finally {
        (process.stderr as unknown as { write: typeof write }).write = write;
      }
      if (!traced) {
        importMs.push(performance.now() - t0);
        byMode.get(fkReload)!.push(performance.now() - t0);
      }
      if (traced) {
        const stmts = lines.filter((l) => l.startsWith('[sql '));
        const total = stmts.reduce((a, l) => a + Number(/^\[sql (\d+) ms\]/.exec(l)![1]), 0);
        process.stdout.write(
          `traced run: ${stmts.length} statements, ${total} ms in them (MR4_TRACE_SQL only sees statements, not COPY streams)\n`,
        );
        for (const l of timeByKind(tracedStatements(stmts.join('\n')), 25)) process.stdout.write(`  ${l}\n`);
        if (process.env.BENCH_SMALL_DUMP) writeFileSync(process.env.BENCH_SMALL_DUMP, stmts.join(''));
        if (top) {
          const slow = [...stmts].sort((a, b) => Number(/(\d+) ms/.exec(b)![1]) - Number(/(\d+) ms/.exec(a)![1])).slice(0, top);
          process.stdout.write(`slowest:\n${slow.map((l) => `  ${l.trimEnd()}`).join('\n')}\n`);
        }
      }
      await sql(server.url, `DROP DATABASE ${name}`);
    }
    process.stdout.write(
      `pagila-like, ${rows.toLocaleString('en')} rows: export median ${median(exportMs).toFixed(0)} ms [${exportMs.map((x) => x.toFixed(0)).join(', ')}]; ` +
        `import --mode ${mode}${disableTriggers ? ' --disable-triggers' : ''} median ${median(importMs).toFixed(0)} ms [${importMs.map((x) => x.toFixed(0)).join(', ')}] (in-process, node's start not counted)\n` +
        `foreign keys: ${path}\n` +
        (fkModes.length > 1
          ? [...byMode]
              .map(([f, v]) => `  --fk-reload ${f}: median ${median(v).toFixed(0)} ms [${v.map((x) => x.toFixed(0)).join(', ')}]\n`)
              .join('')
          : ''),
    );
  } finally {
    server.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-small: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
