// Undo the last import from the History: the newest undoable import of a target offers "Undo this
// import…"; a dry run comes first and names, row by row, the rows changed since the import (which stop
// the undo), "Undo the rest" leaves those as they are; a production target asks for its database name
// typed (a wrong name keeps the button disabled); the undo runs as a job, puts the target back, and the
// History records it (the import marked undone, no longer offered).
import { capture, docShot, expect, fact, go, main, openApp, test, uniq } from './support';

const SCHEMA = `CREATE TABLE notes (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);`;

test('undo the last import from the History: dry run, rows changed since named, typed name, undone and recorded', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const source = await app.database(`${SCHEMA} INSERT INTO notes (code, body) VALUES ('a', 'new a'), ('b', 'b'), ('c', 'c');`);
  const target = await app.database(`${SCHEMA} INSERT INTO notes (code, body) VALUES ('a', 'old a'), ('z', 'z');`);
  const tag = uniq();
  const src = await studio.connect(source, `Undo source ${tag}`, 'dev');
  const dst = await studio.connect(target, `Undo target ${tag}`, null);

  const exported = await studio.exportVia(src.id);
  const archive = await studio.openArchive(exported.files![0]!.handle);
  const imported = await studio.runJob({
    kind: 'import',
    archiveId: archive.archiveId,
    targetId: dst.id,
    mode: 'merge',
    dryRun: false,
    confirmDatabase: target.name,
  });
  expect(imported.state, imported.error?.message).toBe('succeeded');
  const body = async () =>
    (await target.client.query<{ code: string; body: string }>('SELECT code, body FROM notes ORDER BY code')).rows.map(
      (r) => `${r.code}=${r.body}`,
    );
  expect(await body()).toEqual(['a=new a', 'b=b', 'c=c', 'z=z']);
  // A row the import inserted is edited afterwards: the undo must not silently overwrite it.
  await target.client.query(`UPDATE notes SET body = 'edited after' WHERE code = 'c'`);

  await openApp(page, app, 'History');
  const table = main(page).getByLabel('Run history (select a row for details)');
  // The dry run of the export is not undoable; the import is (the newest into the target).
  await table.getByRole('row').filter({ hasText: dst.name }).filter({ hasText: 'Merge' }).click();
  const detail = page.getByRole('dialog', { name: imported.title });
  // The run as a command line: the archive, the target's URL without a password, the mode.
  const command = detail.getByRole('region', { name: 'The same run on the command line' }).getByLabel('mr4 command');
  await expect(command).toHaveText(/^mr4 import \S+\.tar\.gz /);
  await expect(command).toContainText(`--db 'postgres://${new URL(target.url).username}@`);
  await expect(command).toContainText(`/${target.name}?sslmode=disable' --mode merge`);
  expect(await command.textContent()).not.toMatch(/:[^@/]*@127/);
  await detail.getByRole('button', { name: 'Undo this import…' }).click();

  const dialog = page.getByRole('dialog', { name: `Undo the import into ${dst.name}?` });
  // The dry run stops on the row changed since the import, naming it.
  const refused = dialog.getByRole('alert').filter({ hasText: 'Rows changed after the import' });
  await expect(refused).toBeVisible({ timeout: 60_000 });
  await expect(refused).toContainText('notes');
  await expect(refused).toContainText('c');
  await expect(dialog.getByRole('button', { name: /^Undo: delete/ })).toHaveCount(0);
  await expect(dialog.getByRole('button', { name: 'Undo the import' })).toBeDisabled();
  await capture(page, app, 'undo-refused', 'the undo dry run refusing a row changed since');

  // Undo the rest: the dry run again, leaving that row as it is.
  await dialog.getByRole('button', { name: 'Undo the rest, leave these rows as they are now' }).click();
  const plan = dialog.getByLabel('The undo’s totals');
  await expect(plan).toContainText('delete 1 row', { timeout: 60_000 });
  await expect(plan).toContainText('put back 1 row');
  await expect(plan).toContainText('1 row changed after the import stay as they are now');
  const perTable = dialog.getByLabel('Undo per table');
  await expect(perTable.getByRole('row').filter({ hasText: 'notes' }).getByRole('cell')).toHaveText(['notes', '1', '1', '1']);
  await expect(dialog.getByLabel('Rows changed after the import')).toContainText('notes');
  // Untagged counts as production: the database name typed, a wrong one keeps the button disabled.
  const confirmButton = dialog.getByRole('button', { name: 'Undo: delete 1, put back 1' });
  await expect(confirmButton).toBeDisabled();
  const typed = dialog.getByLabel(/Type the database name/);
  await typed.fill(`${target.name}x`);
  await typed.press('Enter');
  await expect(confirmButton).toBeDisabled();
  expect(await body()).toEqual(['a=new a', 'b=b', 'c=edited after', 'z=z']);
  await typed.fill(target.name);
  await expect(confirmButton).toBeEnabled();
  await docShot(page, app, 'undo-dry-run', 'undo-dry-run');
  await app.accessible(page, 'the undo dialog before confirming');
  await confirmButton.click();

  await expect(dialog.getByRole('status').filter({ hasText: 'The import is undone' })).toContainText(
    '1 row deleted, 1 row put back, 1 row changed since left as they are',
    { timeout: 60_000 },
  );
  expect(await body()).toEqual(['a=old a', 'c=edited after', 'z=z']);
  await docShot(page, app, 'undo-done', 'undo-done');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(dialog).toBeHidden();

  // The History records the undo; the import is marked undone and no longer offered.
  const undoRow = table.getByRole('row').filter({ hasText: dst.name }).filter({ hasText: 'put back' }).filter({ hasNotText: 'Dry run' });
  await expect(undoRow).toContainText('1 deleted · 1 put back · 1 changed since, kept');
  await expect(undoRow).toContainText('Succeeded');
  const importRow = table.getByRole('row').filter({ hasText: dst.name }).filter({ hasText: 'Merge' });
  await expect(importRow).toContainText('Undone');
  await importRow.click();
  await expect(fact(detail, 'Undone')).toContainText('This import was undone');
  await expect(detail.getByRole('button', { name: 'Undo this import…' })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await undoRow.click();
  const undoDetail = page.getByRole('dialog', { name: /^Undo the last import into/ });
  await expect(fact(undoDetail, 'Undid')).toContainText(archive.file.name);
  await expect(fact(undoDetail, 'Kind')).toHaveText('Undo');
  await expect(undoDetail.getByRole('region', { name: 'The same run on the command line' }).getByLabel('mr4 command')).toHaveText(
    /mr4 undo --db 'postgres:\/\/[^:@]+@[^']+' --run [0-9a-f-]+ --keep-changed$/,
  );

  // The engine agrees: nothing is left to undo there.
  const listing = await app.api('undo.list', { targetId: dst.id });
  expect(listing.runs[0]!.undoneAt).not.toBeNull();
});

