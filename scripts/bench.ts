// `npm run bench`: mr4 against pg_dump/pg_restore on one throwaway server of pg_dump's own version.
//
// Builds a database of about --rows rows over the Crearis schema, then for each of --runs rounds times
//   export       mr4 export                                  vs pg_dump --data-only -Fc
//   skip import  mr4 import --mode skip --disable-triggers   vs pg_restore --data-only --disable-triggers --single-transaction
//   skip import  mr4 import --mode skip (the default path: foreign keys reloaded where the user owns the
//                tables, triggers firing)                    vs the same pg_restore
//   merge import mr4 import --mode merge --base none --disable-triggers  (10 % of the target's rows changed,
//                the archive makes them as they were: a two-way merge) vs the same pg_restore
// and the same export and skip imports of a small database (Pagila-sized, scripts/bench-pagila.ts),
// with `mr4 --version` for node's start. Every command runs as its own process under /usr/bin/time
// (elapsed seconds, peak RSS); each figure is the median over the rounds. It is a measurement, not a test: it exits 0 when a target is missed and says MISSED.
//
//   tsx scripts/bench.ts [--rows N] [--runs N] [--keep] [--json FILE] [--trace]
//   (or BENCH_ROWS, BENCH_RUNS, BENCH_KEEP=1, BENCH_JSON, BENCH_TRACE=1)
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { seedCrearisBulk } from '../src-main/demo/crearis-bulk';
import type { TableCounts } from '../src-main/engine/report-types';
import { startThrowawayServer, type ThrowawayServer } from '../tests/helpers/pg-server';
import { benchSmallDatabase, type SmallDatabaseResult } from './bench-pagila';
import {
  childEnv,
  dbUrl,
  fmt,
  loads,
  log,
  mb,
  median,
  mr4,
  PG_RESTORE_DATA,
  ROOT,
  tableCounts,
  type Timed,
  timed,
  timeByKind,
  tracedStatements,
  useDataDir,
  withClient,
} from './bench-lib';

const SCHEMA_SQL = join(ROOT, 'src-main', 'demo', 'crearis-schema.sql');
const TIME = '/usr/bin/time';

// ─── Options ──────────────────────────────────────────────────────────────────────────────────────

interface Options {
  rows: number;
  runs: number;
  keep: boolean;
  json: string | null;
  trace: boolean;
}

