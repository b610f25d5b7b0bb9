// Saved connections: connections.json in the data folder (no passwords: those go to a secret store),
// written atomically; and "Test", which connects the way the engine does and plans the schema.
import { join } from 'node:path';
import type { ConnectionDraft, ConnectionTestResult, EnvTag, PasswordStore, SavedConnection } from '../../src-common/contract';
import { registerSecret, toUiError } from '../app/errors';
import type { SecretStore, SecretTarget } from '../app/types';
import { dbTarget } from '../db/connect';
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

/** A connection as kept in connections.json: what SavedConnection shows, without hasPassword. */
type StoredConnection = Omit<SavedConnection, 'hasPassword'>;

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

/** The postgres:// URL for the fields, every part encoded, sslmode as a parameter; never logged. */
export function connectionUrl(c: ConnectionFields, password?: string): string {
  const enc = encodeURIComponent;
  const host = c.host.includes(':') && !c.host.startsWith('[') ? `[${c.host}]` : c.host.startsWith('[') ? c.host : enc(c.host);
  const auth = password ? `${enc(c.user)}:${enc(password)}` : enc(c.user);
  const params = new URLSearchParams({ sslmode: c.sslMode, application_name: 'MR4 Studio', connect_timeout: '10' });
  return `postgres://${auth}@${host}:${c.port}/${enc(c.database)}?${params.toString()}`;
}

function targetOf(c: ConnectionFields): SecretTarget {
  return { host: c.host, port: c.port, database: c.database, user: c.user };
}

function sameServer(a: ConnectionFields, b: ConnectionFields): boolean {
  return a.host === b.host && a.port === b.port && a.database === b.database && a.user === b.user;
}

export interface ResolvedConnection {
  connection: SavedConnection;
  /** postgres:// URL with the password inside, for the engine. */
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

  private async withPassword(c: StoredConnection): Promise<SavedConnection> {
    const store = this.store(c.passwordStore);
    const hasPassword = store ? (await store.get(c.id).catch(() => undefined)) !== undefined : false;
    return { ...c, hasPassword };
  }

  async list(): Promise<SavedConnection[]> {
    const list = await this.load();
    return Promise.all(list.map((c) => this.withPassword(c)));
  }

  async get(id: string): Promise<SavedConnection> {
    const c = (await this.load()).find((x) => x.id === id);
    if (!c) throw notFound('connection', id);
    return this.withPassword(c);
  }

  async password(c: Pick<SavedConnection, 'id' | 'passwordStore'>): Promise<string | undefined> {
    const store = this.store(c.passwordStore);
    const pw = store ? await store.get(c.id) : undefined;
    registerSecret(pw);
    return pw;
  }

  /** The connection and its URL (with password) for the engine. */
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
        host: draft.host.trim(),
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
      if (password === null) {
        await this.store(old?.passwordStore)?.delete(id);
        next.passwordStore = null;
      } else if (typeof password === 'string') {
        registerSecret(password);
        const store = draft.passwordStore ? this.store(draft.passwordStore) : (this.store(old?.passwordStore) ?? this.defaultStore());
        if (!store) {
          throw badRequest('Password store not available', `Passwords cannot be kept in "${draft.passwordStore}" here.`, `Choose one of: ${this.stores.map((s) => s.kind).join(', ')}.`);
        }
        if (old?.passwordStore && old.passwordStore !== store.kind) await this.store(old.passwordStore)?.delete(id);
        await store.set(id, password, targetOf(next));
        next.passwordStore = store.kind;
      } else if (old?.passwordStore) {
        const store = this.store(old.passwordStore);
        const wanted = draft.passwordStore ? this.store(draft.passwordStore) : store;
        // Moving a kept password to another store, or a pgpass line to the connection's new server.
        if (store && wanted && (wanted !== store || !sameServer(old, next))) {
          const pw = await store.get(id);
          if (pw !== undefined) {
            if (wanted !== store) await store.delete(id);
            await wanted.set(id, pw, targetOf(next));
            next.passwordStore = wanted.kind;
          }
        }
      }
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

  /** Tests a saved connection, or a draft (with its password, or the saved one's when it has an id). */
  async test(request: { id: string } | { draft: ConnectionDraft }): Promise<ConnectionTestResult> {
    let fields: ConnectionFields;
    let password: string | undefined;
    if ('id' in request) {
      const c = await this.get(request.id);
      fields = c;
      password = await this.password(c);
    } else {
      fields = request.draft;
      if (typeof request.draft.password === 'string' && request.draft.password !== '') password = request.draft.password;
      else if (request.draft.password === undefined && request.draft.id) {
        const saved = (await this.load()).find((x) => x.id === request.draft.id);
        if (saved) password = await this.password(saved);
      }
    }
    registerSecret(password);
    return testConnection(connectionUrl(fields, password));
  }
}

/** Connects (no file parameters), reads version, size and table count, then plans the schema in a worker. */
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
