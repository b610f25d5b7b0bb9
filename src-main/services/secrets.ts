// Secret stores for browser mode and the CLI: memory only (until quit), or the user's ~/.pgpass
// (opt-in), where libpq, psql and pgAdmin find the password too. The Electron door brings its own
// safeStorage store. A store never logs a password and never writes one to an MR4 file.
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PasswordStore } from '../../src-common/contract';
import { Serial, writeFileAtomic } from './fs-util';
import { badRequest } from './service-error';

/** Where a password is used: stores that key passwords by server (~/.pgpass) need it; others ignore it. */
export interface SecretTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Keeps connection passwords. Never writes them in clear, never logs them. */
export interface SecretStore {
  readonly kind: PasswordStore;
  /** Shown to the user when the protection is weak (e.g. safeStorage on basic_text). */
  readonly warning?: string;
  get(connectionId: string): Promise<string | undefined>;
  /** `target`: the connection's server fields (always passed by the services; a store may ignore it). */
  set(connectionId: string, password: string, target?: SecretTarget): Promise<void>;
  delete(connectionId: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory' as const;
  readonly warning?: string;
  private readonly secrets = new Map<string, string>();

  async get(connectionId: string): Promise<string | undefined> {
    return this.secrets.get(connectionId);
  }

  async set(connectionId: string, password: string): Promise<void> {
    this.secrets.set(connectionId, password);
  }

  async delete(connectionId: string): Promise<void> {
    this.secrets.delete(connectionId);
  }
}

/** ~/.pgpass (HOME respected), or %APPDATA%\postgresql\pgpass.conf on Windows, as libpq reads it. */
export function defaultPgpassPath(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'postgresql', 'pgpass.conf');
  return join(env.HOME || homedir(), '.pgpass');
}

/** A pgpass field: backslash and colon escaped with a backslash (libpq's rule; psql reads it back). */
export function escapePgpass(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

const PGPASS_FIELDS = ['host', 'port', 'database', 'user', 'password'] as const;

/**
 * Why `fields` (host, port, database, user, password) cannot be written as one safe ~/.pgpass line, or
 * null. libpq reads the file line by line, takes a line starting with # as a comment and a field of just
 * * as "any": a newline, carriage return, NUL or other control character would end the line or start
 * another entry (a host of `10.9.9.9\n*` would write a wildcard line giving the password to every
 * server), and escaping cannot help, so such values are refused.
 */
export function pgpassProblem(fields: readonly string[]): string | null {
  for (let i = 0; i < fields.length; i++) {
    const name = PGPASS_FIELDS[i] ?? `field ${i + 1}`;
    const value = fields[i];
    if (value === '') return `The ${name} is empty.`;
    const control = /[\u0000-\u001f\u007f]/.exec(value);
    if (control) {
      const what =
        control[0] === '\n'
          ? 'a newline'
          : control[0] === '\r'
            ? 'a carriage return'
            : control[0] === '\u0000'
              ? 'a NUL character'
              : 'a control character';
      return `The ${name} contains ${what}, which a ~/.pgpass line cannot hold.`;
    }
    if (i < 4 && value === '*') return `The ${name} is "*", which ~/.pgpass reads as "any ${name}".`;
  }
  if (/^\s*#/.test(fields[0] ?? '')) return 'The host starts with "#", which makes a ~/.pgpass line a comment.';
  return null;
}

/** A whole ~/.pgpass line for these fields, escaped; throws (saying why) for values it cannot hold. */
export function pgpassLine(fields: readonly string[]): string {
  const problem = pgpassProblem(fields);
  if (problem)
    throw badRequest(
      'Cannot be written to ~/.pgpass',
      `${problem} Nothing was written to ~/.pgpass.`,
      'Correct the connection, or keep its password in memory instead.',
    );
  return fields.map(escapePgpass).join(':');
}

/** The fields of a pgpass line, unescaped. */
export function splitPgpassLine(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (c === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  fields.push(current);
  return fields;
}

const MARKER = '# mr4-studio connection ';

/**
 * Keeps each password as one line of ~/.pgpass, `hostname:port:database:username:password`, right after
 * a comment line naming the MR4 connection it belongs to. Only those two lines are ever replaced or
 * removed; every other line of the file stays exactly as it was. The file is kept at mode 0600 (libpq
 * ignores it otherwise).
 */
export class PgpassSecretStore implements SecretStore {
  readonly kind = 'pgpass' as const;
  readonly warning =
    'Passwords are kept in clear text in your ~/.pgpass file (readable only by you, mode 0600), where psql finds them too.';
  private readonly serial = new Serial();

  constructor(private readonly path: string = defaultPgpassPath()) {}

  private async file(): Promise<string> {
    // Write through a symlinked ~/.pgpass (dotfile managers) rather than replacing the link.
    return realpath(this.path).catch(() => this.path);
  }

  private async lines(): Promise<{ lines: string[]; trailingNewline: boolean }> {
    let text = '';
    try {
      text = await readFile(await this.file(), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === '') return { lines: [], trailingNewline: true };
    const trailingNewline = text.endsWith('\n');
    const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n');
    return { lines, trailingNewline };
  }

  /** Index of the marker line for `id`, or -1. */
  private find(lines: string[], id: string): number {
    return lines.findIndex((l) => l.replace(/\r$/, '') === MARKER + id);
  }

  private without(lines: string[], id: string): string[] {
    const out = [...lines];
    for (let at = this.find(out, id); at !== -1; at = this.find(out, id)) {
      const next = out[at + 1];
      // Remove the marker and the entry that follows it (only if it is an entry, not someone's comment).
      const removeEntry = next !== undefined && next.trim() !== '' && !next.startsWith('#');
      out.splice(at, removeEntry ? 2 : 1);
    }
    return out;
  }

  private async write(lines: string[], trailingNewline: boolean): Promise<void> {
    const text = lines.length ? lines.join('\n') + (trailingNewline ? '\n' : '') : '';
    await writeFileAtomic(await this.file(), text, 0o600);
  }

  async get(connectionId: string): Promise<string | undefined> {
    const { lines } = await this.lines();
    const at = this.find(lines, connectionId);
    if (at === -1 || lines[at + 1] === undefined) return undefined;
    const fields = splitPgpassLine(lines[at + 1].replace(/\r$/, ''));
    return fields.length === 5 ? fields[4] : undefined;
  }

  set(connectionId: string, password: string, target?: SecretTarget): Promise<void> {
    return this.serial.run(async () => {
      if (!target) throw new Error("The ~/.pgpass store needs the connection's host, port, database and user.");
      // Checked before the file is read: nothing is written for a value that cannot be written safely.
      const entry = pgpassLine([target.host, String(target.port), target.database, target.user, password]);
      const { lines } = await this.lines();
      const kept = this.without(lines, connectionId);
      // A file without a final newline gets one before our lines, so no other line is changed.
      await this.write([...kept, MARKER + connectionId, entry], true);
    });
  }

  delete(connectionId: string): Promise<void> {
    return this.serial.run(async () => {
      const { lines, trailingNewline } = await this.lines();
      if (this.find(lines, connectionId) === -1) return;
      await this.write(this.without(lines, connectionId), trailingNewline);
    });
  }
}
