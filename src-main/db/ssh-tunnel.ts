// SSH tunnels for database connections, with the pure-JavaScript `ssh2` client (no native build).
//
// Direct streams, not a local port: each database connection is one SSH channel ("direct-tcpip",
// as `ssh -W` makes) that node-postgres uses as its socket (its `stream` option). A local forward would
// listen on 127.0.0.1 while a job runs, where any other local user or process could reach the database
// through it as us (many servers trust connections from their own localhost); a channel is reachable by
// nothing but the connection it was opened for. node-postgres also keeps the database's own host name,
// so sslmode=verify-full checks the certificate against it, not against 127.0.0.1.
//
// One SSH connection per DbTarget (one per job, in the worker that runs it), opened for its first
// database connection and shared by the others (the cancel connection included); it is closed half a
// second after the last of them closes (long enough for sslmode=prefer's second attempt without SSL to
// reuse it), so the tunnel ends with the job, and with the process on any signal (the worker, and so its
// sockets, goes with it). Keep-alives (every 15 s, 3 unanswered end it) notice a dead
// link; the database connections then fail as a lost connection.
//
// The server's host key is checked against known_hosts (~/.ssh/known_hosts, the app's data folder's
// known_hosts, /etc/ssh/ssh_known_hosts) before anything else is sent: a key on file for the host goes
// through; an unknown key is refused with its fingerprint (SHA256:…, as OpenSSH prints it) unless the
// user accepted exactly that fingerprint, in which case it is added to the data folder's known_hosts; a
// key that differs from the one on file (changed) or is @revoked is always refused.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { Duplex } from 'node:stream';
import type { AuthMethod, Client } from 'ssh2';
import { ConnectionError, type HostKeyFacts, SshError } from './errors';
import { addKnownHost, fingerprintOf, keyTypeOf, knownHostName, knownLinesFor, preferKnownTypes, verdictFor } from './known-hosts';

/** ssh2, loaded on first use: a command that opens no tunnel does not pay for loading it. */
export async function loadSsh2(): Promise<(typeof import('ssh2'))['default']> {
  return (await import('ssh2')).default;
}

/** How to reach and log in to the SSH server. Holds secrets (passphrase, password): never log it. */
export interface SshSettings {
  host: string;
  port: number;
  user: string;
  /** The SSH agent's socket (SSH_AUTH_SOCK), when the agent may be asked. */
  agent?: string;
  /** A private key file (absolute path), and its passphrase if it is encrypted. */
  keyFile?: string;
  passphrase?: string;
  password?: string;
  /** known_hosts files read for the server's key, in order (missing ones are skipped). */
  knownHosts: string[];
  /** Where a host key accepted with acceptHostKey is added. */
  knownHostsAdd?: string;
  /** SHA256:… of a host key the user accepted after seeing it (a first connection). */
  acceptHostKey?: string;
  /** Seconds between keep-alives (default 15). */
  keepaliveSeconds?: number;
  /** Seconds to reach the server and finish the handshake (default 20). */
  connectTimeoutSeconds?: number;
}

/** The known_hosts files OpenSSH reads, plus the app's own (where keys accepted here are added). */
export function defaultKnownHosts(dataDir: string, env: NodeJS.ProcessEnv = process.env): { knownHosts: string[]; knownHostsAdd: string } {
  const home = env.HOME || homedir();
  const own = `${dataDir.replace(/[\\/]+$/, '')}/known_hosts`;
  return { knownHosts: [`${home}/.ssh/known_hosts`, own, '/etc/ssh/ssh_known_hosts'], knownHostsAdd: own };
}

/** user@host:port, for messages. */
export function sshLabel(s: Pick<SshSettings, 'host' | 'port' | 'user'>): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  return `${s.user}@${host}${s.port === 22 ? '' : `:${s.port}`}`;
}

/** How long an SSH connection without database connections stays open for the next one. */
const LINGER_MS = 500;

const SSH_SERVER_CLOSED = 'the SSH server closed the connection';

/** A socket error that is the server going away under a write (EPIPE) or a read (ECONNRESET): which
 *  of these or the close comes first is a race, and all say the same. */
function droppedBySshServer(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ECONNRESET' || /\b(EPIPE|ECONNRESET)\b/.test(error.message);
}

const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

