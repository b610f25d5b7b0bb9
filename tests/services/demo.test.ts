// "Try with demo databases": an embedded PostgreSQL 18 in the data folder with a demo production and a
// demo dev Crearis database, saved as connections; reset; shutdown; recovery from a server left behind
// by an app that died, and from a stale postmaster.pid.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { crearisEditScenario } from '../../src-main/demo/crearis-demo-data';
import { DEMO_DATABASES } from '../../src-main/services/demo';
import { MemorySecretStore } from '../../src-main/services/secrets';
import { filesContaining, makeApp, newDataDir, type TestApp } from './helpers';

const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.shutdown().catch(() => undefined);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function query<T extends pg.QueryResultRow>(app: TestApp, connectionId: string, sql: string): Promise<T[]> {
  const c = (await app.call('connections.list', {})).find((x) => x.id === connectionId)!;
  const password = await app.services.connections.password(c);
  const client = new pg.Client({ host: c.host, port: c.port, user: c.user, database: c.database, password });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const pidFile = (dataDir: string) => join(dataDir, 'demo', 'data', 'postmaster.pid');

describe('demo databases', () => {
  const secrets = new MemorySecretStore();
  let dataDir: string;

  it('starts PostgreSQL 18 with a demo production and a dev that differs by the dev edits', async () => {
    dataDir = newDataDir();
    const app = await makeApp({ secrets: [secrets] });
    apps.push(app);
    expect(await app.call('demo.status', {})).toEqual({ state: 'stopped' });
    const state = await app.call('demo.start', {});
    expect(state, JSON.stringify(state)).toEqual({ state: 'running', production: 'demo-production', dev: 'demo-dev' });
    expect(app.events.filter((e) => e.type === 'demo.state').map((e) => (e as { demo: { state: string } }).demo.state)).toContain(
      'starting',
    );
    expect(await app.call('demo.start', {})).toEqual(state);

    const list = await app.call('connections.list', {});
    const prod = list.find((c) => c.id === 'demo-production')!;
    const dev = list.find((c) => c.id === 'demo-dev')!;
    expect(prod).toMatchObject({
      name: 'Demo production',
      tag: 'production',
      demo: true,
      hasPassword: true,
      host: '127.0.0.1',
      database: DEMO_DATABASES.production,
    });
    expect(dev).toMatchObject({ name: 'Demo dev', tag: 'dev', demo: true, hasPassword: true, database: DEMO_DATABASES.dev });
    for (const c of [prod, dev]) {
      const t = await app.call('connections.test', { id: c.id });
      expect(t.ok, JSON.stringify(t.error)).toBe(true);
      expect(t.serverVersion).toMatch(/^18/);
      expect(t.plan).toMatchObject({ ok: true, profile: 'crearis' });
    }

    const added = crearisEditScenario.dev.addedEvents.map((x) => `'${x}'`).join(', ');
    const inDev = await query<{ n: number }>(app, dev.id, `SELECT count(*)::int AS n FROM events WHERE xmlid IN (${added})`);
    const inProd = await query<{ n: number }>(app, prod.id, `SELECT count(*)::int AS n FROM events WHERE xmlid IN (${added})`);
    expect(inDev[0].n).toBe(3);
    expect(inProd[0].n).toBe(0);
    const devEvents = await query<{ n: number }>(app, dev.id, 'SELECT count(*)::int AS n FROM events');
    const prodEvents = await query<{ n: number }>(app, prod.id, 'SELECT count(*)::int AS n FROM events');
    expect(devEvents[0].n).toBe(prodEvents[0].n + 3);
    // Production's users arrived in dev through the merge (by natural key), not by copying ids.
    const users = await query<{ s: string }>(app, prod.id, "SELECT string_agg(sysmail, ',' ORDER BY sysmail) AS s FROM users");
    expect((await query<{ s: string }>(app, dev.id, "SELECT string_agg(sysmail, ',' ORDER BY sysmail) AS s FROM users"))[0].s).toBe(
      users[0].s,
    );

    // The password is nowhere in the data folder.
    const pw = await app.services.connections.password(prod);
    expect(pw).toBeTruthy();
    expect(filesContaining(dataDir, pw!)).toEqual([]);
  }, 300_000);

  it('resets both databases, keeping the server', async () => {
    const app = apps[0];
    const pid = Number(readFileSync(pidFile(dataDir), 'utf8').split('\n')[0]);
    await query(app, 'demo-production', 'DELETE FROM events_tags');
    await query(app, 'demo-dev', "UPDATE events SET name = 'changed'");
    const reset = await app.call('demo.reset', {});
    expect(reset.state, JSON.stringify(reset)).toBe('running');
    expect(Number(readFileSync(pidFile(dataDir), 'utf8').split('\n')[0])).toBe(pid);
    expect((await query<{ n: number }>(app, 'demo-production', 'SELECT count(*)::int AS n FROM events_tags'))[0].n).toBeGreaterThan(0);
    expect((await query<{ n: number }>(app, 'demo-dev', "SELECT count(*)::int AS n FROM events WHERE name = 'changed'"))[0].n).toBe(0);
  }, 300_000);

  it('stops a server left running by an app that died, and reuses its data', async () => {
    const old = Number(readFileSync(pidFile(dataDir), 'utf8').split('\n')[0]);
    expect(alive(old)).toBe(true);
    // apps[0] "dies": it is never shut down. A new app on the same folder (same secret store) starts.
    const app = await makeApp({ dataDir, secrets: [secrets] });
    apps.push(app);
    const state = await app.call('demo.start', {});
    expect(state.state, JSON.stringify(state)).toBe('running');
    expect(alive(old)).toBe(false);
    const pid = Number(readFileSync(pidFile(dataDir), 'utf8').split('\n')[0]);
    expect(pid).not.toBe(old);
    expect((await app.call('connections.test', { id: 'demo-dev' })).ok).toBe(true);
    expect(app.events.some((e) => e.type === 'demo.state' && e.demo.state === 'starting' && /Creating/.test(e.demo.message))).toBe(false);
  }, 300_000);

  it('recovers from a stale postmaster.pid of a killed server, and shutdown stops the server', async () => {
    const app = apps[1];
    const pid = Number(readFileSync(pidFile(dataDir), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(pidFile(dataDir))).toBe(true);
    // The stale file names a live process that is not postgres (this test's own).
    const text = readFileSync(pidFile(dataDir), 'utf8').split('\n');
    text[0] = String(process.pid);
    writeFileSync(pidFile(dataDir), text.join('\n'));
    await new Promise((r) => setTimeout(r, 500));

    const next = await makeApp({ dataDir, secrets: [secrets] });
    apps.push(next);
    const state = await next.call('demo.start', {});
    expect(state.state, JSON.stringify(state)).toBe('running');
    expect((await next.call('connections.test', { id: 'demo-production' })).ok).toBe(true);
    void app;

    await next.shutdown();
    expect(await next.call('demo.status', {})).toEqual({ state: 'stopped' });
    expect(existsSync(pidFile(dataDir))).toBe(false);
    const after = await next.call('connections.test', { id: 'demo-production' });
    expect(after.ok).toBe(false);
    expect(after.error!.title).toBe('Server not reachable');
  }, 300_000);
});
