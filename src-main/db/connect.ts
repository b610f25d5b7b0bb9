// Connections the way libpq and psql make them: a postgres:// URL (or DATABASE_URL), the PG* environment
// variables for whatever the URL leaves out, ~/.pgpass for a missing password, and sslmode with libpq's
// meaning (require encrypts without verifying; prefer falls back to plain when the server has no SSL).
//
// The app's saved connections never become a URL: their fields travel as fields (encodeSettings, a JSON
// object behind a prefix no URL parser reads) and reach node-postgres as its own host, port, user,
// database, password and ssl options, so no character of a field can set another (a host of
// `x]:1/db?sslmode=disable&options=…` is a host that does not resolve, nothing more).
//
// Either may go through an SSH tunnel (ssh-tunnel.ts): the settings' `ssh`, or the CLI's --ssh options
// (ConnectionOptions.ssh). The host and port are then the database's as the SSH server sees them, and
// ~/.pgpass is not read (its lines name servers as this machine sees them: a password kept for this
// machine's localhost must not go to the SSH server's).
import { createRequire } from 'node:module';
import { parse } from 'pg-connection-string';
import pg from 'pg';
import { ConnectionError, SshError } from './errors';
import { sshLabel, type SshSettings, SshTunnel } from './ssh-tunnel';

export { ConnectionError, SshError };

const requireCjs = createRequire(import.meta.url);

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** URL parameters accepted from untrusted input (a pasted URL in the app): none of them reads files. */
const SAFE_PARAMS = new Set(['sslmode', 'application_name', 'connect_timeout', 'options', 'host', 'port', 'user', 'dbname', 'password']);
const FILE_PARAMS = new Set(['sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'passfile']);

export interface ConnectionOptions {
  /** May the URL name files (client certificates, root certificates)? True for the CLI, false for URLs
   *  that arrive from a window or the network. */
  allowFileParams?: boolean;
  env?: NodeJS.ProcessEnv;
  applicationName?: string;
  /** Connect through this SSH tunnel (the CLI's --ssh; saved connections carry theirs in their settings). */
  ssh?: SshSettings;
}

export interface DbTarget {
  /** user@host:port/database — never the password. */
  label: string;
  database: string;
  connect(): Promise<pg.Client>;
}

/** A saved connection's settings, as fields (the app's door to the engine; never parsed as a URL). */
export interface ConnectionSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: SslMode;
  password?: string;
  applicationName?: string;
  /** Seconds (default 10). */
  connectTimeout?: number;
  /** Through an SSH tunnel: host and port above are the database's as the SSH server sees them. */
  ssh?: SshSettings;
}

/** What marks a connection given as settings rather than as a URL (where a URL is expected). */
export const SETTINGS_PREFIX = 'mr4-settings:';

/** The settings as one string for the places that carry a connection as a string (DbSpec.url): JSON
 *  behind SETTINGS_PREFIX, so no character of a field is ever read as URL syntax. Holds the password:
 *  never log it. */
export function encodeSettings(settings: ConnectionSettings): string {
  return SETTINGS_PREFIX + JSON.stringify(settings);
}

/** NUL ends a string in PostgreSQL's startup message: one inside a field would start another parameter. */
function refuseNul(what: string, value: string | undefined): void {
  if (value !== undefined && value.includes('\u0000'))
    throw new ConnectionError(`The ${what} contains a NUL character, which a connection cannot carry.`);
}

function decodeSettings(text: string): ConnectionSettings {
  let value: unknown;
  try {
    value = JSON.parse(text.slice(SETTINGS_PREFIX.length));
  } catch {
    throw new ConnectionError('The connection settings are not readable.');
  }
  const v = (value ?? {}) as Record<string, unknown>;
  const str = (k: string) => typeof v[k] === 'string' && (v[k] as string) !== '';
  if (!str('host') || !str('database') || !str('user'))
    throw new ConnectionError('The connection settings need a host, a database and a user.');
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535)
    throw new ConnectionError('The connection settings need a port from 1 to 65535.');
  if (!SSL_MODES.includes(v.sslMode as SslMode)) throw new ConnectionError(`sslmode must be one of ${SSL_MODES.join(', ')}.`);
  if (v.password !== undefined && typeof v.password !== 'string')
    throw new ConnectionError('The connection settings hold a password that is not text.');
  if (v.applicationName !== undefined && typeof v.applicationName !== 'string')
    throw new ConnectionError('The application name is not text.');
  if (v.connectTimeout !== undefined && (typeof v.connectTimeout !== 'number' || !(v.connectTimeout > 0)))
    throw new ConnectionError('The connect timeout is not a positive number.');
  if (v.ssh !== undefined) checkSsh(v.ssh);
  return v as unknown as ConnectionSettings;
}

