// Saved connections: connections.json in the data folder (no passwords: those go to a secret store),
// written atomically; and "Test", which connects the way the engine does and plans the schema.
//
// A stored password belongs to the exact host, port, database and user it was saved for (secretFor),
// reached the same way (directly, or through the same SSH user, host and port): it is used for nothing
// else. Saving other server fields without a password drops it (the window asks again), and a Test of a
// draft that names a saved connection but another server gets no password.
//
// A connection may go through an SSH tunnel (src-main/db/ssh-tunnel.ts): the SSH host, port and user,
// and how to log in — the SSH agent (SSH_AUTH_SOCK of the app's process), a private key in ~/.ssh (named
// by its file name only: a window never hands the app a path), or a password. The key's passphrase or
// the SSH password goes to the same secret stores as database passwords (never ~/.pgpass, whose lines
// are read by libpq as database passwords), bound the same way to the exact SSH host, port, user and
// login method it was saved for. Host keys are checked against ~/.ssh/known_hosts and the data folder's
// known_hosts; a Test may accept an unknown key by its fingerprint (added to the data folder's file).
import { homedir } from 'node:os';
import { join } from 'node:path';
import type {
  ConnectionDraft,
  ConnectionTestResult,
  EnvTag,
  PasswordStore,
  SavedConnection,
  SavedSsh,
  SshAuthMethod,
  SshDraft,
} from '../../src-common/contract';
import { registerSecret } from './secret-scrubber';
import { toUiError } from './ui-error';
import type { SecretStore, SecretTarget } from './secrets';
import { dbTarget, encodeSettings } from '../db/connect';
import { SshError } from '../db/errors';
import { readHost } from '../db/hosts';
import { defaultKnownHosts, type SshSettings } from '../db/ssh-tunnel';
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

/** A connection's colour: always its tag's (a colour of its own could contradict the tag, e.g. a green
 *  dot beside a production badge), whatever a draft or an older connections file says. */
export function defaultColor(tag: EnvTag | null): string {
  return TAG_COLORS[tag ?? 'none'];
}

/** The server a database password was saved for: its fields, and the SSH hop it was reached through
 *  (`user@host:port`; absent for a direct connection). */
type BoundServer = SecretTarget & { via?: string };

/** The SSH login an SSH secret was saved for. */
interface SshTarget {
  host: string;
  port: number;
  user: string;
  auth: SshAuthMethod;
}

/** A connection's SSH tunnel as kept in connections.json: no secret, and the login its secret is for. */
type StoredSsh = Omit<SavedSsh, 'hasSecret'> & { secretFor?: SshTarget };

/** A connection as kept in connections.json: what SavedConnection shows, without hasPassword, and the
 *  server its password was saved for (a password is used for exactly that server, nothing else). */
type StoredConnection = Omit<SavedConnection, 'hasPassword' | 'ssh'> & { secretFor?: BoundServer; ssh?: StoredSsh | null };

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
  /** Through this SSH tunnel (with its secret). */
  ssh?: SshSettings;
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
    ...(c.ssh ? { ssh: c.ssh } : {}),
  });
}

/**
 * The host as the driver gets it, or a 400 saying why it is not one: a host name or IPv4 address, an
 * IPv6 address (brackets optional, a %zone allowed), or an absolute socket folder.
 */
export function checkHost(input: string): string {
  const read = readHost(input, { socketFolder: true });
  if (read.ok) return read.host;
  throw badRequest(
    'Not a host name',
    `"${read.host.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?')}" is not a host name: ${read.why}`,
    "Type the server's name or IP address only (e.g. db.example.org or 10.0.0.5); the port, database and user have their own fields.",
  );
}

/** The SSH server's host, as checkHost (no socket folder), or a 400 saying why it is not one. */
export function checkSshHost(input: string): string {
  const read = readHost(input);
  if (read.ok) return read.host;
  throw badRequest(
    'Not an SSH host name',
    `The SSH host "${read.host.slice(0, 80).replace(/[\u0000-\u001f\u007f]/g, '?')}" is not a host name: ${read.why}`,
    "Type the SSH server's name or IP address only (e.g. bastion.example.org); its port and user have their own fields.",
  );
}

