// ~/.pgpass lines written by the store are read back by libpq itself: psql logs in with a user, database
// and password full of the characters the file's format escapes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PgpassSecretStore } from '../../src-main/services/secrets';
import { startThrowawayServer, type ThrowawayServer } from '../helpers/pg-server';

/** A HOME of its own with an empty ~/.pgpass, removed when the test ends. */
function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'mr4-home-'));
  writeFileSync(join(home, '.pgpass'), '', { mode: 0o600 });
  onTestFinished(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

describe('libpq reads the escaped line back', () => {
  let server: ThrowawayServer;
  const user = 'we:ird\\user';
  const password = 'p:w\\x:';

  beforeAll(async () => {
    server = await startThrowawayServer({ password: 'admin-pw' });
    const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', password: 'admin-pw', database: 'postgres' });
    await c.connect();
    try {
      await c.query(`CREATE ROLE "${user.replace(/"/g, '""')}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
      await c.query('CREATE DATABASE "da:ta\\base"');
    } finally {
      await c.end();
    }
  });

  afterAll(() => server?.stop());

  it('psql logs in with the user, database and password written by the store', async () => {
    const psql = join(server.binDir, 'psql');
    // Installed with the server by scripts/ensure-system-deps.sh (Debian's postgresql pulls in its client).
    expect(existsSync(psql), `${psql} (psql beside the server)`).toBe(true);
    const home = freshHome();
    const store = new PgpassSecretStore(join(home, '.pgpass'));
    await store.set('c1', password, { host: '127.0.0.1', port: server.port, database: 'da:ta\\base', user });
    const line = readFileSync(join(home, '.pgpass'), 'utf8').split('\n')[1];
    expect(line).toBe(`127.0.0.1:${server.port}:da\\:ta\\\\base:we\\:ird\\\\user:p\\:w\\\\x\\:`);
    const r = spawnSync(
      psql,
      [
        '-X',
        '-w',
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        user,
        '-d',
        'da:ta\\base',
        '-Atc',
        "SELECT current_user || '|' || current_database()",
      ],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: home, PGPASSFILE: join(home, '.pgpass') },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${user}|da:ta\\base`);
    expect(await store.get('c1')).toBe(password);
  });
});
