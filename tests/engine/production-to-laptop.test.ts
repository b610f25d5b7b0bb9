// Production to the laptop, safely: a masked, encrypted subset of a production Crearis database pulled
// into dev; the archive holds no clear personal value (its raw bytes, its decrypted bytes and its
// decompressed content are scanned for every original value); merging dev back into production — two
// ways, three ways, and after edits of the masked columns in dev — never writes a masked value there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import { openArchive } from '../../src-main/engine/archive/reader';
import { Unlocker } from '../../src-main/engine/archive/crypto';
import { runDiff } from '../../src-main/services/diff-job';
import { agreementStore } from '../../src-main/services/bases';
import { BaseRegistry } from '../../src-main/services/bases';
import { dbTarget } from '../../src-main/db/connect';
import { decryptedBytes } from '../helpers/archive-bytes';
import type { TestDb } from '../helpers/db';
import { crearisSchemaSql, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const newDb = databasesForFile();
const PASSPHRASE = 'correct horse battery staple';
const SUBSET = { where: [{ table: 'events', where: "date_begin >= '2026-01-01'" }], withChildren: true };
const RECENT = `SELECT count(*) AS n FROM events WHERE date_begin >= '2026-01-01'`;

/** Every value of the columns the Crearis profile masks. */
async function originals(db: TestDb): Promise<string[]> {
  const res = await db.client.query(
    `SELECT sysmail AS v FROM users UNION SELECT extmail FROM users UNION SELECT password FROM users
     UNION SELECT assigned_to FROM tasks UNION SELECT email FROM instructors UNION SELECT phone FROM instructors
     UNION SELECT to_mail FROM interactions UNION SELECT from_mail FROM interactions
     UNION SELECT email FROM locations UNION SELECT phone FROM locations`,
  );
  return res.rows.map((r) => r.v).filter((v): v is string => !!v);
}

describe('a masked, encrypted subset of production, pulled into dev and merged back', () => {
  let prod: TestDb;
  let dev: TestDb;
  let values: string[];
  const dataDir = scratchDir();
  const archive = join(dir, 'prod.tar.gz.enc');

  beforeAll(async () => {
    prod = await newDb(crearisSchemaSql);
    dev = await newDb(crearisSchemaSql);
    await seedCrearisDemo(prod.client);
    // A person whose address also appears, unmasked by any default, nowhere else.
    await prod.client.query(
      `INSERT INTO users (sysmail, extmail, username, password, role) VALUES ('maria.muster@real-person.example', 'maria@private.example', 'maria', '$2b$10$realhashrealhashrealhashrealhashrealhashrealhashreal', 'user')`,
    );
    values = await originals(prod);
  });

  test('the export masks users’ e-mail and password hashes on the server, keeps a subset and encrypts', async () => {
    const logs: string[] = [];
    const report = await exportDb(prod, archive, {
      mask: 'all',
      subset: SUBSET,
      encrypt: { passphrase: PASSPHRASE },
      onEvent: (e) => void (e.type === 'log' && logs.push(e.message)),
    });
    expect(report.encrypted).toBe(true);
    expect(report.masked!.filter((m) => m.table === 'users')).toEqual([
      { table: 'users', column: 'sysmail', rule: 'email', inherited: false },
      { table: 'users', column: 'extmail', rule: 'email', inherited: false },
      { table: 'users', column: 'password', rule: 'hash', inherited: false },
    ]);
    expect(
      report
        .masked!.filter((m) => m.table !== 'users')
        .map((m) => `${m.table}.${m.column}`)
        .sort(),
    ).toEqual([
      'instructors.email',
      'instructors.phone',
      'interactions.actions',
      'interactions.fields',
      'interactions.from_mail',
      'interactions.to_mail',
      'locations.email',
      'locations.phone',
      'tasks.assigned_to',
    ]);
    const events = report.subset!.tables.find((t) => t.table === 'events')!;
    const total = Number((await prod.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
    expect(events.rows).toBeLessThan(total);
    expect(events.rows).toBe(Number((await prod.client.query(RECENT)).rows[0].n));
    expect(report.subset!.tables.find((t) => t.table === 'events_tags')!.role).toBe('dependent');
    expect(logs.some((l) => /^Masking 12 column/.test(l))).toBe(true);
    // The passphrase and the mask key never reach a log line.
    expect(logs.join('\n')).not.toContain(PASSPHRASE);
  });

  test('the archive holds no clear personal value: raw bytes, decrypted bytes, decompressed content', async () => {
    const raw = readFileSync(archive);
    const { gzip, tar } = await decryptedBytes(archive, PASSPHRASE);
    expect(tar.includes(Buffer.from('"tableName":"users"'))).toBe(true);
    expect(values.length).toBeGreaterThan(20);
    for (const v of [...values, PASSPHRASE]) {
      for (const [what, bytes] of [
        ['raw', raw],
        ['decrypted', gzip],
        ['decompressed', tar],
      ] as const) {
        expect(bytes.includes(Buffer.from(v)), `${what} bytes hold ${v}`).toBe(false);
      }
    }
    // What it holds instead: fakes of a reserved domain, the same original masked alike everywhere.
    expect(tar.toString('utf8')).toMatch(/-[0-9a-f]{16}@example\.invalid/);
    // And the index says so.
    const opened = await openArchive(archive, { unlocker: new Unlocker({ passphrase: PASSPHRASE }) });
    expect(opened.encrypted).toBe('passphrase');
    expect(opened.index!.formatVersion).toBe('2.3');
    expect(opened.index!.tables.users.masked!.map((m) => m.column)).toEqual(['sysmail', 'extmail', 'password']);
    expect(opened.index!.tables.events.subset).toBe('filtered');
    expect(opened.index!.metadata.subset).toEqual({ where: SUBSET.where, withChildren: true });
    expect(opened.index!.metadata.masking!.seeded).toBe(false);
  });

  test('into dev it imports cleanly, and dev remembers which columns hold masked values', async () => {
    const report = await importInto(dev, archive, 'merge', { secret: { passphrase: PASSPHRASE }, agreement: agreementStore(dataDir) });
    expect(report.failures).toEqual([]);
    expect(report.warnings.some((w) => /users\.sysmail, users\.extmail, users\.password hold masked values/.test(w))).toBe(true);
    await new BaseRegistry(dataDir).record(report);
    const inDev = await originals(dev);
    // Dev's own seeded system users are its own; production's arrived masked.
    const seeded = (await dev.client.query(`SELECT sysmail FROM users WHERE sysmail NOT LIKE '%@example.invalid'`)).rows.map(
      (r) => r.sysmail,
    );
    expect(seeded).not.toContain('maria.muster@real-person.example');
    expect(inDev).not.toContain('maria@private.example');
    const stored = await dev.client.query(
      `SELECT table_name, column_name, rule FROM _mr4.masked WHERE table_name = 'users' ORDER BY column_name`,
    );
    expect(stored.rows).toEqual([
      { table_name: 'users', column_name: 'extmail', rule: 'email' },
      { table_name: 'users', column_name: 'password', rule: 'hash' },
      { table_name: 'users', column_name: 'sysmail', rule: 'email' },
    ]);
    // The tasks' assignees were masked alike: each still names its (masked) user.
    const orphans = await dev.client.query(
      `SELECT t.assigned_to FROM tasks t WHERE t.assigned_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.sysmail = t.assigned_to)`,
    );
    expect(orphans.rows).toEqual([]);
    const events = Number((await dev.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
    expect(events).toBe(Number((await prod.client.query(RECENT)).rows[0].n));
  });

  test('merging dev back never writes a masked value into production (two ways, three ways, after edits)', async () => {
    const before = (await prod.client.query(`SELECT id, sysmail, extmail, password, username FROM users ORDER BY id`)).rows;
    // Dev edits a masked column, a plain column, and adds a user of its own.
    await dev.client.query(`UPDATE users SET sysmail = 'edited-' || sysmail, username = 'Maria (dev)' WHERE username = 'maria'`);
    await dev.client.query(
      `INSERT INTO users (sysmail, username, password, role) VALUES ('new.dev.user@team.example', 'newcomer', 'devhash', 'user')`,
    );
    const devArchive = join(dir, 'dev.tar.gz');
    const exported = await exportDb(dev, devArchive);
    // Dev's own archive says which columns travelled masked, and from where.
    expect(exported.masked!.filter((m) => m.table === 'users')).toEqual([
      { table: 'users', column: 'sysmail', rule: 'email', inherited: true },
      { table: 'users', column: 'extmail', rule: 'email', inherited: true },
      { table: 'users', column: 'password', rule: 'hash', inherited: true },
    ]);

    // The diff says so, and shows no masked field as a difference.
    const diff = await runDiff(
      dbTarget(prod.url),
      { archive: devArchive, rowsPerKind: 1000 },
      undefined,
      new AbortController().signal,
      () => undefined,
    );
    expect(
      diff.summary.warnings.some((w) =>
        /users\.sysmail, users\.extmail, users\.password hold masked values \(masked before they reached/.test(w),
      ),
    ).toBe(true);
    const changedUsers = diff.rows.filter((r) => r.table === 'users' && r.kind === 'changed');
    expect(changedUsers.flatMap((r) => r.fields.map((f) => f.column))).toEqual(['username']);

    // Dev's own seeded system users (the migrations seed them in every Crearis database) carry real
    // keys that production's rows have too, and production's masked copies of those rows came beside
    // them: merging back, they are refused by name (production has them), and left out here.
    const devSeeded = (await dev.client.query(`SELECT sysmail FROM users WHERE sysmail LIKE '%@theaterpedia.org' ORDER BY id`)).rows.map(
      (r) => r.sysmail,
    );
    for (const base of [undefined, 'auto'] as const) {
      const report = await importInto(prod, devArchive, 'merge', {
        base,
        dryRun: base === undefined,
        allowFailures: true,
        agreement: agreementStore(dataDir),
      });
      expect(report.failures.filter((f) => f.table === 'users').map((f) => f.key?.sysmail)).toEqual(devSeeded);
      expect(report.failures.every((f) => f.table === 'users' || f.table === 'project_members')).toBe(true);
      expect(report.tables.find((t) => t.table === 'users')).toMatchObject({ inserted: 1, updated: 1 });
    }
    const after = (await prod.client.query(`SELECT id, sysmail, extmail, password, username FROM users ORDER BY id`)).rows;
    const maria = before.find((r) => r.username === 'maria');
    expect(after.find((r) => r.id === maria.id)).toEqual({ ...maria, username: 'Maria (dev)' });
    for (const b of before.filter((r) => r.id !== maria.id)) expect(after.find((r) => r.id === b.id)).toEqual(b);
    expect(after.filter((r) => /@example\.invalid/.test(r.sysmail + r.extmail) || /^[0-9a-f]{64}$/.test(r.password))).toEqual([]);
    expect(after.find((r) => r.username === 'newcomer')).toMatchObject({ sysmail: 'new.dev.user@team.example', password: 'devhash' });
    // Production never records masks it made itself.
    expect((await prod.client.query(`SELECT to_regclass('_mr4.masked') IS NULL AS none`)).rows[0].none).toBe(true);
  });

  test('without the lineage, merging back stops rather than add production’s users again with masked keys', async () => {
    const devArchive = join(dir, 'dev-no-lineage.tar.gz');
    await exportDb(dev, devArchive, { lineage: false });
    const count = async () => Number((await prod.client.query(`SELECT count(*) AS n FROM users`)).rows[0].n);
    const n = await count();
    await expect(importInto(prod, devArchive, 'merge', { lineage: false })).rejects.toThrow(
      /users's natural key \(sysmail\) holds values this database's own export masked/,
    );
    expect(await count()).toBe(n);
  });
});

describe('encrypted archives refused before anything is written', () => {
  let prod: TestDb;
  let target: TestDb;
  const archive = join(dir, 'plain-subset.tar.gz.enc');
  beforeAll(async () => {
    prod = await newDb(crearisSchemaSql);
    target = await newDb(crearisSchemaSql);
    await seedCrearisDemo(prod.client);
    await exportDb(prod, archive, { encrypt: { passphrase: PASSPHRASE } });
  });
  const rows = async () =>
    Number((await target.client.query(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM events) AS n`)).rows[0].n);

  test('no passphrase, a wrong one', async () => {
    const n = await rows();
    await expect(importInto(target, archive, 'merge')).rejects.toMatchObject({ code: 'MR4_PASSPHRASE_REQUIRED' });
    await expect(importInto(target, archive, 'merge', { secret: { passphrase: 'wrong' } })).rejects.toMatchObject({
      code: 'MR4_WRONG_PASSPHRASE',
    });
    expect(await rows()).toBe(n);
  });

  test('a chunk altered near the end: found while staging, rolled back, and said so', async () => {
    const bad = join(dir, 'altered.tar.gz.enc');
    const bytes = Buffer.from(readFileSync(archive));
    bytes[bytes.length - 40] ^= 0x01;
    writeFileSync(bad, bytes);
    const n = await rows();
    const error = await importInto(target, bad, 'merge', { secret: { passphrase: PASSPHRASE } }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/the encrypted archive was altered or is damaged: chunk \d+ .* fails its authentication check/);
    expect(error?.message).toMatch(/Nothing was written to the target/);
    expect(await rows()).toBe(n);
  });

  test('cut short: refused', async () => {
    const cut = join(dir, 'cut.tar.gz.enc');
    const bytes = readFileSync(archive);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
    // Cut inside the last chunk: that chunk cannot authenticate (cut or altered, mr4 cannot tell).
    await expect(importInto(target, cut, 'merge', { secret: { passphrase: PASSPHRASE } })).rejects.toThrow(
      /fails its authentication check \(or the archive was cut short there\)/,
    );
  });

  test('a correct passphrase imports it', async () => {
    const report = await importInto(target, archive, 'merge', { secret: { passphrase: PASSPHRASE } });
    expect(report.failures).toEqual([]);
    expect(report.tables.find((t) => t.table === 'events')!.inserted).toBeGreaterThan(0);
  });
});