/** The same, for a Test answer (a Test reports, it does not throw). */
function hostProblem(host: string, ssh: SshDraft | null | undefined): ConnectionTestResult | null {
  try {
    if (ssh) checkSshHost(ssh.host);
  } catch (error) {
    return { ok: false, step: 'ssh-connect', error: toUiError(error) };
  }
  try {
    checkHost(host);
    return null;
  } catch (error) {
    return { ok: false, ...(ssh ? { step: 'database' as const } : {}), error: toUiError(error) };
  }
}

const bareHost = (host: string) => (/^\[(.*)\]$/.exec(host)?.[1] ?? host).toLowerCase();

/** `user@host:port` of an SSH hop, as a password's binding names it. */
function viaOf(ssh: { host: string; port: number; user: string } | null | undefined): string | undefined {
  return ssh ? `${ssh.user}@${bareHost(ssh.host)}:${ssh.port}` : undefined;
}

function targetOf(c: {
  host: string;
  port: number;
  database: string;
  user: string;
  ssh?: { host: string; port: number; user: string } | null;
}): BoundServer {
  const via = viaOf(c.ssh);
  return { host: c.host, port: c.port, database: c.database, user: c.user, ...(via ? { via } : {}) };
}

/** The same host, port, user and database, reached the same way (directly or through the same SSH
 *  hop): the only server a stored password may be sent to. */
export function sameServer(a: BoundServer, b: BoundServer): boolean {
  const bare = (host: string) => /^\[(.*)\]$/.exec(host)?.[1] ?? host;
  return (
    bare(a.host) === bare(b.host) && a.port === b.port && a.database === b.database && a.user === b.user && (a.via ?? '') === (b.via ?? '')
  );
}

function sshTargetOf(s: { host: string; port: number; user: string; auth: SshAuthMethod }): SshTarget {
  return { host: s.host, port: s.port, user: s.user, auth: s.auth };
}

/** The same SSH host, port, user and login method: the only login an SSH secret may be used for. */
export function sameSshLogin(a: SshTarget, b: SshTarget): boolean {
  return bareHost(a.host) === bareHost(b.host) && a.port === b.port && a.user === b.user && a.auth === b.auth;
}

/** Where a connection's SSH secret is kept in a store (beside its database password). */
const sshSecretId = (connectionId: string) => `${connectionId}.ssh`;

/** A stored connection as the window sees it: secretFor is ours. */
function shown(c: StoredConnection, hasPassword: boolean, hasSshSecret: boolean): SavedConnection {
  const { secretFor: _bound, ssh, ...rest } = c;
  let shownSsh: SavedSsh | null = null;
  if (ssh) {
    const { secretFor: _sshBound, ...sshRest } = ssh;
    shownSsh = { ...sshRest, hasSecret: hasSshSecret };
  }
  // The colour is the tag's, also for a connection saved with a colour of its own by an older version.
  return { ...rest, color: defaultColor(c.tag), ssh: shownSsh, hasPassword };
}

