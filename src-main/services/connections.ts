// Saved connections: connections.json in the data folder (no passwords: those go to a secret store),
// written atomically; and "Test", which connects the way the engine does and plans the schema.
//
// A stored password belongs to the exact host, port, database and user it was saved for (secretFor):
// it is used for nothing else. Saving other server fields without a password drops it (the window
// asks again), and a Test of a draft that names a saved connection but another server gets no password.
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectionDraft, ConnectionTestResult, EnvTag, PasswordStore, SavedConnection } from '../../src-common/contract';
import { registerSecret, toUiError } from '../app/errors';
import type { SecretStore, SecretTarget } from '../app/types';
import { dbTarget, encodeSettings } from '../db/connect';
import type { PlanResult } from './engine-jobs';
import { randomId, readJsonFile, Serial, writeFileAtomic } from './fs-util';
import { startEngineJob } from './jobs';
import { badRequest, notFound } from './service-error';

export const TAG_COLORS: Record<EnvTag | 'none', string> = {
  dev: '#2e7d32',
  staging: '#d97706',
  production: '#c62828',
  none: '#6b7280',
};

export function defaultColor(tag: EnvTag | null): string {
  return TAG_COLORS[tag ?? 'none'];
}

/** A connection as kept in connections.json: what SavedConnection shows, without hasPassword, and the
 *  server its password was saved for (a password is used for exactly that server, nothing else). */
type StoredConnection = Omit<SavedConnection, 'hasPassword'> & { secretFor?: SecretTarget };

interface ConnectionsFile {
  version: 1;
  connections: StoredConnection[];
}

export interface ConnectionFields {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: SavedConnection['sslMode'];
}

/**
 * The connection for the engine (DbSpec.url) and for Test: its fields as fields (encodeSettings), never a
 * URL built from them, so no character of a host, database or user name can set a parameter. Holds the
 * password: never logged.
 */
export function connectionUrl(c: ConnectionFields, password?: string): string {
  return encodeSettings({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    sslMode: c.sslMode,
    ...(password ? { password } : {}),
    applicationName: 'MR4 Studio',
    connectTimeout: 10,
  });
}

