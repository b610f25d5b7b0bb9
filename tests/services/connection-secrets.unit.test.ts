// A saved password travels only to the server it was saved for; connection fields reach the server as
// fields (no character of a host, database or user name sets a parameter); ~/.pgpass lines are written
// with libpq's escaping and values that cannot be written safely are refused. Proven with fake servers
// that record what arrives (the startup parameters, SSL requests and every password sent); libpq itself
// reads the ~/.pgpass line back in pgpass-libpq.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionDraft, parseConnectionUrl } from '../../src-common/contract';
import { encodeSettings, resolveConnection } from '../../src-main/db/connect';
import { checkHost, connectionUrl, sameServer } from '../../src-main/services/connections';
import { escapePgpass, MemorySecretStore, PgpassSecretStore, pgpassProblem } from '../../src-main/services/secrets';
import { type FakePgServer, startFakePgServer } from '../helpers/fake-pg-server';
import { makeApp, newDataDir, type TestApp } from './helpers';

const SECRET = 'Bound-To-Its-Server:42';

function draftAt(port: number, extra: Partial<ConnectionDraft> = {}): ConnectionDraft {
  return { name: 'Saved', host: '127.0.0.1', port, database: 'app', user: 'alice', sslMode: 'disable', tag: 'dev', ...extra };
}

let first: FakePgServer;
let second: FakePgServer;
const homes: string[] = [];
const oldHome = process.env.HOME;

beforeAll(async () => {
  first = await startFakePgServer();
  second = await startFakePgServer();
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.env.HOME = oldHome;
  first.startups.length = 0;
  second.startups.length = 0;
});

/** A HOME of its own with an empty ~/.pgpass, so no line of the machine's can answer. */
function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'mr4-home-'));
  writeFileSync(join(home, '.pgpass'), '', { mode: 0o600 });
  homes.push(home);
  process.env.HOME = home;
  return home;
}

async function appWith(store: 'memory' | 'pgpass'): Promise<TestApp> {
  homes.push(newDataDir());
  return makeApp({ secrets: store === 'memory' ? [new MemorySecretStore()] : [new PgpassSecretStore(), new MemorySecretStore()] });
}