function parseOptions(argv: string[]): Options {
  const env = process.env;
  const opts: Options = {
    rows: Number(env.BENCH_ROWS ?? 1_000_000),
    runs: Number(env.BENCH_RUNS ?? 3),
    keep: env.BENCH_KEEP === '1',
    json: env.BENCH_JSON || null,
    trace: env.BENCH_TRACE === '1',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--rows':
        opts.rows = Number(value().replaceAll('_', ''));
        break;
      case '--runs':
        opts.runs = Number(value());
        break;
      case '--keep':
        opts.keep = true;
        break;
      case '--json':
        opts.json = value();
        break;
      case '--trace':
        opts.trace = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown option ${arg}`);
    }
  }
  if (!Number.isInteger(opts.rows) || opts.rows < 1000) usage('--rows must be a whole number ≥ 1000');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage('--runs must be a whole number ≥ 1');
  return opts;
}

function usage(problem?: string): never {
  const text =
    'Usage: tsx scripts/bench.ts [--rows N] [--runs N] [--keep] [--json FILE] [--trace]\n' +
    '  --rows N     about how many rows the benchmark database holds (default 1000000)\n' +
    '  --runs N     rounds; every figure is the median over them (default 3)\n' +
    "  --keep       leave the server (and the last round's databases and files) for inspection\n" +
    '  --json FILE  also write the results as JSON\n' +
    '  --trace      afterwards run each mr4 step once more with MR4_TRACE_SQL=1 and print its slowest statements\n' +
    'Environment: BENCH_ROWS, BENCH_RUNS, BENCH_KEEP=1, BENCH_JSON, BENCH_TRACE=1\n';
  if (problem) {
    process.stderr.write(`bench: ${problem}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

// ─── The merge target's changes ───────────────────────────────────────────────────────────────────

/**
 * One ordinary column per big table, neither part of its natural key nor left alone by a merge (users'
 * password is insert-only; events'/posts' tags_* are excluded by the Crearis profile). About every tenth
 * row changes; keys never change. Left out: interactions, which have no natural key (mr4 recognises
 * them by their whole content, so a changed row is a new row, never an update), and images whose key
 * (xmlid) is NULL, for the same reason (a changed one would be inserted anew and pull the users and
 * posts that show it along).
 */
const CHANGES: { table: string; set: string; where: string }[] = [
  { table: 'users', set: `username = username || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'projects', set: `description = COALESCE(description, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'images', set: `alt_text = COALESCE(alt_text, '') || ' (geändert)'`, where: 'id % 10 = 1 AND xmlid IS NOT NULL' },
  { table: 'instructors', set: `description = COALESCE(description, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'locations', set: `street = COALESCE(street, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'participants', set: `description = COALESCE(description, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'posts', set: `teaser = COALESCE(teaser, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  { table: 'events', set: `teaser = COALESCE(teaser, '') || ' (geändert)'`, where: 'id % 10 = 0' },
  {
    table: 'pages',
    set: `updated_at = COALESCE(updated_at, timestamp '2024-01-01') + interval '1 day'`,
    where: `abs(hashtext(id)) % 10 = 0`,
  },
  { table: 'tasks', set: `description = COALESCE(description, '') || ' (geändert)'`, where: `abs(hashtext(id)) % 10 = 0` },
  { table: 'events_tags', set: `created_at = COALESCE(created_at, timestamp '2024-01-01') + interval '1 day'`, where: 'event_id % 10 = 0' },
  { table: 'posts_tags', set: `created_at = COALESCE(created_at, timestamp '2024-01-01') + interval '1 day'`, where: 'post_id % 10 = 0' },
  {
    table: 'project_members',
    set: `added_at = COALESCE(added_at, timestamp '2024-01-01') + interval '1 day'`,
    where: '(project_id + user_id) % 10 = 0',
  },
  {
    table: 'event_instructors',
    set: `added_at = COALESCE(added_at, timestamp '2024-01-01') + interval '1 day'`,
    where: '(event_id + instructor_id) % 10 = 0',
  },
];

/** Changes ~10 % of the rows of the big tables (triggers off, so only the named column changes). */
async function changeTenPercent(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const changed: Record<string, number> = {};
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    for (const { table, set, where } of CHANGES)
      changed[table] = (await c.query(`UPDATE ${table} SET ${set} WHERE ${where}`)).rowCount ?? 0;
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE');
    return changed;
  });
}

// ─── mr4's reports ────────────────────────────────────────────────────────────────────────────────

interface ImportJson {
  tables: TableCounts[];
  failures?: unknown[];
  warnings?: string[];
  triggersDisabled?: boolean;
  foreignKeys?: { path: string; reason: string; reloaded: string[] };
}

function parseImport(out: string): ImportJson {
  const report = JSON.parse(out) as ImportJson;
  const failed = report.tables.reduce((a, t) => a + t.failed, 0);
  if (failed > 0 || (report.failures?.length ?? 0) > 0) {
    throw new Error(`mr4 import reported ${failed} failed rows: ${JSON.stringify(report.failures?.slice(0, 5))}`);
  }
  return report;
}

const sum = (tables: TableCounts[], k: keyof Omit<TableCounts, 'table'>) => tables.reduce((a, t) => a + t[k], 0);

// ─── Main ─────────────────────────────────────────────────────────────────────────────────────────

type StepName = 'export' | 'skip' | 'skipDefault' | 'merge';
interface Samples {
  mr4: number[];
  mr4Rss: number[];
  pg: number[];
  pgRss: number[];
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) {
    throw new Error('mr4 is not built: run `npm run bench` (builds first) or `npx electron-vite build`');
  }
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing (apt-get install -y time)`);

  log(`starting a throwaway PostgreSQL server`);
  // autovacuum off: its background work after one step would otherwise land in the next step's time.
  // Every database is VACUUM ANALYZEd explicitly where a real one would have been.
  const server: ThrowawayServer = await startThrowawayServer({ onDisk: true, settings: { autovacuum: 'off' } });
  const work = mkdtempSync(join(tmpdir(), 'mr4-bench-'));
  useDataDir(join(work, 'data'));
  let stopServer = !opts.keep;
  const cleanup = () => {
    if (stopServer) {
      stopServer = false;
      server.stop();
      rmSync(work, { recursive: true, force: true });
    }
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    const bin = (tool: string) => join(server.binDir, tool);
    const pgDumpVersion = (await timed(bin('pg_dump'), ['--version'])).stdout.trim();
    const admin = server.url;
    const srcUrl = dbUrl(admin, 'bench_src');
    const serverVersion = await withClient(
      admin,
      async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v,
    );
    log(`server ${serverVersion} at ${admin} (${server.binDir}); ${pgDumpVersion}`);

    // The source database.
    await withClient(admin, (c) => c.query('CREATE DATABASE bench_src'));
    await timed(bin('psql'), ['-q', '-X', '-v', 'ON_ERROR_STOP=1', '-d', srcUrl, '-f', SCHEMA_SQL]);
    log(`bench_src: schema loaded; seeding about ${opts.rows.toLocaleString('en')} rows`);
    const seeded = await withClient(srcUrl, async (c) => {
      const counts = await seedCrearisBulk(c, { rows: opts.rows, onProgress: (m) => log(`  seed: ${m}`) });
      log('  VACUUM ANALYZE');
      await c.query('VACUUM ANALYZE');
      return counts;
    });
    const srcCounts = await tableCounts(srcUrl);
    const totalRows = Object.values(srcCounts).reduce((a, b) => a + b, 0);
    const srcBytes = await withClient(srcUrl, async (c) =>
      Number((await c.query('SELECT pg_database_size(current_database()) AS b')).rows[0].b),
    );
    log(`bench_src: ${totalRows.toLocaleString('en')} rows in ${Object.keys(srcCounts).length} tables, ${fmt(mb(srcBytes), 0)} MB on disk`);

    // The empty target: the source's schema without any data (crearis-schema.sql itself inserts seed
    // rows that a data-only restore would collide with). Restored once, then cloned per database.
    const schemaDump = join(work, 'schema.pgdump');
    await timed(bin('pg_dump'), ['--schema-only', '-Fc', '-f', schemaDump, '-d', srcUrl]);
    await withClient(admin, (c) => c.query('CREATE DATABASE bench_empty'));
    await timed(bin('pg_restore'), ['--schema-only', '--exit-on-error', '-d', dbUrl(admin, 'bench_empty'), schemaDump]);
    // pg_restore runs with search_path = '', and the schema's generated columns call functions that name
    // tables unqualified (get_status_display_name → status, compute_domainname → sysdomains): a data-only
    // restore then fails ("relation "status" does not exist"). The usual remedy, pinning those
    // functions' search_path, goes into the empty template, so pg_restore and mr4 load into the same schema.
    const pinned = await withClient(dbUrl(admin, 'bench_empty'), async (c) => {
      const fns = await c.query<{ sig: string }>(
        `SELECT DISTINCT p.oid::regprocedure::text AS sig
         FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum AND a.attgenerated = 's'
         JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid AND dep.refclassid = 'pg_proc'::regclass
         JOIN pg_proc p ON p.oid = dep.refobjid JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public' AND p.proconfig IS NULL ORDER BY 1`,
      );
      for (const { sig } of fns.rows) await c.query(`ALTER FUNCTION ${sig} SET search_path = public`);
      return fns.rows.map((r) => r.sig);
    });
    if (pinned.length) log(`bench_empty: search_path pinned for ${pinned.join(', ')} (generated columns; else pg_restore fails)`);
    const emptyCounts = await tableCounts(dbUrl(admin, 'bench_empty'));
    const notEmpty = Object.entries(emptyCounts).filter(([, n]) => n > 0);
    if (notEmpty.length) throw new Error(`bench_empty is not empty: ${JSON.stringify(notEmpty)}`);
    const freshDb = async (name: string) => {
      await withClient(admin, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
        await c.query(`CREATE DATABASE ${name} TEMPLATE bench_empty`);
      });
      return dbUrl(admin, name);
    };
    const dropDb = (name: string) => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name}`));

    const samples: Record<StepName, Samples> = {
      export: { mr4: [], mr4Rss: [], pg: [], pgRss: [] },
      skip: { mr4: [], mr4Rss: [], pg: [], pgRss: [] },
      skipDefault: { mr4: [], mr4Rss: [], pg: [], pgRss: [] },
      merge: { mr4: [], mr4Rss: [], pg: [], pgRss: [] },
    };
    let defaultForeignKeys: { path: string; reason: string; reloaded: string[] } | null = null;
    let dumpBytes = 0;
    let archiveBytes = 0;
    let mergeCheck: { table: string; changed: number; updated: number; unchanged: number; inserted: number }[] = [];
    const countProblems: string[] = [];

    for (let round = 1; round <= opts.runs; round++) {
      const last = round === opts.runs;
      log(`round ${round}/${opts.runs}`);
      const dump = join(work, `dump_${round}.pgdump`);
      const archive = join(work, `archive_${round}.tar.gz`);

      const pgDump = await timed(bin('pg_dump'), ['--data-only', '-Fc', '-f', dump, '-d', srcUrl]);
      dumpBytes = statSync(dump).size;
      log(
        `  pg_dump --data-only -Fc          ${fmt(pgDump.seconds).padStart(7)} s  ${fmt(pgDump.rssMb, 0).padStart(4)} MB RSS  (${fmt(mb(dumpBytes), 1)} MB)`,
      );

      const exp = await mr4(['export', '--db', srcUrl, '--out', archive, '--json']);
      archiveBytes = statSync(archive).size;
      log(
        `  mr4 export                       ${fmt(exp.seconds).padStart(7)} s  ${fmt(exp.rssMb, 0).padStart(4)} MB RSS  (${fmt(mb(archiveBytes), 1)} MB)`,
      );
      samples.export.pg.push(pgDump.seconds);
      samples.export.pgRss.push(pgDump.rssMb);
      samples.export.mr4.push(exp.seconds);
      samples.export.mr4Rss.push(exp.rssMb);

      const pgName = `bench_pg_${round}`;
      const pgUrl = await freshDb(pgName);
      const restore = await timed(bin('pg_restore'), [...PG_RESTORE_DATA, '-d', pgUrl, dump]);
      log(`  pg_restore --data-only --disable-triggers --single-transaction ${fmt(restore.seconds)} s  ${fmt(restore.rssMb, 0)} MB RSS`);
      samples.skip.pg.push(restore.seconds);
      samples.skip.pgRss.push(restore.rssMb);
      samples.merge.pg.push(restore.seconds);
      samples.merge.pgRss.push(restore.rssMb);
      samples.skipDefault.pg.push(restore.seconds);
      samples.skipDefault.pgRss.push(restore.rssMb);

      const mr4Name = `bench_mr4_${round}`;
      const mr4Url = await freshDb(mr4Name);
      const skip = await mr4(['import', archive, '--db', mr4Url, '--mode', 'skip', '--disable-triggers', '--json']);
      const skipReport = parseImport(skip.stdout);
      log(
        `  mr4 import --mode skip --disable-triggers ${fmt(skip.seconds)} s  ${fmt(skip.rssMb, 0)} MB RSS  (${sum(skipReport.tables, 'inserted').toLocaleString('en')} inserted)`,
      );
      samples.skip.mr4.push(skip.seconds);
      samples.skip.mr4Rss.push(skip.rssMb);

      // Both loads must hold what the source holds (mr4 leaves out the tables its profile excludes).
      const [pgCounts, mr4Counts] = [await tableCounts(pgUrl), await tableCounts(mr4Url)];
      for (const [t, n] of Object.entries(srcCounts)) {
        if (pgCounts[t] !== n) countProblems.push(`round ${round}: ${t} has ${n} rows in bench_src, ${pgCounts[t]} after pg_restore`);
        const inArchive = skipReport.tables.some((x) => x.table === t);
        if (inArchive && mr4Counts[t] !== n)
          countProblems.push(`round ${round}: ${t} has ${n} rows in bench_src, ${mr4Counts[t]} after mr4 import --mode skip`);
      }

      // mr4's default path, as users run it: no --disable-triggers.
      const defName = `bench_mr4_default_${round}`;
      const defUrl = await freshDb(defName);
      const def = await mr4(['import', archive, '--db', defUrl, '--mode', 'skip', '--json']);
      const defReport = parseImport(def.stdout);
      defaultForeignKeys = defReport.foreignKeys ?? null;
      log(
        `  mr4 import --mode skip (default path) ${fmt(def.seconds)} s  ${fmt(def.rssMb, 0)} MB RSS  (${sum(defReport.tables, 'inserted').toLocaleString('en')} inserted; foreign keys ${defReport.foreignKeys?.path ?? '?'})`,
      );
      samples.skipDefault.mr4.push(def.seconds);
      samples.skipDefault.mr4Rss.push(def.rssMb);
      const defCounts = await tableCounts(defUrl);
      for (const [t, n] of Object.entries(srcCounts)) {
        if (defReport.tables.some((x) => x.table === t) && defCounts[t] !== n)
          countProblems.push(
            `round ${round}: ${t} has ${n} rows in bench_src, ${defCounts[t]} after mr4 import --mode skip (default path)`,
          );
      }
      await dropDb(defName);

      const changed = await changeTenPercent(mr4Url);
      const totalChanged = Object.values(changed).reduce((a, b) => a + b, 0);
      log(`  changed ${totalChanged.toLocaleString('en')} rows in ${Object.keys(changed).length} tables of ${mr4Name}`);
      // Two ways: the target's rows were changed since the skip import, and the archive puts them back.
      // (Compared with what the two agreed on, those changes would be the target's own edits, kept.)
      const merge = await mr4(['import', archive, '--db', mr4Url, '--mode', 'merge', '--base', 'none', '--disable-triggers', '--json']);
      const mergeReport = parseImport(merge.stdout);
      log(
        `  mr4 import --mode merge --disable-triggers ${fmt(merge.seconds)} s  ${fmt(merge.rssMb, 0)} MB RSS  (${sum(mergeReport.tables, 'updated').toLocaleString('en')} updated, ${sum(mergeReport.tables, 'inserted')} inserted)`,
      );
      samples.merge.mr4.push(merge.seconds);
      samples.merge.mr4Rss.push(merge.rssMb);
      mergeCheck = mergeReport.tables.map((t) => ({
        table: t.table,
        changed: changed[t.table] ?? 0,
        updated: t.updated,
        unchanged: t.unchanged,
        inserted: t.inserted,
      }));
      for (const m of mergeCheck) {
        if (m.updated !== m.changed)
          countProblems.push(`round ${round}: merge updated ${m.updated} rows of ${m.table}, ${m.changed} were changed`);
        if (m.inserted !== 0) countProblems.push(`round ${round}: merge inserted ${m.inserted} rows into ${m.table}`);
      }

      if (!(opts.keep && last)) {
        await dropDb(pgName);
        await dropDb(mr4Name);
        rmSync(dump, { force: true });
        rmSync(archive, { force: true });
      }
    }

    // ── The small database: where the fixed cost and node's start weigh most ──
    log(`small database, ${opts.runs} round${opts.runs > 1 ? 's' : ''}`);
    const small: SmallDatabaseResult = await benchSmallDatabase(admin, bin, work, opts.runs);
    countProblems.push(...small.countProblems.map((p) => `small database: ${p}`));

    // ── Optional: one traced run of each mr4 step ──
    const traces: Record<string, string[]> = {};
    if (opts.trace) {
      log('trace round (MR4_TRACE_SQL=1; not part of the figures)');
      const traceEnv = childEnv({ MR4_TRACE_SQL: '1' });
      const archive = join(work, 'archive_trace.tar.gz');
      // The statements mr4 sends through its run context (COPY streams are not among them): by kind,
      // then the slowest ones.
      const slowest = (t: Timed) => {
        const statements = tracedStatements(t.stderr);
        const total = statements.reduce((a, x) => a + x.ms, 0);
        const top = [...statements]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 12)
          .map((x) => x.line);
        return [
          `${statements.length} traced statements, ${fmt(total / 1000)} s of ${fmt(t.seconds)} s wall; the rest is node's start, COPY streams and the client's own work`,
          'by kind:',
          ...timeByKind(statements).map((l) => `  ${l}`),
          'slowest:',
          ...top.map((l) => `  ${l}`),
        ];
      };
      const e = await mr4(['export', '--db', srcUrl, '--out', archive, '--json'], traceEnv);
      traces.export = slowest(e);
      const url = await freshDb('bench_mr4_trace');
      const s = await mr4(['import', archive, '--db', url, '--mode', 'skip', '--disable-triggers', '--json'], traceEnv);
      traces.skip = slowest(s);
      const defUrl = await freshDb('bench_mr4_trace_default');
      const d = await mr4(['import', archive, '--db', defUrl, '--mode', 'skip', '--json'], traceEnv);
      traces.skipDefault = slowest(d);
      await dropDb('bench_mr4_trace_default');
      await changeTenPercent(url);
      const m = await mr4(['import', archive, '--db', url, '--mode', 'merge', '--base', 'none', '--disable-triggers', '--json'], traceEnv);
      traces.merge = slowest(m);
      for (const [step, t] of [
        ['export', e],
        ['skip', s],
        ['skipDefault', d],
        ['merge', m],
      ] as const) {
        process.stdout.write(
          `\nWhere the time of mr4 ${step} went (traced run ${fmt(t.seconds)} s):\n${traces[step].map((l) => `  ${l}`).join('\n')}\n`,
        );
      }
      await dropDb('bench_mr4_trace');
    }

    // ── Report ──
    const RSS_LIMIT = 200;
    const rows: { step: string; mr4: number; pg: number | null; target: number | null; mr4Rss: number; pgRss: number | null }[] = [
      {
        step: 'export (vs pg_dump -Fc)',
        mr4: median(samples.export.mr4),
        pg: median(samples.export.pg),
        target: 1.0,
        mr4Rss: Math.max(...samples.export.mr4Rss),
        pgRss: Math.max(...samples.export.pgRss),
      },
      {
        step: 'skip import, --disable-triggers (vs pg_restore)',
        mr4: median(samples.skip.mr4),
        pg: median(samples.skip.pg),
        target: 1.25,
        mr4Rss: Math.max(...samples.skip.mr4Rss),
        pgRss: Math.max(...samples.skip.pgRss),
      },
      {
        step: 'skip import, default path (vs pg_restore)',
        mr4: median(samples.skipDefault.mr4),
        pg: median(samples.skipDefault.pg),
        target: 2,
        mr4Rss: Math.max(...samples.skipDefault.mr4Rss),
        pgRss: Math.max(...samples.skipDefault.pgRss),
      },
      {
        step: 'merge import, 10% changed, --disable-triggers (vs pg_restore)',
        mr4: median(samples.merge.mr4),
        pg: median(samples.merge.pg),
        target: 2,
        mr4Rss: Math.max(...samples.merge.mr4Rss),
        pgRss: Math.max(...samples.merge.pgRss),
      },
      // The targets are the big database's; the small one's is that node's start dominates (below).
      ...small.steps.map((r) => ({ ...r, target: null })),
    ];
    const peakRss = Math.max(...rows.map((r) => r.mr4Rss));
    const missed: string[] = [];
    const table: string[][] = [['step', 'mr4 s', 'pg s', 'ratio', 'target', 'result', 'mr4 RSS MB', 'pg RSS MB']];
    for (const r of rows) {
      const ratio = r.pg ? r.mr4 / r.pg : NaN;
      const result = r.target === null ? '' : ratio <= r.target ? 'pass' : 'MISSED';
      if (result === 'MISSED') missed.push(`${r.step}: ${fmt(ratio)}× > ${r.target}×`);
      table.push([
        r.step,
        fmt(r.mr4),
        r.pg === null ? '' : fmt(r.pg),
        fmt(ratio) + '×',
        r.target === null ? '' : `≤ ${r.target}×`,
        result,
        fmt(r.mr4Rss, 0),
        r.pgRss === null ? '' : fmt(r.pgRss, 0),
      ]);
    }
    const rssResult = peakRss < RSS_LIMIT ? 'pass' : 'MISSED';
    if (rssResult === 'MISSED') missed.push(`peak RSS of mr4: ${fmt(peakRss, 0)} MB ≥ ${RSS_LIMIT} MB`);
    table.push(['peak RSS of any mr4 run', '', '', '', `< ${RSS_LIMIT} MB`, rssResult, fmt(peakRss, 0), '']);
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');

    const out: string[] = [];
    out.push('');
    out.push(
      `mr4 benchmark: ${totalRows.toLocaleString('en')} rows (--rows ${opts.rows}), median of ${opts.runs} run${opts.runs > 1 ? 's' : ''}, ` +
        `PostgreSQL ${serverVersion}, ${pgDumpVersion}, node ${process.version}, ${cpus().length} CPUs, ${fmt(totalmem() / 1024 ** 3, 0)} GB RAM`,
    );
    out.push(
      `pg s = pg_dump --data-only -Fc (export) / pg_restore --data-only --disable-triggers --single-transaction (imports); mr4 ran with --disable-triggers to match, except the default path`,
    );
    if (defaultForeignKeys) out.push(`default path's foreign keys: ${defaultForeignKeys.path} (${defaultForeignKeys.reason})`);
    out.push('');
    out.push(line(table[0]));
    out.push(widths.map((w) => '─'.repeat(w)).join('  '));
    for (const r of table.slice(1)) out.push(line(r));
    out.push('');
    out.push(
      `all runs (s): export mr4 [${samples.export.mr4.map((x) => fmt(x)).join(', ')}] pg_dump [${samples.export.pg.map((x) => fmt(x)).join(', ')}]; ` +
        `skip mr4 [${samples.skip.mr4.map((x) => fmt(x)).join(', ')}] pg_restore [${samples.skip.pg.map((x) => fmt(x)).join(', ')}]; ` +
        `default path mr4 [${samples.skipDefault.mr4.map((x) => fmt(x)).join(', ')}]; merge mr4 [${samples.merge.mr4.map((x) => fmt(x)).join(', ')}]`,
    );
    // The benchmark itself keeps up to two processes busy (the command and its server): only load
    // beyond that is other work.
    const busy = Math.max(...loads) > 2.5;
    out.push(
      `load average (1 min) at the start of the timed commands: ${fmt(Math.min(...loads))} to ${fmt(Math.max(...loads))} on ${cpus().length} CPUs` +
        (busy
          ? ' — the machine was busy with other work: figures are noisy'
          : ' (up to 2 is the benchmark itself: the command and its server)'),
    );
    const smallDefault = small.steps[2].mr4;
    out.push(
      `small database (Pagila-sized, ${small.rows.toLocaleString('en')} rows in ${small.tables} tables): node's start and loading mr4 ` +
        `(mr4 --version) ${fmt(small.nodeStart)} s; the default-path import ${fmt(smallDefault)} s, ${fmt(smallDefault - small.nodeStart)} s ` +
        `beyond node's start, which is ${fmt((100 * small.nodeStart) / smallDefault, 0)} % of it` +
        (small.nodeStart >= smallDefault / 2 ? " (dominated by node's start)" : " (NOT dominated by node's start)"),
    );
    out.push(
      `sizes: source database ${fmt(mb(srcBytes), 0)} MB; mr4 archive ${fmt(mb(archiveBytes), 1)} MB vs pg_dump -Fc ${fmt(mb(dumpBytes), 1)} MB (${fmt(archiveBytes / dumpBytes)}×)`,
    );
    out.push('');
    const countTable = [['table', 'rows', 'seeded', 'merge: changed', 'updated', 'unchanged']];
    for (const t of Object.keys(srcCounts)) {
      const m = mergeCheck.find((x) => x.table === t);
      countTable.push([
        t,
        String(srcCounts[t]),
        seeded[t] === undefined ? '' : String(seeded[t]),
        m ? String(m.changed) : '—',
        m ? String(m.updated) : '—',
        m ? String(m.unchanged) : '—',
      ]);
    }
    countTable.push([
      'total',
      String(totalRows),
      String(Object.values(seeded).reduce((a, b) => a + b, 0)),
      String(mergeCheck.reduce((a, m) => a + m.changed, 0)),
      String(mergeCheck.reduce((a, m) => a + m.updated, 0)),
      String(mergeCheck.reduce((a, m) => a + m.unchanged, 0)),
    ]);
    const cw = countTable[0].map((_, i) => Math.max(...countTable.map((r) => r[i].length)));
    out.push('rows per table (— : not in the archive, excluded by the Crearis profile); the merge columns are from the last round');
    for (const r of countTable) out.push(r.map((c, i) => (i === 0 ? c.padEnd(cw[i]) : c.padStart(cw[i]))).join('  '));
    const mergeUpdated = mergeCheck.reduce((a, m) => a + m.updated, 0);
    const mergeTotal = mergeCheck.reduce((a, m) => a + m.updated + m.unchanged, 0);
    out.push(
      `merge updated ${mergeUpdated.toLocaleString('en')} of ${mergeTotal.toLocaleString('en')} rows (${fmt((100 * mergeUpdated) / Math.max(mergeTotal, 1), 1)} %)`,
    );
    out.push('');
    if (countProblems.length) {
      out.push(`ROW COUNT PROBLEMS (${countProblems.length}):`);
      for (const p of countProblems.slice(0, 40)) out.push(`  ${p}`);
    } else {
      out.push('row counts: both loads hold every row of bench_src; merge updated exactly the changed rows');
    }
    out.push(
      missed.length
        ? `MISSED ${missed.length} target${missed.length > 1 ? 's' : ''}:\n${missed.map((m) => `  MISSED  ${m}`).join('\n')}`
        : 'all targets met',
    );
    process.stdout.write(out.join('\n') + '\n');

    if (opts.json) {
      const results = {
        date: new Date().toISOString(),
        rows: totalRows,
        rowsOption: opts.rows,
        runs: opts.runs,
        server: serverVersion,
        pgDump: pgDumpVersion,
        node: process.version,
        cpus: cpus().length,
        steps: rows.map((r) => ({
          ...r,
          ratio: r.pg ? r.mr4 / r.pg : null,
          pass: r.target === null ? null : r.pg !== null && r.mr4 / r.pg <= r.target,
        })),
        samples,
        defaultForeignKeys,
        peakRssMb: peakRss,
        loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
        sizes: { sourceDatabaseBytes: srcBytes, archiveBytes, dumpBytes },
        counts: srcCounts,
        small,
        seeded,
        merge: mergeCheck,
        countProblems,
        missed,
        traces,
      };
      writeFileSync(resolve(opts.json), JSON.stringify(results, null, 2) + '\n');
      log(`results written to ${resolve(opts.json)}`);
    }
    if (opts.keep) {
      const dataDir = await withClient(
        admin,
        async (c) => (await c.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0].d,
      );
      process.stdout.write(
        `\n--keep: server left running at ${admin} (bench_src, bench_empty, bench_pg_${opts.runs}, bench_mr4_${opts.runs}); files in ${work}\n` +
          `stop it with: runuser -u postgres -- ${bin('pg_ctl')} -D ${dataDir} -m fast stop && rm -rf ${dirname(dataDir)} ${work}\n`,
      );
    }
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