/** Characters no host name, IP address or socket folder has; each would be URL syntax somewhere. */
const NOT_IN_A_HOST = /[\u0000-\u0020\u007f\[\]?#@/\\'"<>`{}|^,;=&%+!$*()]/;

/**
 * The host as the driver gets it, or a 400 saying why it is not one: a host name or IPv4 address, an
 * IPv6 address (brackets optional, a %zone allowed), or an absolute socket folder.
 */
export function checkHost(input: string): string {
  const host = input.trim();
  const refuse = (why: string) =>
    badRequest('Not a host name', `"${host.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?')}" is not a host name: ${why}`, 'Type the server\'s name or IP address only (e.g. db.example.org or 10.0.0.5); the port, database and user have their own fields.');
  if (host === '') throw refuse('it is empty.');
  if (host.startsWith('/')) {
    // A Unix-domain socket folder (e.g. /var/run/postgresql): a path, without control characters.
    if (/[\u0000-\u001f\u007f]/.test(host)) throw refuse('it contains a control character.');
    return host;
  }
  const bare = /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  const [address, zone, ...more] = bare.split('%');
  if (isIP(address) === 6 && more.length === 0 && (zone === undefined || /^[A-Za-z0-9_.-]{1,64}$/.test(zone))) return bare;
  if (bare.includes(':')) throw refuse('a host name has no ":" (put the port in the Port field; an IPv6 address must be complete).');
  if (NOT_IN_A_HOST.test(bare)) throw refuse('it contains characters a host name cannot have.');
  if (bare.length > 253) throw refuse('it is longer than 253 characters.');
  return bare;
}

/** The same, for a Test answer (a Test reports, it does not throw). */
function hostProblem(host: string): ConnectionTestResult | null {
  try {
    checkHost(host);
    return null;
  } catch (error) {
    return { ok: false, error: toUiError(error) };
  }
}

function targetOf(c: ConnectionFields): SecretTarget {
  return { host: c.host, port: c.port, database: c.database, user: c.user };
}

/** The same host, port, user and database: the only server a stored password may be sent to. */
export function sameServer(a: SecretTarget, b: SecretTarget): boolean {
  const bare = (host: string) => /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  return bare(a.host) === bare(b.host) && a.port === b.port && a.database === b.database && a.user === b.user;
}

/** A stored connection as the window sees it: secretFor is ours. */
function shown(c: StoredConnection, hasPassword: boolean): SavedConnection {
  const { secretFor: _bound, ...rest } = c;
  return { ...rest, hasPassword };
}

export interface ResolvedConnection {
  connection: SavedConnection;
  /** The connection for the engine (DbSpec.url): its settings as fields with the password inside
   *  (connectionUrl), not a postgres:// URL. Never logged. */
  url: string;
}

export class ConnectionService {
  private readonly file: string;
  private readonly serial = new Serial();
  private cache: StoredConnection[] | null = null;

  constructor(
    dataDir: string,
    private readonly stores: SecretStore[],
    private readonly changed: () => void,
  ) {
    this.file = join(dataDir, 'connections.json');
  }

  private async load(): Promise<StoredConnection[]> {
    if (!this.cache) {
      const data = await readJsonFile<ConnectionsFile>(this.file, { version: 1, connections: [] });
      this.cache = Array.isArray(data.connections) ? data.connections : [];
      // Saved before passwords were bound to their server: bound to the server saved with them.
      for (const c of this.cache) if (c.passwordStore && !c.secretFor) c.secretFor = targetOf(c);

    }
    return this.cache;
  }

  private async persist(list: StoredConnection[]): Promise<void> {
    const data: ConnectionsFile = { version: 1, connections: list };
    await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n', 0o600);
    this.cache = list;
    this.changed();
  }

  store(kind: PasswordStore | null | undefined): SecretStore | undefined {
    return kind ? this.stores.find((s) => s.kind === kind) : undefined;
  }

  defaultStore(): SecretStore {
    return this.stores[0];
  }

  /** Whether the stored password may be used for the connection's fields as they are now. */
  private bound(c: StoredConnection): boolean {
    return !!c.secretFor && sameServer(c.secretFor, c);
  }

  private async withPassword(c: StoredConnection): Promise<SavedConnection> {
    const store = this.bound(c) ? this.store(c.passwordStore) : undefined;
    const hasPassword = store ? (await store.get(c.id).catch(() => undefined)) !== undefined : false;
    return shown(c, hasPassword);
  }

  private async stored(id: string): Promise<StoredConnection> {
    const c = (await this.load()).find((x) => x.id === id);
    if (!c) throw notFound('connection', id);
    return c;
  }

  async list(): Promise<SavedConnection[]> {
    const list = await this.load();
    return Promise.all(list.map((c) => this.withPassword(c)));
  }

  async get(id: string): Promise<SavedConnection> {
    return this.withPassword(await this.stored(id));
  }

  /** The saved password of connection `of`, only for the server it was saved for (`server`, by default
   *  the connection's own fields as saved). */
  async password(of: Pick<SavedConnection, 'id'>, server?: SecretTarget): Promise<string | undefined> {
    const c = await this.stored(of.id);
    if (!this.bound(c) || (server && !sameServer(c.secretFor!, server))) return undefined;
    const store = this.store(c.passwordStore);
    const pw = store ? await store.get(c.id) : undefined;
    registerSecret(pw);
    return pw;
  }

  /** The connection and its settings (with the password) for the engine. */
  async resolve(id: string): Promise<ResolvedConnection> {
    const connection = await this.get(id);
    return { connection, url: connectionUrl(connection, await this.password(connection)) };
  }

  save(draft: ConnectionDraft, extra: { demo?: boolean } = {}): Promise<SavedConnection> {
    return this.serial.run(async () => {
      const list = [...(await this.load())];
      const now = new Date().toISOString();
      const at = draft.id ? list.findIndex((c) => c.id === draft.id) : -1;
      if (draft.id && at === -1 && !extra.demo) throw notFound('connection', draft.id);
      const old = at === -1 ? undefined : list[at];
      const id = old?.id ?? draft.id ?? randomId();
      const next: StoredConnection = {
        id,
        name: draft.name.trim() || draft.database,
        host: checkHost(draft.host),
        port: draft.port,
        database: draft.database,
        user: draft.user,
        sslMode: draft.sslMode,
        tag: draft.tag,
        color: draft.color ?? defaultColor(draft.tag),
        passwordStore: old?.passwordStore ?? null,
        demo: extra.demo ?? old?.demo ?? false,
        createdAt: old?.createdAt ?? now,
        updatedAt: now,
      };
      const password = draft.password === '' ? null : draft.password;
      // The old password was saved for the old server: another host, port, database or user drops it.
      const sameTarget = !!old && this.bound(old) && sameServer(old.secretFor!, next);
      if (password === null || (password === undefined && old?.passwordStore && !sameTarget)) {
        await this.store(old?.passwordStore)?.delete(id);
        next.passwordStore = null;
      } else if (typeof password === 'string') {
        registerSecret(password);
        const store = draft.passwordStore ? this.store(draft.passwordStore) : (this.store(old?.passwordStore) ?? this.defaultStore());
        if (!store) {
          throw badRequest('Password store not available', `Passwords cannot be kept in "${draft.passwordStore}" here.`, `Choose one of: ${this.stores.map((s) => s.kind).join(', ')}.`);
        }
        await store.set(id, password, targetOf(next));
        if (old?.passwordStore && old.passwordStore !== store.kind) await this.store(old.passwordStore)?.delete(id);
        next.passwordStore = store.kind;
        next.secretFor = targetOf(next);
      } else if (old?.passwordStore) {
        // The same server: the password stays, moved to another store if one was chosen.
        const store = this.store(old.passwordStore);
        const wanted = draft.passwordStore ? this.store(draft.passwordStore) : store;
        next.secretFor = old.secretFor;
        if (store && wanted && wanted !== store) {
          const pw = await store.get(id);
          if (pw !== undefined) {
            await wanted.set(id, pw, targetOf(next));
            await store.delete(id);
            next.passwordStore = wanted.kind;
          }
        }
      }
      if (!next.passwordStore) delete next.secretFor;
      if (at === -1) list.push(next);
      else list[at] = next;
      await this.persist(list);
      return this.withPassword(next);
    });
  }

  delete(id: string): Promise<{ ok: true }> {
    return this.serial.run(async () => {
      const list = await this.load();
      const c = list.find((x) => x.id === id);
      if (!c) throw notFound('connection', id);
      await this.store(c.passwordStore)?.delete(id);
      await this.persist(list.filter((x) => x.id !== id));
      return { ok: true as const };
    });
  }

  async duplicate(id: string): Promise<SavedConnection> {
    const c = await this.get(id);
    const pw = await this.password(c);
    const copy = await this.save({
      name: `${c.name} (copy)`.slice(0, 100),
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      sslMode: c.sslMode,
      tag: c.tag,
      color: c.color,
      ...(pw !== undefined ? { password: pw, passwordStore: c.passwordStore ?? undefined } : {}),
    });
    return copy;
  }

  /** Tests a saved connection, or a draft (with its password; or, when it names a saved connection and
   *  the same server, the saved one's). */
  async test(request: { id: string } | { draft: ConnectionDraft }): Promise<ConnectionTestResult> {
    let fields: ConnectionFields;
    let password: string | undefined;
    if ('id' in request) {
      const c = await this.get(request.id);
      fields = c;
      password = await this.password(c);
    } else {
      const { draft } = request;
      const problem = hostProblem(draft.host);
      if (problem) return problem;
      fields = { ...draft, host: checkHost(draft.host) };
      if (typeof draft.password === 'string' && draft.password !== '') password = draft.password;
      else if (draft.password === undefined && draft.id && (await this.load()).some((x) => x.id === draft.id)) {
        password = await this.password({ id: draft.id }, targetOf(fields));
      }
    }
    registerSecret(password);
    return testConnection(connectionUrl(fields, password));
  }
}

/** Connects (`url`: a URL, or connectionUrl's settings), reads version, size and table count, then plans
 *  the schema in a worker. */
export async function testConnection(url: string): Promise<ConnectionTestResult> {
  let client;
  try {
    client = await dbTarget(url, { allowFileParams: false }).connect();
  } catch (error) {
    return { ok: false, error: toUiError(error) };
  }
  let facts: { serverVersion: string; databaseSize: number; tableCount: number };
  try {
    client.on('error', () => undefined);
    const res = await client.query<{ v: string; s: string; t: string }>(
      `SELECT current_setting('server_version') AS v, pg_database_size(current_database())::text AS s,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p'))::text AS t`,
    );
    facts = { serverVersion: res.rows[0].v, databaseSize: Number(res.rows[0].s), tableCount: Number(res.rows[0].t) };
  } catch (error) {
    return { ok: false, error: toUiError(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
  let plan: NonNullable<ConnectionTestResult['plan']>;
  try {
    const result = await startEngineJob<PlanResult>({ kind: 'plan', db: { url, allowFileParams: false } }).result;
    const p = result.plan;
    plan = {
      ok: true,
      profile: p.profile,
      tables: p.tables.length,
      lateColumns: p.cycles.flatMap((c) => c.lateColumns),
      warnings: p.warnings.length + p.tables.reduce((n, t) => n + t.warnings.length, 0),
    };
  } catch (error) {
    const ui = toUiError(error);
    plan = { ok: false, profile: null, tables: 0, lateColumns: [], warnings: 0, error: ui.message };
  }
  return { ok: true, ...facts, plan };
}