function tilde(path: string): string {
  const home = process.env.HOME || homedir();
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** The private key, or why it cannot be used (said at the authentication step, as ssh does). */
async function loadKey(file: string, passphrase: string | undefined): Promise<{ key: Buffer } | { problem: string }> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem:
        code === 'ENOENT'
          ? `The key file ${tilde(file)} does not exist.`
          : `The key file ${tilde(file)} cannot be read (${code ?? (error as Error).message}).`,
    };
  }
  const parsed = (await loadSsh2()).utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    const m = parsed.message;
    if (/no passphrase given/i.test(m)) return { problem: `The key ${tilde(file)} is protected by a passphrase, and none was given.` };
    if (/bad passphrase|integrity check failed|decrypt/i.test(m)) return { problem: `The passphrase of the key ${tilde(file)} is wrong.` };
    return { problem: `${tilde(file)} is not a private key that can be used (${m}).` };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) return { problem: `${tilde(file)} holds a public key; give the private key (the file without .pub).` };
  return { key: data };
}

function hostKeyMessage(facts: HostKeyFacts, label: string, acceptedOther?: string): string {
  const name = knownHostName(facts.host, facts.port);
  if (facts.status === 'changed') {
    const known = (facts.known ?? []).map((k) => `${tilde(k.file)} line ${k.line} (${k.fingerprint})`).join(', ');
    const files = [...new Set((facts.known ?? []).map((k) => tilde(k.file)))];
    return (
      `WARNING: THE HOST KEY OF THE SSH SERVER ${label} HAS CHANGED. Someone may be intercepting the connection ` +
      `(a man-in-the-middle attack), or the server's key was replaced. The server now presents the ${facts.keyType} key ` +
      `${facts.fingerprint}; the key on file for ${name} is in ${known}. The connection was refused and nothing was sent. ` +
      `If the change is expected (ask the server's administrator), remove the old key with ${files.map((f) => `ssh-keygen -R '${name}' -f ${f}`).join(' and ')}, then connect again.`
    );
  }
  if (facts.status === 'revoked') {
    return `The SSH server ${label} presents the ${facts.keyType} key ${facts.fingerprint}, which known_hosts marks as revoked. The connection was refused.`;
  }
  return (
    `The authenticity of the SSH server ${label} cannot be established: its ${facts.keyType} key fingerprint is ${facts.fingerprint}, ` +
    `and no known_hosts file has a key for ${name}.` +
    (acceptedOther ? ` (The fingerprint accepted, ${acceptedOther}, is not this one.)` : '') +
    ` Check the fingerprint with the server's administrator (ssh-keygen -lf on the server's host key), then accept it.`
  );
}

function connectProblem(error: { message: string; code?: string | number; level?: string }, label: string): SshError {
  const code = typeof error.code === 'string' ? error.code : '';
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused. Is an SSH server listening there?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || error.level === 'client-dns'
        ? 'the host name does not resolve.'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
          ? 'the host is unreachable.'
          : error.level === 'client-timeout' || code === 'ETIMEDOUT'
            ? 'timed out.'
            : `${error.message}.`;
  return new SshError('ssh-connect', `Cannot reach the SSH server ${label}: ${why}`, undefined, error);
}

