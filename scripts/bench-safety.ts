// What masking, subsets and encryption cost, on one throwaway server: a table of --rows people (e-mail,
// phone, name: the three columns masked) and as many visits pointing at them. Each step runs `mr4` as
// its own process under /usr/bin/time (elapsed seconds, peak RSS); the figure is the median of --runs.
// A measurement, not a test.
//
//   tsx scripts/bench-safety.ts [--rows N] [--runs N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startThrowawayServer } from '../tests/helpers/pg-server';

const ROOT = resolve(import.meta.dirname, '..');
const MR4 = join(ROOT, 'bin', 'mr4.js');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1].replaceAll('_', ''));
};
const ROWS = arg('--rows', 1_000_000);
const RUNS = arg('--runs', 3);

const SCHEMA = `
  CREATE TABLE people (id serial PRIMARY KEY, email text NOT NULL UNIQUE, phone text, name text NOT NULL, city text, created timestamptz NOT NULL, notes jsonb);
  CREATE TABLE visits (id serial PRIMARY KEY, person_id int NOT NULL REFERENCES people(id), at timestamptz NOT NULL, page text NOT NULL);`;

function run(args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; rssMb: number }> {
  return new Promise((done, fail) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', process.execPath, MR4, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const m = /(\d+\.\d+) (\d+)\s*$/.exec(err);
      if (code !== 0 || !m) return fail(new Error(`mr4 ${args.join(' ')} failed (${code}):\n${err}`));
      done({ seconds: Number(m[1]), rssMb: Math.round(Number(m[2]) / 1024) });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const server = await startThrowawayServer({ onDisk: true, settings: { shared_buffers: '256MB', max_wal_size: '4GB' } });
  const dir = mkdtempSync(join(tmpdir(), 'mr4-bench-safety-'));
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const url = (db: string) => server.url.replace(/\/postgres$/, `/${db}`);
  try {
    await admin.query('CREATE DATABASE src');
    const src = new pg.Client({ connectionString: url('src') });
    await src.connect();
    await src.query(SCHEMA);
    await src.query(
      `INSERT INTO people (email, phone, name, city, created, notes)
       SELECT 'person' || g || '@mail' || (g % 97) || '.example', '+49 30 ' || lpad((g * 7919 % 10000000)::text, 7, '0'), 'Name ' || g, 'City ' || (g % 500),
              now() - g * interval '1 minute', jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b'))
       FROM generate_series(1, $1) g`,
      [ROWS],
    );
    await src.query(
      `INSERT INTO visits (person_id, at, page) SELECT 1 + (g * 7) % $1, now() - g * interval '1 second', '/page/' || (g % 1000) FROM generate_series(1, $1) g`,
      [ROWS],
    );
    await src.query('VACUUM ANALYZE');
    await src.end();
    const config = join(dir, 'mask.json');
    writeFileSync(config, JSON.stringify({ tables: { people: { mask: { email: 'email', phone: 'phone', name: 'name' } } } }));
    const env = { MR4_PASSPHRASE: 'a benchmark passphrase', MR4_DATA_DIR: join(dir, 'data') };
    const db = ['--db', url('src')];
    const steps: [string, string[]][] = [
      ['export', ['export', ...db, '--no-mask']],
      ['export, 3 columns masked', ['export', ...db, '--config', config]],
      ['export, encrypted', ['export', ...db, '--no-mask', '--encrypt']],
      ['export, masked and encrypted', ['export', ...db, '--config', config, '--encrypt']],
      ['export, subset (10 % of visits and their people)', ['export', ...db, '--no-mask', '--where', 'visits:id % 10 = 0']],
    ];
    const results: { step: string; seconds: number; rssMb: number; bytes: number }[] = [];
    for (const [step, args] of steps) {
      const times: number[] = [];
      let rss = 0;
      let bytes = 0;
      for (let r = 0; r < RUNS; r++) {
        const out = join(dir, `out-${r}.tar.gz`);
        const t = await run([...args, '--out', out], env);
        times.push(t.seconds);
        rss = Math.max(rss, t.rssMb);
        bytes = statSync(out).size;
        if (r < RUNS - 1) rmSync(out);
      }
      results.push({ step, seconds: median(times), rssMb: rss, bytes });
      process.stderr.write(`${step}: ${median(times).toFixed(2)} s\n`);
    }
    // Import the last plain and encrypted archives into empty copies.
    for (const [step, archive] of [
      ['skip import into an empty database', 'plain'],
      ['skip import of the encrypted archive', 'encrypted'],
    ] as const) {
      const file = join(dir, `${archive}.tar.gz`);
      await run(['export', ...db, '--no-mask', ...(archive === 'encrypted' ? ['--encrypt'] : []), '--out', file], env);
      const times: number[] = [];
      let rss = 0;
      for (let r = 0; r < RUNS; r++) {
        const target = `t_${archive}_${r}`;
        await admin.query(`CREATE DATABASE ${target}`);
        const c = new pg.Client({ connectionString: url(target) });
        await c.connect();
        await c.query(SCHEMA);
        await c.end();
        const t = await run(['import', file, '--db', url(target), '--mode', 'skip', '--disable-triggers', '--no-remember'], env);
        times.push(t.seconds);
        rss = Math.max(rss, t.rssMb);
        await admin.query(`DROP DATABASE ${target}`);
      }
      results.push({ step, seconds: median(times), rssMb: rss, bytes: statSync(file).size });
      process.stderr.write(`${step}: ${median(times).toFixed(2)} s\n`);
    }
    const rows = `${(ROWS * 2).toLocaleString('en-US')} rows (${ROWS.toLocaleString('en-US')} people, as many visits)`;
    console.log(`\n${rows}, median of ${RUNS}, ${cpus().length} CPUs, PostgreSQL ${server.version}, node ${process.versions.node}\n`);
    console.log('| step | time | peak RSS | archive |');
    console.log('|---|---|---|---|');
    for (const r of results)
      console.log(`| ${r.step} | ${r.seconds.toFixed(2)} s | ${r.rssMb} MB | ${(r.bytes / 1024 / 1024).toFixed(1)} MB |`);
  } finally {
    await admin.end();
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
