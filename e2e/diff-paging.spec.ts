// The preview of a two-way merge that overwrites 120,000 rows of an untagged (so production-like)
// database: the row list pages to the very last row, and the merge is confirmed by the rows it overwrites.
import { connectionDraft, exportAndOpen, ITEM, summaryCell } from './diff-support';
import { expect, test } from './fixtures';

test('a two-way merge of 120,000 differing rows into an untagged database: paged to the last row, confirmed by the rows it overwrites', async ({
  page,
  app,
}) => {
  test.setTimeout(240_000);
  const tag = Math.random().toString(36).slice(2, 7);
  const prodDb = await app.database(
    `${ITEM} INSERT INTO item (code, name) SELECT 'code-' || lpad(g::text, 6, '0'), 'prod' FROM generate_series(0, 99) g;`,
  );
  const devDb = await app.database(
    `${ITEM} INSERT INTO item (code, name) SELECT 'code-' || lpad(g::text, 6, '0'), CASE WHEN g < 100 THEN 'dev' ELSE 'new' END FROM generate_series(0, 119999) g;`,
  );
  const target = await app.api('connections.save', { ...connectionDraft(prodDb, `Live ${tag}`, 'production'), tag: null });
  const source = await app.api('connections.save', connectionDraft(devDb, `Work ${tag}`, 'dev'));
  let archiveId: string | null = null;
  try {
    const archive = await exportAndOpen(app, source);
    archiveId = archive.archiveId;
    await page.goto(app.url);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Import' }).click();
    await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(archive.file.name);
    await page.getByRole('combobox', { name: 'Target connection' }).click();
    await page.getByRole('option', { name: new RegExp(`^Live ${tag}`) }).click();
    await page.getByText('Merge changes', { exact: true }).click();
    await page.getByRole('button', { name: 'Preview changes…' }).click();

    // The two databases never synced: no base is kept, the reason is said, and comparing two ways is the
    // choice (it says what that costs).
    await expect(page.getByText(`No base is kept for ${devDb.name} and ${prodDb.name}:`)).toBeVisible();
    await expect(page.getByRole('radio', { name: /Compare two ways/ })).toBeChecked();
    await page.getByRole('button', { name: 'Compare two ways' }).click();
    await expect(page.getByRole('note').filter({ hasText: 'Two-way · no base' })).toBeVisible({ timeout: 90_000 });
    await expect(summaryCell(page, 'item', 'new')).toHaveText('119,900');
    await expect(summaryCell(page, 'item', 'changed')).toHaveText('100');
    await expect(page.getByRole('tab', { name: /Conflicts.*none/ })).toBeVisible();

    // The rows, paged: the last one is reachable, and search finds one by its key.
    await page.getByRole('button', { name: /^item\b.*show its rows/ }).click();
    const rows = page.getByRole('grid', { name: /Rows of item/ });
    await expect(page.getByText('Row 1 of 120,000')).toBeVisible();
    await rows.focus();
    await page.keyboard.press('End');
    await expect(page.getByText('Row 120,000 of 120,000')).toBeVisible();
    await expect(page.locator('.row-detail').getByRole('heading', { name: 'code-119999' })).toBeVisible();
    await page.keyboard.press('PageUp');
    await expect(rows.getByRole('row', { selected: true })).not.toContainText('code-119999');
    await page.getByRole('textbox', { name: 'Search item by natural key' }).fill('code-077777');
    await expect(page.getByText('Row 1 of 1', { exact: true })).toBeVisible();
    await expect(rows.getByRole('row')).toHaveCount(1);
    await page.getByRole('textbox', { name: 'Search item by natural key' }).fill('code-00004');
    await page.getByRole('button', { name: /^Changed/ }).click();
    await expect(page.getByText('Row 1 of 10', { exact: true })).toBeVisible();
    const changed = page.locator('.row-detail tr[data-field="name"]');
    await expect(changed.locator('td.val.changed')).toHaveCount(2);
    await expect(changed).toContainText('differs: overwritten');
    await app.shot(page, 'diff-large-table');
    await app.accessible(page, 'a paged table of 120,000 differences');

    // Dark theme: the same markers, readable.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(page.getByRole('textbox', { name: 'Search item by natural key' })).toHaveCSS('background-color', 'rgb(9, 9, 11)'); // the theme has switched
    await app.shot(page, 'diff-large-table-dark');
    await app.accessible(page, 'a changed row in the dark theme');
    await page.emulateMedia({ colorScheme: 'light' });

    // The merge: a dry run, then a confirmation naming the rows it overwrites without a base.
    await page.getByRole('button', { name: `Merge into Live ${tag}…` }).click();
    const dialog = page.getByRole('dialog', { name: `Merge into Live ${tag}?` });
    await expect(dialog).toBeVisible({ timeout: 90_000 });
    await expect(dialog).toContainText('untagged and treated as production');
    await expect(dialog).toContainText(`so 100 existing rows in ${prodDb.name} are overwritten, including any edits made there since`);
    await expect(dialog).toContainText('overwrite 100 existing rows');
    await dialog.getByRole('textbox').fill(prodDb.name);
    await app.shot(page, 'diff-two-way-confirm');
    await app.accessible(page, 'the two-way confirmation');
    await dialog.getByRole('button', { name: 'Merge and overwrite 100 rows' }).click();
    await expect(page.getByText('119,900 rows were inserted, 100 updated')).toBeVisible({ timeout: 90_000 });
    expect(
      (await prodDb.client.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE name = 'dev')::int AS dev FROM item`)).rows[0],
    ).toEqual({ n: 120_000, dev: 100 });

    // Done closes the diff on the server.
    const diffJob = (await app.api('jobs.list', {})).find(
      (j) => j.kind === 'diff' && j.target?.id === target.id && j.state === 'succeeded',
    );
    const diffId = (diffJob!.result as { diffId: string }).diffId;
    await app.api('diffs.page', { diffId, table: 'item', kinds: ['new'], offset: 0, limit: 1 });
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
    await expect
      .poll(() =>
        app.api('diffs.page', { diffId, table: 'item', kinds: ['new'], offset: 0, limit: 1 }).then(
          () => 'open',
          (e: Error) => e.message,
        ),
      )
      .toMatch(/404/);
  } catch (error) {
    await app.shot(page, 'diff-failure');
    throw error;
  } finally {
    if (archiveId) await app.api('archives.close', { archiveId }).catch(() => undefined);
    await app.api('connections.delete', { id: target.id }).catch(() => undefined);
    await app.api('connections.delete', { id: source.id }).catch(() => undefined);
  }
});
