// Screen 5, Sync: one connection exported and imported into another in one go. The dry run writes nothing;
// the run writes the new rows; a merge goes through its preview and updates the changed rows; the archive
// in between is kept, shown, downloadable and listed in the History. Checked in the databases by key.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { applyDevEdits, crearisEditScenario as sc } from '../src-main/demo/crearis-demo-data';
import { byKey, capture, chooseConnection, countRows, countsRow, expect, fact, go, holdJob, main, openApp, test, uniq } from './support';

const TABLES = ['events', 'posts', 'locations', 'projects'];

test('sync new records from staging into dev: dry run, the run, and the archive in between kept', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const source = await studio.crearis({ edits: applyDevEdits });
  const target = await studio.crearis();
  const tag = uniq();
  const from = `Crearis staging ${tag}`;
  const into = `Crearis dev ${tag}`;
  await studio.connect(source, from, 'staging');
  await studio.connect(target, into, 'dev');
  const before = await countRows(target, TABLES);

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', from);
  await chooseConnection(page, 'Target connection (written to)', into);
  const banner = main(page).getByRole('note', {
    name: `Syncing (new records only) from connection ${from} (staging) into connection ${into} (dev).`,
  });
  await expect(banner.getByLabel('Environment: Staging')).toHaveText('staging');
  await expect(banner.getByLabel('Environment: Development')).toHaveText('dev');

  // The dry run exports the source (the archive is kept) and checks the import without writing.
  await holdJob(
    page,
    source,
    'events',
    () => main(page).getByRole('button', { name: 'Dry run', exact: true }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
    'ACCESS EXCLUSIVE',
  );
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  expect(await countsRow(main(page).getByLabel('Dry-run counts per table'), 'events')).toMatchObject({
    inserted: sc.dev.addedEvents.length,
    updated: 0,
  });
  await expect(main(page).getByRole('paragraph').filter({ hasText: 'Intermediate archive kept:' })).toBeVisible();
  expect(await countRows(target, TABLES)).toEqual(before);
  await capture(page, app, 'sync-dry-run', 'the sync screen with dry-run results');

  // The run.
  await main(page).getByRole('button', { name: 'Sync new records…' }).click();
  const ask = page.getByRole('alertdialog', { name: `Import into ${into}?` });
  await expect(ask).toContainText(`${from} (${source.name}) will be imported into ${target.name}`);
  await holdJob(
    page,
    source,
    'events',
    () => ask.getByRole('button', { name: 'Import now' }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
    'ACCESS EXCLUSIVE',
  );
  await expect(main(page).getByText(/^Imported\./)).toBeVisible({ timeout: 60_000 });
  const kept = main(page).getByRole('paragraph').filter({ hasText: 'Intermediate archive kept:' });
  await expect(kept).toContainText(new RegExp(`${source.name}-\\d{8}-\\d{6}Z-sync\\.tar\\.gz`));
  const fileName = (await kept.locator('code').textContent())!.trim();
  await capture(page, app, 'sync-done', 'the finished sync');

  // The target: the new rows, by natural key; the edited ones left alone (new records only).
  const after = await countRows(target, TABLES);
  expect(after.events).toBe(before.events + sc.dev.addedEvents.length);
  expect(after.posts).toBe(before.posts + sc.dev.addedPosts.length);
  expect(await byKey(target, 'events', 'xmlid', 'name', sc.dev.addedEvents)).toEqual(
    await byKey(source, 'events', 'xmlid', 'name', sc.dev.addedEvents),
  );
  const edited = sc.dev.editedEvents[1]!.xmlid;
  expect((await byKey(target, 'events', 'xmlid', 'name', [edited]))[edited]).not.toBe(
    (await byKey(source, 'events', 'xmlid', 'name', [edited]))[edited],
  );

  // The kept archive downloads: the source's data, as a gzip tarball.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    main(page)
      .getByRole('button', { name: `Download ${fileName}` })
      .click(),
  ]);
  // In the test's own output folder (under test-results/, emptied by every run), not in /tmp.
  const dir = test.info().outputPath('download');
  mkdirSync(dir, { recursive: true });
  await download.saveAs(join(dir, fileName));
  expect([...readFileSync(join(dir, fileName)).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
  await tar.x({ file: join(dir, fileName), cwd: dir });
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  expect(index.metadata).toMatchObject({ database: source.name, description: `Sync ${from} → ${into}` });
  expect(index.tables.events.rows).toBe((await countRows(source, ['events'])).events);

  // The History lists the sync with both ends and its counts, and keeps the archive.
  await go(page, 'History');
  const row = main(page).getByRole('row').filter({ hasText: from }).filter({ hasText: into }).filter({ hasNotText: 'dry run' });
  const entry = (await app.api('history.list', {})).find((h) => h.kind === 'sync' && h.target?.name === into && !h.dryRun)!;
  const inserted = entry.counts!.reduce((n, c) => n + c.inserted, 0);
  expect(entry.counts!.find((c) => c.table === 'events')!.inserted).toBe(sc.dev.addedEvents.length);
  await expect(row).toContainText('Sync');
  await expect(row).toContainText(`${inserted.toLocaleString('en-US')} new · 0 updated`);
  await expect(row).toContainText('Succeeded');
  await row.click();
  const detail = page.getByRole('dialog', { name: `Sync ${from} → ${into}` });
  await expect(fact(detail, 'Source')).toContainText(from);
  await expect(fact(detail, 'Target')).toContainText(into);
  await expect(detail.getByRole('heading', { name: 'Kept archive' })).toBeVisible();
  await expect(detail).toContainText(fileName);
  await capture(page, app, 'history-detail-sync', 'the history detail of a sync');
});

test('sync and merge: the source is exported for the preview (the archive kept), then merged into the target', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const source = await studio.crearis({ edits: applyDevEdits });
  const target = await studio.crearis();
  const tag = uniq();
  const from = `Crearis staging ${tag}`;
  const into = `Crearis dev ${tag}`;
  await studio.connect(source, from, 'staging');
  await studio.connect(target, into, 'dev');
  const before = await countRows(target, TABLES);
  const edited = sc.dev.editedEvents[1]!.xmlid;

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', from);
  await chooseConnection(page, 'Target connection (written to)', into);
  await page.getByRole('radio', { name: /Merge changes/ }).check();
  await expect(
    main(page).getByRole('note', { name: `Syncing (merge) from connection ${from} (staging) into connection ${into} (dev).` }),
  ).toBeVisible();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();

  // The source is exported first; the archive is kept and named on the preview's banner.
  await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
  const compare = main(page).getByRole('button', { name: 'Compare two ways' });
  await expect(compare).toBeVisible({ timeout: 60_000 });
  const banner = main(page).getByRole('note', {
    name: new RegExp(`^Merging from connection ${from} \\(staging\\) into connection ${into} \\(dev\\)`),
  });
  await expect(banner).toContainText(new RegExp(`exported for this preview: ${source.name}-\\d{8}-\\d{6}Z\\.tar\\.gz`));
  const kept = (await app.api('files.list', {})).filter((f) => f.name.startsWith(`${source.name}-`));
  expect(kept, 'the exported archive is kept in the data folder').toHaveLength(1);

  await holdJob(
    page,
    target,
    'events',
    () => compare.click(),
    () => expect(main(page).getByText('Comparing…')).toBeVisible(),
    'ACCESS EXCLUSIVE',
  );
  await expect(main(page).getByText(/Two-way · no base/)).toBeVisible({ timeout: 60_000 });
  await holdJob(
    page,
    target,
    'events',
    () => main(page).getByRole('button', { name: 'Dry run', exact: true }).click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  expect((await countsRow(main(page).getByLabel('Dry-run counts per table'), 'events')).updated).toBeGreaterThanOrEqual(2);
  expect(await countRows(target, TABLES)).toEqual(before);

  await main(page)
    .getByRole('button', { name: `Merge into ${into}…` })
    .click();
  await holdJob(
    page,
    target,
    'events',
    () =>
      page
        .getByRole('alertdialog', { name: `Merge into ${into}?` })
        .getByRole('button', { name: 'Merge now' })
        .click(),
    () => expect(main(page).getByText('Running', { exact: true })).toBeVisible(),
  );
  await expect(
    main(page)
      .getByText(/^Merged\./)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  await capture(page, app, 'sync-merge-done', 'a finished sync merge');

  // The target now holds the source's new and changed rows.
  expect((await countRows(target, TABLES)).events).toBe(before.events + sc.dev.addedEvents.length);
  expect(await byKey(target, 'events', 'xmlid', 'name', [edited])).toEqual(await byKey(source, 'events', 'xmlid', 'name', [edited]));
  const project = sc.dev.editedProject.domaincode;
  expect(await byKey(target, 'projects', 'domaincode', 'description', [project])).toEqual(
    await byKey(source, 'projects', 'domaincode', 'description', [project]),
  );

  // The History has the export (with the kept archive) and the merge.
  await go(page, 'History');
  await expect(main(page).getByRole('row').filter({ hasText: from }).filter({ hasText: 'Export' })).toContainText('Succeeded');
  await expect(
    main(page).getByRole('row').filter({ hasText: into }).filter({ hasText: 'Merge' }).filter({ hasNotText: 'dry run' }),
  ).toContainText('Succeeded');
});
