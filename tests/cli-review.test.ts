// The review as a document on the command line: `mr4 import --decisions FILE` takes the review the app
// saves (format mr4-review) — its decisions settle the conflicts, its exclusions leave rows out — and
// refuses, plainly and before writing, a review of another archive or another database. And the command
// line the app shows for a run (services/command-line.ts) runs as it is, in a shell, without a password.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ReviewDocument, SavedConnection } from '../src-common/contract';
import { archiveSha256 } from '../src-main/engine/archive/reader';
import { connectionUrlWithoutPassword, exportCommandLine, importCommandLine, reviewSummary, shellQuote, undoCommandLine } from '../src-main/services/command-line';
import type { TestDb } from './helpers/db';
import { BIN, cleanEnv, ensureBuilt, runCli } from './helpers/cli';
import { exportDb, freshDb, importInto, scratchDir } from './helpers/engine';

const dir = scratchDir();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;
let prod: TestDb;
let dev: TestDb;
let base: string;
let archive: string;
const env = cleanEnv();

beforeAll(async () => {
  ensureBuilt();
  prod = await freshDb(SCHEMA + `INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  dev = await freshDb(SCHEMA);
  base = join(dir, 'base.tar.gz');
  await exportDb(prod, base);
  await importInto(dev, base, 'merge');
  // b: a conflict (both changed its price); d: new in dev; c: renamed in dev.
  await dev.client.query(`UPDATE item SET price = 20 WHERE code = 'b'; UPDATE item SET name = 'C dev' WHERE code = 'c'; INSERT INTO item (code, name) VALUES ('d', 'D');`);
  await prod.client.query(`UPDATE item SET price = 21 WHERE code = 'b';`);
  archive = join(dir, 'dev.tar.gz');
  await exportDb(dev, archive);
}, 120_000);
afterAll(async () => {
  await prod?.drop();
  await dev?.drop();
});

async function review(over: Partial<ReviewDocument> = {}): Promise<string> {
  const doc: ReviewDocument = {
    format: 'mr4-review',
    version: 1,
    savedAt: new Date().toISOString(),
    archive: { name: 'dev.tar.gz', sha256: await archiveSha256(archive), database: dev.name },
    target: { name: 'Prod', database: prod.name },
    base: { kind: 'file', name: 'base.tar.gz' },
    mode: 'merge',
    decisions: [{ table: 'item', key: { code: 'b' }, field: 'price', choice: 'source' }],
    exclude: [{ table: 'item', key: { code: 'd' } }],
    ...over,
  };
  const file = join(dir, `review-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

const rows = async () => (await prod.client.query<{ code: string; name: string; price: string | null }>('SELECT code, name, price FROM item ORDER BY code')).rows.map((r) => `${r.code}:${r.name}:${r.price}`);

test('a review of another archive, or of another database, is refused before anything is written', async () => {
  const before = await rows();
  const otherArchive = await review({ archive: { name: 'old.tar.gz', sha256: 'f'.repeat(64) } });
  const r1 = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--decisions', otherArchive], { env });
  expect(r1.code).toBe(1);
  expect(r1.stderr).toMatch(/was made for another archive: old\.tar\.gz \(SHA-256 ffffffffffff…\)/);
  const otherDb = await review({ target: { database: 'somewhere_else' } });
  const r2 = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--decisions', otherDb], { env });
  expect(r2.code).toBe(1);
  expect(r2.stderr).toContain(`was made for the database somewhere_else, not ${prod.name}`);
  const broken = join(dir, 'broken-review.json');
  writeFileSync(broken, JSON.stringify({ format: 'mr4-review', version: 1, archive: { sha256: 'x' } }));
  const r3 = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--decisions', broken], { env });
  expect(r3.code).toBe(1);
  expect(r3.stderr).toMatch(/The review in .* is not valid/);
  expect(await rows()).toEqual(before);
});

test('the command line the app shows for a reviewed merge runs as it is and does what the review decided', async () => {
  const u = new URL(prod.url);
  const target: SavedConnection = {
    id: 'x', name: 'Prod', host: u.hostname, port: Number(u.port), database: prod.name, user: decodeURIComponent(u.username), sslMode: 'disable', tag: 'production', color: '#000000',
    hasPassword: true, passwordStore: 'memory', ssh: null, demo: false, createdAt: '', updatedAt: '',
  };
  const file = await review();
  const dry = importCommandLine({ archive, target, mode: 'merge', dryRun: true, base, decisionsFile: file });
  const real = importCommandLine({ archive, target, mode: 'merge', dryRun: false, base, decisionsFile: file });
  expect(dry).toBe(`mr4 import ${archive} --db 'postgres://${target.user}@${target.host}:${target.port}/${prod.name}?sslmode=disable' --mode merge --base ${base} --decisions ${file} --dry-run`);
  expect(real).not.toContain('--dry-run');
  // `mr4` on the PATH as a user has it; the password is never in the line (trust auth here).
  const shim = join(dir, 'mr4');
  writeFileSync(shim, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(BIN)} "$@"\n`);
  chmodSync(shim, 0o755);
  const run = (line: string) => execFileSync('sh', ['-c', line], { env: { ...env, PATH: `${dir}:${env.PATH}` }, encoding: 'utf8' });
  expect(run(dry)).toMatch(/DRY RUN/);
  expect(await rows()).toEqual(['a:A:1', 'b:B:21', 'c:C:3']);
  run(real);
  // b's price: the archive's, as decided; c: dev's name applied; d: left out.
  expect(await rows()).toEqual(['a:A:1', 'b:B:20', 'c:C dev:3']);
});

test('command lines: no password, shell-quoted, SSH and encryption as placeholders, every option of the request', () => {
  const c: SavedConnection = {
    id: 'x', name: 'Shop', host: 'db.example.com', port: 5433, database: 'shop prod', user: 'me', sslMode: 'require', tag: null, color: '#000000',
    hasPassword: true, passwordStore: 'keychain', ssh: { host: 'bastion', port: 2222, user: 'ops', auth: 'key', keyFile: 'id_ed25519', hasSecret: true, secretStore: 'keychain' }, demo: false, createdAt: '', updatedAt: '',
  };
  expect(connectionUrlWithoutPassword(c)).toBe('postgres://me@db.example.com:5433/shop%20prod?sslmode=require');
  const line = importCommandLine({ archive: "/tmp/it's.tar.gz", target: c, mode: 'skip', dryRun: false, tables: ['a', 'b'], sameIds: true, probableEdits: 'new', allowFailures: true, ignoreMissingColumns: true, disableTriggers: true, encrypted: true, base: 'none' });
  expect(line).toBe(
    "mr4 import '/tmp/it'\\''s.tar.gz' --db 'postgres://me@db.example.com:5433/shop%20prod?sslmode=require' --ssh ops@bastion:2222 --ssh-key ~/.ssh/id_ed25519 --mode skip --base none --tables a,b --same-ids --probable-edits new --allow-failures --ignore-missing-columns --disable-triggers --passphrase-file PASSPHRASE_FILE",
  );
  expect(exportCommandLine({ source: { ...c, ssh: null }, out: '/x.tar.gz', mask: true, where: [{ table: 'events', where: "year > 2020" }], withChildren: true })).toBe(
    "mr4 export --db 'postgres://me@db.example.com:5433/shop%20prod?sslmode=require' --out /x.tar.gz --mask --where 'events:year > 2020' --with-children",
  );
  expect(undoCommandLine({ target: { ...c, ssh: null, sslMode: 'prefer' }, run: 'abc-123', dryRun: true, keepChanged: true })).toBe("mr4 undo --db postgres://me@db.example.com:5433/shop%20prod --run abc-123 --keep-changed --dry-run");
  expect(reviewSummary({ decisions: [{ table: 't', key: {}, choice: 'source' }, { table: 't', key: { a: 1 }, choice: 'same' }], exclude: [{ table: 'x' }, { table: 't', key: { a: 2 } }, { table: 't', key: { a: 3 }, field: 'f' }] }, 'base.tar.gz')).toEqual({
    base: 'base.tar.gz', conflictsDecided: 1, probableEditsAnswered: 1, rowsLeftOut: 2, tablesLeftOut: ['x'],
  });
});
