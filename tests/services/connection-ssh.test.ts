// The app's connections through an SSH tunnel (services level), against a real OpenSSH server started
// by the test on 127.0.0.1 with the throwaway PostgreSQL behind it: "Test" goes through the tunnel and
// says which step failed (SSH connect, host key, login, database); a first connection returns the host
// key's fingerprint and is accepted only with exactly that fingerprint (then kept in the data folder's
// known_hosts); a changed key is always refused; the key's passphrase and the SSH password live in the
// secret store, bound to the SSH host, port, user and login method, never in a file of the data folder;
// a database password is bound to the SSH hop too; an export job runs through the tunnel, which closes
// with it. Skipped, saying why, only where sshd cannot start.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionDraft, SshDraft } from '../../src-common/contract';
import { MemorySecretStore, PgpassSecretStore } from '../../src-main/services/secrets';
import { createTestDb, type TestDb } from '../helpers/db';
import { startSshServer, waitNoSessions } from '../helpers/ssh-server';
import { titled } from '../helpers/skip';
import { tempDir } from '../helpers/temp';
import { draftFor, filesContaining, makeApp, newDataDir, type TestApp, waitJob } from './helpers';

const started = await startSshServer();
const skipReason = started.ok ? '' : started.reason;
if (!started.ok) console.warn(`connection-ssh: skipped: ${skipReason}`);
const sshd = started.ok ? started.server : null;
afterAll(() => sshd?.stop());

const SAVED_HOME = process.env.HOME;
const SAVED_AGENT = process.env.SSH_AUTH_SOCK;
let home: string;
let data: string;
let app: TestApp;
let db: TestDb;

