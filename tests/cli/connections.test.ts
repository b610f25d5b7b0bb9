// How `mr4` finds its database: --db, DATABASE_URL and PG* variables, ~/.pgpass, SSL modes; and a
// password in a URL never printed.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli';
import { adminUrl, createTestDb } from '../helpers/db';
import { freePort, startThrowawayServer, type ThrowawayServer } from '../helpers/pg-server';
import { cliWorkFolder, LIBRARY, parseOneJson, PORT_URL } from './helpers';

const work = cliWorkFolder();

describe('connections', () => {
  const port = () => Number(new URL(adminUrl()).port);

  test('DATABASE_URL is used without --db, and --db wins over it', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const r = await runCli(['plan', '--json'], { env: cleanEnv({ DATABASE_URL: db.url }) });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { server: { database: string } }).server.database).toBe(db.name);

      const both = await runCli(['plan', '--json', '--db', db.url], { env: cleanEnv({ DATABASE_URL: PORT_URL(port(), 'not_this_one') }) });
      expect(both.code, both.stderr).toBe(0);
      expect((parseOneJson(both.stdout) as { server: { database: string } }).server.database).toBe(db.name);
    } finally {
      await db.drop();
    }
  });

  test('PGHOST, PGPORT, PGUSER and PGDATABASE are used when neither --db nor DATABASE_URL is given', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const env = cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(port()), PGUSER: 'postgres', PGDATABASE: db.name });
      const r = await runCli(['plan', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { server: { database: string } }).server.database).toBe(db.name);
    } finally {
      await db.drop();
    }
  });

  test('with no database named at all, the error says how to name one', async () => {
    const home = mkdtempSync(join(work, 'home-'));
    // Nothing named; only the port is pointed at a closed one, so the libpq default host surely fails.
    const r = await runCli(['plan'], { env: cleanEnv({ HOME: home, PGPORT: String(await freePort()), PGCONNECT_TIMEOUT: '5' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach .*localhost/);
    expect(r.stderr).toContain('No database was named');
    expect(r.stderr).toContain('--db postgres://user@host:5432/dbname');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  test('a password in a URL is never printed, even on failure', async () => {
    const secret = 's3cretPW';
    const url = `postgres://postgres:${secret}@127.0.0.1:${port()}/nope`;
    const archive = join(work, 'pw.tar.gz');
    writeFileSync(archive, 'x');
    const runs: [string[], NodeJS.ProcessEnv | undefined, number][] = [
      [['plan', '--db', url], undefined, 1],
      [['plan', '--db', url, '--json'], undefined, 1],
      [['export', '--db', url, '--out', join(work, 'pw-out.tar.gz')], undefined, 1],
      [['import', archive, '--mode', 'skip', '--db', url, '--json'], undefined, 1],
      [['plan'], cleanEnv({ DATABASE_URL: url }), 1],
      [['plan', '--db', `${url}?sslmode=bogus`], undefined, 2],
      [['plan', '--db', `${url}?colour=red`], undefined, 2],
      [[url], undefined, 2],
      [['plan', url], undefined, 2],
    ];
    for (const [args, env, code] of runs) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
    const notFound = await runCli(['plan', '--db', url]);
    expect(notFound.stderr).toMatch(/Database not found on postgres@127\.0\.0\.1:\d+\/nope/);
  });

  test('hiding a password leaves a database or user name that contains its text as it is', async () => {
    const secret = 'mydb';
    const url = `postgres://postgres:${secret}@127.0.0.1:${port()}/mydb_missing`;
    for (const args of [
      ['plan', '--db', url],
      ['plan', '--db', url, '--json'],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/Database not found on postgres@127\.0\.0\.1:\d+\/mydb_missing/);
      expect(r.stdout + r.stderr).not.toContain(`:${secret}@`);
      expect(r.stdout + r.stderr).not.toContain('***');
    }
    const json = await runCli(['plan', '--db', url, '--json']);
    expect((parseOneJson(json.stdout).error as { message: string }).message).toContain('/mydb_missing');
    // The URL's password field itself is still removed wherever the URL is echoed.
    const echoed = await runCli([url]);
    expect(echoed.code).toBe(2);
    expect(echoed.stderr).toContain(`postgres://postgres@127.0.0.1:${port()}/mydb_missing`);
    expect(echoed.stderr).not.toContain(`:${secret}@`);
  });

  describe('a server with password authentication and SSL only', () => {
    let server: ThrowawayServer;
    const password = 'pgpass-Secret-42';

    beforeAll(async () => {
      server = await startThrowawayServer({ password, ssl: true, sslOnly: true });
      const c = new pg.Client({
        host: '127.0.0.1',
        port: server.port,
        user: 'postgres',
        password,
        database: 'postgres',
        ssl: { rejectUnauthorized: false },
      });
      await c.connect();
      try {
        await c.query('CREATE TABLE things (id serial PRIMARY KEY, code text NOT NULL UNIQUE)');
      } finally {
        await c.end();
      }
    });

    afterAll(() => server?.stop());

    test('~/.pgpass supplies the password', async () => {
      const home = mkdtempSync(join(work, 'pgpass-'));
      const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
      const without = await runCli(['plan', '--db', url], { env: cleanEnv({ HOME: home }) });
      expect(without.code).toBe(1);
      expect(without.stderr).toMatch(/password/i);
      expect(without.stderr).toContain('~/.pgpass');

      writeFileSync(join(home, '.pgpass'), `127.0.0.1:${server.port}:*:postgres:${password}\n`);
      chmodSync(join(home, '.pgpass'), 0o600);
      const r = await runCli(['plan', '--db', url, '--json'], { env: cleanEnv({ HOME: home }) });
      expect(r.code, r.stderr).toBe(0);
      expect((parseOneJson(r.stdout) as { plan: { tables: { name: string }[] } }).plan.tables.map((t) => t.name)).toEqual(['things']);
      expect(r.stdout + r.stderr).not.toContain(password);
    });

    test('sslmode=require connects to a self-signed server; verify-full is refused and suggests require', async () => {
      const base = `postgres://postgres:${password}@127.0.0.1:${server.port}/postgres`;
      const home = mkdtempSync(join(work, 'ssl-'));
      const env = cleanEnv({ HOME: home });
      const require = await runCli(['plan', '--db', `${base}?sslmode=require`, '--json'], { env });
      expect(require.code, require.stderr).toBe(0);
      expect((parseOneJson(require.stdout) as { server: { database: string } }).server.database).toBe('postgres');

      // The server takes SSL only: a plain connection is refused, so the one above was encrypted.
      const plain = await runCli(['plan', '--db', `${base}?sslmode=disable`], { env });
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/no encryption|SSL off|pg_hba/);

      const verify = await runCli(['plan', '--db', `${base}?sslmode=verify-full`], { env });
      expect(verify.code).toBe(1);
      expect(verify.stderr).toMatch(/certificate/);
      expect(verify.stderr).toContain('sslmode=require');
      for (const r of [require, plain, verify]) expect(r.stdout + r.stderr).not.toContain(password);
    });
  });
});
