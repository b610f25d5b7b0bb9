// The small database of `npm run bench`: the Pagila-sized one (scripts/pagila-sized.ts, about 10,000
// rows in 15 tables, the public Pagila sample's shape), where mr4's fixed cost and node's start weigh
// most. Measured as the big one is: every command its own process under /usr/bin/time, medians over
// the rounds, against pg_dump / pg_restore on the same server; plus `mr4 --version`, node's start and
// the bundle's loading, which every mr4 command pays before it does anything.
import { join } from 'node:path';
import { dbUrl, fmt, log, median, mr4, PG_RESTORE_DATA, tableCounts, timed, withClient } from './bench-lib';
import { PAGILA_SIZED_SQL } from './pagila-sized';

export interface SmallStep {
  step: string;
  mr4: number;
  pg: number;
  mr4Rss: number;
  pgRss: number;
}

export interface SmallDatabaseResult {
  rows: number;
  tables: number;
  steps: SmallStep[];
  /** Median seconds of `mr4 --version`. */
  nodeStart: number;
  samples: Record<'export' | 'skip' | 'skipDefault' | 'pgDump' | 'pgRestore' | 'nodeStart', number[]>;
  countProblems: string[];
}

interface Round {
  pgDump: { s: number; rss: number };
  exp: { s: number; rss: number };
  restore: { s: number; rss: number };
  skip: { s: number; rss: number };
  def: { s: number; rss: number };
  nodeStart: number;
}

export async function benchSmallDatabase(
  admin: string,
  bin: (tool: string) => string,
  work: string,
  runs: number,
): Promise<SmallDatabaseResult> {
  const srcUrl = dbUrl(admin, 'small_src');
  await withClient(admin, async (c) => {
    await c.query('DROP DATABASE IF EXISTS small_src');
    await c.query('CREATE DATABASE small_src');
  });
  await withClient(srcUrl, async (c) => {
    await c.query(PAGILA_SIZED_SQL);
    await c.query('VACUUM ANALYZE');
  });
  const srcCounts = await tableCounts(srcUrl);
  const rows = Object.values(srcCounts).reduce((a, b) => a + b, 0);
  log(`small_src (Pagila-sized): ${rows.toLocaleString('en')} rows in ${Object.keys(srcCounts).length} tables`);
  // The empty target as for the big database: the schema alone, through pg_dump and pg_restore.
  const schemaDump = join(work, 'small-schema.pgdump');
  await timed(bin('pg_dump'), ['--schema-only', '-Fc', '-f', schemaDump, '-d', srcUrl]);
  await withClient(admin, (c) => c.query('CREATE DATABASE small_empty'));
  await timed(bin('pg_restore'), ['--schema-only', '--exit-on-error', '-d', dbUrl(admin, 'small_empty'), schemaDump]);
  const fresh = async (name: string) => {
    await withClient(admin, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE small_empty`));
    return dbUrl(admin, name);
  };
  const drop = (names: string[]) =>
    withClient(admin, async (c) => {
      for (const n of names) await c.query(`DROP DATABASE IF EXISTS ${n}`);
    });

  const countProblems: string[] = [];
  const expectAll = async (url: string, what: string) => {
    const counts = await tableCounts(url);
    for (const [t, n] of Object.entries(srcCounts))
      if (counts[t] !== n) countProblems.push(`${t}: ${n} rows in small_src, ${counts[t]} after ${what}`);
  };
  const rounds: Round[] = [];
  for (let round = 1; round <= runs; round++) {
    const dump = join(work, `small_${round}.pgdump`);
    const archive = join(work, `small_${round}.tar.gz`);
    const pgDump = await timed(bin('pg_dump'), ['--data-only', '-Fc', '-f', dump, '-d', srcUrl]);
    const exp = await mr4(['export', '--db', srcUrl, '--out', archive, '--json']);
    const names = [`small_pg_${round}`, `small_mr4_${round}`, `small_mr4_default_${round}`];
    const [pgUrl, skipUrl, defUrl] = [await fresh(names[0]), await fresh(names[1]), await fresh(names[2])];
    const restore = await timed(bin('pg_restore'), [...PG_RESTORE_DATA, '-d', pgUrl, dump]);
    const skip = await mr4(['import', archive, '--db', skipUrl, '--mode', 'skip', '--disable-triggers', '--json']);
    const def = await mr4(['import', archive, '--db', defUrl, '--mode', 'skip', '--json']);
    const version = await mr4(['--version']);
    await expectAll(pgUrl, `pg_restore (round ${round})`);
    await expectAll(skipUrl, `mr4 import --mode skip --disable-triggers (round ${round})`);
    await expectAll(defUrl, `mr4 import --mode skip (round ${round})`);
    await drop(names);
    const r: Round = {
      pgDump: { s: pgDump.seconds, rss: pgDump.rssMb },
      exp: { s: exp.seconds, rss: exp.rssMb },
      restore: { s: restore.seconds, rss: restore.rssMb },
      skip: { s: skip.seconds, rss: skip.rssMb },
      def: { s: def.seconds, rss: def.rssMb },
      nodeStart: version.seconds,
    };
    rounds.push(r);
    log(
      `  small round ${round}: pg_dump ${fmt(r.pgDump.s)} s, mr4 export ${fmt(r.exp.s)} s; pg_restore ${fmt(r.restore.s)} s, ` +
        `mr4 skip --disable-triggers ${fmt(r.skip.s)} s, default path ${fmt(r.def.s)} s; mr4 --version ${fmt(r.nodeStart)} s`,
    );
  }
  await drop(['small_empty', 'small_src']);

  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const peak = (f: (r: Round) => number) => Math.max(...rounds.map(f));
  const pg = med((r) => r.restore.s);
  const pgRss = peak((r) => r.restore.rss);
  return {
    rows,
    tables: Object.keys(srcCounts).length,
    steps: [
      {
        step: 'small: export (vs pg_dump -Fc)',
        mr4: med((r) => r.exp.s),
        pg: med((r) => r.pgDump.s),
        mr4Rss: peak((r) => r.exp.rss),
        pgRss: peak((r) => r.pgDump.rss),
      },
      {
        step: 'small: skip import, --disable-triggers (vs pg_restore)',
        mr4: med((r) => r.skip.s),
        pg,
        mr4Rss: peak((r) => r.skip.rss),
        pgRss,
      },
      { step: 'small: skip import, default path (vs pg_restore)', mr4: med((r) => r.def.s), pg, mr4Rss: peak((r) => r.def.rss), pgRss },
    ],
    nodeStart: med((r) => r.nodeStart),
    samples: {
      export: rounds.map((r) => r.exp.s),
      skip: rounds.map((r) => r.skip.s),
      skipDefault: rounds.map((r) => r.def.s),
      pgDump: rounds.map((r) => r.pgDump.s),
      pgRestore: rounds.map((r) => r.restore.s),
      nodeStart: rounds.map((r) => r.nodeStart),
    },
    countProblems,
  };
}