describe('a saved password is bound to its host, port, database and user', () => {
  for (const store of ['memory', 'pgpass'] as const) {
    it(`Test of a draft naming a saved connection but another server sends no password (${store} store)`, async () => {
      freshHome();
      const app = await appWith(store);
      try {
        const saved = await app.call('connections.save', { ...draftAt(first.port, { password: SECRET }), passwordStore: store });
        expect(saved).toMatchObject({ hasPassword: true, passwordStore: store });

        // The control: the saved server itself gets the password (so the fake server would see it).
        const same = await app.call('connections.test', { draft: { ...draftAt(first.port), id: saved.id } });
        expect(same.ok).toBe(false);
        expect(first.passwords()).toEqual([SECRET]);
        first.startups.length = 0;

        // Another port (another server), another database, another user, another name for the host.
        const others: [ConnectionDraft, FakePgServer][] = [
          [draftAt(second.port), second],
          [draftAt(first.port, { database: 'other' }), first],
          [draftAt(first.port, { user: 'mallory' }), first],
          [draftAt(first.port, { host: 'localhost' }), first],
        ];
        for (const [draft, fake] of others) {
          const before = fake.startups.length;
          const r = await app.call('connections.test', { draft: { ...draft, id: saved.id } });
          expect(r.ok).toBe(false);
          const arrived = fake.startups.slice(before);
          if (draft.host === 'localhost' && arrived.length === 0) continue; // localhost resolved to ::1 only
          expect(arrived.length, JSON.stringify(draft)).toBeGreaterThan(0);
          expect(
            arrived.flatMap((s) => s.passwords).filter((p) => p !== ''),
            JSON.stringify(draft),
          ).toEqual([]);
        }
        expect(first.passwords().concat(second.passwords())).not.toContain(SECRET);
      } finally {
        await app.shutdown();
      }
    });

    it(`saving another host, port, database or user without a password drops it (${store} store)`, async () => {
      const home = freshHome();
      const app = await appWith(store);
      try {
        const changes: Partial<ConnectionDraft>[] = [
          { port: second.port },
          { database: 'other' },
          { user: 'mallory' },
          { host: 'localhost' },
        ];
        for (const change of changes) {
          const saved = await app.call('connections.save', { ...draftAt(first.port, { password: SECRET }), passwordStore: store });
          expect(saved.hasPassword).toBe(true);
          // Name, tag and colour alone keep it.
          const renamed = await app.call('connections.save', { ...draftAt(first.port), id: saved.id, name: 'Renamed', tag: 'staging' });
          expect(renamed.hasPassword).toBe(true);

          const moved = await app.call('connections.save', { ...draftAt(first.port, change), id: saved.id });
          expect(moved, JSON.stringify(change)).toMatchObject({ hasPassword: false, passwordStore: null });
          expect((await app.call('connections.list', {})).find((c) => c.id === saved.id)?.hasPassword).toBe(false);
          if (store === 'pgpass') expect(readFileSync(join(home, '.pgpass'), 'utf8')).not.toContain(escapePgpass(SECRET));

          // Moving it back does not bring the password back either: it was dropped, not hidden.
          const back = await app.call('connections.save', { ...draftAt(first.port), id: saved.id });
          expect(back.hasPassword).toBe(false);
          first.startups.length = 0;
          await app.call('connections.test', { id: saved.id });
          expect(first.passwords().filter((p) => p !== '')).toEqual([]);
          await app.call('connections.delete', { id: saved.id });
        }
        // With a password given, another server is fine: it is bound to the new one.
        const saved = await app.call('connections.save', { ...draftAt(first.port, { password: SECRET }), passwordStore: store });
        const moved = await app.call('connections.save', { ...draftAt(second.port, { password: 'new-one' }), id: saved.id });
        expect(moved.hasPassword).toBe(true);
        await app.call('connections.test', { id: saved.id });
        expect(second.passwords()).toEqual(['new-one']);
        expect(first.passwords()).not.toContain('new-one');
      } finally {
        await app.shutdown();
      }
    });
  }

  it('a ~/.pgpass line written for the old server is not used for the new one', async () => {
    const home = freshHome();
    const app = await appWith('pgpass');
    try {
      const saved = await app.call('connections.save', { ...draftAt(first.port, { password: SECRET }), passwordStore: 'pgpass' });
      expect(readFileSync(join(home, '.pgpass'), 'utf8')).toContain(`127.0.0.1:${first.port}:app:alice:${escapePgpass(SECRET)}`);
      await app.call('connections.test', { draft: { ...draftAt(second.port), id: saved.id } });
      await app.call('connections.test', { draft: { ...draftAt(second.port) } });
      expect(second.startups.length).toBeGreaterThan(0);
      expect(second.passwords().filter((p) => p !== '')).toEqual([]);
    } finally {
      await app.shutdown();
    }
  });

  it('a job reaches the saved server with its password (the binding does not lose it)', async () => {
    freshHome();
    const app = await appWith('memory');
    try {
      const saved = await app.call('connections.save', draftAt(first.port, { password: SECRET }));
      const resolved = await app.services.connections.resolve(saved.id);
      const client = new pg.Client(resolveConnection(resolved.url).config);
      await expect(client.connect()).rejects.toThrow(/password authentication failed/);
      expect(first.passwords()).toEqual([SECRET]);
    } finally {
      await app.shutdown();
    }
  });
});

