// `mr4 diff` and the three-way `mr4 import`, run as a user runs them.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { fingerprint } from '../helpers/compare';
import { cleanEnv, runCli } from '../helpers/cli';
import { databasesForFile, freshDb } from '../helpers/engine';
import { cliWorkFolder, ITEM_SCHEMA, threeWayItems } from './helpers';

const dir = cliWorkFolder();
const newDb = databasesForFile();
let prod: TestDb;
let base: string;
let archive: string;
const env = cleanEnv();

beforeAll(async () => {
  ({ prod, base, archive } = await threeWayItems(newDb, dir, {
    dev: `UPDATE item SET name = 'A dev' WHERE code = 'a'; UPDATE item SET price = 20 WHERE code = 'b'; INSERT INTO item (code, name) VALUES ('d', 'D');`,
    prod: `UPDATE item SET price = 10 WHERE code = 'a'; UPDATE item SET price = 21 WHERE code = 'b';`,
  }));
}, 120_000);

test('--json gives the summary and every conflict in full; --fingerprints and --rows-out write files', async () => {
  const prints = join(dir, 'prints.jsonl');
  const rowsOut = join(dir, 'rows.jsonl');
  const r = await runCli(
    ['diff', archive, '--db', prod.url, '--base', base, '--json', '--rows', '0', '--fingerprints', prints, '--rows-out', rowsOut],
    { env },
  );
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.summary.threeWay).toBe(true);
  // 'a': dev's name is applied, prod's price kept (a change); 'b': both changed the price (a conflict).
  expect(out.summary.tables[0].counts).toMatchObject({ new: 1, changed: 1, kept: 0, conflict: 1, identical: 1 });
  expect(out.conflicts).toEqual([
    expect.objectContaining({
      table: 'item',
      key: { code: 'b' },
      fields: [{ column: 'price', source: '20', target: '21', base: '2', verdict: 'conflict' }],
    }),
  ]);
  expect(out.rows).toEqual([]);
  expect(readFileSync(prints, 'utf8').trim().split('\n').length).toBe(1 + 4);
  const lines = readFileSync(rowsOut, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => `${l.kind}:${l.key.code}`).sort()).toEqual(['changed:a', 'conflict:b', 'new:d']);
});

test('the text output names each differing field and what a merge would do', async () => {
  const r = await runCli(['diff', archive, '--db', prod.url, '--base', base], { env });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Three-way diff/);
  expect(r.stdout).toMatch(/price: archive "20", target "21", base "2" → CONFLICT/);
  expect(r.stdout).toMatch(/name: archive "A dev", target "A", base "A" → apply/);
  expect(r.stdout).toMatch(/price: archive "1", target "10", base "1" → keep target/);
  expect(r.stdout).toMatch(/A merge would insert 1 row and update 1 row, and stops on 1 conflicting row until it is decided/);
});

test('the merge stops on the conflict (exit 1, nothing written), then honours a decisions file', async () => {
  const before = await fingerprint(prod.client);
  const stopped = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base], { env });
  expect(stopped.code).toBe(1);
  expect(stopped.stderr).toMatch(/1 row\(s\) with conflicts .* item \{"code":"b"\} price/s);
  expect(await fingerprint(prod.client)).toBe(before);
  const decisions = join(dir, 'decisions.json');
  writeFileSync(
    decisions,
    JSON.stringify({
      format: 'mr4-decisions',
      version: 1,
      decisions: [{ table: 'item', key: { code: 'b' }, field: 'price', choice: 'source' }],
    }),
  );
  const merged = await runCli(
    ['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--decisions', decisions, '--json'],
    { env },
  );
  expect(merged.code, merged.stderr).toBe(0);
  expect(JSON.parse(merged.stdout).tables[0]).toMatchObject({ inserted: 1, updated: 2 });
  const rows = (await prod.client.query(`SELECT code, name, price::text FROM item ORDER BY code`)).rows;
  expect(rows).toEqual([
    { code: 'a', name: 'A dev', price: '10' },
    { code: 'b', name: 'B', price: '20' },
    { code: 'c', name: 'C', price: '3' },
    { code: 'd', name: 'D', price: null },
  ]);
});

test('a malformed decisions file is refused before connecting, with the problems listed', async () => {
  const bad = join(dir, 'bad-decisions.json');
  writeFileSync(
    bad,
    JSON.stringify({ format: 'mr4-decisions', version: 1, decisions: [{ table: 'item', key: { code: 'b' }, choice: 'maybe' }] }),
  );
  const r = await runCli(['import', archive, '--db', prod.url, '--mode', 'merge', '--base', base, '--decisions', bad], { env });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/decisions.*not valid[\s\S]*decisions\.0\.choice/);
});