/** SSH settings as they cross into a worker: the shape ssh-tunnel.ts expects, nothing else. */
function checkSsh(value: unknown): asserts value is SshSettings {
  const s = (value ?? {}) as Record<string, unknown>;
  const str = (k: string) => typeof s[k] === 'string' && (s[k] as string) !== '' && !/[\u0000-\u001f\u007f]/.test(s[k] as string);
  if (typeof value !== 'object' || value === null) throw new ConnectionError('The SSH settings are not readable.');
  if (!str('host') || !str('user')) throw new ConnectionError('The SSH settings need a host and a user, without control characters.');
  if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
    throw new ConnectionError('The SSH settings need a port from 1 to 65535.');
  if (!Array.isArray(s.knownHosts) || !s.knownHosts.every((f) => typeof f === 'string'))
    throw new ConnectionError('The SSH settings name no known_hosts files.');
  for (const k of ['agent', 'keyFile', 'passphrase', 'password', 'knownHostsAdd', 'acceptHostKey'] as const) {
    if (s[k] !== undefined && typeof s[k] !== 'string') throw new ConnectionError(`The SSH setting ${k} is not text.`);
    refuseNul(`SSH ${k}`, s[k] as string | undefined);
  }
}

function pgpassLookup(info: { host: string; port: number; database: string; user: string }): Promise<string | undefined> {
  const pgPass = requireCjs('pgpass') as (i: object, cb: (pass?: string) => void) => void;
  return new Promise((resolve) => pgPass(info, resolve));
}

function checkParams(url: string, allowFiles: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionError('The connection string is not a valid URL. Use postgres://user@host:5432/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConnectionError(`Unsupported connection URL scheme "${parsed.protocol}". Use postgres://user@host:5432/database`);
  }
  for (const key of parsed.searchParams.keys()) {
    if (FILE_PARAMS.has(key) && !allowFiles) throw new ConnectionError(`The parameter "${key}" names a file and is not accepted here.`);
    if (!SAFE_PARAMS.has(key) && !FILE_PARAMS.has(key)) throw new ConnectionError(`Unknown connection parameter "${key}".`);
  }
  const mode = parsed.searchParams.get('sslmode');
  if (mode && !SSL_MODES.includes(mode as SslMode))
    throw new ConnectionError(`sslmode must be one of ${SSL_MODES.join(', ')}; got "${mode}".`);
}

interface Resolved {
  config: pg.ClientConfig;
  sslMode: SslMode;
  host: string;
  port: number;
  user: string;
  database: string;
  ssh?: SshSettings;
}

/** The ssl option of node-postgres for an sslmode (and the files a CLI URL named). */
function sslOption(sslMode: SslMode, host: string, files: { ca?: string; cert?: string; key?: string } = {}): pg.ClientConfig['ssl'] {
  if (host.startsWith('/') || sslMode === 'disable' || sslMode === 'allow') return false;
  if (sslMode === 'prefer' || (sslMode === 'require' && !('ca' in files))) return { ...files, rejectUnauthorized: false };
  if (sslMode === 'require' || sslMode === 'verify-ca') return { ...files, checkServerIdentity: () => undefined };
  return { ...files };
}

