// Many rows of several megabytes each (an upload of about a megabyte that decompresses to hundreds:
// before, 3 GB in browser mode). The archive browser keeps each row shortened for display at bounded
// memory; an import streams every row to the server without holding it and stores it exactly.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { craftStreamedArchive, type Piece, piecesDigest, readEntries } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';
import { peakRssMb, spawnMeasured } from '../helpers/faults';
import { measureCache } from '../helpers/measure';

const db = databasesForFile();
const dir = scratchDir();
let target: TestDb;
let header: string;
let index: unknown;

function craft(out: string, rows: number, mib: number): void {
  const pieces: Piece[] = [`${header}\n`];
  for (let i = 1; i <= rows; i++) {
    // Each value starts with its own number, holds escapes, and is `mib` MiB of text.
    pieces.push(
      `["${i}","row ${i} \\"quoted\\" \\\\ \\n`,
      { repeat: 'abcdefgh'.repeat(128), times: mib * 1024 },
      i < rows ? '"],\n' : '"]\n',
    );
  }
  pieces.push(']}\n');
  const digest = piecesDigest(pieces);
  const json = JSON.parse(JSON.stringify(index));
  Object.assign(json.tables.big, { rows, bytes: digest.bytes, sha256: digest.sha256 });
  craftStreamedArchive(out, [
    { path: 'index.json', pieces: [JSON.stringify(json)] },
    { path: 'big.json', pieces },
  ]);
}

beforeAll(async () => {
  ensureBuilt();
  target = await db(`CREATE TABLE big (id int PRIMARY KEY, v text)`);
  const empty = join(dir, 'empty.tar.gz');
  await exportDb(target, empty);
  const [i, file] = readEntries(empty);
  index = JSON.parse(i.body.toString());
  header = file.body.toString().split('\n')[0];
}, 120_000);

test('the archive browser opens 150 rows of 4 MiB (600 MiB) at bounded memory, each row shortened', async () => {
  const archive = join(dir, 'browse.tar.gz');
  craft(archive, 150, 4);
  const m = await measureCache(archive);
  console.log(`150 rows of 4 MiB, archive browser: peak RSS ${m.maxRssMb} MiB`);
  expect(m.maxRssMb).toBeLessThan(300);
  expect(m).toMatchObject({ ok: true, checksums: 'verified', rows: [150] });
});

test('mr4 import stores 40 rows of 5 MiB exactly, at bounded memory', async () => {
  const archive = join(dir, 'import.tar.gz');
  craft(archive, 40, 5);
  const rss = join(dir, 'import.rss');
  const r = await spawnMeasured(['import', archive, '--db', target.url, '--mode', 'skip', '--no-remember'], rss).done;
  expect(r.code, r.stderr).toBe(0);
  console.log(`40 rows of 5 MiB, mr4 import: peak RSS ${peakRssMb(rss)} MiB`);
  expect(peakRssMb(rss)).toBeLessThan(300);
  const rows = await target.client.query(
    `SELECT id, v = 'row ' || id || ' "quoted" \\ ' || chr(10) || repeat('abcdefgh', 128 * 5 * 1024) AS ok FROM big ORDER BY id`,
  );
  expect(rows.rows).toHaveLength(40);
  for (const row of rows.rows) expect(row.ok, `row ${row.id}`).toBe(true);
});
