// Saved connections and their passwords: never in connections.json (or any file of the data folder),
// never in a list answer; ~/.pgpass written only where asked, 0600, other lines untouched. "Test"
// against real servers, and its errors in plain words.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgpassSecretStore, MemorySecretStore } from '../../src-main/services/secrets';
import { crearisSchemaSql } from '../helpers/engine';
import { createTestDb } from '../helpers/db';
import { freePort, startThrowawayServer, type ThrowawayServer } from '../helpers/pg-server';
import { tempDir } from '../helpers/temp';
import { draftFor, filesContaining, makeApp, newDataDir } from './helpers';

const PASSWORD = 'S3cret:pa\\ss word-ÄÖ';

let server: ThrowawayServer;
beforeAll(async () => {
  server = await startThrowawayServer({ password: PASSWORD });
});
afterAll(() => server?.stop());

describe('connections', () => {
  it('keeps a password in memory only: never listed, never in a file of the data folder', async () => {
    const dir = newDataDir();
    const app = await makeApp();
    const saved = await app.call('connections.save', draftFor(server.url, 'Password server', 'staging', PASSWORD));
    expect(saved).toMatchObject({ hasPassword: true, passwordStore: 'memory', color: '#d97706', demo: false });
    const list = await app.call('connections.list', {});
    expect(JSON.stringify(list)).not.toContain(PASSWORD);
    expect(list[0].hasPassword).toBe(true);
    expect(app.events.some((e) => e.type === 'connections.changed')).toBe(true);

    const tested = await app.call('connections.test', { id: saved.id });
    expect(tested.ok).toBe(true);
    expect(tested.serverVersion).toMatch(/^\d+/);

    const dup = await app.call('connections.duplicate', { id: saved.id });
    expect(dup).toMatchObject({ name: 'Password server (copy)', hasPassword: true });
    expect((await app.call('connections.test', { id: dup.id })).ok).toBe(true);

    // Changing fields without a password keeps it; null forgets it.
    const moved = await app.call('connections.save', { ...draftFor(server.url, 'Renamed', 'production'), id: saved.id });
    expect(moved).toMatchObject({ name: 'Renamed', hasPassword: true, color: '#c62828' });
    // The colour is always the tag's: a colour of its own in a draft is not kept.
    const green = await app.call('connections.save', { ...draftFor(server.url, 'Renamed', 'production'), id: saved.id, color: '#2e7d32' });
    expect(green.color).toBe('#c62828');
    const forgot = await app.call('connections.save', { ...draftFor(server.url, 'Renamed', 'production'), id: saved.id, password: null });
    expect(forgot.hasPassword).toBe(false);
    const t = await app.call('connections.test', { id: saved.id });
    expect(t.ok).toBe(false);
    expect(t.error?.title).toMatch(/password/i);

    expect(filesContaining(dir, PASSWORD)).toEqual([]);
    expect(filesContaining(dir, encodeURIComponent(PASSWORD))).toEqual([]);
    expect(readFileSync(join(dir, 'connections.json'), 'utf8')).toContain('Renamed');
    expect(statSync(join(dir, 'connections.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    await app.call('connections.delete', { id: dup.id });
    expect((await app.call('connections.list', {})).map((c) => c.id)).toEqual([saved.id]);
    expect((await app.fail('connections.delete', { id: dup.id })).status).toBe(404);
    await app.shutdown();
  });

  it('writes ~/.pgpass (HOME respected) only for its own line, mode 0600, escaping : and \\', async () => {
    const dir = newDataDir();
    const home = tempDir('mr4-home-');
    const others = '# my own servers\nprod.example.org:5432:app:alice:hunter2\n*:*:*:bob:x\\:y\n';
    writeFileSync(join(home, '.pgpass'), others, { mode: 0o600 });
    const oldHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const app = await makeApp({ secrets: [new MemorySecretStore(), new PgpassSecretStore()] });
      const saved = await app.call('connections.save', { ...draftFor(server.url, 'Via pgpass', 'dev', PASSWORD), passwordStore: 'pgpass' });
      expect(saved).toMatchObject({ hasPassword: true, passwordStore: 'pgpass' });
      const pgpass = join(home, '.pgpass');
      expect(statSync(pgpass).mode & 0o777).toBe(0o600);
      const text = readFileSync(pgpass, 'utf8');
      expect(text.startsWith(others)).toBe(true);
      const escaped = PASSWORD.replace(/[\\:]/g, (c) => `\\${c}`);
      expect(text).toContain(`127.0.0.1:${server.port}:postgres:postgres:${escaped}\n`);
      expect((await app.call('connections.test', { id: saved.id })).ok).toBe(true);

      // Saving again with a new password replaces its own line, and only that.
      const again = await app.call('connections.save', { ...draftFor(server.url, 'Via pgpass', 'dev', `${PASSWORD}2`), id: saved.id });
      expect(again).toMatchObject({ hasPassword: true, passwordStore: 'pgpass' });
      const after = readFileSync(pgpass, 'utf8');
      expect(after.startsWith(others)).toBe(true);
      expect(after).toContain(`127.0.0.1:${server.port}:postgres:postgres:${escaped}2\n`);
      expect(after.split('\n').filter((l) => l.includes(escaped))).toHaveLength(1);

      // Another port without a password: the line written for the old server is removed, not moved.
      const moved = await app.call('connections.save', {
        ...draftFor(server.url, 'Via pgpass', 'dev'),
        id: saved.id,
        port: server.port + 1,
      });
      expect(moved).toMatchObject({ hasPassword: false, passwordStore: null });
      expect(readFileSync(pgpass, 'utf8')).toBe(others);

      await app.call('connections.delete', { id: saved.id });
      expect(readFileSync(pgpass, 'utf8')).toBe(others);
      expect(filesContaining(dir, PASSWORD)).toEqual([]);
      await app.shutdown();
    } finally {
      process.env.HOME = oldHome;
    }
  });

  it('tests a real database: version, size, tables and plan', async () => {
    newDataDir();
    const db = await createTestDb(crearisSchemaSql);
    try {
      const app = await makeApp();
      const saved = await app.call('connections.save', draftFor(db.url, 'Crearis', 'dev'));
      const r = await app.call('connections.test', { id: saved.id });
      expect(r.ok).toBe(true);
      expect(r.serverVersion).toMatch(/^\d+/);
      expect(r.databaseSize).toBeGreaterThan(1000);
      expect(r.tableCount).toBeGreaterThan(10);
      expect(r.plan).toMatchObject({ ok: true, profile: 'crearis' });
      expect(r.plan!.tables).toBeGreaterThan(10);
      expect(Array.isArray(r.plan!.lateColumns)).toBe(true);
      // A draft tests without being saved.
      const d = await app.call('connections.test', { draft: draftFor(db.url, 'Draft', null) });
      expect(d.ok).toBe(true);
      expect(d.tableCount).toBe(r.tableCount);
      await app.shutdown();
    } finally {
      await db.drop();
    }
  });

  it('explains a wrong password, an unknown database and a refused port in plain words', async () => {
    newDataDir();
    const app = await makeApp();
    const wrong = await app.call('connections.test', { draft: draftFor(server.url, 'x', 'dev', 'not-the-password') });
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatchObject({ title: 'Wrong password', code: '28P01' });
    expect(wrong.error!.hint).toMatch(/password/);
    expect(wrong.error!.details).not.toContain('not-the-password');

    const none = await app.call('connections.test', { draft: { ...draftFor(server.url, 'x', 'dev', PASSWORD), database: 'no_such_db' } });
    expect(none.ok).toBe(false);
    expect(none.error).toMatchObject({ title: 'Database not found', code: '3D000' });
    expect(JSON.stringify(none)).not.toContain(PASSWORD);

    const port = await freePort();
    const refused = await app.call('connections.test', { draft: { ...draftFor(server.url, 'x', 'dev'), port } });
    expect(refused.ok).toBe(false);
    expect(refused.error!.title).toBe('Server not reachable');
    expect(refused.error!.hint).toMatch(/running/);
    await app.shutdown();
  });

  it('uses SSL modes as psql does: require accepts a self-signed server, disable is refused by an SSL-only one', async () => {
    newDataDir();
    const ssl = await startThrowawayServer({ ssl: true, sslOnly: true });
    try {
      const app = await makeApp();
      const required = await app.call('connections.test', { draft: { ...draftFor(ssl.url, 'ssl', 'dev'), sslMode: 'require' } });
      expect(required.ok, JSON.stringify(required.error)).toBe(true);
      const preferred = await app.call('connections.test', { draft: { ...draftFor(ssl.url, 'ssl', 'dev'), sslMode: 'prefer' } });
      expect(preferred.ok).toBe(true);
      const plain = await app.call('connections.test', { draft: { ...draftFor(ssl.url, 'ssl', 'dev'), sslMode: 'disable' } });
      expect(plain.ok).toBe(false);
      expect(plain.error!.title).toBe('Access refused');
      const verify = await app.call('connections.test', { draft: { ...draftFor(ssl.url, 'ssl', 'dev'), sslMode: 'verify-full' } });
      expect(verify.ok).toBe(false);
      expect(verify.error!.title).toBe('SSL certificate not trusted');
      await app.shutdown();
    } finally {
      ssl.stop();
    }
  });
});