/** A password given, else ~/.pgpass's for exactly this server (as libpq looks it up); through a tunnel
 *  only a password given. */
function passwordOrPgpass(
  password: string | undefined,
  info: { host: string; port: number; database: string; user: string },
  tunneled: boolean,
): pg.ClientConfig['password'] {
  if (tunneled) return password ?? '';
  return password ?? (async () => (await pgpassLookup(info)) ?? '');
}

/** Saved settings → node-postgres fields: the connection is exactly what was saved (a missing password
 *  is looked up in ~/.pgpass for exactly this server, as libpq does). */
function resolveSettings(s: ConnectionSettings, options: ConnectionOptions): Resolved {
  const host = s.host.replace(/^\[(.*)\]$/, '$1');
  for (const [what, value] of [
    ['host', host],
    ['database name', s.database],
    ['user name', s.user],
    ['password', s.password],
    ['application name', s.applicationName],
  ] as const)
    refuseNul(what, value);
  const { port, user, database, sslMode } = s;
  const config: pg.ClientConfig = {
    host,
    port,
    user,
    database,
    ssl: sslOption(sslMode, host),
    application_name: s.applicationName ?? options.applicationName ?? 'mr4',
    connectionTimeoutMillis: (s.connectTimeout ?? 10) * 1000,
    password: passwordOrPgpass(s.password || undefined, { host, port, database, user }, !!s.ssh),
  };
  return { config, sslMode, host, port, user, database, ...(s.ssh ? { ssh: s.ssh } : {}) };
}

export function resolveConnection(url: string | undefined, options: ConnectionOptions = {}): Resolved {
  if (url?.startsWith(SETTINGS_PREFIX)) return resolveSettings(decodeSettings(url), options);
  const env = options.env ?? process.env;
  const source = url ?? env.DATABASE_URL;
  let fromUrl: ReturnType<typeof parse> = {} as ReturnType<typeof parse>;
  if (source) {
    checkParams(source, options.allowFileParams ?? false);
    try {
      fromUrl = parse(source, { useLibpqCompat: true });
    } catch (error) {
      throw new ConnectionError(`Cannot use the connection string: ${(error as Error).message}`);
    }
  }
  const host = fromUrl.host || env.PGHOST || 'localhost';
  const port = Number(fromUrl.port || env.PGPORT || 5432);
  const user = fromUrl.user || env.PGUSER || env.USER || 'postgres';
  const database = fromUrl.database || env.PGDATABASE || user;
  // pg-connection-string gives '' for a URL without a password: libpq treats that as none.
  const password = fromUrl.password || env.PGPASSWORD || undefined;
  const sslMode = ((fromUrl as { sslmode?: string }).sslmode ?? env.PGSSLMODE ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslMode)) throw new ConnectionError(`PGSSLMODE must be one of ${SSL_MODES.join(', ')}; got "${sslMode}".`);
  const parsedSsl = typeof fromUrl.ssl === 'object' && fromUrl.ssl ? fromUrl.ssl : {};
  const fromParse: { ca?: string; cert?: string; key?: string } = {};
  if (parsedSsl.ca) fromParse.ca = parsedSsl.ca;
  if (parsedSsl.cert) fromParse.cert = parsedSsl.cert;
  if (parsedSsl.key) fromParse.key = parsedSsl.key;
  const ssl = sslOption(sslMode, host, fromParse);
  const options_ = (fromUrl as { options?: string }).options ?? env.PGOPTIONS;
  const applicationName = (fromUrl as { application_name?: string }).application_name ?? env.PGAPPNAME ?? options.applicationName ?? 'mr4';
  for (const [what, value] of [
    ['host', host],
    ['database name', database],
    ['user name', user],
    ['password', password],
    ['options', options_],
    ['application name', applicationName],
  ] as const)
    refuseNul(what, value);
  const config: pg.ClientConfig = {
    host,
    port,
    user,
    database,
    ssl,
    application_name: applicationName,
    connectionTimeoutMillis: Number((fromUrl as { connect_timeout?: string }).connect_timeout ?? env.PGCONNECT_TIMEOUT ?? 30) * 1000,
    options: options_,
    password: passwordOrPgpass(password, { host, port, database, user }, !!options.ssh),
  };
  if (options.ssh) checkSsh(options.ssh);
  return { config, sslMode, host, port, user, database, ...(options.ssh ? { ssh: options.ssh } : {}) };
}

