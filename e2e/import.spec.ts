// Screen 4, Import: an open archive into a connection. A dry run shows the per-table counts and writes
// nothing; "Add new records only" adds exactly the new rows; "Merge changes" (through its preview) also
// updates the changed ones. A production or untagged target always gets the dry run first and the typed
// database name (a wrong name keeps the button disabled; Enter never confirms). The banner names source
// and target in words. Every write is checked in the database, by natural key.
import { crearisEditScenario as sc } from '../src-main/demo/crearis-demo-data';
import {
  byKey,
  capture,
  chooseArchive,
  docShot,
  chooseConnection,
  countRows,
  countsRow,
  devEditsArchive,
  expect,
  go,
  holdJob,
  main,
  openApp,
  test,
  uniq,
} from './support';

const NEW_EVENTS = sc.dev.addedEvents;
const EDITED_EVENT = sc.dev.editedEvents[1]!.xmlid; // masken_gaertnerei: its name edited on dev
const TABLES = ['events', 'posts', 'locations', 'images', 'projects', 'users'];

test('import new records into a dev target: the dry run writes nothing, the import adds exactly the new rows', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const { source, archive } = await devEditsArchive(studio);
  const target = await studio.crearis();
  const name = `Crearis dev ${uniq()}`;
  await studio.connect(target, name, 'dev');
  const before = await countRows(target, TABLES);
  const editedBefore = await byKey(target, 'events', 'xmlid', 'name', [EDITED_EVENT]);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', name);
  // The two modes, each with the sentence that says what it does; "Add new records only" is the default.
  await expect(page.getByRole('radio', { name: /Add new records only/ })).toBeChecked();
  await expect(page.getByText('Rows whose key already exists in the target are left alone; only new rows are added.')).toBeVisible();
  await expect(
    page.getByText('New rows are added and existing rows that differ are updated; rows only in the target are never touched or deleted.'),
  ).toBeVisible();
  // The banner says source → target in words, with the target's environment written out.
  const banner = main(page).getByRole('note', { name: `Importing from archive ${source.name} into connection ${name} (dev).` });
  await expect(banner).toContainText('From archive');
  await expect(banner).toContainText('Into connection');
  await expect(banner.getByLabel('Environment: Development')).toHaveText('dev');

  // ── Dry run ──
  await holdJob(
    page,
    target,
    'events',
    () => main(page).getByRole('button', { name: 'Dry run', exact: true }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  const dry = main(page).getByRole('table', { name: 'Dry-run counts per table' });
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  expect(await countsRow(dry, 'events')).toMatchObject({ inserted: NEW_EVENTS.length, updated: 0, failed: 0 });
  expect(await countsRow(dry, 'posts')).toMatchObject({ inserted: sc.dev.addedPosts.length, updated: 0, failed: 0 });
  expect(await countsRow(dry, 'locations')).toMatchObject({ inserted: 1, updated: 0 });
  await docShot(page, app, 'import-dry-run', 'import-dry-run');
  await app.accessible(page, 'the import screen with dry-run results');
  // Nothing was written.
  expect(await countRows(target, TABLES)).toEqual(before);
  expect(await byKey(target, 'events', 'xmlid', 'name', NEW_EVENTS)).toEqual({});

  // ── The import: a plain confirmation (dev), whose default is Cancel: Enter does not import ──
  await main(page).getByRole('button', { name: 'Import…', exact: true }).click();
  const ask = page.getByRole('alertdialog', { name: `Import into ${name}?` });
  await expect(ask).toContainText(`The archive of ${source.name} will be imported into ${target.name}`);
  await expect(ask.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await capture(page, app, 'import-confirm-dev', 'the import confirmation (dev)');
  await page.keyboard.press('Enter');
  await expect(ask).toBeHidden();
  expect(await countRows(target, TABLES)).toEqual(before);

  await main(page).getByRole('button', { name: 'Import…', exact: true }).click();
  await holdJob(
    page,
    target,
    'events',
    () =>
      page
        .getByRole('alertdialog', { name: `Import into ${name}?` })
        .getByRole('button', { name: 'Import now' })
        .click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(main(page).getByText(/^Imported\./)).toBeVisible({ timeout: 60_000 });
  const done = main(page).getByLabel('Counts per table');
  expect(await countsRow(done, 'events')).toMatchObject({ inserted: NEW_EVENTS.length, updated: 0, failed: 0 });
  await capture(page, app, 'import-done', 'the finished import');

  // The database: exactly the new rows were added, by natural key; existing rows were left alone.
  const after = await countRows(target, TABLES);
  expect(after.events).toBe(before.events + NEW_EVENTS.length);
  expect(after.posts).toBe(before.posts + sc.dev.addedPosts.length);
  expect(after.locations).toBe(before.locations + 1);
  expect(after.users).toBe(before.users);
  const names = await byKey(target, 'events', 'xmlid', 'name', NEW_EVENTS);
  expect(names).toEqual(await byKey(source, 'events', 'xmlid', 'name', NEW_EVENTS));
  expect(await byKey(target, 'events', 'xmlid', 'name', [EDITED_EVENT])).toEqual(editedBefore);
  // A new event points at the new location, resolved through its natural key in the target.
  const placed = await target.client.query(`SELECT l.xmlid FROM events e JOIN locations l ON l.id = e.location WHERE e.xmlid = $1`, [
    NEW_EVENTS[0],
  ]);
  expect(placed.rows[0]?.xmlid).toBe(sc.dev.addedLocation);
});

test('merge changes into a dev target: the preview, its dry run, then the merge updates the changed rows', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const { source, archive } = await devEditsArchive(studio);
  const target = await studio.crearis();
  const name = `Crearis dev ${uniq()}`;
  await studio.connect(target, name, 'dev');
  const before = await countRows(target, TABLES);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', name);
  await page.getByRole('radio', { name: /Merge changes/ }).check();
  await expect(main(page).getByRole('note', { name: `Merging from archive ${source.name} into connection ${name} (dev).` })).toBeVisible();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();

  // The preview: no base is known for this archive, so it compares two ways.
  await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
  await holdJob(
    page,
    target,
    'events',
    () => main(page).getByRole('button', { name: 'Compare two ways' }).click(),
    () => expect(main(page).getByText('Comparing…')).toBeVisible(),
    'ACCESS EXCLUSIVE',
  );
  await expect(main(page).getByText(/Two-way · no base/)).toBeVisible({ timeout: 60_000 });
  const mergeButton = main(page).getByRole('button', { name: `Merge into ${name}…` });
  await expect(mergeButton).toBeEnabled();

  await holdJob(
    page,
    target,
    'events',
    () => main(page).getByRole('button', { name: 'Dry run', exact: true }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  const dry = main(page).getByRole('table', { name: 'Dry-run counts per table' });
  const events = await countsRow(dry, 'events');
  expect(events.inserted).toBe(NEW_EVENTS.length);
  expect(events.updated).toBeGreaterThanOrEqual(2);
  expect((await countsRow(dry, 'projects')).updated).toBeGreaterThanOrEqual(1);
  await capture(page, app, 'merge-dry-run', 'the dry run of a merge');
  expect(await countRows(target, TABLES)).toEqual(before);

  // The merge (dev: a plain confirmation that says how many rows it overwrites).
  await mergeButton.click();
  const ask = page.getByRole('alertdialog', { name: `Merge into ${name}?` });
  await expect(ask).toContainText(`Existing rows that differ are overwritten`);
  await expect(ask.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await holdJob(
    page,
    target,
    'events',
    () => ask.getByRole('button', { name: 'Merge now' }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(
    main(page)
      .getByText(/^Merged\./)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  await capture(page, app, 'merge-done', 'the finished merge');

  // The database: new rows added and changed rows updated, by natural key, to the archive's values.
  const after = await countRows(target, TABLES);
  expect(after.events).toBe(before.events + NEW_EVENTS.length);
  expect(await byKey(target, 'events', 'xmlid', 'name', [EDITED_EVENT, ...NEW_EVENTS])).toEqual(
    await byKey(source, 'events', 'xmlid', 'name', [EDITED_EVENT, ...NEW_EVENTS]),
  );
  const project = sc.dev.editedProject.domaincode;
  expect(await byKey(target, 'projects', 'domaincode', 'teaser', [project])).toEqual(
    await byKey(source, 'projects', 'domaincode', 'teaser', [project]),
  );
  expect(await byKey(target, 'posts', 'xmlid', 'name', sc.dev.addedPosts)).toEqual(
    await byKey(source, 'posts', 'xmlid', 'name', sc.dev.addedPosts),
  );
});

test('into production: the dry run comes first and the database name must be typed; Enter never confirms', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const { source, archive } = await devEditsArchive(studio);
  const target = await studio.crearis();
  const name = `Crearis production ${uniq()}`;
  const prod = await studio.connect(target, name, 'production');
  const before = await countRows(target, TABLES);

  // The server refuses a real import into production without the typed name, whatever the window does.
  await expect(
    app.api('jobs.start', { kind: 'import', archiveId: archive.archiveId, targetId: prod.id, mode: 'skip', dryRun: false }),
  ).rejects.toThrow(/409.*MR4_CONFIRMATION_REQUIRED/);
  await expect(
    app.api('jobs.start', {
      kind: 'import',
      archiveId: archive.archiveId,
      targetId: prod.id,
      mode: 'skip',
      dryRun: false,
      confirmDatabase: 'wrong',
    }),
  ).rejects.toThrow(/does not match/);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', name);
  const banner = main(page).getByRole('note', { name: `Importing from archive ${source.name} into connection ${name} (production).` });
  await expect(banner.getByLabel('Environment: Production')).toHaveText('production');
  await expect(banner).toContainText('The target is production: a real run shows a dry run first and asks you to type its database name.');
  const run = main(page).getByRole('button', { name: 'Import… (dry run first)' });

  // The run button starts with the dry run, then asks for the name.
  await holdJob(
    page,
    target,
    'events',
    () => run.click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  const dialog = page.getByRole('dialog', { name: `Import into ${name}?` });
  await expect(dialog).toBeVisible({ timeout: 60_000 });
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible();
  expect(await countRows(target, TABLES)).toEqual(before);
  // The name field has the focus (not the confirm button).
  const field = dialog.getByLabel(`Type the database name ${target.name} to confirm`);
  await expect(field).toBeFocused();
  // The dry run's counts per table are one click away in the dialog.
  const counts = dialog.getByLabel('Dry-run counts per table');
  if (!(await counts.isVisible())) await dialog.getByText('The dry run’s counts per table').click();
  const inserted = (await countsRow(counts, 'events')).inserted;
  expect(inserted).toBe(NEW_EVENTS.length);
  await expect(
    dialog.getByRole('note', { name: `Importing from archive ${source.name} into connection ${name} (production).` }),
  ).toBeVisible();
  await expect(dialog).toContainText(`This writes into ${target.name}, which is tagged production.`);
  const confirm = dialog.getByRole('button', { name: /^Import [\d,]+ new rows$/ });
  await expect(confirm).toBeDisabled();
  await expect(dialog.getByText('Enter does nothing here: press the button when you are sure.')).toBeVisible();

  // A wrong name keeps the button disabled; Enter does nothing.
  await field.fill(target.name.slice(0, -1));
  await expect(dialog.getByText('That is not the database name yet.')).toBeVisible();
  await expect(confirm).toBeDisabled();
  await field.press('Enter');
  await expect(dialog).toBeVisible();
  // The right name enables it; Enter still does not confirm.
  await field.fill(target.name);
  await expect(dialog.getByText('The name matches.')).toBeVisible();
  await expect(confirm).toBeEnabled();
  await field.press('Enter');
  await expect(dialog).toBeVisible();
  await docShot(page, app, 'import-production-confirm', 'production-confirm');
  await app.accessible(page, 'the production confirmation dialog');
  expect(await countRows(target, TABLES)).toEqual(before);
  expect((await app.api('jobs.list', {})).filter((j) => j.kind === 'import' && j.target?.id === prod.id && !j.dryRun)).toEqual([]);

  await holdJob(
    page,
    target,
    'events',
    () => confirm.click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(dialog).toBeHidden();
  await expect(main(page).getByText(/^Imported\./)).toBeVisible({ timeout: 60_000 });
  const after = await countRows(target, TABLES);
  expect(after.events).toBe(before.events + NEW_EVENTS.length);
  expect(Object.keys(await byKey(target, 'events', 'xmlid', 'xmlid', NEW_EVENTS)).sort()).toEqual([...NEW_EVENTS].sort());
});

test('an untagged target counts as production: dry run first, typed name', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const { source, archive } = await devEditsArchive(studio);
  const target = await studio.crearis();
  const name = `Crearis untagged ${uniq()}`;
  await studio.connect(target, name, null);
  const before = await countRows(target, TABLES);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', name);
  const banner = main(page).getByRole('note', {
    name: `Importing from archive ${source.name} into connection ${name} (untagged, treated as production).`,
  });
  await expect(banner.getByLabel('Environment: No tag: treated as production')).toHaveText('untagged');
  await expect(banner).toContainText('The target is untagged, so it is treated as production');

  await holdJob(
    page,
    target,
    'events',
    () => main(page).getByRole('button', { name: 'Import… (dry run first)' }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  const dialog = page.getByRole('dialog', { name: `Import into ${name}?` });
  await expect(dialog).toContainText(`This writes into ${target.name}, which is untagged and treated as production.`, { timeout: 60_000 });
  const confirm = dialog.getByRole('button', { name: /^Import [\d,]+ new rows$/ });
  await dialog.getByLabel(`Type the database name ${target.name} to confirm`).fill(name);
  await expect(confirm, 'the connection’s name is not its database name').toBeDisabled();
  // Cancel closes the dialog and writes nothing.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(await countRows(target, TABLES)).toEqual(before);

  // Again (the fresh dry run is reused), and confirm.
  await main(page).getByRole('button', { name: 'Import… (dry run first)' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(`Type the database name ${target.name} to confirm`).fill(target.name);
  await holdJob(
    page,
    target,
    'events',
    () => confirm.click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(main(page).getByText(/^Imported\./)).toBeVisible({ timeout: 60_000 });
  expect((await countRows(target, TABLES)).events).toBe(before.events + NEW_EVENTS.length);

  // The History names the target with its tag in words.
  await go(page, 'History');
  const entry = main(page).getByRole('row').filter({ hasText: name }).first();
  await expect(entry).toContainText('Succeeded');
  await expect(entry.getByLabel('Environment: No tag: treated as production')).toHaveText('untagged');
});