/** Opens and authenticates one SSH connection. */
async function openClient(s: SshSettings): Promise<Client> {
  const label = sshLabel(s);
  const lines = await knownLinesFor(s.knownHosts, s.host, s.port);
  const key = s.keyFile ? await loadKey(s.keyFile, s.passphrase) : null;
  const client = new (await loadSsh2()).Client();
  let hostKeyFailure: SshError | null = null;
  let agentProblem: string | null = s.agent === '' ? 'there is no SSH agent to ask: SSH_AUTH_SOCK is not set where mr4 runs' : null;
  const passwordMissing = s.password === '' ? 'no SSH password was given' : null;
  const tried: string[] = [];

  // Methods in order: the key named, the agent's keys, the password.
  const methods: (() => AuthMethod | null)[] = [];
  if (s.keyFile) {
    methods.push(() => {
      if (!key || 'problem' in key) return null;
      tried.push(`the key ${tilde(s.keyFile!)}`);
      return { type: 'publickey', username: s.user, key: key.key, ...(s.passphrase ? { passphrase: s.passphrase } : {}) };
    });
  }
  if (s.agent) {
    methods.push(() => {
      tried.push('the SSH agent’s keys');
      return { type: 'agent', username: s.user, agent: s.agent! };
    });
  }
  if (s.password) {
    methods.push(() => {
      tried.push('the password');
      return { type: 'password', username: s.user, password: s.password! };
    });
    // Servers that take passwords only through PAM's prompts (keyboard-interactive): the same password.
    methods.push(() => {
      if (!offered?.includes('keyboard-interactive')) return null;
      return {
        type: 'keyboard-interactive',
        username: s.user,
        prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => s.password!)),
      };
    });
  }
  let next = 0;
  let offered: string[] | null = null;

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      client.destroy();
      reject(error);
    };
    client.on('error', (error) => {
      if (error.level === 'agent') {
        agentProblem = `the SSH agent could not be asked (${error.message})`;
        return;
      }
      if (settled) return;
      if (hostKeyFailure) return fail(hostKeyFailure);
      if (error.level === 'client-authentication') {
        const keyProblem = key && 'problem' in key ? key.problem : null;
        if (keyProblem && tried.length === 0)
          return fail(new SshError('ssh-auth', `${keyProblem.replace(/\.$/, '')}: it cannot log in to the SSH server ${label}.`));
        const what = tried.length ? tried.join(', then ') : 'nothing';
        const notes = [keyProblem, agentProblem, passwordMissing].filter(Boolean).join('; ');
        return fail(
          new SshError(
            'ssh-auth',
            `The SSH server ${label} refused the login as ${s.user}: tried ${what}${notes ? ` (${notes})` : ''}.${offered ? ` The server accepts: ${offered.join(', ')}.` : ''}`,
          ),
        );
      }
      fail(connectProblem(error, label));
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      // Each query is a small write waiting for a small answer: with Nagle on, the SSH socket held
      // every such write for the server's delayed ACK (about 40 ms a statement).
      client.setNoDelay(true);
      resolve(client);
    });
    client.on('close', () => fail(new SshError('ssh-connect', `The SSH server ${label} closed the connection before the login finished.`)));
    try {
      client.connect({
        host: s.host,
        port: s.port,
        username: s.user,
        readyTimeout: (s.connectTimeoutSeconds ?? 20) * 1000,
        keepaliveInterval: (s.keepaliveSeconds ?? 15) * 1000,
        keepaliveCountMax: 3,
        algorithms: {
          serverHostKey: preferKnownTypes(
            HOST_KEY_ALGORITHMS,
            lines.filter((l) => l.marker === '').map((l) => l.keyType),
          ),
        },
        hostVerifier: (blob, verify) => {
          const verdict = verdictFor(lines, blob);
          if (verdict.status === 'known') return verify(true);
          const facts: HostKeyFacts = {
            host: s.host,
            port: s.port,
            keyType: keyTypeOf(blob),
            fingerprint: fingerprintOf(blob),
            status: verdict.status,
          };
          if (verdict.status === 'changed') {
            facts.known = verdict.known.map((k) => ({
              file: k.file,
              line: k.line,
              fingerprint: fingerprintOf(Buffer.from(k.key, 'base64')),
            }));
          }
          if (verdict.status === 'unknown' && s.acceptHostKey === facts.fingerprint) {
            // Accepted after the user saw this fingerprint: remembered, as OpenSSH's "Permanently added".
            const add = s.knownHostsAdd ? addKnownHost(s.knownHostsAdd, s.host, s.port, blob) : Promise.resolve();
            add.then(
              () => verify(true),
              (error) => {
                hostKeyFailure = new SshError(
                  'ssh-host-key',
                  `The accepted host key of ${label} could not be added to ${s.knownHostsAdd}: ${(error as Error).message}`,
                  facts,
                  error,
                );
                verify(false);
              },
            );
            return;
          }
          hostKeyFailure = new SshError(
            'ssh-host-key',
            hostKeyMessage(facts, label, verdict.status === 'unknown' ? s.acceptHostKey : undefined),
            facts,
          );
          verify(false);
        },
        authHandler: (methodsLeft, _partial, callback) => {
          if (methodsLeft) offered = methodsLeft;
          while (next < methods.length) {
            const method = methods[next++]();
            if (method) return callback(method);
          }
          callback(false);
        },
      });
    } catch (error) {
      fail(connectProblem(error as Error, label));
    }
  });
}

/**
 * One SSH connection, opened when the first socket needs it and closed when the last one closes.
 * `socket()` gives node-postgres a socket-like stream that opens its channel when pg connects it.
 */
export class SshTunnel {
  private client: Promise<Client> | null = null;
  private users = 0;
  private closing: NodeJS.Timeout | null = null;
  /** Why the SSH connection ended under open sockets (keep-alive timeout, the server went away). */
  private lostReason: string | null = null;

  constructor(readonly settings: SshSettings) {}

  get label(): string {
    return sshLabel(this.settings);
  }

  /** A socket for node-postgres's `stream` option. */
  socket(): TunnelSocket {
    return new TunnelSocket(this);
  }

