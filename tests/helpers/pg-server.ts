// A throwaway PostgreSQL cluster for tests, e2e runs and benchmarks: its own data directory, a free
// loopback port, trust auth (or, on request, password auth over TCP), optional SSL with a self-signed
// certificate, no durability. Never touches a server nobody named.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres (without the password, when one is set). */
  url: string;
  port: number;
  binDir: string;
  version: number;
  /** The superuser's password when the server was started with `password`. */
  password?: string;
  /** The self-signed certificate (PEM) when the server was started with `ssl`. */
  sslCertFile?: string;
  /** Restarts the server (a fast shutdown: every session is ended, as in a failover or an upgrade). */
  restart(): void;
  stop(): void;
}

export interface ThrowawayServerOptions {
  settings?: Record<string, string>;
  /** Require this password (scram-sha-256) for TCP connections as postgres; local socket stays trust. */
  password?: string;
  /** Serve SSL with a self-signed certificate for CN=localhost made by openssl. Plain connections stay allowed. */
  ssl?: boolean;
  /** With `ssl`: accept TCP connections only over SSL (pg_hba hostssl), so a plain connection is refused. */
  sslOnly?: boolean;
  /** Keep the data directory in the temp folder even where /dev/shm has room (benchmarks: figures on disk). */
  onDisk?: boolean;
}

/** The folder the cluster lives in: MR4_TEST_PG_DIR if set; else /dev/shm where it has room for a test
 *  run's databases (table and temporary-table files are made and removed there without a file-system
 *  journal: one engine test file run alone took 14.8 s instead of 18.4; under the whole suite's load,
 *  where the cores are the limit, it gains nothing); else the temp folder. */
const MEMORY_DIR = '/dev/shm';
const MEMORY_NEEDED = 4 * 1024 ** 3;
function clusterParent(onDisk: boolean): string {
  if (process.env.MR4_TEST_PG_DIR) return process.env.MR4_TEST_PG_DIR;
  if (onDisk || !existsSync(MEMORY_DIR)) return tmpdir();
  const fs = statfsSync(MEMORY_DIR);
  return fs.bavail * fs.bsize >= MEMORY_NEEDED ? MEMORY_DIR : tmpdir();
}

export function findPostgresBinDir(): string {
  const fromEnv = process.env.MR4_PG_BIN;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb'))) throw new Error(`MR4_PG_BIN=${fromEnv} has no initdb`);
    return fromEnv;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'No PostgreSQL server binaries found under /usr/lib/postgresql. Install them with `apt-get install -y postgresql` ' +
        '(scripts/ensure-system-deps.sh does this), set MR4_PG_BIN to a bin directory, or name a server with TEST_DATABASE_URL.',
    );
  }
  return join(root, versions[0], 'bin');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function ownerIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

/** A self-signed certificate and key in `dir`, readable by the server (key 0600, owned by the server's user). */
function makeSelfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  const result = spawnSync(
    'openssl',
    ['req', '-new', '-x509', '-days', '2', '-nodes', '-newkey', 'rsa:2048', '-subj', '/CN=localhost', '-keyout', key, '-out', cert],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    throw new Error(`openssl could not make a test certificate (${result.error?.message ?? result.status}): ${result.stderr ?? ''}`);
  }
  chmodSync(key, 0o600);
  if (isRoot) {
    const { uid, gid } = ownerIds();
    chownSync(cert, uid, gid);
    chownSync(key, uid, gid);
  }
  return { cert, key };
}

function runAsOwner(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${bin} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

export async function startThrowawayServer(options: ThrowawayServerOptions = {}): Promise<ThrowawayServer> {
  const binDir = findPostgresBinDir();
  const dir = mkdtempSync(join(clusterParent(options.onDisk ?? false), 'mr4-pg-'));
  if (isRoot) chownSync(dir, ownerIds().uid, ownerIds().gid);
  const dataDir = join(dir, 'data');
  let auth = ['-A', 'trust'];
  const pwFile = join(dir, 'initdb-password');
  if (options.password !== undefined) {
    writeFileSync(pwFile, `${options.password}\n`, { mode: 0o644 });
    auth = ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwFile}`];
  }
  try {
    runAsOwner(join(binDir, 'initdb'), ['-D', dataDir, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  } finally {
    rmSync(pwFile, { force: true });
  }
  const sslFiles = options.ssl ? makeSelfSignedCertificate(dir) : null;
  if (sslFiles && options.sslOnly) {
    const hba = join(dataDir, 'pg_hba.conf');
    writeFileSync(hba, readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
  }
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '200',
    ...(sslFiles ? { ssl: 'on', ssl_cert_file: sslFiles.cert, ssl_key_file: sslFiles.key } : {}),
    ...options.settings,
  };
  const opts = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  runAsOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const version = Number(execFileSync(join(binDir, 'postgres'), ['--version']).toString().match(/(\d+)/)?.[1] ?? 0);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    binDir,
    version,
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(sslFiles ? { sslCertFile: sslFiles.cert } : {}),
    restart() {
      runAsOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-l', join(dir, 'server.log'), 'restart']);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        runAsOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