test('a pull through mr4 import keeps what both databases agree on; --base auto finds it when merging back (diff too)', async () => {
  const p = await freshDb(ITEM_SCHEMA + `INSERT INTO item (code, name, price) VALUES ('x', 'X', 1), ('y', 'Y', 2);`);
  const d = await freshDb(ITEM_SCHEMA);
  try {
    const pulled = join(dir, 'pulled.tar.gz');
    expect((await runCli(['export', '--db', p.url, '--out', pulled], { env })).code).toBe(0);
    expect((await runCli(['import', pulled, '--db', d.url, '--mode', 'merge'], { env })).code).toBe(0);
    await d.client.query(`UPDATE item SET name = 'X dev' WHERE code = 'x'`);
    await p.client.query(`UPDATE item SET price = 22 WHERE code = 'y'`);
    const back = join(dir, 'back.tar.gz');
    expect((await runCli(['export', '--db', d.url, '--out', back], { env })).code).toBe(0);
    const index = JSON.parse(execFileSync('tar', ['xzOf', back, 'index.json']).toString());
    expect(index.metadata.identity).toMatch(/^[0-9a-f-]{36}$/);
    const diffed = await runCli(['diff', back, '--db', p.url, '--base', 'auto', '--json'], { env });
    expect(diffed.code, diffed.stderr).toBe(0);
    expect(JSON.parse(diffed.stdout).summary.tables[0].counts).toMatchObject({ changed: 1, kept: 1 });
    const merged = await runCli(['import', back, '--db', p.url, '--mode', 'merge', '--base', 'auto', '--json'], { env });
    expect(merged.code, merged.stderr).toBe(0);
    expect((await p.client.query(`SELECT code, name, price::text FROM item ORDER BY code`)).rows).toEqual([
      { code: 'x', name: 'X dev', price: '1' },
      { code: 'y', name: 'Y', price: '22' },
    ]);
    // A database and its own export were never synced with each other: --base auto says so.
    const none = await runCli(['import', pulled, '--db', p.url, '--mode', 'merge', '--base', 'auto'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/No agreed state of .* is kept here.*--base FILE/s);
  } finally {
    await p.drop();
    await d.drop();
  }
});

test('a rename onto a unique value the target added meanwhile: the diff shows it refused, and the merge refuses it alike', async () => {
  const TAGS = `CREATE TABLE tags (id serial PRIMARY KEY, name text UNIQUE, color text);`;
  const p = await freshDb(TAGS + `INSERT INTO tags (name, color) VALUES ('blue', '#00f'), ('green', '#0f0');`);
  const d = await freshDb(TAGS);
  try {
    const pulled = join(dir, 'tags-pulled.tar.gz');
    expect((await runCli(['export', '--db', p.url, '--out', pulled], { env })).code).toBe(0);
    expect((await runCli(['import', pulled, '--db', d.url, '--mode', 'merge'], { env })).code).toBe(0);
    await p.client.query(`INSERT INTO tags (name, color) VALUES ('red', '#f00')`);
    await d.client.query(`UPDATE tags SET name = 'red' WHERE name = 'blue'`);
    const back = join(dir, 'tags-back.tar.gz');
    expect((await runCli(['export', '--db', d.url, '--out', back], { env })).code).toBe(0);
    const reason =
      'a different target row already has this name (unique tags_name_key): {"name": "red"}, which this merge does not change. ' +
      `Leave this row out, decide its name "target" to keep the target's value, or change one of the two rows`;
    const diffed = await runCli(['diff', back, '--db', p.url, '--base', 'auto'], { env });
    expect(diffed.code, diffed.stderr).toBe(0);
    expect(diffed.stdout).toContain(`  tags {"name":"red"} (row 1): refused — ${reason}\n`);
    expect(diffed.stdout).toContain(
      'A merge would insert 0 rows and update 0 rows. It refuses 1 row, each with its reason: the merge writes nothing while it is refused (--allow-failures writes the rest).',
    );
    const before = await fingerprint(p.client);
    const merged = await runCli(['import', back, '--db', p.url, '--mode', 'merge', '--base', 'auto'], { env });
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain(`tags {"name":"red"} (row 1): ${reason}`);
    expect(await fingerprint(p.client)).toBe(before);
  } finally {
    await p.drop();
    await d.drop();
  }
});
