// Table files are written from COPY's text format: every row must come out exactly as PostgreSQL's own
// array_to_json of the row's text values, whatever bytes the values hold. The server is the oracle.
import copyStreams from 'pg-copy-streams';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TableFileWriter } from '../../src-main/engine/archive/table-file';
import { applySessionSettings } from '../../src-main/engine/session';
import { join } from 'node:path';
import { createTestDb, type TestDb } from '../helpers/db';
import { exportDb, importInto, scratchDir } from '../helpers/engine';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb(`CREATE TABLE v (n int PRIMARY KEY, a text, b text, c bytea, d boolean, e char(4), f text[], g jsonb)`);
  await applySessionSettings(db.client, { search_path: 'pg_catalog, public' });
  // Every ASCII byte alone and between letters, then the strings COPY and JSON escape differently.
  await db.client.query(`
    INSERT INTO v (n, a, b) SELECT i, chr(i), 'x' || chr(i) || 'y' FROM generate_series(1, 127) i;
    INSERT INTO v (n, a, b, c, d, e, f, g) VALUES
      (200, '\\N', 'N', '\\x00ff5c', true, 'ab', ARRAY['a"b', NULL, 'c\\d'], '{"k": "tab\\tand \\"quote\\""}'),
      (201, '', NULL, '\\x', false, NULL, '{}', 'null'),
      (202, E'line\\nbreak\\r\\n\\ttab\\\\back', E'\\b\\f\\x0b\\x01\\x1f', NULL, NULL, '    ', NULL, '[1, 2.50, "ü"]'),
      (203, 'Grüße, 東京, 🎭', repeat('long ', 20000), NULL, NULL, 'xy', NULL, NULL);`);
});
afterAll(async () => {
  await db?.drop();
});

async function writtenFile(columns: string[]): Promise<string> {
  const copy = db.client.query(copyStreams.to(`COPY (SELECT ${columns.join(', ')} FROM v ORDER BY n) TO STDOUT`));
  const writer = new TableFileWriter('v', columns);
  const parts: Buffer[] = [];
  writer.on('data', (b: Buffer) => parts.push(b));
  await new Promise<void>((resolve, reject) => {
    copy.on('error', reject);
    writer.on('error', reject);
    writer.on('end', resolve);
    copy.pipe(writer);
  });
  return Buffer.concat(parts).toString('utf8');
}

test("every row equals the server's array_to_json of its values, whatever bytes they hold", async () => {
  const columns = ['n', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const file = await writtenFile(columns);
  // The server's own rendering of the same values through each type's output function.
  // (format's %s prints a value through its type's output function, as COPY does; ::text may not:
  // true::text is 'true', a char(n) loses its padding.)
  const out = (c: string) => `CASE WHEN ${c} IS NOT NULL THEN format('%s', ${c}) END`;
  const expected = await db.client.query<{ j: string }>(
    `SELECT array_to_json(ARRAY[${columns.map(out).join(', ')}])::text AS j FROM v ORDER BY n`,
  );
  const lines = file.split('\n');
  expect(lines[0]).toBe('{"tableName":"v","columns":["n","a","b","c","d","e","f","g"],"rows":[');
  const rows = lines.slice(1, -2).map((l) => l.replace(/,$/, ''));
  expect(lines.slice(-2)).toEqual([']}', '']);
  expect(rows).toHaveLength(expected.rows.length);
  rows.forEach((row, i) => expect(row, `row ${i}`).toBe(expected.rows[i].j));
  // And it is JSON whose values are the texts PostgreSQL prints.
  const parsed = JSON.parse(file) as { rows: (string | null)[][] };
  const byN = new Map(parsed.rows.map((r) => [r[0], r]));
  expect(byN.get('200')).toEqual([
    '200',
    '\\N',
    'N',
    '\\x00ff5c',
    't',
    'ab  ',
    '{"a\\"b",NULL,"c\\\\d"}',
    '{"k": "tab\\tand \\"quote\\""}',
  ]);
  expect(byN.get('201')).toEqual(['201', '', null, '\\x', 'f', null, '{}', 'null']);
  expect(byN.get('202')?.slice(1, 3)).toEqual(['line\nbreak\r\n\ttab\\back', '\b\f\v\x01\x1f']);
  expect(byN.get('203')?.[1]).toBe('Grüße, 東京, 🎭');
  expect(byN.get('203')?.[2]).toHaveLength(100_000);
});

test('a table of no columns, and a table with no rows', async () => {
  const none = await writtenFile([]);
  expect(none).toBe(`{"tableName":"v","columns":[],"rows":[\n${Array(131).fill('[]').join(',\n')}\n]}\n`);
  const copy = db.client.query(copyStreams.to(`COPY (SELECT n FROM v WHERE false) TO STDOUT`));
  const writer = new TableFileWriter('v', ['n']);
  const parts: Buffer[] = [];
  writer.on('data', (b: Buffer) => parts.push(b));
  await new Promise<void>((resolve, reject) => {
    writer.on('error', reject);
    writer.on('end', resolve);
    copy.pipe(writer);
  });
  expect(Buffer.concat(parts).toString()).toBe('{"tableName":"v","columns":["n"],"rows":[\n]}\n');
  expect(writer.stats().rows).toBe(0);
});

test('a row of many megabytes, arriving in small chunks, full of characters to escape', async () => {
  const value = 'ab"c\\'.repeat(4 * 1024 * 1024); // 20 MiB, every fifth byte a quote or a backslash
  const copyText = Buffer.from(`1\t${value.replace(/\\/g, '\\\\')}\n2\t\\N\n`);
  const writer = new TableFileWriter('big', ['n', 'v']);
  const parts: Buffer[] = [];
  writer.on('data', (b: Buffer) => parts.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    writer.on('error', reject);
    writer.on('end', resolve);
  });
  for (let i = 0; i < copyText.length; i += 65536) writer.write(copyText.subarray(i, i + 65536));
  writer.end();
  await ended;
  const parsed = JSON.parse(Buffer.concat(parts).toString('utf8')) as { rows: (string | null)[][] };
  expect(parsed.rows).toHaveLength(2);
  expect(parsed.rows[0][1]).toHaveLength(value.length);
  expect(parsed.rows[0][1] === value).toBe(true);
  expect(parsed.rows[1]).toEqual(['2', null]);
});

test('a 24 MB value with quotes, backslashes and newlines goes through export and import unchanged', async () => {
  const schema = `CREATE TABLE doc (id serial PRIMARY KEY, name text UNIQUE NOT NULL, body text)`;
  const src = await createTestDb(schema);
  const tgt = await createTestDb(schema);
  try {
    await src.client.query(`INSERT INTO doc (name, body) VALUES ('big', repeat(E'a"b\\\\c\\n\\t', 3500000)), ('small', 'x')`);
    const archive = join(scratchDir(), 'big.tar.gz');
    await exportDb(src, archive);
    const report = await importInto(tgt, archive, 'skip');
    expect(report.tables[0]).toMatchObject({ inserted: 2, failed: 0 });
    const digest = `SELECT name, length(body) AS n, md5(body) AS h FROM doc ORDER BY name`;
    const [a, b] = [await src.client.query(digest), await tgt.client.query(digest)];
    expect(b.rows).toEqual(a.rows);
    expect(a.rows[0].n).toBe(24_500_000);
  } finally {
    await src.drop();
    await tgt.drop();
  }
});
