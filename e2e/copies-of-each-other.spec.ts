// "These databases are copies of each other (same id = same row)", chosen on the Sync screen with the
// keyboard: the risk is said in one sentence beside it, the question about rows that only look like
// edits no longer applies (they are paired by id), the preview says so and shows the edited employee
// as a plain change, and the merge updates it in place.
import type { Page } from '@playwright/test';
import { chooseConnection, docShot, expect, main, openApp, test } from './support';
import { copies, employees, JANE } from './row-identity-data';

const summaryCell = (page: Page, table: string, kind: string) =>
  page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);

test('copies of each other pair rows by id, with the risk stated where it is chosen', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const c = await copies(app, studio);

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', c.sourceConn.name);
  await chooseConnection(page, 'Target connection (written to)', c.targetConn.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();

  const box = main(page).getByRole('checkbox', { name: 'These databases are copies of each other (same id = same row)' });
  // The risk is the checkbox's description: read out with it, and shown beside it.
  await expect(box).toHaveAccessibleDescription(
    'Risk: rows added on both sides at the same id since the copy are taken for one row, and a merge then overwrites the target’s with the source’s.',
  );
  await box.focus();
  await page.keyboard.press('Space');
  await expect(box).toBeChecked();
  const probable = main(page).getByRole('radiogroup', { name: 'Rows that only look like edits' });
  await expect(probable).toContainText('Copies of each other: such rows are paired by their ids, so none only look like edits.');
  await expect(probable.getByRole('radio', { name: 'Stop and list them' })).toBeDisabled();
  await main(page).getByRole('group', { name: 'Rows without a natural key' }).scrollIntoViewIfNeeded();
  await docShot(page, app, 'sync-copies-of-each-other', 'import-row-identity-options');
  await app.accessible(page, 'the sync options with copies of each other');

  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await expect(
    main(page).getByText('Copies of each other: rows no lineage of ids or natural key identifies are paired by their ids.'),
  ).toBeVisible({ timeout: 60_000 });
  await main(page).getByRole('button', { name: 'Compare two ways' }).click();
  await expect(summaryCell(page, 'employee', 'changed')).toHaveText('1', { timeout: 60_000 });
  await expect(main(page).locator('table.sg thead')).not.toContainText('Probable edits');

  const mergeButton = main(page).getByRole('button', { name: `Merge into ${c.targetConn.name}…` });
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
});