  /** A channel to the database at host:port (or a Unix socket path) as the SSH server sees it. */
  async open(host: string, port: number | undefined): Promise<{ channel: Duplex; release: () => void }> {
    this.users++;
    if (this.closing) clearTimeout(this.closing);
    this.closing = null;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.users--;
      if (this.users === 0) this.closing = setTimeout(() => this.users === 0 && this.close(), LINGER_MS);
    };
    try {
      const client = await this.connection();
      const channel = await new Promise<Duplex>((resolve, reject) => {
        const done = (err: { message: string; reason?: string } | undefined, ch: Duplex) => {
          if (!err) return resolve(ch);
          const where = port === undefined ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
          reject(
            new ConnectionError(
              `The SSH server ${this.label} could not open a connection to the database at ${where} (it said: ${err.message.replace(/^\(SSH\) Channel open failure: /, '')}). ` +
                'Check the database host and port as the SSH server sees them (often 127.0.0.1 and 5432), and that the server allows TCP forwarding.',
              err,
            ),
          );
        };
        if (port === undefined) client.openssh_forwardOutStreamLocal(host, done);
        else client.forwardOut('127.0.0.1', 0, host, port, done);
      });
      return { channel, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  private connection(): Promise<Client> {
    if (!this.client) {
      const opening = openClient(this.settings);
      this.client = opening;
      opening.then(
        (client) => {
          const lost = (why: string) => {
            this.lostReason ??= why;
            if (this.client === opening) this.client = null;
          };
          client.on('error', (e) =>
            lost(e.level === 'client-timeout' ? 'no answer to keep-alives' : droppedBySshServer(e) ? SSH_SERVER_CLOSED : e.message),
          );
          client.on('close', () => lost(SSH_SERVER_CLOSED));
        },
        () => {
          if (this.client === opening) this.client = null;
        },
      );
    }
    return this.client;
  }

  /** The reason the SSH connection went away, for a database connection that broke with it. */
  lost(): string | null {
    return this.lostReason;
  }

  /** Ends the SSH connection (every channel with it). */
  close(): void {
    if (this.closing) clearTimeout(this.closing);
    this.closing = null;
    const opening = this.client;
    this.client = null;
    this.lostReason = null;
    opening?.then(
      (c) => c.end(),
      () => undefined,
    );
  }
}

/**
 * What node-postgres takes for a socket: connect(port, host) opens the channel (or, for a host that is
 * a socket folder, the Unix socket `host/.s.PGSQL.port`: pg passes it as one path), 'connect' when it
 * is open; data both ways; TLS (sslmode) wraps it like any socket.
 */
export class TunnelSocket extends Duplex {
  private channel: Duplex | null = null;
  private release: (() => void) | null = null;
  private ready: Promise<Duplex | null> | null = null;

  constructor(private readonly tunnel: SshTunnel) {
    super({ allowHalfOpen: false });
  }

  connect(port: number | string, host?: string): this {
    const target = typeof port === 'string' ? { host: port, port: undefined } : { host: host ?? 'localhost', port };
    this.ready = this.tunnel.open(target.host, target.port).then(
      ({ channel, release }) => {
        if (this.destroyed) {
          channel.destroy();
          release();
          return null;
        }
        this.channel = channel;
        this.release = release;
        channel.on('data', (chunk: Buffer) => {
          if (!this.push(chunk)) channel.pause();
        });
        channel.on('end', () => this.push(null));
        channel.on('close', () => {
          if (this.destroyed) return;
          const why = this.tunnel.lost();
          // A channel that closes under a live connection: the tunnel went away (pg says the
          // connection was lost; the reason names the tunnel).
          this.destroy(
            why ? Object.assign(new Error(`the SSH tunnel via ${this.tunnel.label} closed: ${why}`), { code: 'ECONNRESET' }) : undefined,
          );
        });
        channel.on('error', (error: Error) => this.destroy(error));
        this.emit('connect');
        return channel;
      },
      (error: Error) => {
        this.destroy(error);
        return null;
      },
    );
    return this;
  }

  override _read(): void {
    this.channel?.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const write = (channel: Duplex | null) => {
      if (!channel) return callback(new Error('The SSH channel is not open.'));
      channel.write(chunk, encoding, () => callback());
    };
    if (this.channel) write(this.channel);
    else if (this.ready) this.ready.then(write, callback);
    else callback(new Error('The SSH channel is not open.'));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel?.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.channel?.destroy();
    this.channel = null;
    this.release?.();
    this.release = null;
    callback(error);
  }

  // net.Socket's knobs, which pg calls: the SSH connection has its own keep-alives, and Nagle is off on
  // its socket (openClient).
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