test('an undo of a dev target asks no typed name, and the API refuses a real undo of a production one without it', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(120_000);
  const source = await app.database(`${SCHEMA} INSERT INTO notes (code, body) VALUES ('a', 'a'), ('b', 'b');`);
  const target = await app.database(SCHEMA);
  const tag = uniq();
  const src = await studio.connect(source, `Undo dev source ${tag}`, 'staging');
  const dst = await studio.connect(target, `Undo dev target ${tag}`, 'dev');
  const archive = await studio.openArchive((await studio.exportVia(src.id)).files![0]!.handle);
  const imported = await studio.runJob({ kind: 'import', archiveId: archive.archiveId, targetId: dst.id, mode: 'skip', dryRun: false });
  expect(imported.state, imported.error?.message).toBe('succeeded');
  expect((await target.client.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(2);

  // The server side of the typed confirmation (the window's field is not the only guard).
  const prod = await studio.connect(target, `Undo prod alias ${tag}`, 'production');
  await expect(app.api('jobs.start', { kind: 'undo', targetId: prod.id, dryRun: false })).rejects.toThrow(/Confirmation needed/);

  await openApp(page, app, 'History');
  const table = main(page).getByLabel('Run history (select a row for details)');
  await table.getByRole('row').filter({ hasText: dst.name }).filter({ hasText: 'Add new only' }).click();
  await page.getByRole('dialog', { name: imported.title }).getByRole('button', { name: 'Undo this import…' }).click();
  const dialog = page.getByRole('dialog', { name: `Undo the import into ${dst.name}?` });
  await expect(dialog.getByLabel('The undo’s totals')).toContainText('delete 2 rows', { timeout: 60_000 });
  await expect(dialog.getByLabel(/Type the database name/)).toHaveCount(0);
  // Keyboard: Cancel comes before the undo button.
  const buttons = dialog.getByRole('button', { name: /^(Cancel|Undo: delete 2, put back 0)$/ });
  await expect(buttons).toHaveText(['Cancel', 'Undo: delete 2, put back 0']);
  // Readable in the dark theme too.
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.accessible(page, 'the undo dialog in the dark theme');
  await page.emulateMedia({ colorScheme: 'light' });
  // By keyboard: Tab from Cancel reaches the undo button, which Enter presses.
  await dialog.getByRole('button', { name: 'Cancel' }).focus();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Undo: delete 2, put back 0' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('status').filter({ hasText: 'The import is undone' })).toContainText('2 rows deleted', { timeout: 60_000 });
  expect((await target.client.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
  await dialog.getByRole('button', { name: 'Close' }).first().click();

  // The Runs screen shows the undo's result and its command line.
  await go(page, 'Runs');
  await main(page)
    .getByRole('navigation', { name: 'Runs of this session' })
    .getByRole('button', { name: new RegExp(`^Undo .*Undo the last import into ${dst.name} Succeeded$`) })
    .click();
  await expect(main(page).getByText(/Undid the import of .*: 2 rows deleted, 0 rows put back\./)).toBeVisible();
  await expect(main(page).getByRole('region', { name: 'The same run on the command line' }).getByLabel('mr4 command')).toHaveText(
    /^mr4 undo --db \S+ --run [0-9a-f-]+$/,
  );
});
