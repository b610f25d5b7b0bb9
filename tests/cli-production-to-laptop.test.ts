// The mr4 command, run as a user runs it: plan what a masked subset export takes, export it encrypted,
// import and diff it with the passphrase from a file or the environment (never printed), a key file
// instead, and every kind of bad usage refused before anything is touched.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seedCrearisDemo } from '../src-main/demo/crearis-demo-data';
import type { TestDb } from './helpers/db';
import { cleanEnv, ensureBuilt, runCli } from './helpers/cli';
import { crearisSchemaSql, freshDb, scratchDir } from './helpers/engine';

const dir = scratchDir();
const PASSPHRASE = 'a passphrase nobody prints';
const WHERE = "events:date_begin >= '2026-01-01'";
let prod: TestDb;
let dev: TestDb;
const env = cleanEnv();
const passFile = join(dir, 'pass.txt');

beforeAll(async () => {
  ensureBuilt();
  prod = await freshDb(crearisSchemaSql);
  dev = await freshDb(crearisSchemaSql);
  await seedCrearisDemo(prod.client);
  writeFileSync(passFile, `${PASSPHRASE}\n`);
}, 180_000);
afterAll(async () => {
  await prod?.drop();
  await dev?.drop();
});

test('mr4 plan shows what an export masks and the subset’s rows per table', async () => {
  const r = await runCli(['plan', '--db', prod.url, '--mask', '--where', WHERE, '--with-children'], { env });
  expect(r.code, r.stderr).toBe(0);
  // A table's line carries "about N rows" once autovacuum has analysed it, which a busy server may
  // or may not have done by now; its block is its following lines indented further.
  expect(r.stdout).toMatch(
    /\n {4}users(, about \d+ rows)?\n( {6}.*\n)*? {6}masked on export: sysmail \(email, profile default\), extmail \(email, profile default\), password \(hash, profile default\)/,
  );
  expect(r.stdout).toMatch(/\n {4}events(, about \d+ rows)?\n( {6}.*\n)*? {6}subset: 5 rows: 5 meet the condition/);
  expect(r.stdout).toMatch(/Subset \(events: date_begin >= '2026-01-01', with the children of kept rows\):\n  events: 5 rows/);
  expect(r.stdout).toMatch(/  events_tags: \d+ rows: \d+ as children of kept rows/);
  const json = await runCli(['plan', '--db', prod.url, '--where', WHERE, '--json'], { env });
  const result = JSON.parse(json.stdout);
  expect(result.subset.tables.find((t: { table: string }) => t.table === 'events')).toMatchObject({ role: 'filtered', rows: 5 });
  // Without --mask, the profile's defaults are not applied (only a configuration's own rules).
  expect(result.plan.tables.find((t: { name: string }) => t.name === 'users').masked).toEqual([]);
});