const NO_SSL = /does not support SSL/i;
const NEEDS_SSL = /no pg_hba\.conf entry .*(no encryption|SSL off)/i;

export function describeConnectError(error: unknown, label: string): ConnectionError {
  // The tunnel's own errors (and the SSH server's refusal to reach the database) say it already.
  if (error instanceof ConnectionError) return error;
  const e = error as NodeJS.ErrnoException & { code?: string };
  const msg = e?.message ?? String(error);
  if (e?.code === 'ECONNREFUSED')
    return new ConnectionError(`Cannot reach ${label}: connection refused. Is the server running and listening there?`, error);
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return new ConnectionError(`Cannot reach ${label}: the host name does not resolve.`, error);
  if (e?.code === '28P01')
    return new ConnectionError(`The server refused the password for ${label}. Check it, or the entry in ~/.pgpass.`, error);
  if (/SASL|client password must be a string|password authentication/i.test(msg)) {
    return new ConnectionError(
      `The server at ${label} wants a password and none was given: put it in the URL, PGPASSWORD or ~/.pgpass.`,
      error,
    );
  }
  if (e?.code === '28000') return new ConnectionError(`The server refused ${label}: ${msg}`, error);
  if (e?.code === '3D000') return new ConnectionError(`Database not found on ${label}: ${msg}`, error);
  if (/self[- ]signed|certificate/i.test(msg))
    return new ConnectionError(
      `SSL certificate check failed for ${label}: ${msg}. Use sslmode=require to encrypt without verifying, as psql does.`,
      error,
    );
  if (/timeout/i.test(msg)) return new ConnectionError(`Timed out connecting to ${label}.`, error);
  return new ConnectionError(`Cannot connect to ${label}: ${msg}`, error);
}

export function dbTarget(url: string | undefined, options: ConnectionOptions = {}): DbTarget {
  const resolved = resolveConnection(url, options);
  const tunnel = resolved.ssh ? new SshTunnel(resolved.ssh) : null;
  const label = `${resolved.user}@${resolved.host}:${resolved.port}/${resolved.database}${resolved.ssh ? ` via SSH ${sshLabel(resolved.ssh)}` : ''}`;
  const attempt = async (ssl: pg.ClientConfig['ssl']) => {
    const client = new pg.Client({ ...resolved.config, ssl, ...(tunnel ? { stream: () => tunnel.socket() } : {}) });
    try {
      await client.connect();
      // A policy must never filter what mr4 reads or writes as a whole table: with it off, PostgreSQL
      // raises an error where row-level security would apply (as pg_dump does). A SET, not the
      // startup `options`, which connection poolers such as PgBouncer refuse.
      await client.query('SET row_security = off');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  };
  return {
    label,
    database: resolved.database,
    async connect() {
      const { sslMode, config } = resolved;
      try {
        return await attempt(config.ssl);
      } catch (error) {
        const msg = (error as Error)?.message ?? '';
        // libpq's prefer falls back to a plain connection, allow upgrades to SSL when plain is refused.
        if (sslMode === 'prefer' && NO_SSL.test(msg)) return attempt(false).catch((e) => Promise.reject(describeConnectError(e, label)));
        if (sslMode === 'allow' && NEEDS_SSL.test(msg))
          return attempt({ rejectUnauthorized: false }).catch((e) => Promise.reject(describeConnectError(e, label)));
        throw describeConnectError(error, label);
      }
    },
  };
}
