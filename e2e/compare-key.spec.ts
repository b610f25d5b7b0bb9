// A comparison key per table, chosen in the preview ("Compare rows by…") as data-compare tools let you:
// employees have no natural key, so an edited one is only a probable edit; compared by e-mail it is a
// plain change. The key is checked against the archive's columns, saved for the target connection,
// makes the comparison run again (the summary says "by email"), reaches the merge, is listed on the
// Import screen and can be forgotten there. The dialog works with the keyboard (Escape closes it).
import type { Page } from '@playwright/test';
import { chooseArchive, chooseConnection, docShot, expect, main, openApp, test } from './support';
import { copies, employees, JANE } from './row-identity-data';

const summaryCell = (page: Page, table: string, kind: string) =>
  page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);

test('rows of a table without a natural key compared by columns the user chooses', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const c = await copies(app, studio);

  await openApp(page, app, 'Import');
  await chooseArchive(page, c.archive.file.name);
  await chooseConnection(page, 'Target connection', c.targetConn.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare two ways' }).click();
  await expect(summaryCell(page, 'employee', 'probable_edit')).toHaveText('1', { timeout: 60_000 });

  // The table's rows say how they are compared; the action opens with the keyboard, Escape closes it.
  await page.getByRole('button', { name: /^employee\b.*show its rows/ }).click();
  await expect(main(page).getByText('Compared by lineage of ids, then whole content')).toBeVisible();
  const action = main(page).getByRole('button', { name: 'Compare rows by…' }).first();
  await action.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Compare rows of employee by…' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('radio', { name: /The plan’s own/ })).toBeChecked();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(action).toBeFocused();

  // Only the archive's columns are offered; none ticked is refused.
  await action.click();
  await dialog.getByRole('radio', { name: 'These columns:' }).check();
  const columns = dialog.getByRole('group', { name: 'Key columns of employee' });
  await expect(columns.getByRole('checkbox')).toHaveCount(7);
  await dialog.getByRole('button', { name: 'Save and compare again' }).click();
  await expect(dialog.getByText('Choose at least one column.')).toBeVisible();
  await columns.getByRole('checkbox', { name: /^email/ }).check();
  await docShot(page, app, 'compare-key', 'diff-compare-key');
  await app.accessible(page, 'the comparison key dialog');
  await page.setViewportSize({ width: 1024, height: 700 });
  await expect(dialog.getByRole('button', { name: 'Save and compare again' }), 'the dialog fits at 1024×700').toBeInViewport();
  await page.setViewportSize({ width: 1400, height: 900 });
  await dialog.getByRole('button', { name: 'Save and compare again' }).click();
  await expect(dialog).toBeHidden();
  expect(await app.api('tableKeys.get', { connectionId: c.targetConn.id })).toEqual({ employee: ['email'] });

  // Compared again: by e-mail the promoted employee is a plain change; the rows view is back.
  await expect(main(page).getByText('Compared by email (chosen)')).toBeVisible({ timeout: 60_000 });
  const rows = main(page).getByRole('grid', { name: /Rows of employee/ });
  await expect(rows.getByRole('row')).toHaveCount(1);
  await expect(rows.getByRole('row').first()).toContainText('jane@example.com');
  await expect(main(page).locator('.row-detail tr[data-field="title"]')).toHaveAttribute('data-verdict', 'apply');
  await page.keyboard.press('Escape');
  await expect(summaryCell(page, 'employee', 'changed')).toHaveText('1');
  await expect(main(page).locator('table.sg thead')).not.toContainText('Probable edits');
  await expect(main(page).locator('tr[data-table="employee"]')).toContainText('by email');
  await expect(main(page).getByRole('group', { name: /only look/ })).toHaveCount(0);

  // The merge uses the key: Jane updated in place.
  const mergeButton = main(page).getByRole('button', { name: `Merge into ${c.targetConn.name}…` });
  await expect(mergeButton).toBeEnabled();
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
  expect(after.find((e) => e.id === JANE.id)?.title).toBe(JANE.promoted);

  // The Import screen lists the key for this target; it can be forgotten there.
  await main(page).getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
  const note = main(page).getByRole('region', { name: `Comparison keys for ${c.targetConn.name}` });
  await expect(note).toContainText('employee by email');
  await note.getByRole('button', { name: 'Forget the comparison key of employee' }).click();
  await expect(note).toHaveCount(0);
  expect(await app.api('tableKeys.get', { connectionId: c.targetConn.id })).toEqual({});
});
