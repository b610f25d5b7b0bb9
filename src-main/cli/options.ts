// Options every command shares, and the parsers that turn option text into job fields. Anything wrong
// here is a usage error (exit 2), found before any database is touched.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { HOST_KEY_FINGERPRINT } from '../../src-common/contract';
import { defaultDataDir } from '../services/data-dir';
import { readHost } from '../db/hosts';
import { defaultKnownHosts, loadSsh2, sshLabel, type SshSettings } from '../db/ssh-tunnel';
import type { DbSpec } from '../services/engine-jobs';
import { askSecret, canPrompt } from './prompt';

/** --ssh user@host[:port], read. */
export interface SshAddress {
  user: string;
  host: string;
  port: number;
}

export interface CommonOptions {
  db?: string;
  schema: string;
  config?: string;
  json?: boolean;
  ssh?: SshAddress;
  sshKey?: string;
  sshPassword?: boolean;
  sshAcceptHostKey?: string;
  /** The tunnel's settings, with its secrets: made before the action runs (sshSettings). */
  sshSettings?: SshSettings;
}

/** Exit codes of `mr4`. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage found after commander parsed the line (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const MAX_IDENTIFIER = 63;

function parseDb(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('give a connection URL, e.g. --db postgres://user@host:5432/dbname');
  return value.trim();
}

function parseSchema(value: string): string {
  if (!value) throw new InvalidArgumentError('give a schema name, e.g. --schema public');
  if (Buffer.byteLength(value) > MAX_IDENTIFIER) throw new InvalidArgumentError(`a schema name is at most ${MAX_IDENTIFIER} bytes`);
  return value;
}

/** "a,b, c" → ["a", "b", "c"]; empty names, duplicates and over-long names are refused. */
export function parseTables(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.length === 1 && names[0] === '')
    throw new InvalidArgumentError('give a comma-separated list of table names, e.g. --tables users,projects');
  const seen = new Set<string>();
  for (const n of names) {
    if (n === '')
      throw new InvalidArgumentError(`"${value}" has an empty table name; write names separated by single commas, e.g. users,projects`);
    if (n.includes('\u0000')) throw new InvalidArgumentError('a table name cannot contain a NUL byte');
    if (Buffer.byteLength(n) > MAX_IDENTIFIER) throw new InvalidArgumentError(`table name "${n}" is longer than ${MAX_IDENTIFIER} bytes`);
    if (seen.has(n)) throw new InvalidArgumentError(`table "${n}" is named twice`);
    seen.add(n);
  }
  return names;
}