const KEY_FILE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

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
    private readonly dataDir: string,
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

  /** Where an SSH secret goes: the store asked for, else the default, but never ~/.pgpass (libpq would
   *  read its line as a database password). */
  private sshStore(preferred: PasswordStore | null | undefined): SecretStore {
    const wanted = preferred && preferred !== 'pgpass' ? this.store(preferred) : undefined;
    const store = wanted ?? this.stores.find((s) => s.kind !== 'pgpass');
    if (!store)
      throw badRequest(
        'No store for the SSH secret',
        'SSH passphrases and passwords cannot be kept in ~/.pgpass, and no other store is available.',
        'Keep the database password in another store.',
      );
    return store;
  }

  /** Whether the stored password may be used for the connection's fields as they are now. */
  private bound(c: StoredConnection): boolean {
    return !!c.secretFor && sameServer(c.secretFor, targetOf(c));
  }

  /** Whether the stored SSH secret may be used for the connection's SSH login as it is now. */
  private sshBound(c: StoredConnection): boolean {
    return !!c.ssh?.secretStore && !!c.ssh.secretFor && sameSshLogin(c.ssh.secretFor, sshTargetOf(c.ssh));
  }

  private async withPassword(c: StoredConnection): Promise<SavedConnection> {
    const store = this.bound(c) ? this.store(c.passwordStore) : undefined;
    const hasPassword = store ? (await store.get(c.id).catch(() => undefined)) !== undefined : false;
    const sshStore = this.sshBound(c) ? this.store(c.ssh!.secretStore) : undefined;
    const hasSshSecret = sshStore ? (await sshStore.get(sshSecretId(c.id)).catch(() => undefined)) !== undefined : false;
    return shown(c, hasPassword, hasSshSecret);
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
  async password(of: Pick<SavedConnection, 'id'>, server?: BoundServer): Promise<string | undefined> {
    const c = await this.stored(of.id);
    if (!this.bound(c) || (server && !sameServer(c.secretFor!, server))) return undefined;
    const store = this.store(c.passwordStore);
    const pw = store ? await store.get(c.id) : undefined;
    registerSecret(pw);
    return pw;
  }

  /** The saved SSH passphrase or password of connection `of`, only for the SSH login it was saved for
   *  (`login`, by default the connection's own as saved). */
  async sshSecret(of: Pick<SavedConnection, 'id'>, login?: SshTarget): Promise<string | undefined> {
    const c = await this.stored(of.id);
    if (!this.sshBound(c) || (login && !sameSshLogin(c.ssh!.secretFor!, login))) return undefined;
    const secret = await this.store(c.ssh!.secretStore)?.get(sshSecretId(c.id));
    registerSecret(secret);
    return secret;
  }

  /** The tunnel's settings for the engine: how to log in (the agent of the app's own process, a key file
   *  in ~/.ssh, a password), the known_hosts files, and a host key accepted by its fingerprint. */
  sshSettings(
    ssh: Pick<SavedSsh, 'host' | 'port' | 'user' | 'auth' | 'keyFile'>,
    secret: string | undefined,
    acceptHostKey?: string,
  ): SshSettings {
    const home = process.env.HOME || homedir();
    const settings: SshSettings = { host: ssh.host, port: ssh.port, user: ssh.user, ...defaultKnownHosts(this.dataDir) };
    if (ssh.auth === 'agent') settings.agent = process.env.SSH_AUTH_SOCK ?? '';
    if (ssh.auth === 'key') {
      if (!ssh.keyFile || !KEY_FILE.test(ssh.keyFile))
        throw badRequest(
          'No key file',
          'The SSH tunnel logs in with a key, but names no key file in ~/.ssh.',
          'Choose the private key (e.g. id_ed25519) in the SSH tunnel section.',
        );
      settings.keyFile = join(home, '.ssh', ssh.keyFile);
      if (secret) settings.passphrase = secret;
    }
    if (ssh.auth === 'password') settings.password = secret ?? '';
    if (acceptHostKey) settings.acceptHostKey = acceptHostKey;
    registerSecret(secret);
    return settings;
  }

  /** The connection and its settings (with the password) for the engine. */
  async resolve(id: string): Promise<ResolvedConnection> {
    const c = await this.stored(id);
    const connection = await this.withPassword(c);
    const ssh = c.ssh ? this.sshSettings(c.ssh, await this.sshSecret(c)) : undefined;
    return { connection, url: connectionUrl({ ...connection, ssh }, await this.password(connection)) };
  }

  /** The SSH tunnel a draft asks for, checked (the window's schema already refused control characters). */
  private sshOf(draft: ConnectionDraft): StoredSsh | null {
    const d = draft.ssh;
    if (!d) return null;
    if (d.auth === 'key' && !d.keyFile)
      throw badRequest(
        'No key file',
        'The SSH tunnel logs in with a key: name the key file in ~/.ssh.',
        'Choose the private key (e.g. id_ed25519), or log in with the SSH agent or a password.',
      );
    return {
      host: checkSshHost(d.host),
      port: d.port,
      user: d.user,
      auth: d.auth,
      keyFile: d.auth === 'key' ? d.keyFile! : null,
      secretStore: null,
    };
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
        color: defaultColor(draft.tag),
        passwordStore: old?.passwordStore ?? null,
        ssh: this.sshOf(draft),
        demo: extra.demo ?? old?.demo ?? false,
        createdAt: old?.createdAt ?? now,
        updatedAt: now,
      };
      const password = draft.password === '' ? null : draft.password;
      // The old password was saved for the old server: another host, port, database, user or SSH hop drops it.
      const sameTarget = !!old && this.bound(old) && sameServer(old.secretFor!, targetOf(next));
      if (password === null || (password === undefined && old?.passwordStore && !sameTarget)) {
        await this.store(old?.passwordStore)?.delete(id);
        next.passwordStore = null;
      } else if (typeof password === 'string') {
        registerSecret(password);
        const store = draft.passwordStore ? this.store(draft.passwordStore) : (this.store(old?.passwordStore) ?? this.defaultStore());
        if (!store) {
          throw badRequest(
            'Password store not available',
            `Passwords cannot be kept in "${draft.passwordStore}" here.`,
            `Choose one of: ${this.stores.map((s) => s.kind).join(', ')}.`,
          );
        }
        if (store.kind === 'pgpass' && next.ssh) throw pgpassThroughTunnel();
        await store.set(id, password, targetOf(next));
        if (old?.passwordStore && old.passwordStore !== store.kind) await this.store(old.passwordStore)?.delete(id);
        next.passwordStore = store.kind;
        next.secretFor = targetOf(next);
      } else if (old?.passwordStore) {
        // The same server: the password stays, moved to another store if one was chosen.
        const store = this.store(old.passwordStore);
        const wanted = draft.passwordStore ? this.store(draft.passwordStore) : store;
        if (wanted?.kind === 'pgpass' && next.ssh) throw pgpassThroughTunnel();
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
      await this.saveSshSecret(id, draft, old, next);
      if (at === -1) list.push(next);
      else list[at] = next;
      await this.persist(list);
      return this.withPassword(next);
    });
  }

  /** The SSH passphrase or password, as the database password: kept for the same login, replaced by a
   *  new one, dropped when the SSH host, port, user or login method changes or the tunnel is removed. */
  private async saveSshSecret(
    id: string,
    draft: ConnectionDraft,
    old: StoredConnection | undefined,
    next: StoredConnection,
  ): Promise<void> {
    const oldSsh = old?.ssh ?? null;
    const ssh = next.ssh ?? null;
    const given = draft.ssh?.secret === '' ? null : draft.ssh?.secret;
    // An agent needs no secret: one given is not kept.
    const secret = ssh?.auth === 'agent' ? null : given;
    const sameLogin = !!old && !!ssh && this.sshBound(old) && sameSshLogin(oldSsh!.secretFor!, sshTargetOf(ssh));
    const forget = async () => {
      if (oldSsh?.secretStore) await this.store(oldSsh.secretStore)?.delete(sshSecretId(id));
    };
    if (!ssh || secret === null || (secret === undefined && !sameLogin)) {
      await forget();
      return;
    }
    if (typeof secret === 'string') {
      registerSecret(secret);
      const store = this.sshStore(draft.passwordStore ?? oldSsh?.secretStore ?? next.passwordStore);
      await store.set(sshSecretId(id), secret);
      if (oldSsh?.secretStore && oldSsh.secretStore !== store.kind) await this.store(oldSsh.secretStore)?.delete(sshSecretId(id));
      ssh.secretStore = store.kind;
      ssh.secretFor = sshTargetOf(ssh);
      return;
    }
    // The same login, nothing new: the secret stays where it is.
    ssh.secretStore = oldSsh!.secretStore;
    ssh.secretFor = oldSsh!.secretFor;
  }

  delete(id: string): Promise<{ ok: true }> {
    return this.serial.run(async () => {
      const list = await this.load();
      const c = list.find((x) => x.id === id);
      if (!c) throw notFound('connection', id);
      await this.store(c.passwordStore)?.delete(id);
      if (c.ssh?.secretStore) await this.store(c.ssh.secretStore)?.delete(sshSecretId(id));
      await this.persist(list.filter((x) => x.id !== id));
      return { ok: true as const };
    });
  }

  async duplicate(id: string): Promise<SavedConnection> {
    const c = await this.get(id);
    const pw = await this.password(c);
    const sshSecret = c.ssh ? await this.sshSecret(c) : undefined;
    const copy = await this.save({
      name: `${c.name} (copy)`.slice(0, 100),
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      sslMode: c.sslMode,
      tag: c.tag,
      color: defaultColor(c.tag),
      ...(pw !== undefined ? { password: pw, passwordStore: c.passwordStore ?? undefined } : {}),
      ...(c.ssh
        ? {
            ssh: {
              host: c.ssh.host,
              port: c.ssh.port,
              user: c.ssh.user,
              auth: c.ssh.auth,
              ...(c.ssh.keyFile ? { keyFile: c.ssh.keyFile } : {}),
              ...(sshSecret !== undefined ? { secret: sshSecret } : {}),
            },
          }
        : {}),
    });
    return copy;
  }

  /** Tests a saved connection, or a draft (with its password; or, when it names a saved connection and
   *  the same server, the saved one's). Through its SSH tunnel, if it has one; `acceptHostKey` accepts
   *  an unknown SSH host key with exactly that fingerprint (added to the data folder's known_hosts). */
  async test(request: ({ id: string } | { draft: ConnectionDraft }) & { acceptHostKey?: string }): Promise<ConnectionTestResult> {
    let fields: ConnectionFields;
    let password: string | undefined;
    if ('id' in request) {
      const c = await this.stored(request.id);
      fields = { ...c, ssh: c.ssh ? this.sshSettings(c.ssh, await this.sshSecret(c), request.acceptHostKey) : undefined };
      password = await this.password(c);
    } else {
      const { draft } = request;
      const problem = hostProblem(draft.host, draft.ssh);
      if (problem) return problem;
      let ssh: StoredSsh | null;
      try {
        ssh = this.sshOf(draft);
      } catch (error) {
        return { ok: false, step: 'ssh-auth', error: toUiError(error) };
      }
      const saved = draft.id && (await this.load()).some((x) => x.id === draft.id) ? { id: draft.id } : null;
      let secret: string | undefined;
      if (ssh && ssh.auth !== 'agent') {
        if (typeof draft.ssh?.secret === 'string' && draft.ssh.secret !== '') secret = draft.ssh.secret;
        else if (draft.ssh?.secret === undefined && saved) secret = await this.sshSecret(saved, sshTargetOf(ssh));
      }
      fields = { ...draft, host: checkHost(draft.host), ssh: ssh ? this.sshSettings(ssh, secret, request.acceptHostKey) : undefined };
      if (typeof draft.password === 'string' && draft.password !== '') password = draft.password;
      else if (draft.password === undefined && saved) password = await this.password(saved, targetOf({ ...fields, ssh }));
    }
    registerSecret(password);
    return testConnection(connectionUrl(fields, password), !!fields.ssh);
  }
}

