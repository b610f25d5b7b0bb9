// Probable edits answered for all at once, in a Sync with "Add new records only": the Sync screen's
// option "They are new rows: insert them" becomes the preview's answer for all of them; one row is
// answered otherwise ("Same row": in this mode, left as the target has it). The dry run and the import
// do exactly that: one employee inserted as a new row, the other left alone.
import type { Page } from '@playwright/test';
import { chooseConnection, countsRow, docShot, expect, main, openApp, test } from './support';
import { copies, employees, JANE } from './row-identity-data';

const ROBERT = { id: 7, title: 'IT Staff', promoted: 'Senior IT Staff' };
const summaryCell = (page: Page, table: string, kind: string) =>
  page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);

test('a sync answers every probable edit at once from its option, one row otherwise, and writes exactly that', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const c = await copies(app, studio, { edit: `UPDATE employee SET title = '${ROBERT.promoted}' WHERE id = ${ROBERT.id}` });

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', c.sourceConn.name);
  await chooseConnection(page, 'Target connection (written to)', c.targetConn.name);
  await expect(main(page).getByRole('radio', { name: /Add new records only/ })).toBeChecked();
  await main(page)
    .getByRole('radiogroup', { name: 'Rows that only look like edits' })
    .getByRole('radio', { name: 'They are new rows: insert them' })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();

  // The sync exports its source for the preview, then compares (two ways: the pair never synced).
  await main(page).getByRole('button', { name: 'Compare two ways' }).click({ timeout: 60_000 });
  await expect(summaryCell(page, 'employee', 'probable_edit')).toHaveText('2', { timeout: 60_000 });
  const bar = main(page).getByRole('group', { name: /2 rows only look like edits/ });
  await expect(bar).toContainText('all answered.');
  const forAll = bar.getByRole('button', { name: 'New rows (insert them)' });
  await expect(forAll).toHaveAttribute('aria-pressed', 'true');
  const importButton = main(page).getByRole('button', { name: `Import new rows into ${c.targetConn.name}…` });
  await expect(importButton).toBeEnabled();

  // Unset the answer for all: both are open again, and the import waits.
  await forAll.click();
  await expect(forAll).toHaveAttribute('aria-pressed', 'false');
  await expect(bar).toContainText('2 to answer');
  await expect(importButton).toBeDisabled();
  await forAll.click();
  await expect(bar).toContainText('all answered.');

  // At 1024×700 the bar, the rows and the merge's buttons are all in view.
  await page.setViewportSize({ width: 1024, height: 700 });
  // One row answered otherwise: Robert is the target's Robert (in this mode: left alone).
  await bar.getByRole('button', { name: 'Show them' }).click();
  const rows = main(page).getByRole('grid', { name: /Rows of employee that are probable edit/ });
  await expect(rows.getByRole('row')).toHaveCount(2);
  await rows
    .getByRole('row')
    .filter({ hasText: `id = ${ROBERT.id}` })
    .click();
  const detail = main(page).locator('.row-detail');
  await expect(detail).toContainText('(the answer chosen for all)');
  await detail.getByRole('button', { name: 'Same row (update it)' }).click();
  await expect(detail).toContainText('“Add new records only”: the target’s row is left as it is.');
  await expect(detail.locator('tr[data-field="title"] .verdict')).toHaveText('Left alone');
  await expect(rows.getByRole('row').filter({ hasText: `id = ${ROBERT.id}` })).toContainText('answered: same row');
  await expect(rows.getByRole('row').filter({ hasText: `id = ${JANE.id}` })).toContainText('answered: new row');
  await expect(main(page).getByRole('status')).toContainText('2 probable edits answered (1 as the same row, the rest as new rows)');
  for (const [what, locator] of [
    ['the answer for all', forAll],
    ['the row list', rows.getByRole('row').first()],
    ['the question', detail.getByRole('button', { name: 'Same row (update it)' })],
    ['the import button', importButton],
  ] as const)
    await expect(locator, `${what} at 1024×700`).toBeInViewport();
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.shot(page, 'diff-probable-edits-1024-dark');
  await app.accessible(page, 'probable edits at 1024×700 in the dark theme');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1400, height: 900 });
  await docShot(page, app, 'diff-probable-edits-all', 'diff-probable-edits-all');
  await app.accessible(page, 'probable edits answered for all, one otherwise');

  // The dry run, then the import: Jane inserted as a new employee, Robert left as he was.
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  const dryPanel = main(page).getByRole('tabpanel', { name: /Dry run/ });
  await expect(dryPanel.getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  expect(await countsRow(dryPanel, 'employee')).toMatchObject({ inserted: 1, updated: 0 });
  await importButton.click();
  const ask = page.getByRole('alertdialog', { name: `Import into ${c.targetConn.name}?` });
  await expect(ask).toBeVisible({ timeout: 60_000 });
  await ask.getByRole('button', { name: 'Import now' }).click();
  await expect(
    main(page)
      .getByText(/^Imported\./)
      .first(),
  ).toBeVisible({ timeout: 60_000 });

  const after = await employees(c.target);
  expect(after).toHaveLength(9);
  expect(after.find((e) => e.id === JANE.id)).toMatchObject({ last_name: 'Peacock', title: JANE.title });
  expect(after.filter((e) => e.last_name === 'Peacock' && e.title === JANE.promoted)).toHaveLength(1);
  expect(after.find((e) => e.id === ROBERT.id)).toMatchObject({ last_name: 'King', title: ROBERT.title });
});