beforeAll(async () => {
  if (sshd) db = await createTestDb();
  if (sshd)
    await db.client.query(
      `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE); INSERT INTO item (code) SELECT 'c' || g FROM generate_series(1, 50) g;`,
    );
});
afterAll(async () => {
  await db?.drop();
  process.env.HOME = SAVED_HOME;
  if (SAVED_AGENT === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = SAVED_AGENT;
});

/** A HOME whose ~/.ssh holds the test keys, a fresh data folder, and an app over them. */
beforeEach(async () => {
  if (!sshd) return;
  home = tempDir('mr4-ssh-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  copyFileSync(sshd.keyFile, join(home, '.ssh', 'id_test'));
  copyFileSync(sshd.encryptedKeyFile, join(home, '.ssh', 'id_test_encrypted'));
  process.env.HOME = home;
  delete process.env.SSH_AUTH_SOCK;
  data = newDataDir();
  app = await makeApp({ dataDir: data, secrets: [new MemorySecretStore(), new PgpassSecretStore(join(home, '.pgpass'))] });
});
afterEach(async () => {
  await app?.shutdown();
});

function tunnel(extra: Partial<SshDraft> = {}): SshDraft {
  return { host: '127.0.0.1', port: sshd!.port, user: sshd!.user, auth: 'key', keyFile: 'id_test', ...extra };
}

function draft(name: string, ssh: SshDraft | null, extra: Partial<ConnectionDraft> = {}): ConnectionDraft {
  return { ...draftFor(db.url, name, 'dev'), ssh, ...extra };
}

function trust(): void {
  writeFileSync(join(data, 'known_hosts'), `${sshd!.knownHostsLine}\n`, { mode: 0o600 });
}

describe.skipIf(!sshd)(titled('connections through an SSH tunnel', skipReason), () => {
  it('a first Test shows the host key fingerprint; only exactly that fingerprint accepts it, and then it connects through the tunnel', async () => {
    const saved = await app.call('connections.save', draft('Through SSH', tunnel()));
    expect(saved.ssh).toEqual({
      host: '127.0.0.1',
      port: sshd!.port,
      user: sshd!.user,
      auth: 'key',
      keyFile: 'id_test',
      hasSecret: false,
      secretStore: null,
    });

    const first = await app.call('connections.test', { id: saved.id });
    expect(first).toMatchObject({
      ok: false,
      step: 'ssh-host-key',
      hostKey: { host: '127.0.0.1', port: sshd!.port, keyType: sshd!.hostKeyType, fingerprint: sshd!.fingerprint, status: 'unknown' },
    });
    expect(first.error).toMatchObject({ title: 'Unknown SSH host key', code: 'MR4_SSH_HOST_KEY_UNKNOWN' });
    expect(first.error!.message).toContain(sshd!.fingerprint);

    // A fingerprint the window made up (not the server's) accepts nothing.
    const other = 'SHA256:' + 'A'.repeat(43);
    const wrong = await app.call('connections.test', { id: saved.id, acceptHostKey: other });
    expect(wrong).toMatchObject({ ok: false, step: 'ssh-host-key', hostKey: { status: 'unknown' } });
    expect(wrong.error!.message).toContain(`The fingerprint accepted, ${other}, is not this one.`);
    expect((await app.fail('connections.test', { id: saved.id, acceptHostKey: 'MD5:00:11' })).status).toBe(400);

    const accepted = await app.call('connections.test', { id: saved.id, acceptHostKey: sshd!.fingerprint });
    expect(accepted, JSON.stringify(accepted.error)).toMatchObject({ ok: true, tableCount: 1, plan: { ok: true, tables: 1 } });
    expect(accepted.step).toBeUndefined();
    expect(readFileSync(join(data, 'known_hosts'), 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
    expect(sshd!.log()).toContain(`target 127.0.0.1 port ${new URL(db.url).port}`);

    // Known now: a plain Test connects, and so does a draft of the same server.
    expect((await app.call('connections.test', { id: saved.id })).ok).toBe(true);
    expect((await app.call('connections.test', { draft: draft('Draft', tunnel()) })).ok).toBe(true);
    await waitNoSessions(sshd!);
  });

  it('says which step failed: SSH connect, host key (changed: refused even when accepted), login, database', async () => {
    // SSH connect: nothing listens on that port.
    const closed = await app.call('connections.test', { draft: draft('x', tunnel({ port: 1 })) });
    expect(closed).toMatchObject({
      ok: false,
      step: 'ssh-connect',
      error: { title: 'Cannot reach the SSH server', code: 'MR4_SSH_CONNECT' },
    });
    expect(closed.error!.message).toMatch(/connection refused/);
    // A host that is no host name never leaves the app: refused by the request's schema, or by the check.
    expect((await app.fail('connections.test', { draft: draft('x', tunnel({ host: 'bastion;rm' })) })).status).toBe(400);
    const bad = await app.call('connections.test', { draft: draft('x', tunnel({ host: 'bastion:2222' })) });
    expect(bad).toMatchObject({ ok: false, step: 'ssh-connect', error: { title: 'Not an SSH host name' } });

    // Host key changed: another key of the same type on file for this server.
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd!.otherKeyLine()}\n`);
    for (const acceptHostKey of [undefined, sshd!.fingerprint]) {
      const changed = await app.call('connections.test', { draft: draft('x', tunnel()), ...(acceptHostKey ? { acceptHostKey } : {}) });
      expect(changed).toMatchObject({
        ok: false,
        step: 'ssh-host-key',
        hostKey: { status: 'changed', fingerprint: sshd!.fingerprint },
        error: { code: 'MR4_SSH_HOST_KEY_CHANGED', title: 'SSH host key CHANGED: refused' },
      });
      expect(changed.error!.message).toMatch(/HAS CHANGED.*man-in-the-middle/);
    }
    expect(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8')).toBe(`${sshd!.otherKeyLine()}\n`);
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${sshd!.knownHostsLine}\n`);

    // Login: a wrong passphrase, no passphrase, a key file that is not there, no agent.
    const wrongPass = await app.call('connections.test', { draft: draft('x', tunnel({ keyFile: 'id_test_encrypted', secret: 'not it' })) });
    expect(wrongPass).toMatchObject({ ok: false, step: 'ssh-auth', error: { title: 'SSH login refused', code: 'MR4_SSH_AUTH' } });
    expect(wrongPass.error!.message).toContain('The passphrase of the key ~/.ssh/id_test_encrypted is wrong');
    expect(JSON.stringify(wrongPass)).not.toContain('not it');
    const noPass = await app.call('connections.test', { draft: draft('x', tunnel({ keyFile: 'id_test_encrypted' })) });
    expect(noPass.error!.message).toContain('is protected by a passphrase, and none was given');
    const missing = await app.call('connections.test', { draft: draft('x', tunnel({ keyFile: 'id_missing' })) });
    expect(missing).toMatchObject({ ok: false, step: 'ssh-auth' });
    expect(missing.error!.message).toContain('The key file ~/.ssh/id_missing does not exist');
    const noAgent = await app.call('connections.test', { draft: draft('x', tunnel({ auth: 'agent', keyFile: undefined })) });
    expect(noAgent).toMatchObject({ ok: false, step: 'ssh-auth' });
    expect(noAgent.error!.message).toContain('SSH_AUTH_SOCK is not set');
    const right = await app.call('connections.test', {
      draft: draft('x', tunnel({ keyFile: 'id_test_encrypted', secret: sshd!.passphrase })),
    });
    expect(right.ok, JSON.stringify(right.error)).toBe(true);

    // Database: the tunnel is up, the database is not there (as the SSH server sees it).
    const noDb = await app.call('connections.test', { draft: draft('x', tunnel(), { database: 'no_such_db' }) });
    expect(noDb).toMatchObject({ ok: false, step: 'database', error: { title: 'Database not found' } });
    const noPort = await app.call('connections.test', { draft: draft('x', tunnel(), { port: 1 }) });
    expect(noPort).toMatchObject({ ok: false, step: 'database' });
    expect(noPort.error!.message).toMatch(/could not open a connection to the database at 127\.0\.0\.1:1/);
    await waitNoSessions(sshd!);
  });

  it('keeps the passphrase in the secret store, bound to the SSH host, port, user and method; never in a file; never ~/.pgpass', async () => {
    trust();
    const saved = await app.call(
      'connections.save',
      draft('Encrypted key', tunnel({ keyFile: 'id_test_encrypted', secret: sshd!.passphrase })),
    );
    expect(saved.ssh).toMatchObject({ hasSecret: true, secretStore: 'memory' });
    expect(JSON.stringify(await app.call('connections.list', {}))).not.toContain(sshd!.passphrase);
    expect(filesContaining(data, sshd!.passphrase)).toEqual([]);
    expect((await app.call('connections.test', { id: saved.id })).ok).toBe(true);
    // The saved passphrase serves a draft of the same login (the form leaves the field empty).
    expect(
      (await app.call('connections.test', { draft: { ...draft('x', tunnel({ keyFile: 'id_test_encrypted' })), id: saved.id } })).ok,
    ).toBe(true);

    // Another SSH port (or user, host, method) gets nothing, and saving it drops the passphrase.
    const elsewhere = await app.call('connections.test', {
      draft: { ...draft('x', tunnel({ keyFile: 'id_test_encrypted', port: 1 })), id: saved.id },
    });
    expect(elsewhere.step).toBe('ssh-connect');
    const moved = await app.call('connections.save', {
      ...draft('Encrypted key', tunnel({ keyFile: 'id_test_encrypted', user: 'someone-else' })),
      id: saved.id,
    });
    expect(moved.ssh).toMatchObject({ hasSecret: false, secretStore: null });
    // Saved again for the login, then forgotten with null; removing the tunnel drops it too.
    const again = await app.call('connections.save', {
      ...draft('Encrypted key', tunnel({ keyFile: 'id_test_encrypted', secret: sshd!.passphrase })),
      id: saved.id,
    });
    expect(again.ssh!.hasSecret).toBe(true);
    const forgot = await app.call('connections.save', {
      ...draft('Encrypted key', tunnel({ keyFile: 'id_test_encrypted', secret: null })),
      id: saved.id,
    });
    expect(forgot.ssh!.hasSecret).toBe(false);
    const direct = await app.call('connections.save', { ...draft('Encrypted key', null), id: saved.id });
    expect(direct.ssh).toBeNull();

    // ~/.pgpass is for database passwords: an SSH secret never goes there, nor a tunneled connection's password.
    const viaPgpass = await app.call(
      'connections.save',
      draft('pgpass', tunnel({ keyFile: 'id_test_encrypted', secret: sshd!.passphrase }), { passwordStore: 'memory' }),
    );
    expect(viaPgpass.ssh!.secretStore).toBe('memory');
    const refused = await app.fail('connections.save', draft('pgpass', tunnel(), { password: 'db-secret', passwordStore: 'pgpass' }));
    expect(refused.status).toBe(400);
    expect(refused.error.title).toBe('Not for ~/.pgpass');
    expect(filesContaining(home, sshd!.passphrase)).toEqual([]);

    // A key file is named in ~/.ssh, never given as a path.
    for (const keyFile of ['../id_test', '/etc/passwd', '.hidden', 'a/b']) {
      expect((await app.fail('connections.save', draft('x', tunnel({ keyFile })))).status, keyFile).toBe(400);
    }
    for (const bad of [
      { host: 'host\nname' },
      { user: 'me\u0000' },
      { host: 'a b' },
      { user: '-oProxyCommand=x' },
    ] as Partial<SshDraft>[]) {
      expect((await app.fail('connections.save', draft('x', tunnel(bad)))).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('a database password is bound to the SSH hop it was saved through', async () => {
    trust();
    const saved = await app.call('connections.save', draft('Bound', tunnel(), { password: 'db-pass-123' }));
    expect(saved.hasPassword).toBe(true);
    // The same database fields through another SSH server: the password is not sent there, and saving drops it.
    const other = { ...draft('Bound', tunnel({ port: sshd!.port + 1 })), id: saved.id };
    const moved = await app.call('connections.save', other);
    expect(moved.hasPassword).toBe(false);
    const direct = await app.call('connections.save', { ...draft('Bound', tunnel(), { password: 'db-pass-123' }), id: saved.id });
    expect(direct.hasPassword).toBe(true);
    expect((await app.call('connections.save', { ...draft('Bound', null), id: saved.id })).hasPassword).toBe(false);
  });

  it.skipIf(!sshd?.password)(titled('logs in with a saved SSH password', sshd?.password ? null : sshd?.passwordSkip), async () => {
    trust();
    const wrong = await app.call('connections.test', {
      draft: draft('x', tunnel({ auth: 'password', keyFile: undefined, secret: 'wrong-password' })),
    });
    expect(wrong).toMatchObject({ ok: false, step: 'ssh-auth' });
    expect(wrong.error!.message).toContain('tried the password');
    const saved = await app.call(
      'connections.save',
      draft('Password', tunnel({ auth: 'password', keyFile: undefined, secret: sshd!.password! })),
    );
    expect(saved.ssh).toMatchObject({ auth: 'password', keyFile: null, hasSecret: true });
    expect((await app.call('connections.test', { id: saved.id })).ok).toBe(true);
    expect(filesContaining(data, sshd!.password!)).toEqual([]);
    // Switching the method to a key drops the password (a password is not a passphrase).
    const key = await app.call('connections.save', { ...draft('Password', tunnel()), id: saved.id });
    expect(key.ssh).toMatchObject({ auth: 'key', hasSecret: false });
  });

  it('an export job runs through the tunnel, and the tunnel closes with it', async () => {
    trust();
    const saved = await app.call('connections.save', draft('Job source', tunnel()));
    const before = sshd!.log().split('server_request_direct_tcpip').length;
    const job = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: saved.id })).id);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(sshd!.log().split('server_request_direct_tcpip').length).toBeGreaterThan(before);
    await waitNoSessions(sshd!);

    // Into an unknown host, a job fails with the fingerprint and says to test the connection.
    writeFileSync(join(data, 'known_hosts'), '');
    const failed = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: saved.id })).id);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'MR4_SSH_HOST_KEY_UNKNOWN', title: 'Unknown SSH host key' });
    expect(failed.error!.message).toContain(sshd!.fingerprint);
    await waitNoSessions(sshd!);
  });
});