describe('connection settings reach the server as fields', () => {
  it('a database and user full of URL syntax arrive exactly as typed; no parameter is added; sslmode holds', async () => {
    freshHome();
    const app = await appWith('memory');
    try {
      const database = 'x?sslmode=disable&options=-c role=replica#f';
      const user = 'u@127.0.0.1:1/db?options=-c%20x';
      const saved = await app.call('connections.save', draftAt(first.port, { database, user, sslMode: 'require', password: SECRET }));
      expect(saved).toMatchObject({ database, user, sslMode: 'require' });
      await app.call('connections.test', { id: saved.id });
      await app.call('connections.test', { draft: draftAt(first.port, { database, user, sslMode: 'prefer', password: SECRET }) });
      expect(first.startups.length).toBeGreaterThanOrEqual(2);
      // require: SSL asked for and, refused by the server, the connection given up (no plain fallback).
      expect(first.startups[0].sslRequested).toBe(true);
      expect(first.startups[0].params).toEqual({});
      const plain = first.startups.filter((s) => s.params.user !== undefined);
      expect(plain.length).toBeGreaterThan(0);
      for (const s of plain) {
        expect(s.params.database).toBe(database);
        expect(s.params.user).toBe(user);
        expect(s.params.options).toBeUndefined();
        expect(s.params.application_name).toBe('MR4 Studio');
        expect(Object.keys(s.params).sort()).toEqual(['application_name', 'client_encoding', 'database', 'user'].sort());
      }
    } finally {
      await app.shutdown();
    }
  });

  const HOSTILE_HOSTS = [
    `127.0.0.1]:${5432}/postgres?sslmode=disable&options=-c%20session_replication_role%3Dreplica#`,
    'db.example.org?options=-c x',
    'db.example.org#x',
    'db.example.org/other',
    'alice@db.example.org',
    'db.example.org:5433',
    '10.9.9.9\n*',
    'db.example.org\u0000x',
    '[::1]?sslmode=disable',
  ];

  it('a host with : ] ? # / @ or control characters is refused by save and Test, and nothing connects', async () => {
    freshHome();
    const app = await appWith('memory');
    try {
      for (const host of [...HOSTILE_HOSTS, `127.0.0.1]:${first.port}/x?sslmode=disable#`]) {
        const saveFail = await app.fail('connections.save', draftAt(first.port, { host }));
        expect(saveFail.status, JSON.stringify(host)).toBe(400);
        expect(saveFail.error.title).toBe('Not a host name');
        expect(saveFail.error.message).not.toMatch(/[\n\u0000]/);
        const tested = await app.call('connections.test', { draft: draftAt(first.port, { host, password: SECRET }) });
        expect(tested.ok).toBe(false);
        expect(tested.error?.title).toBe('Not a host name');
      }
      expect(first.startups).toEqual([]);
      expect(await app.call('connections.list', {})).toEqual([]);
      // Real hosts still pass: names, IPv4, IPv6 with or without brackets, a socket folder.
      for (const [host, kept] of [
        ['db.example.org', 'db.example.org'],
        ['my_db-1', 'my_db-1'],
        ['10.0.0.5', '10.0.0.5'],
        ['::1', '::1'],
        ['[::1]', '::1'],
        ['fe80::1%eth0', 'fe80::1%eth0'],
        ['/var/run/postgresql', '/var/run/postgresql'],
      ]) {
        expect(checkHost(host)).toBe(kept);
      }
      // A connection saved with a bracketed IPv6 host names the same server once saved without brackets.
      const v6 = { host: '[::1]', port: 5432, database: 'app', user: 'alice' };
      expect(sameServer(v6, { ...v6, host: '::1' })).toBe(true);
      expect(sameServer(v6, { ...v6, host: '::2' })).toBe(false);
    } finally {
      await app.shutdown();
    }
  });

  it('a pasted URL whose host is percent-encoded URL syntax fills a host that is refused, not parsed', async () => {
    freshHome();
    const app = await appWith('memory');
    try {
      const encodedHost = encodeURIComponent(
        `127.0.0.1]:${first.port}/postgres?sslmode=disable&options=-c session_replication_role=replica#`,
      );
      const parsed = parseConnectionUrl(`postgres://alice:${encodeURIComponent(SECRET)}@${encodedHost}:5432/app?sslmode=require`);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const draft = { ...parsed.fields, name: 'Pasted', tag: 'dev' as const };
      expect(draft.host).toContain(']');
      expect((await app.fail('connections.save', draft)).error.title).toBe('Not a host name');
      expect((await app.call('connections.test', { draft })).error?.title).toBe('Not a host name');
      expect(first.startups).toEqual([]);
    } finally {
      await app.shutdown();
    }
  });

  it('even a host that slipped past the check reaches node-postgres as a host, and nothing else', () => {
    for (const host of HOSTILE_HOSTS.filter((h) => !h.includes('\u0000'))) {
      const r = resolveConnection(connectionUrl({ host, port: 5432, database: 'app', user: 'alice', sslMode: 'verify-full' }, SECRET), {
        env: {},
      });
      expect(r.config.host).toBe(host);
      expect(r.config.port).toBe(5432);
      expect(r.config.database).toBe('app');
      expect(r.config.user).toBe('alice');
      expect(r.config.password).toBe(SECRET);
      expect(r.config.options).toBeUndefined();
      expect(r.sslMode).toBe('verify-full');
      expect(r.config.ssl).toEqual({});
    }
    // A NUL would end the field in the startup message and begin another parameter: refused.
    for (const field of ['host', 'database', 'user', 'password'] as const) {
      const settings = {
        host: 'h',
        port: 5432,
        database: 'd',
        user: 'u',
        sslMode: 'disable' as const,
        [field]: 'x\u0000options\u0000-c x',
      };
      expect(() => resolveConnection(encodeSettings(settings)), field).toThrow(/NUL/);
    }
  });
});

