// The review report (diffs.report): a three-way diff between two real databases written as HTML and as
// JSON through dispatch — hostile values escaped (the page runs no script and loads nothing), every
// differing row present with its fields and the decision or exclusion made for it — and a big diff
// written page by page without memory growing with it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DiffKind, DiffOpened, DiffRow, DiffSummary, SavedConnection } from '../src-common/contract';
import { REPORT_KINDS, writeDiffReport } from '../src-main/services/diff-report';
import type { TestDb } from './helpers/db';
import { freshDb } from './helpers/engine';
import { tempDir } from './helpers/temp';
import { draftFor, makeApp, type TestApp, waitJob } from './services/helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const HOSTILE = `</td><script>alert("x")</script><img src=x onerror=alert(1)> & 'q'`;
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, notes text, data jsonb);`;
const MANY = 1_200; // more than two pages of the report's 500 rows
let app: TestApp;
let prodDb: TestDb;
let devDb: TestDb;
let prod: SavedConnection;
let dev: SavedConnection;

async function exportFrom(conn: SavedConnection): Promise<string> {
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'export', sourceId: conn.id, mask: false })).id);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const opened = await waitJob(app, (await app.call('jobs.start', { kind: 'open-archive', file: job.files![0]!.handle })).id);
  return (opened.result as { archiveId: string }).archiveId;
}

beforeAll(async () => {
  app = await makeApp();
  prodDb = await freshDb(
    SCHEMA +
      `INSERT INTO item (code, name, notes, data) VALUES
         ('a', 'Alpha', 'The quick brown fox jumps over the lazy dog', '{"size": 1, "tags": ["x", "y"], "label": "first"}'),
         ('b', 'Beta', 'unchanged', NULL), ('c', 'Gamma', 'kept', NULL);`,
  );
  devDb = await freshDb(SCHEMA);
  prod = await app.call('connections.save', draftFor(prodDb.url, 'Prod', 'production'));
  dev = await app.call('connections.save', draftFor(devDb.url, 'Dev', 'dev'));
  const pulled = await exportFrom(prod);
  const seeded = await waitJob(
    app,
    (await app.call('jobs.start', { kind: 'import', archiveId: pulled, targetId: dev.id, mode: 'merge', dryRun: false })).id,
  );
  expect(seeded.state).toBe('succeeded');
  // Dev: a changed text, a changed JSON value, a hostile name, a conflict, and many new rows.
  await devDb.client.query(
    `UPDATE item SET notes = 'The quick red fox jumps over the lazy dog', data = '{"size": 2, "tags": ["x", "y"], "label": "first"}' WHERE code = 'a';
     UPDATE item SET name = 'Gamma dev' WHERE code = 'c';
     INSERT INTO item (code, name) SELECT 'n' || lpad(g::text, 5, '0'), 'New ' || g FROM generate_series(1, ${MANY}) g;`,
  );
  await devDb.client.query(`UPDATE item SET name = $1 WHERE code = 'b'`, [HOSTILE]);
  await devDb.client.query(`INSERT INTO item (code, name) VALUES ($1, $1)`, [HOSTILE]);
  await prodDb.client.query(`UPDATE item SET name = 'Gamma prod' WHERE code = 'c'`);
}, 180_000);
afterAll(async () => {
  await app?.shutdown();
  await prodDb?.drop();
  await devDb?.drop();
});

test('the review as HTML and JSON: hostile values escaped, every differing row with its fields and decision', async () => {
  const archiveId = await exportFrom(dev);
  const job = await waitJob(app, (await app.call('jobs.start', { kind: 'diff', archiveId, targetId: prod.id, base: 'auto' })).id);
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const { diffId, summary } = job.result as DiffOpened;
  expect(summary.tables[0]!.counts).toMatchObject({ new: MANY + 1, changed: 2, conflict: 1 });
  const differing = REPORT_KINDS.reduce((n, k) => n + summary.tables[0]!.counts[k], 0);
  const decisions = {
    decisions: [{ table: 'item', key: { code: 'c' }, field: 'name', choice: 'target' as const }],
    exclude: [
      { table: 'item', key: { code: 'n00007' } },
      { table: 'item', key: { code: 'a' }, field: 'data' },
    ],
  };

  const html = await app.call('diffs.report', {
    diffId,
    format: 'html',
    mode: 'merge',
    decisions,
    sourceLabel: 'Dev <b>',
    targetLabel: 'Prod',
  });
  expect(html.rows).toBe(differing);
  expect(html.file.name).toMatch(/^review-.*\.html$/);
  const htmlPath = app.services.files.pathOf(html.file.handle).path;
  expect(statSync(htmlPath).mode & 0o077).toBe(0);
  const page = readFileSync(htmlPath, 'utf8');
  // Self-contained and inert: no script, no external resource, nothing unescaped from the data.
  expect(/<(script|img|link|iframe|object|embed|svg|base)\b/i.test(page), 'no script, image, link or frame').toBe(false);
  expect(/\s(src|href|on\w+)=(?!"#)/i.test(page.replace(/&lt;.*?&gt;/g, '')), 'no attribute that loads or runs anything').toBe(false);
  expect(page.includes(`default-src 'none'`), `default-src 'none'`).toBe(true);
  expect(
    page.includes('&lt;/td&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;'),
    '&lt;/td&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;',
  ).toBe(true);
  expect(page.includes('Dev &lt;b&gt;'), 'Dev &lt;b&gt;').toBe(true);
  // Every table's summary, every differing row.
  expect(
    /<table class="summary">[\s\S]*<code>item<\/code>[\s\S]*1,201/.test(page),
    '/<table class="summary">[\\s\\S]*<code>item<\\/code>[\\s\\S]*1,201/',
  ).toBe(true);
  expect(page.match(/<article /g)?.length).toBe(differing);
  for (let g = 1; g <= MANY; g += 97)
    expect(page.includes(`>n${String(g).padStart(5, '0')}</h3>`), `>n${String(g).padStart(5, '0')}</h3>`).toBe(true);
  expect(page.includes(`>n${String(MANY).padStart(5, '0')}</h3>`), `>n${String(MANY).padStart(5, '0')}</h3>`).toBe(true);
  // The changed words marked inside the value, the decisions and exclusions written out.
  expect(page.includes('The quick <ins>red</ins> fox'), 'The quick <ins>red</ins> fox').toBe(true);
  expect(page.includes('The quick <del class="by-source">brown</del> fox'), 'The quick <del class="by-source">brown</del> fox').toBe(true);
  expect(page.includes('&quot;size&quot;: <ins>2</ins>'), '&quot;size&quot;: <ins>2</ins>').toBe(true);
  const articleOf = (key: string) => page.slice(page.indexOf(`${key}</h3>`), page.indexOf('</article>', page.indexOf(`${key}</h3>`)));
  expect(articleOf('n00007')).toContain('Decision: Left out: the merge does not touch this row');
  expect(articleOf('n00008')).toContain('Decision: Inserted');
  expect(articleOf('>a')).toMatch(/data-field="data"[\s\S]*Left out: not updated/);
  expect(articleOf('>a')).toMatch(/data-field="notes"[\s\S]*<td>Apply<\/td><td>Apply<\/td>/);
  expect(articleOf('>c')).toMatch(/Gamma <del class="by-both">prod|Decided: keep target/);
  expect(articleOf('>c')).toContain('Decided: keep target');

  const json = await app.call('diffs.report', { diffId, format: 'json', mode: 'merge', decisions });
  const report = JSON.parse(readFileSync(app.services.files.pathOf(json.file.handle).path, 'utf8'));
  expect(report).toMatchObject({ format: 'mr4-review-report', version: 1, threeWay: true, mode: 'merge', rows: differing, decisions });
  const rows = report.tables[0].rows as (Omit<DiffRow, 'fields'> & { outcome: string; fields: { column: string; outcome: string }[] })[];
  expect(rows).toHaveLength(differing);
  expect(new Set(rows.map((r) => JSON.stringify(r.key))).size).toBe(differing);
  expect(rows.find((r) => r.key?.code === HOSTILE)?.values?.name).toBe(HOSTILE);
  expect(rows.find((r) => r.key?.code === 'n00007')?.outcome).toMatch(/^Left out/);
  expect(rows.find((r) => r.key?.code === 'c')?.fields.find((f) => f.column === 'name')?.outcome).toBe('Decided: keep target');
  expect(rows.find((r) => r.key?.code === 'a')?.fields.find((f) => f.column === 'data')?.outcome).toBe('Left out: not updated');
  expect(rows.every((r) => !('fingerprint' in r))).toBe(true);
  expect(report.tables[0].counts).toEqual(summary.tables[0]!.counts);
  await app.call('diffs.close', { diffId });
  expect((await app.fail('diffs.report', { diffId, format: 'html' })).status).toBe(404);
  expect((await app.fail('diffs.report', { diffId, format: 'pdf' })).status).toBe(400);
}, 120_000);

test('a big diff is written page by page: memory does not grow with it', async () => {
  const TABLES = 2;
  const PER_TABLE = 30_000;
  const counts = (): Record<DiffKind, number> => ({
    new: PER_TABLE / 2,
    changed: PER_TABLE / 2,
    kept: 0,
    identical: 5,
    conflict: 0,
    probable_edit: 0,
    deleted_in_target: 0,
    target_only: 0,
    deleted_in_source: 0,
    refused: 0,
  });
  const summary: DiffSummary = {
    threeWay: true,
    archive: { path: '/x.tar.gz', database: 'dev', timestamp: '2026-01-01T00:00:00Z' },
    base: { path: '/b.tar.gz', database: 'dev', timestamp: '2025-12-01T00:00:00Z' },
    target: { database: 'prod', label: 'Prod' },
    tables: Array.from({ length: TABLES }, (_, i) => ({ table: `t${i}`, counts: counts() })),
    warnings: [],
    durationMs: 1,
  };
  const filler = 'x'.repeat(1500);
  let pages = 0;
  let peak = 0;
  const requested: number[] = [];
  const pager = {
    summary,
    async page({ table, offset, limit }: { table: string; kinds: DiffKind[]; offset: number; limit: number }) {
      pages++;
      requested.push(limit);
      // What the writer holds between pages, garbage collected (every 10th page: gc takes a while).
      if (pages % 10 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      const rows: DiffRow[] = [];
      for (let i = offset; i < Math.min(PER_TABLE, offset + limit); i++) {
        const changed = i % 2 === 1;
        rows.push({
          table,
          kind: changed ? 'changed' : 'new',
          key: { code: `${table}-${i}` },
          row: i + 1,
          fields: changed ? [{ column: 'name', base: `name ${i}`, source: `name ${i} edited`, target: `name ${i}`, verdict: 'apply' }] : [],
          ...(changed ? {} : { values: { code: `${table}-${i}`, body: `${filler} ${i}` } }),
          fingerprint: null,
        });
      }
      return { rows, total: PER_TABLE };
    },
  };
  for (const format of ['html', 'json'] as const) {
    const path = join(tempDir('mr4-big-report-'), `report.${format}`);
    peak = 0;
    gc();
    const before = process.memoryUsage().heapUsed;
    const { rows, bytes } = await writeDiffReport(pager, { format, pageSize: 500 }, path);
    expect(rows).toBe(TABLES * PER_TABLE);
    expect(statSync(path).size).toBe(bytes);
    expect(bytes).toBeGreaterThan(TABLES * PER_TABLE * 1500 * 0.5);
    // ~80 MB written; what the writer holds stays far below it (a page of rows, and the stream's buffer).
    expect(
      peak - before,
      `${format}: heap grew by ${Math.round((peak - before) / 1e6)} MB for ${Math.round(bytes / 1e6)} MB written`,
    ).toBeLessThan(16e6);
    if (format === 'json') expect(JSON.parse(readFileSync(path, 'utf8')).rows).toBe(TABLES * PER_TABLE);
  }
  expect(Math.max(...requested)).toBe(500);
  expect(pages).toBeGreaterThanOrEqual((2 * (TABLES * PER_TABLE)) / 500);
}, 120_000);