/** Seconds (a positive number, fractions allowed) → milliseconds. */
export function parseSecondsToMs(value: string): number {
  const s = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !Number.isFinite(s) || s <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a number of seconds; give a positive number, e.g. 30`);
  }
  return Math.round(s * 1000);
}

export function parseNonEmpty(what: string) {
  return (value: string): string => {
    if (!value.trim()) throw new InvalidArgumentError(`give ${what}`);
    return value;
  };
}

/** user@host[:port] (user: the login name by default, as ssh; port 22); IPv6 as [addr]:port. */
export function parseSshAddress(value: string): SshAddress {
  const m = /^(?:([^@\s]+)@)?(\[[^\]]*\]|[^@:\s]+|[0-9A-Fa-f:.%]+)(?::(\d+))?$/.exec(value.trim());
  const example = 'give the SSH server as user@host or user@host:port, e.g. --ssh deploy@bastion.example.org:2222';
  if (!m) throw new InvalidArgumentError(example);
  const [, userGiven, hostGiven, portGiven] = m;
  const user = userGiven ?? (process.env.USER || userInfo().username);
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,63}$/.test(user))
    throw new InvalidArgumentError(
      `"${user.replace(/[\u0000-\u001f\u007f]/g, '?')}" is not an SSH user name (letters, digits, ., _, - and @)`,
    );
  const host = readHost(hostGiven);
  if (!host.ok) throw new InvalidArgumentError(`the SSH host is not a host name: ${host.why} ${example}`);
  const port = portGiven === undefined ? 22 : Number(portGiven);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`the SSH port must be 1 to 65535; ${example}`);
  return { user, host: host.host, port };
}

function parseFingerprint(value: string): string {
  if (!HOST_KEY_FINGERPRINT.test(value.trim()))
    throw new InvalidArgumentError('give the fingerprint as ssh prints it, e.g. SHA256:OVVVwFQBy1JgJfAOU/FCQMnBqzNswtYrO8elbEoUBks');
  return value.trim();
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db <url>',
      'database to use, e.g. postgres://user@host:5432/dbname (default: DATABASE_URL, else PGHOST, PGPORT, PGDATABASE, PGUSER as psql reads them; passwords from the URL, PGPASSWORD or ~/.pgpass)',
      parseDb,
    )
    .option('--schema <name>', 'schema to work on', parseSchema, 'public')
    .option('--config <file>', 'configuration file (JSON): natural keys, excluded tables and columns, declared references')
    .option('--json', 'print the result as one JSON object on stdout (no progress display)')
    .option(
      '--ssh <user@host[:port]>',
      'connect through an SSH tunnel; the host and port of --db are then the database as the SSH server sees it (e.g. 127.0.0.1:5432). Logs in with the SSH agent (SSH_AUTH_SOCK), --ssh-key or ~/.ssh/id_*, or --ssh-password',
      parseSshAddress,
    )
    .option('--ssh-key <file>', 'private key for the SSH login (its passphrase from MR4_SSH_PASSPHRASE, or asked on a terminal)')
    .option('--ssh-password', 'log in to the SSH server with a password (from MR4_SSH_PASSWORD, or asked on a terminal)')
    .option(
      '--ssh-accept-host-key <fingerprint>',
      "accept the SSH server's host key on a first connection if it has this fingerprint (SHA256:…, as the refusal printed it); it is then kept in the data folder's known_hosts",
      parseFingerprint,
    )
    .hook('preAction', async (_hooked, action) => {
      action.setOptionValue('sshSettings', await sshSettings(action.opts() as CommonOptions));
    });
}

/** The default identities ssh tries, the first that exists. */
function defaultIdentity(): string | undefined {
  const dir = join(process.env.HOME || homedir(), '.ssh');
  return ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(dir, n)).find((f) => existsSync(f));
}

/** Whether the key at `file` opens with `passphrase` (undefined: whether it needs none). */
async function keyOpens(data: Buffer, passphrase?: string): Promise<'yes' | 'needs-passphrase' | 'wrong-passphrase' | 'not-a-key'> {
  const parsed = (await loadSsh2()).utils.parseKey(data, passphrase);
  if (!(parsed instanceof Error)) return 'yes';
  if (/no passphrase given/i.test(parsed.message)) return 'needs-passphrase';
  if (/bad passphrase|integrity check failed/i.test(parsed.message)) return 'wrong-passphrase';
  return 'not-a-key';
}

/**
 * The SSH tunnel's settings from --ssh and its options: the agent when SSH_AUTH_SOCK is set, the key
 * (--ssh-key, else the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa) with its passphrase, the password;
 * known_hosts (~/.ssh/known_hosts and the data folder's). Secrets come from MR4_SSH_PASSPHRASE and
 * MR4_SSH_PASSWORD, or are asked for on a terminal (never taken from the command line, where other
 * users of the machine could read them). Anything missing is bad usage, found before anything connects.
 */
export async function sshSettings(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): Promise<SshSettings | undefined> {
  if (!opts.ssh) {
    if (opts.sshKey || opts.sshPassword || opts.sshAcceptHostKey)
      throw new UsageError('--ssh-key, --ssh-password and --ssh-accept-host-key go with --ssh user@host[:port].');
    return undefined;
  }
  const label = sshLabel(opts.ssh);
  const settings: SshSettings = { ...opts.ssh, ...defaultKnownHosts(defaultDataDir(env), env) };
  if (env.SSH_AUTH_SOCK) settings.agent = env.SSH_AUTH_SOCK;
  const keyFile = opts.sshKey ? resolve(opts.sshKey) : defaultIdentity();
  if (keyFile) {
    let data: Buffer | null = null;
    try {
      data = readFileSync(keyFile);
    } catch (error) {
      if (opts.sshKey)
        throw new UsageError(`--ssh-key: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
    if (data) {
      settings.keyFile = keyFile;
      if (env.MR4_SSH_PASSPHRASE !== undefined) settings.passphrase = env.MR4_SSH_PASSPHRASE;
      else if ((await keyOpens(data)) === 'needs-passphrase') {
        if (canPrompt()) {
          for (let attempt = 1; ; attempt++) {
            const passphrase = await askSecret(`Enter passphrase for key '${keyFile}': `);
            if ((await keyOpens(data, passphrase)) === 'yes') {
              settings.passphrase = passphrase;
              break;
            }
            if (attempt === 3) throw new UsageError(`The passphrase of the key ${keyFile} is wrong (3 tries).`);
            process.stderr.write('Wrong passphrase, try again.\n');
          }
        } else if (opts.sshKey) {
          throw new UsageError(
            `The key ${keyFile} is protected by a passphrase: set MR4_SSH_PASSPHRASE, or run mr4 on a terminal to be asked for it.`,
          );
        } else {
          // A default key we cannot open here: left to the agent, which may hold it.
          delete settings.keyFile;
        }
      }
    }
  }
  if (opts.sshPassword || env.MR4_SSH_PASSWORD !== undefined) {
    if (env.MR4_SSH_PASSWORD !== undefined) settings.password = env.MR4_SSH_PASSWORD;
    else if (canPrompt()) settings.password = await askSecret(`${label}'s password: `);
    else throw new UsageError('--ssh-password: set MR4_SSH_PASSWORD, or run mr4 on a terminal to be asked for the SSH password.');
  }
  if (!settings.agent && !settings.keyFile && !settings.password) {
    throw new UsageError(
      `No way to log in to the SSH server ${label}: give --ssh-key FILE, run an SSH agent (SSH_AUTH_SOCK), or use --ssh-password (MR4_SSH_PASSWORD).`,
    );
  }
  if (opts.sshAcceptHostKey) settings.acceptHostKey = opts.sshAcceptHostKey;
  return settings;
}

export function dbSpec(opts: CommonOptions): DbSpec {
  return { url: opts.db, allowFileParams: true, ...(opts.sshSettings ? { ssh: opts.sshSettings } : {}) };
}

export function configPath(opts: CommonOptions): string | undefined {
  return opts.config ? resolve(opts.config) : undefined;
}

/** Whether the user named a database at all (else libpq's defaults are tried). */
export function databaseNamed(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return !!(opts.db || env.DATABASE_URL || env.PGHOST || env.PGDATABASE);
}

/** Why an archive named on the command line cannot be opened, if it cannot (nothing is read). */
export function archiveFileProblem(path: string): string | null {
  const found = existsSync(path) ? statSync(path) : null;
  if (found?.isFile()) return null;
  const why = found?.isDirectory() ? 'that is a folder' : 'no such file';
  return `cannot open archive ${path}: ${why}.\nGive the path of a .tar.gz written by mr4 export.`;
}