describe("~/.pgpass is written by libpq's rules", () => {
  it('refuses newline, carriage return, NUL, other control characters, "*" fields and a leading #', async () => {
    const home = freshHome();
    const pgpass = join(home, '.pgpass');
    const before = '# mine\nprod:5432:app:alice:hunter2\n';
    writeFileSync(pgpass, before, { mode: 0o600 });
    const store = new PgpassSecretStore(pgpass);
    const target = { host: 'db.example.org', port: 5432, database: 'app', user: 'alice' };
    const cases: [Partial<typeof target>, string, RegExp][] = [
      [{ host: '10.9.9.9\n*' }, 'pw', /host contains a newline/],
      [{ host: '10.9.9.9\r*' }, 'pw', /carriage return/],
      [{ database: 'app\u0000x' }, 'pw', /NUL/],
      [{ user: 'al\tice' }, 'pw', /control character/],
      [{}, 'pw\nlocalhost:5432:*:*:pw', /password contains a newline/],
      [{}, 'pw\u007f', /control character/],
      [{ database: '*' }, 'pw', /"\*"/],
      [{ host: '*' }, 'pw', /"\*"/],
      [{ host: '#db' }, 'pw', /comment/],
    ];
    for (const [change, password, message] of cases) {
      await expect(store.set('c1', password, { ...target, ...change }), JSON.stringify(change)).rejects.toThrow(message);
      expect(readFileSync(pgpass, 'utf8')).toBe(before);
    }
    expect(await store.get('c1')).toBeUndefined();
    expect(pgpassProblem(['db', '5432', 'app', 'alice', 'p:w\\x'])).toBeNull();
  });

  it('through the app, a host of 10.9.9.9\\n* never reaches ~/.pgpass', async () => {
    const home = freshHome();
    const app = await appWith('pgpass');
    try {
      const r = await app.fail('connections.save', {
        ...draftAt(5432, { host: '10.9.9.9\n*', password: SECRET }),
        passwordStore: 'pgpass',
      });
      expect(r.status).toBe(400);
      expect(readFileSync(join(home, '.pgpass'), 'utf8')).toBe('');
      // A database name with a newline passes the app (PostgreSQL allows it) but not ~/.pgpass.
      const db = await app.fail('connections.save', {
        ...draftAt(5432, { database: 'app\n*:*:*:*', password: SECRET }),
        passwordStore: 'pgpass',
      });
      expect(db.status).toBe(400);
      expect(db.error.message).toMatch(/newline/);
      expect(readFileSync(join(home, '.pgpass'), 'utf8')).toBe('');
      expect(await app.call('connections.list', {})).toEqual([]);
    } finally {
      await app.shutdown();
    }
  });
});
