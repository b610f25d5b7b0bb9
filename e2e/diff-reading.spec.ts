// Reading a diff: inside a changed value the words that changed are marked — added text as <ins>,
// removed text (in the base) as <del> — with words for screen readers ("added:", "removed in
// archive:") that a copied value does not contain; JSON values pretty-printed and compared line by
// line; a long value collapsed to its change with "Show all (N characters)", opened by keyboard; light
// and dark pass axe. Then the whole review downloaded as an HTML report and as JSON, their contents
// checked: every differing row, the decisions, a hostile value escaped, no script. The menu works by
// keyboard.
import { readFileSync } from 'node:fs';
import type { Locator } from '@playwright/test';
import { chooseArchive, chooseConnection, docShot, expect, main, openApp, test } from './support';

const SCHEMA = `CREATE TABLE note (id serial PRIMARY KEY, code text NOT NULL UNIQUE, title text, body text, meta jsonb);`;
const HOSTILE = `</td><script>alert("x")</script>`;
const BODY = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} of the house rules, unchanged since the last sync.`).join('\n');
const BODY_DEV = BODY.replace('Paragraph 21 of the house rules', 'Paragraph 21 of the revised house rules');

test('changed words marked inside values, long values expandable, the review exported as HTML and JSON', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const prodDb = await app.database(
    SCHEMA +
      `INSERT INTO note (code, title, body, meta) VALUES
         ('rules', 'The quick brown fox', '${BODY}', '{"size": 1, "tags": ["a", "b"], "owner": "ops"}'),
         ('other', 'Left alone', 'short', NULL);`,
  );
  const devDb = await app.database(SCHEMA);
  const prod = await studio.connect(prodDb, `Notes production ${Date.now() % 100000}`, 'dev');
  const dev = await studio.connect(devDb, `Notes dev ${Date.now() % 100000}`, 'dev');
  // Dev seeded from production by a merge import (what the two agree on is kept: the base), then edited.
  const pulled = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  expect((await studio.runJob({ kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false })).state).toBe(
    'succeeded',
  );
  await devDb.client.query(
    `UPDATE note SET title = 'The quick red fox', body = $1, meta = '{"size": 2, "tags": ["a", "b"], "owner": "ops"}' WHERE code = 'rules'`,
    [BODY_DEV],
  );
  await devDb.client.query(`INSERT INTO note (code, title) VALUES ($1, $1)`, [HOSTILE]);
  const archive = await studio.openArchive((await studio.exportVia(dev.id)).files![0]!.handle);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', prod.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare with the base' }).click();
  await main(page).getByRole('button', { name: '1 changed in note' }).click({ timeout: 60_000 });

  // ── the changed words, marked, with their words for screen readers ──
  const detail = main(page).locator('.row-detail');
  await expect(detail.getByRole('heading', { name: 'rules' })).toBeVisible();
  const title = detail.locator('tr[data-field="title"]');
  const cells = title.locator('td.val');
  const [base, source] = [cells.nth(0), cells.nth(1)];
  await expect(source.locator('ins')).toHaveText('red');
  await expect(base.locator('del')).toHaveText('brown');
  // The value itself stays whole (a copy of it is the value); the labels are generated, hidden text.
  await expect(source).toContainText('The quick red fox');
  const label = (el: Locator, pseudo: '::before' | '::after') => el.evaluate((e, p) => getComputedStyle(e, p).content, pseudo);
  expect(await label(source.locator('ins'), '::before')).toBe('" added: "');
  expect(await label(source.locator('ins'), '::after')).toBe('" (end added) "');
  expect(await label(base.locator('del'), '::before')).toBe('" removed in archive: "');
  // Underlined and struck through: they differ without colour.
  expect(await source.locator('ins').evaluate((e) => getComputedStyle(e).textDecorationLine)).toBe('underline');
  expect(await base.locator('del').evaluate((e) => getComputedStyle(e).textDecorationLine)).toBe('line-through');
  // The accessibility tree reads the words too.
  expect(await source.ariaSnapshot()).toMatch(/added: red \(end added\)/);

  // JSON: pretty-printed, the changed key's value marked.
  const meta = detail.locator('tr[data-field="meta"] td.val').nth(1);
  await expect(meta.locator('ins')).toHaveText('2');
  await expect(meta).toContainText('"owner": "ops"');

  // ── a long value: collapsed to its change, "Show all" by keyboard ──
  const body = detail.locator('tr[data-field="body"] td.val').nth(1);
  await expect(body.locator('ins')).toHaveText('revised ');
  await expect(body).toContainText('characters not shown');
  await expect(body).not.toContainText('Paragraph 40 of');
  const showAll = body.getByRole('button', { name: `Show all (${BODY_DEV.length.toLocaleString('en-US')} characters) of body, archive` });
  await expect(showAll).toHaveText(`Show all (${BODY_DEV.length.toLocaleString('en-US')} characters)`);
  await expect(showAll).toHaveAttribute('aria-expanded', 'false');
  await docShot(page, app, 'diff-reading', 'diff-reading');
  await app.accessible(page, 'changed words marked (light)');
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.accessible(page, 'changed words marked (dark)');
  await page.emulateMedia({ colorScheme: 'light' });
  await showAll.focus();
  await page.keyboard.press('Enter');
  const showLess = body.getByRole('button', { name: 'Show less of body, archive' });
  await expect(showLess).toHaveAttribute('aria-expanded', 'true');
  await expect(body).toContainText('Paragraph 40 of the house rules, unchanged since the last sync.');
  await expect(body).not.toContainText('characters not shown');
  await page.keyboard.press('Enter');
  await expect(body).toContainText('characters not shown');

  // Leave out the hostile new row: the reports say so.
  await page.keyboard.press('Escape');
  await main(page).getByRole('button', { name: '1 new in note' }).click();
  await expect(detail.getByRole('heading', { name: HOSTILE })).toBeVisible();
  await detail.getByRole('checkbox', { name: 'Include this row in the merge' }).uncheck();

  // ── the review, downloaded ──
  const exportButton = main(page).getByRole('button', { name: 'Export review' });
  const exportAs = async (item: string) => {
    await exportButton.click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menu', { name: 'Export the review as' }).getByRole('menuitem', { name: item }).click(),
    ]);
    return download;
  };
  const html = await exportAs('HTML report');
  expect(html.suggestedFilename()).toMatch(/^review-.*\.html$/);
  const report = readFileSync(await html.path(), 'utf8');
  expect(/<script/i.test(report), 'the report holds no script').toBe(false);
  expect(report.includes('&lt;/td&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'), 'the hostile value is escaped').toBe(true);
  expect(report.includes('The quick <ins>red</ins> fox'), 'the changed word marked').toBe(true);
  expect(report.includes('<del class="by-source">brown</del>'), 'the removed word marked').toBe(true);
  expect(report.match(/<article /g)?.length, 'every differing row').toBe(2);
  expect(
    /<h3><span class="kind">New<\/span>&lt;\/td&gt;[\s\S]*?Decision: Left out: the merge does not touch this row/.test(report),
    'the left-out row',
  ).toBe(true);
  expect(/<h3><span class="kind">Changed<\/span>rules<\/h3><p class="outcome">Decision: Updated/.test(report), 'the changed row').toBe(
    true,
  );
  await expect(
    main(page)
      .getByRole('status')
      .filter({ hasText: `Downloaded ${html.suggestedFilename()} (2 differing rows)` }),
  ).toHaveCount(1);

  // By keyboard: the menu opens on Enter, its items are reached with the arrow keys.
  await exportButton.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menu', { name: 'Export the review as' })).toBeVisible();
  await page.keyboard.press('ArrowDown'); // HTML report
  await page.keyboard.press('ArrowDown'); // JSON
  const [json] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(json.suggestedFilename()).toMatch(/^review-.*\.json$/);
  const data = JSON.parse(readFileSync(await json.path(), 'utf8'));
  expect(data).toMatchObject({ format: 'mr4-review-report', threeWay: true, mode: 'merge', rows: 2, target: { database: prodDb.name } });
  const rows = data.tables.find((t: { table: string }) => t.table === 'note').rows;
  expect(rows.map((r: { key: { code: string }; outcome: string }) => [r.key.code, r.outcome])).toEqual(
    expect.arrayContaining([
      ['rules', 'Updated'],
      [HOSTILE, 'Left out: the merge does not touch this row'],
    ]),
  );
  expect(data.decisions.exclude).toEqual([{ table: 'note', key: { code: HOSTILE } }]);
  await app.accessible(page, 'the preview after exporting the review');
});
