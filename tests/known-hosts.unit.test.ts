// known_hosts read as OpenSSH reads it (src-main/db/known-hosts.ts): plain and wildcard patterns,
// negation, [host]:port for ports other than 22, hashed names (HashKnownHosts), @revoked; the verdict
// for a presented key (known, unknown, changed, revoked); fingerprints as ssh-keygen prints them.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addKnownHost,
  fingerprintOf,
  hostFieldMatches,
  keyTypeOf,
  knownHostName,
  knownLinesFor,
  linesFor,
  preferKnownTypes,
  verdictFor,
} from '../src-main/db/known-hosts';
import { tempDir } from './helpers/temp';

const dir = tempDir('mr4-known-hosts-');
function key(name: string, type = 'ed25519'): { blob: Buffer; line: string; fingerprint: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const [t, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return {
    blob: Buffer.from(b64, 'base64'),
    line: `${t} ${b64}`,
    fingerprint: execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
      .toString()
      .split(/\s+/)[1],
  };
}
const a = key('a');
const b = key('b');
const r = key('r', 'rsa');

describe('known_hosts', () => {
  it('names hosts as OpenSSH files them and prints fingerprints as ssh-keygen does', () => {
    expect(knownHostName('Bastion.Example.org', 22)).toBe('bastion.example.org');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(knownHostName('[::1]', 2222)).toBe('[::1]:2222');
    expect(fingerprintOf(a.blob)).toBe(a.fingerprint);
    expect(fingerprintOf(r.blob)).toBe(r.fingerprint);
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(r.blob)).toBe('ssh-rsa');
  });

  it('matches patterns, wildcards, negation and hashed names', () => {
    expect(hostFieldMatches('db.example.org,10.0.0.5', 'db.example.org')).toBe(true);
    expect(hostFieldMatches('db.example.org,10.0.0.5', '10.0.0.5')).toBe(true);
    expect(hostFieldMatches('db.example.org', 'db.example.org.evil')).toBe(false);
    expect(hostFieldMatches('*.example.org', 'db.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org,!secret.example.org', 'secret.example.org')).toBe(false);
    expect(hostFieldMatches('db?.example.org', 'db1.example.org')).toBe(true);
    expect(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222')).toBe(false);
    expect(hostFieldMatches('DB.Example.org', 'db.example.org')).toBe(true);
    // What ssh-keygen -H writes.
    const file = join(dir, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2222 ${a.line}\ndb.example.org ${b.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'pipe' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(linesFor(text, file, '[127.0.0.1]:2222').map((l) => l.key)).toEqual([a.line.split(' ')[1]]);
    expect(linesFor(text, file, 'db.example.org').map((l) => l.key)).toEqual([b.line.split(' ')[1]]);
    expect(linesFor(text, file, 'other.example.org')).toEqual([]);
  });

  it('says known, unknown (with the types on file), changed and revoked', async () => {
    const file = join(dir, 'verdicts');
    writeFileSync(
      file,
      [
        `# comment`,
        `db.example.org ${a.line} comment`,
        `rsa.example.org ${r.line}`,
        `@revoked * ${b.line}`,
        `@cert-authority *.example.org ${b.line}`,
        `garbage`,
        '',
      ].join('\n'),
    );
    const at = (host: string, port = 22) => knownLinesFor([join(dir, 'missing'), file], host, port);
    expect(verdictFor(await at('db.example.org'), a.blob)).toMatchObject({ status: 'known', match: { file, line: 2 } });
    expect(verdictFor(await at('new.example.org'), a.blob)).toEqual({ status: 'unknown', otherTypes: [] });
    expect(verdictFor(await at('rsa.example.org'), a.blob)).toEqual({ status: 'unknown', otherTypes: ['ssh-rsa'] });
    expect(verdictFor(await at('db.example.org', 2222), a.blob).status).toBe('unknown');
    const changed = verdictFor(await at('db.example.org'), key('c').blob);
    expect(changed).toMatchObject({ status: 'changed', known: [{ file, line: 2, keyType: 'ssh-ed25519' }] });
    expect(verdictFor(await at('anything.example.org'), b.blob)).toMatchObject({ status: 'revoked', match: { line: 4 } });
    expect(preferKnownTypes(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'], ['ssh-rsa'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
    ]);
  });

  it('adds an accepted key on a line of its own, the file 0600', async () => {
    const file = join(dir, 'sub', 'known_hosts');
    await addKnownHost(file, '127.0.0.1', 2222, a.blob);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd());
    await addKnownHost(file, 'db.example.org', 22, b.blob);
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:2222 ${a.line}\ndb.example.org ${b.line}\n`);
    expect(verdictFor(await knownLinesFor([file], '127.0.0.1', 2222), a.blob).status).toBe('known');
  });
});
