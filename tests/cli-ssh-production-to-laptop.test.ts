// The whole pull, as a user on a laptop runs it: production sits behind an SSH server (a real OpenSSH the
// test starts on 127.0.0.1, never the system's); `mr4 export` reaches it through the tunnel and takes a
// masked, encrypted subset; the archive holds no clear personal value (its decrypted and decompressed
// bytes scanned for every original); it imports into dev; dev edits, and its export merges back into
// production through the tunnel, writing dev's edits and never a masked value. Skipped, saying why,
// only where sshd cannot start.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCrearisDemo } from '../src-main/demo/crearis-demo-data';
import { decryptedBytes } from './helpers/archive-bytes';
import { cleanEnv, ensureBuilt, runCli } from './helpers/cli';
import type { TestDb } from './helpers/db';
import { crearisSchemaSql, freshDb, scratchDir } from './helpers/engine';
import { startSshServer, waitNoSessions } from './helpers/ssh-server';
import { titled } from './helpers/skip';
import { tempDir } from './helpers/temp';

const started = await startSshServer();
if (!started.ok) console.warn(`cli-ssh-production-to-laptop: skipped: ${started.reason}`);
const sshd = started.ok ? started.server : null;

const dir = scratchDir();
const PASSPHRASE = 'a laptop passphrase';
const WHERE = "events:date_begin >= '2026-01-01'";
const MASKED = `SELECT sysmail AS v FROM users UNION SELECT extmail FROM users UNION SELECT password FROM users
  UNION SELECT email FROM instructors UNION SELECT phone FROM instructors`;
let prod: TestDb;
let dev: TestDb;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!sshd) return;
  ensureBuilt();
  prod = await freshDb(crearisSchemaSql);
  dev = await freshDb(crearisSchemaSql);
  await seedCrearisDemo(prod.client);
  await prod.client.query(
    `INSERT INTO users (sysmail, extmail, username, password, role) VALUES ('maria.muster@real-person.example', 'maria@private.example', 'maria', '$2b$10$realhashrealhashrealhashrealhashrealhashrealhashreal', 'user')`,
  );
  // A HOME and a data folder of its own; the data folder knows the server's host key.
  const home = tempDir('mr4-ssh-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  const data = tempDir('mr4-ssh-data-');
  writeFileSync(join(data, 'known_hosts'), `${sshd.knownHostsLine}\n`, { mode: 0o600 });
  env = cleanEnv({ HOME: home, MR4_DATA_DIR: data, SSH_AUTH_SOCK: undefined, MR4_SSH_PASSPHRASE: undefined, MR4_PASSPHRASE: PASSPHRASE });
}, 180_000);
afterAll(async () => {
  await prod?.drop();
  await dev?.drop();
  sshd?.stop();
});

describe.skipIf(!sshd)(titled('production behind SSH, pulled to the laptop and merged back', started.ok ? null : started.reason), () => {
  it('a masked, encrypted subset through the tunnel; dev’s edits merged back, never a masked value', async () => {
    const ssh = ['--ssh', `${sshd!.user}@127.0.0.1:${sshd!.port}`, '--ssh-key', sshd!.keyFile];
    const archive = join(dir, 'prod.tar.gz.enc');
    const exported = await runCli(
      ['export', '--db', prod.url, ...ssh, '--mask', '--where', WHERE, '--with-children', '--encrypt', '--out', archive],
      { env },
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/Encrypted \(AES-256-GCM\)/);
    expect(sshd!.log()).toContain('Accepted publickey');
    await waitNoSessions(sshd!);

    // No clear personal value anywhere in the archive: its raw bytes, decrypted, decompressed.
    const originals = (await prod.client.query(MASKED)).rows
      .map((r) => r.v as string | null)
      .filter((v): v is string => !!v && v.length >= 6);
    expect(originals.length).toBeGreaterThan(10);
    const { gzip, tar } = await decryptedBytes(archive, PASSPHRASE);
    for (const bytes of [readFileSync(archive), gzip, tar]) {
      expect(originals.filter((v) => bytes.includes(Buffer.from(v)))).toEqual([]);
    }

    // Dev's schema seeds its own system users: their values were there before, not pulled.
    const own = new Set((await dev.client.query(MASKED)).rows.map((r) => r.v));
    const pulled = await runCli(['import', archive, '--db', dev.url, '--mode', 'merge'], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    const recent = Number((await prod.client.query(`SELECT count(*) AS n FROM events WHERE date_begin >= '2026-01-01'`)).rows[0].n);
    expect(Number((await dev.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n)).toBe(recent);
    expect((await dev.client.query(MASKED)).rows.map((r) => r.v).filter((v) => originals.includes(v) && !own.has(v))).toEqual([]);

    // Dev edits a masked column and a plain one of the same user, and an event.
    const users = `SELECT id, sysmail, extmail, password, username FROM users ORDER BY id`;
    const before = (await prod.client.query(users)).rows;
    expect(
      (await dev.client.query(`UPDATE users SET sysmail = 'edited-' || sysmail, username = 'Maria (dev)' WHERE username = 'maria'`))
        .rowCount,
    ).toBe(1);
    const event = (
      await dev.client.query(
        `UPDATE events SET name = name || ' (moved)' WHERE id = (SELECT min(id) FROM events) RETURNING name, date_begin`,
      )
    ).rows[0];
    const devArchive = join(dir, 'dev.tar.gz');
    const devExport = await runCli(['export', '--db', dev.url, '--out', devArchive], { env });
    expect(devExport.code, devExport.stderr).toBe(0);

    // Back into production through the tunnel (dev's seeded system users clash with production's by
    // their real keys: refused by name and left out, as production has them).
    const merged = await runCli(['import', devArchive, '--db', prod.url, ...ssh, '--mode', 'merge', '--allow-failures', '--json'], { env });
    expect(merged.code, merged.stderr).toBe(0);
    const report = JSON.parse(merged.stdout);
    expect(report.tables.find((t: { table: string }) => t.table === 'users')).toMatchObject({ updated: 1 });
    const after = (await prod.client.query(users)).rows;
    const maria = before.find((r) => r.username === 'maria');
    expect(after.find((r) => r.id === maria.id)).toEqual({ ...maria, username: 'Maria (dev)' });
    for (const b of before.filter((r) => r.id !== maria.id)) expect(after.find((r) => r.id === b.id)).toEqual(b);
    expect(after.filter((r) => /@example\.invalid/.test(`${r.sysmail} ${r.extmail}`) || /^[0-9a-f]{64}$/.test(r.password))).toEqual([]);
    expect(
      (await prod.client.query(`SELECT count(*)::int AS n FROM events WHERE name = $1 AND date_begin = $2`, [event.name, event.date_begin]))
        .rows[0].n,
    ).toBe(1);
    await waitNoSessions(sshd!);
  }, 300_000);
});
