// PostgreSQL 18: virtual generated columns are left out like stored ones, and the engine's catalog
// queries and workflow work unchanged on the newest server.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { applyDevEdits, seedCrearisDemo } from '../../src-main/demo/crearis-demo-data';
import { exportArchive } from '../../src-main/engine/export';
import { importArchive } from '../../src-main/engine/import/index';
import { withDatabase } from '../helpers/db';
import { compareDatabases, rowVersions } from '../helpers/compare';
import { allTypesSql, crearisSchemaSql, scratchDir, totals } from '../helpers/engine';
import { startPostgres18 } from '../helpers/pg18';

const dir = scratchDir();
let server: Awaited<ReturnType<typeof startPostgres18>>;
const clients: pg.Client[] = [];
beforeAll(async () => {
  server = await startPostgres18();
}, 120_000);
afterAll(async () => {
  for (const c of clients) await c.end();
  await server?.stop();
});

async function database(name: string, sql: string): Promise<{ url: string; client: pg.Client }> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(server.url, name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  await client.query(sql);
  return { url, client };
}

test('virtual generated columns are not exported and are computed by the target', async () => {
  const schema = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price numeric, qty int,
                    total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL, label text GENERATED ALWAYS AS (upper(code)) STORED);`;
  const src = await database('v_src', schema + `INSERT INTO item (code, price, qty) VALUES ('a', 1.50, 3), ('b', 2, NULL);`);
  const dst = await database('v_dst', schema);
  const file = join(dir, 'virtual.tar.gz');
  await exportArchive({ db: dbTarget(src.url), out: file });
  const index = JSON.parse(execFileSync('tar', ['xzOf', file, 'index.json']).toString());
  expect(index.tables.item.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'code', 'price', 'qty']);
  expect(index.tables.item.excludedColumns).toEqual([
    { name: 'total', reason: 'generated (virtual)' },
    { name: 'label', reason: 'generated' },
  ]);
  const report = await importArchive({ db: dbTarget(dst.url), archive: file, mode: 'skip' });
  expect(report.tables[0].inserted).toBe(2);
  expect((await dst.client.query(`SELECT code, total::text, label FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', total: '4.50', label: 'A' },
    { code: 'b', total: null, label: 'B' },
  ]);
});

test('values round-trip exactly on PostgreSQL 18', async () => {
  const src = await database('z_src', allTypesSql);
  const dst = await database('z_dst', allTypesSql.replace(/INSERT INTO[\s\S]*$/m, ''));
  const first = join(dir, 'zoo18-1.tar.gz');
  const second = join(dir, 'zoo18-2.tar.gz');
  await exportArchive({ db: dbTarget(src.url), out: first });
  await importArchive({ db: dbTarget(dst.url), archive: first, mode: 'skip' });
  await exportArchive({ db: dbTarget(dst.url), out: second });
  expect(execFileSync('tar', ['xzOf', second, 'value_zoo.json']).toString()).toBe(
    execFileSync('tar', ['xzOf', first, 'value_zoo.json']).toString(),
  );
});

test('the Crearis workflow on PostgreSQL 18: pull, edit, merge back, merge again without rewrites', async () => {
  const prod = await database('c_prod', crearisSchemaSql);
  const dev = await database('c_dev', crearisSchemaSql);
  await seedCrearisDemo(prod.client);
  const pull = join(dir, 'c18-prod.tar.gz');
  await exportArchive({ db: dbTarget(prod.url), out: pull });
  await importArchive({ db: dbTarget(dev.url), archive: pull, mode: 'merge' });
  await applyDevEdits(dev.client);
  const back = join(dir, 'c18-dev.tar.gz');
  await exportArchive({ db: dbTarget(dev.url), out: back });
  const report = await importArchive({ db: dbTarget(prod.url), archive: back, mode: 'merge' });
  expect(report.failures).toEqual([]);
  expect(totals(report).inserted).toBeGreaterThan(0);
  expect(await compareDatabases(dev.client, prod.client, { ignore: ['users.password'], targetMayHaveMore: true })).toEqual([]);
  const tables = ['users', 'projects', 'events', 'images', 'pages', 'event_instructors'];
  const before = await rowVersions(prod.client, tables);
  expect(totals(await importArchive({ db: dbTarget(prod.url), archive: back, mode: 'merge' }))).toMatchObject({ inserted: 0, updated: 0 });
  expect(await rowVersions(prod.client, tables)).toEqual(before);
});
