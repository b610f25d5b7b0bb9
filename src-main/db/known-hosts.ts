// known_hosts as OpenSSH reads it: one key per line, `patterns keytype base64 [comment]`, the patterns a
// comma-separated list (`*` and `?` wildcards, `!` negation) or one hashed name (`|1|salt|hmac`, what
// HashKnownHosts writes); `[host]:port` for a port other than 22; `@revoked` marks a key never to
// accept; `@cert-authority` lines (host certificates) are not used here. Fingerprints are written as
// OpenSSH prints them: `SHA256:` and the unpadded base64 of the key's SHA-256.
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostLine {
  file: string;
  /** 1-based. */
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  keyType: string;
  /** The key blob, base64 as in the file. */
  key: string;
}

export type HostKeyVerdict =
  /** A line for this host holds exactly this key. */
  | { status: 'known'; match: KnownHostLine }
  /** No line for this host holds a key of this type. `otherTypes`: the types it is known by. */
  | { status: 'unknown'; otherTypes: string[] }
  /** Lines for this host hold other keys of this type: the host's key changed (or someone is in between). */
  | { status: 'changed'; known: KnownHostLine[] }
  /** The key is marked @revoked. */
  | { status: 'revoked'; match: KnownHostLine };

/** `SHA256:…` of a key blob, as `ssh-keygen -l` and ssh print it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of a key blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > 64 || blob.length < 4 + n) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** The name a host is filed under: `host` for port 22, else `[host]:port` (lower case, as OpenSSH). */
export function knownHostName(host: string, port: number): string {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `*` and `?` wildcards, as OpenSSH's match_pattern (no other special characters). */
function wildcard(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(name);
}

/** Whether the host field of a line names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!pattern || !wildcard(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** The lines of `text` that name `name`. */
export function linesFor(text: string, file: string, name: string): KnownHostLine[] {
  const found: KnownHostLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    let marker: KnownHostLine['marker'] = '';
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') marker = parts.shift() as KnownHostLine['marker'];
    else if (parts[0].startsWith('@')) continue;
    const [hosts, keyType, key] = parts;
    if (!hosts || !keyType || !key) continue;
    if (!hostFieldMatches(hosts, name)) continue;
    found.push({ file, line: i + 1, marker, keyType, key });
  }
  return found;
}

async function readIfThere(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return '';
    throw error;
  }
}

/** Every line of `files` (missing ones are empty) that names the host. */
export async function knownLinesFor(files: readonly string[], host: string, port: number): Promise<KnownHostLine[]> {
  const name = knownHostName(host, port);
  const out: KnownHostLine[] = [];
  for (const file of files) out.push(...linesFor(await readIfThere(file), file, name));
  return out;
}

/** What known_hosts says about the key `blob` the server at host:port presented. */
export function verdictFor(lines: readonly KnownHostLine[], blob: Buffer): HostKeyVerdict {
  const type = keyTypeOf(blob);
  const b64 = blob.toString('base64');
  const revoked = lines.find((l) => l.marker === '@revoked' && l.key === b64);
  if (revoked) return { status: 'revoked', match: revoked };
  const plain = lines.filter((l) => l.marker === '');
  const match = plain.find((l) => l.key === b64);
  if (match) return { status: 'known', match };
  const sameType = plain.filter((l) => l.keyType === type);
  if (sameType.length) return { status: 'changed', known: sameType };
  return { status: 'unknown', otherTypes: [...new Set(plain.map((l) => l.keyType))] };
}

/** Host key algorithms with the types known for the host first (as OpenSSH orders them), so a server
 *  that has several keys shows the one on file rather than one never seen. */
export function preferKnownTypes(algorithms: readonly string[], knownTypes: readonly string[]): string[] {
  const typeOf = (alg: string) => (alg === 'rsa-sha2-512' || alg === 'rsa-sha2-256' ? 'ssh-rsa' : alg);
  const known = new Set(knownTypes);
  return [...algorithms.filter((a) => known.has(typeOf(a))), ...algorithms.filter((a) => !known.has(typeOf(a)))];
}

/** Adds the host's key to `file` (created 0600 in a 0700 folder if missing). */
export async function addKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const existing = await readIfThere(file);
  const lead = existing && !existing.endsWith('\n') ? '\n' : '';
  await appendFile(file, `${lead}${knownHostName(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
