// Rows that only look like edits, end to end: two copies of one database never synced by MR4, an
// employee (no natural key) promoted in one. Import stops before writing, its error lists the row and
// says which option to pick (a button picks it in the form); the dry run with "new rows" inserts it.
// Then "Merge changes" → Preview changes: no base is kept for the pair (the reason said), the summary
// has a Probable edits column, the merge waits for an answer, the row's fields are side by side, and
// "Same row (update it)" — chosen with the keyboard — makes the merge update the employee in place.
import type { Page } from '@playwright/test';
import { chooseArchive, chooseConnection, countsRow, docShot, expect, main, openApp, test } from './support';
import { copies, employees, JANE } from './row-identity-data';

const summaryCell = (page: Page, table: string, kind: string) =>
  page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);

test('a probable edit stops the import, is listed with what to pick, and is answered row by row in the preview', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const c = await copies(app, studio);
  const before = await employees(c.target);

  await openApp(page, app, 'Import');
  await chooseArchive(page, c.archive.file.name);
  await chooseConnection(page, 'Target connection', c.targetConn.name);
  // The options: copies of each other (with its risk in one sentence), and what to do with rows that
  // only look like edits — "Stop and list them" by default.
  const copiesBox = main(page).getByRole('checkbox', { name: 'These databases are copies of each other (same id = same row)' });
  await expect(copiesBox).not.toBeChecked();
  await expect(
    main(page).getByText(
      'Risk: rows added on both sides at the same id since the copy are taken for one row, and a merge then overwrites the target’s with the source’s.',
    ),
  ).toBeVisible();
  const probable = main(page).getByRole('radiogroup', { name: 'Rows that only look like edits' });
  await expect(probable.getByRole('radio', { name: 'Stop and list them' })).toBeChecked();

  // ── the dry run stops, listing the row, and says what to pick ──
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  const error = main(page).getByRole('alert').filter({ hasText: 'Rows that only look like edits' });
  await expect(error).toBeVisible({ timeout: 60_000 });
  await expect(error).toContainText('1 row of the archive has the id of a target row and some of its telling values');
  await expect(error).toContainText('Nothing was written.');
  await expect(error.getByRole('listitem').filter({ hasText: 'employee id = 3' })).toContainText('differs in title');
  await expect(error).toContainText('“They are the same rows: update them” or “They are new rows: insert them” — or open Preview changes');
  await error.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await docShot(page, app, 'probable-edits-error', 'import-probable-edits');
  await app.accessible(page, 'an import stopped by a probable edit');
  expect(await employees(c.target)).toEqual(before);

  // A button under the error picks the option in the form, where it stays visible.
  await error.getByRole('button', { name: 'Choose “new rows: insert them”' }).click();
  const asNew = probable.getByRole('radio', { name: 'They are new rows: insert them' });
  await expect(asNew).toBeChecked();
  await expect(asNew).toBeFocused();
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  expect(await countsRow(main(page).getByRole('table', { name: 'Dry-run counts per table' }), 'employee')).toMatchObject({
    inserted: 1,
    updated: 0,
    skipped: 7,
  });

  // ── Merge changes → Preview changes, every probable edit to be answered there ──
  await probable.getByRole('radio', { name: 'Stop and list them' }).check();
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
  // Never synced through MR4: no base is kept for the pair, and the reason is said.
  await expect(main(page).getByText(`No base is kept for ${c.source.name} and ${c.target.name}:`)).toBeVisible();
  await expect(main(page).getByText(/were never synced from this data folder/)).toBeVisible();
  await expect(main(page).getByRole('radio', { name: /Compare two ways/ })).toBeChecked();
  await main(page).getByRole('button', { name: 'Compare two ways' }).click();

  await expect(summaryCell(page, 'employee', 'probable_edit')).toHaveText('1', { timeout: 60_000 });
  await expect(summaryCell(page, 'employee', 'identical')).toHaveText('7');
  await expect(summaryCell(page, 'employee', 'new')).not.toHaveText(/\d/);
  const bar = main(page).getByRole('group', { name: /1 row only looks like an edit/ });
  await expect(bar).toContainText('1 to answer — same row, or new?');
  const mergeButton = main(page).getByRole('button', { name: `Merge into ${c.targetConn.name}…` });
  await expect(mergeButton).toBeDisabled();
  await expect(main(page).getByRole('status')).toContainText('1 probable edit to answer before the merge.');
  await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /Preview.*1 to decide/ })).toBeVisible();

  // ── the row: its fields side by side, and the question ──
  await page.getByRole('button', { name: '1 probable edits in employee' }).click();
  const rows = main(page).getByRole('grid', { name: /Rows of employee that are probable edit/ });
  await expect(rows.getByRole('row')).toHaveCount(1);
  await expect(rows.getByRole('row').first()).toContainText('id = 3');
  await expect(rows.getByRole('row').first()).toContainText('to decide: same row or new? · differs in 1 field: title');
  const detail = main(page).locator('.row-detail');
  await expect(detail.getByRole('heading', { name: 'id = 3' })).toBeVisible();
  const title = detail.locator('tr[data-field="title"]');
  await expect(title.locator('td.val.changed')).toHaveCount(2);
  await expect(title.locator('td.val.changed').first()).toContainText(JANE.promoted);
  await expect(title.locator('td.val.changed').nth(1)).toContainText(JANE.title);
  await expect(title.locator('td.val.changed').nth(1)).toContainText('target row, same id');
  await expect(detail).toContainText('Is it the target’s row with this id, edited — or a new row?');
  await expect(detail.getByRole('button', { name: 'Compare rows by…' })).toBeVisible();

  // Answered with the keyboard: the list, Enter to the details, Tab to the answer, Space.
  await rows.focus();
  await page.keyboard.press('Enter');
  await expect(main(page).getByRole('region', { name: 'Row details' })).toBeFocused();
  const same = detail.getByRole('button', { name: 'Same row (update it)' });
  for (let i = 0; i < 8 && !(await same.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
  await expect(same).toBeFocused();
  await page.keyboard.press('Space');
  await expect(same).toHaveAttribute('aria-pressed', 'true');
  await expect(detail).toContainText('It is the target’s row with this id, edited: the merge updates that row.');
  await expect(title.locator('.verdict')).toHaveText('Update');
  await expect(title.getByRole('checkbox', { name: 'Update title' })).toBeChecked();
  await expect(rows.getByRole('row').first()).toContainText('answered: same row');
  await expect(bar).toContainText('all answered.');
  await expect(mergeButton).toBeEnabled();
  await docShot(page, app, 'diff-probable-edit', 'diff-probable-edit');
  await app.accessible(page, 'a probable edit answered in the preview');

  // ── dry run and merge: the employee is updated in place, nothing inserted ──
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  const dryPanel = main(page).getByRole('tabpanel', { name: /Dry run/ });
  await expect(dryPanel.getByText('0 rows would be inserted, 1 updated')).toBeVisible({ timeout: 60_000 });
  await mergeButton.click();
  const ask = page.getByRole('alertdialog', { name: `Merge into ${c.targetConn.name}?` });
  await expect(ask).toBeVisible({ timeout: 60_000 });
  await ask.getByRole('button', { name: 'Merge now' }).click();
  await expect(
    main(page)
      .getByText(/^Merged\./)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  const after = await employees(c.target);
  expect(after).toHaveLength(8);
  expect(after.find((e) => e.id === JANE.id)).toMatchObject({ last_name: 'Peacock', title: JANE.promoted });
  expect((await c.target.client.query(`SELECT count(*)::int AS n FROM customer WHERE support_rep_id = $1`, [JANE.id])).rows[0].n).toBe(2);
});
