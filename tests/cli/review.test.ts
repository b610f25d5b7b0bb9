// The review as a document on the command line: `mr4 import --decisions FILE` takes the review the app
// saves (format mr4-review) — its decisions settle the conflicts, its exclusions leave rows out — and
// refuses, plainly and before writing, a review of another archive or another database. And the command
// line the app shows for a run (services/command-line.ts) runs as it is, in a shell, without a password
// (how each command line is written: tests/services/command-line.unit.test.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import type { ReviewDocument, SavedConnection } from '../../src-common/contract';
import { archiveSha256 } from '../../src-main/engine/archive/reader';
import { importCommandLine, shellQuote } from '../../src-main/services/command-line';
import type { TestDb } from '../helpers/db';
import { BIN, cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile } from '../helpers/engine';
import { cliWorkFolder, threeWayItems } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
let prod: TestDb;
let dev: TestDb;
let base: string;
let archive: string;
const env = cleanEnv();

beforeAll(async () => {
  // b: a conflict (both changed its price); d: new in dev; c: renamed in dev.
  ({ prod, dev, base, archive } = await threeWayItems(newDb, dir, {
    dev: `UPDATE item SET price = 20 WHERE code = 'b'; UPDATE item SET name = 'C dev' WHERE code = 'c'; INSERT INTO item (code, name) VALUES ('d', 'D');`,
    prod: `UPDATE item SET price = 21 WHERE code = 'b';`,
  }));
}, 120_000);

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

const rows = async () =>
  (
    await prod.client.query<{ code: string; name: string; price: string | null }>('SELECT code, name, price FROM item ORDER BY code')
  ).rows.map((r) => `${r.code}:${r.name}:${r.price}`);

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
    id: 'x',
    name: 'Prod',
    host: u.hostname,
    port: Number(u.port),
    database: prod.name,
    user: decodeURIComponent(u.username),
    sslMode: 'disable',
    tag: 'production',
    color: '#000000',
    hasPassword: true,
    passwordStore: 'memory',
    ssh: null,
    demo: false,
    createdAt: '',
    updatedAt: '',
  };
  const file = await review();
  const dry = importCommandLine({ archive, target, mode: 'merge', dryRun: true, base, decisionsFile: file });
  const real = importCommandLine({ archive, target, mode: 'merge', dryRun: false, base, decisionsFile: file });
  expect(dry).toBe(
    `mr4 import ${archive} --db 'postgres://${target.user}@${target.host}:${target.port}/${prod.name}?sslmode=disable' --mode merge --base ${base} --decisions ${file} --dry-run`,
  );
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