function pgpassThroughTunnel() {
  return badRequest(
    'Not for ~/.pgpass',
    "The password of a connection through an SSH tunnel cannot be kept in ~/.pgpass: its line would name the database as the SSH server sees it (often localhost), and psql would send it to this machine's own server.",
    "Keep it in the app's own store instead.",
  );
}

/** A failed test: what went wrong, at which step (for a tunneled connection), and an SSH host key the
 *  user may be asked to accept. */
function failed(error: unknown, tunneled: boolean): ConnectionTestResult {
  const result: ConnectionTestResult = { ok: false, error: toUiError(error) };
  if (error instanceof SshError) {
    result.step = error.step;
    if (error.hostKey) {
      const { host, port, keyType, fingerprint, status } = error.hostKey;
      result.hostKey = { host, port, keyType, fingerprint, status };
    }
  } else if (tunneled) result.step = 'database';
  return result;
}

/** Connects (`url`: a URL, or connectionUrl's settings), reads version, size and table count, then plans
 *  the schema in a worker. */
export async function testConnection(url: string, tunneled = false): Promise<ConnectionTestResult> {
  let client;
  try {
    client = await dbTarget(url, { allowFileParams: false }).connect();
  } catch (error) {
    return failed(error, tunneled);
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
    return failed(error, tunneled);
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
