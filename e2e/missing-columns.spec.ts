// "Leave out columns only one side has": production was migrated (a column added) since dev was copied
// from it. Dev merged back through the Sync screen's preview is refused, the error pointing at the
// option; ticked with the keyboard, the preview compares the rest and names the column among its
// warnings, and the merge writes dev's rows while production keeps its values of the column.
import { ITEM, summaryCell } from './diff-support';
import type { TestDatabase } from './fixtures';
import { chooseConnection, expect, main, openApp, test, uniq } from './support';

const ROWS = `INSERT INTO item (code, name) VALUES ('a', 'A'), ('b', 'B'), ('c', 'C');`;
const LEAVE_OUT = 'Leave out columns only one side has';

const itemsOf = async (db: TestDatabase) =>
  (await db.client.query<{ code: string; name: string; priority: number }>(`SELECT code, name, priority FROM item ORDER BY code`)).rows;

test('a column production added since dev was copied: refused with the way out, then left out of the preview and the merge', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const devDb = await app.database(
    `${ITEM} ${ROWS} UPDATE item SET name = 'A dev' WHERE code = 'a'; INSERT INTO item (code, name) VALUES ('d', 'D');`,
  );
  const prodDb = await app.database(
    `${ITEM} ${ROWS} ALTER TABLE item ADD COLUMN priority int NOT NULL DEFAULT 5; UPDATE item SET priority = 9 WHERE code = 'c';`,
  );
  const tag = uniq();
  const dev = await studio.connect(devDb, `Migrated dev ${tag}`, 'dev');
  const prod = await studio.connect(prodDb, `Migrated prod ${tag}`, 'production');

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', dev.name);
  await chooseConnection(page, 'Target connection (written to)', prod.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();

  // Without the option: the preview is refused, naming the column and the option.
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare two ways' }).click({ timeout: 60_000 });
  const refusal = main(page).getByRole('alert').filter({ hasText: 'The archive does not fit the target' });
  await expect(refusal).toBeVisible({ timeout: 60_000 });
  await expect(refusal.getByRole('listitem')).toHaveText(['column item.priority of the target is not in the archive']);
  await expect(refusal).toContainText(
    `What to do: A column exists on one side only. Tick “${LEAVE_OUT}” in the options of the Import or Sync screen to leave it out (the target keeps its values of it), or bring the schemas in line. Nothing was written.`,
  );
  await main(page).getByRole('button', { name: 'Cancel' }).click();

  // The option, ticked with the keyboard; its hint is its description.
  const box = main(page).getByRole('checkbox', { name: LEAVE_OUT });
  await expect(box).toHaveAccessibleDescription(
    'A column added to one database since the other was copied is neither compared nor written; the target keeps its values (the warnings name it).',
  );
  await box.focus();
  await page.keyboard.press('Space');
  await expect(box).toBeChecked();
  await app.accessible(page, 'the sync options with columns left out');

  // With it: the diff of the rest, and the column named among the warnings.
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await expect(
    main(page).getByRole('note').filter({ hasText: 'Columns only one side has are left out of the comparison and the merge' }),
  ).toBeVisible({ timeout: 60_000 });
  await main(page).getByRole('button', { name: 'Compare two ways' }).click();
  await expect(summaryCell(page, 'item', 'changed')).toHaveText('1', { timeout: 60_000 });
  await expect(summaryCell(page, 'item', 'new')).toHaveText('1');
  await expect(summaryCell(page, 'item', 'identical')).toHaveText('2');
  const warnings = main(page).getByRole('region', { name: '1 warning' });
  await expect(warnings.getByRole('listitem')).toHaveText([
    'Columns on one side only, left out of the comparison (--ignore-missing-columns): item.priority',
  ]);

  // The merge from the preview: dev's rows written, production's priorities as they were.
  await main(page)
    .getByRole('button', { name: `Merge into ${prod.name}…` })
    .click();
  const confirm = page.getByRole('dialog', { name: `Merge into ${prod.name}?` });
  await expect(confirm).toContainText('It will add 1 new row and overwrite 1 existing row', { timeout: 60_000 });
  await confirm.getByRole('textbox').fill(prodDb.name);
  await confirm.getByRole('button', { name: 'Merge and overwrite 1 row' }).click();
  await expect(page.getByText('Merged.', { exact: false }).first()).toBeVisible({ timeout: 60_000 });
  expect(await itemsOf(prodDb)).toEqual([
    { code: 'a', name: 'A dev', priority: 5 },
    { code: 'b', name: 'B', priority: 5 },
    { code: 'c', name: 'C', priority: 9 },
    { code: 'd', name: 'D', priority: 5 },
  ]);
});