test('export --mask --where --encrypt, then import and diff with the passphrase; it is never printed', async () => {
  const archive = join(dir, 'prod.tar.gz.enc');
  const exported = await runCli(
    [
      'export',
      '--db',
      prod.url,
      '--mask',
      '--where',
      WHERE,
      '--with-children',
      '--encrypt',
      '--passphrase-file',
      passFile,
      '--out',
      archive,
    ],
    { env },
  );
  expect(exported.code, exported.stderr).toBe(0);
  expect(exported.stdout).toMatch(/Masked on the server: .*users\.sysmail \(email\)/);
  expect(exported.stdout).toMatch(/Subset \(events: date_begin >= '2026-01-01', with children\): events 5/);
  expect(exported.stdout).toMatch(/Encrypted \(AES-256-GCM\)/);
  expect(readFileSync(archive).subarray(0, 8).toString('latin1')).toBe('\x89MR4ENC\n');

  // Not on a terminal and no passphrase given: bad usage, nothing touched.
  const asked = await runCli(['import', archive, '--db', dev.url, '--mode', 'merge'], { env });
  expect(asked.code).toBe(2);
  expect(asked.stderr).toMatch(/is encrypted: give its passphrase with --passphrase-file FILE or MR4_PASSPHRASE/);
  const wrong = await runCli(['import', archive, '--db', dev.url, '--mode', 'merge', '--json'], {
    env: cleanEnv({ MR4_PASSPHRASE: 'not the passphrase' }),
  });
  expect(wrong.code).toBe(1);
  expect(JSON.parse(wrong.stdout).error.message).toMatch(/The passphrase is not the one this archive was encrypted with/);
  expect(Number((await dev.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n)).toBe(0);

  const imported = await runCli(['import', archive, '--db', dev.url, '--mode', 'merge'], { env: cleanEnv({ MR4_PASSPHRASE: PASSPHRASE }) });
  expect(imported.code, imported.stderr).toBe(0);
  expect(imported.stdout).toMatch(/users\.sysmail, users\.extmail, users\.password hold masked values/);
  expect(Number((await dev.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n)).toBe(5);

  const diff = await runCli(['diff', archive, '--db', dev.url, '--passphrase-file', passFile, '--json', '--rows', '0'], { env });
  expect(diff.code, diff.stderr).toBe(0);
  expect(JSON.parse(diff.stdout).summary.tables.find((t: { table: string }) => t.table === 'events').counts.identical).toBe(5);

  for (const r of [exported, asked, wrong, imported, diff]) {
    expect(r.stdout + r.stderr).not.toContain(PASSPHRASE);
  }
});

test('a key file instead of a passphrase', async () => {
  const key = join(dir, 'archive.key');
  writeFileSync(key, randomBytes(32));
  const archive = join(dir, 'keyed.tar.gz.enc');
  const exported = await runCli(['export', '--db', prod.url, '--tables', 'tags', '--key-file', key, '--out', archive], { env });
  expect(exported.code, exported.stderr).toBe(0);
  const without = await runCli(['diff', archive, '--db', dev.url, '--passphrase-file', passFile], { env });
  expect(without.code).toBe(1);
  expect(without.stderr).toMatch(/encrypted with a key file: give it with --key-file FILE/);
  const withKey = await runCli(['diff', archive, '--db', dev.url, '--key-file', key, '--json'], { env });
  expect(withKey.code, withKey.stderr).toBe(0);
  const short = join(dir, 'short.key');
  writeFileSync(short, 'too short');
  const refused = await runCli(['export', '--db', prod.url, '--key-file', short, '--out', join(dir, 'x.tar.gz.enc')], { env });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/holds 9 bytes; a key file needs at least 32/);
});

test('bad usage is refused before anything is touched', async () => {
  const out = join(dir, 'never.tar.gz');
  const cases: [string[], RegExp][] = [
    [['--where', 'events'], /"events" is not TABLE:CONDITION/],
    [['--where', 'events:true; DROP TABLE users'], /not a single SQL expression: it contains ";"/],
    [['--where', 'events:true -- x'], /it contains a comment/],
    [['--with-children'], /--with-children goes with --where/],
    [['--encrypt'], /--encrypt needs a passphrase/],
    [['--passphrase-file', passFile], /--passphrase-file is for encrypted archives: add --encrypt/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['export', '--db', prod.url, '--out', out, ...args], { env });
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(message);
  }
  const short = await runCli(['export', '--db', prod.url, '--out', out, '--encrypt'], { env: cleanEnv({ MR4_PASSPHRASE: 'short' }) });
  expect(short.code).toBe(2);
  expect(short.stderr).toMatch(/A passphrase needs at least 8 characters/);
  // A condition the server refuses: a failure (exit 1), said with the table, and no archive.
  const invalid = await runCli(['export', '--db', prod.url, '--out', out, '--where', 'events:no_such_column > 1'], { env });
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toMatch(/The condition for events is not valid: column "no_such_column" does not exist/);
  expect(() => readFileSync(out)).toThrow();
});
