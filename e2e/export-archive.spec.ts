// Screens 2 and 3, Export and Archive: export a Crearis database through the Export screen, download the
// archive (browser mode) and check it is a gzip tarball whose index.json lists the tables; then drop that
// very file on the window and browse it: metadata (checksums, database, format), tables, a table's row
// grid, the filter, and a row's details (NULL and '' told apart). A drop the page does not handle (a
// .txt file) neither navigates the window nor goes unexplained.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { crearisEditScenario } from '../src-main/demo/crearis-demo-data';
import { ARCHIVE_FORMAT_VERSION } from '../src-main/engine/archive/format';
import {
  capture,
  chooseConnection,
  dropFile,
  expect,
  fact,
  finishDrop,
  go,
  holdJob,
  main,
  openApp,
  recordTexts,
  scrollToRow,
  seenTexts,
  settle,
  test,
  uniq,
} from './support';

/** The event whose row detail is checked: its teaser is set to '' and its cimg to NULL before the export. */
const EVENT = crearisEditScenario.conflict.xmlid;

test('export a Crearis database, download the archive, drop it on the window and browse it', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const db = await studio.crearis({
    edits: async (c) => {
      await c.query(`UPDATE events SET teaser = '', cimg = NULL WHERE xmlid = $1`, [EVENT]);
    },
  });
  const name = `Crearis prod ${uniq()}`;
  await studio.connect(db, name, 'production');
  const dbCounts = Object.fromEntries(
    (
      await db.client.query(
        `SELECT 'events' AS t, count(*)::int AS n FROM events UNION ALL SELECT 'users', count(*)::int FROM users UNION ALL SELECT 'posts', count(*)::int FROM posts`,
      )
    ).rows.map((r) => [r.t, r.n]),
  );

  // ── Export ──
  await openApp(page, app, 'Export');
  await chooseConnection(page, 'Source connection', name);
  await expect(page.getByRole('radio', { name: /All tables/ })).toBeChecked();
  await page.getByLabel('Description (optional)').fill('before the spring release');
  await expect(main(page).getByText('The archive is kept in the app’s data folder; download it when the export is done.')).toBeVisible();
  const result = main(page);
  await holdJob(
    page,
    db,
    'events',
    () => main(page).getByRole('button', { name: 'Export', exact: true }).click(),
    async () => {
      // Live: the outcome says Running, the current phase is marked "now", Cancel is offered.
      await expect(result.getByText('Running', { exact: true })).toBeVisible();
      await expect(result.getByRole('listitem').filter({ has: page.getByText('now', { exact: true }) })).toHaveCount(1);
      await expect(result.getByRole('button', { name: 'Cancel' })).toBeEnabled();
      await expect(page.getByRole('banner').getByText(/Phase \d of 3/)).toBeVisible();
      await capture(page, app, 'export-running', 'a running export');
    },
    'ACCESS EXCLUSIVE',
  );

  await expect(result.getByText(`Exported ${db.name}.`)).toBeVisible({ timeout: 60_000 });
  await expect(result.getByText('Succeeded')).toBeVisible();
  await expect(fact(result, 'File')).toHaveText(new RegExp(`^${db.name}-\\d{8}-\\d{6}Z\\.tar\\.gz$`));
  await expect(fact(result, 'Size')).toHaveText(/^\d+(\.\d)? (KB|MB)$/);
  await expect(fact(result, 'Rows')).toHaveText(/^[\d,]+ rows in \d+ tables$/);
  await expect(fact(result, 'Duration')).toHaveText(/^\d+(\.\d+)? (ms|s)$/);
  await expect(fact(result, 'SHA-256')).toHaveText(/^[0-9a-f]{64}$/);
  // Every phase ticked off.
  for (const phase of ['Read catalog', 'Copy tables', 'Write archive']) {
    await expect(
      result
        .getByRole('list', { name: /Phases of/ })
        .getByRole('listitem')
        .filter({ hasText: phase }),
    ).toContainText('done');
  }
  await capture(page, app, 'export-done', 'the finished export');

  // ── Download: a gzip tarball with index.json naming every table ──
  const fileName = (await fact(result, 'File').textContent())!.trim();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    result.getByRole('button', { name: `Download ${fileName}` }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(fileName);
  // In the test's own output folder (under test-results/, emptied by every run), not in /tmp.
  const dir = test.info().outputPath('download');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName);
  await download.saveAs(file);
  const bytes = readFileSync(file);
  expect([...bytes.subarray(0, 2)], 'gzip magic').toEqual([0x1f, 0x8b]);
  await tar.x({ file, cwd: dir });
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  expect(index).toMatchObject({
    format: 'mr4-archive',
    metadata: { database: db.name, schema: 'public', description: 'before the spring release' },
  });
  expect(index.entities).toEqual(expect.arrayContaining(['users', 'projects', 'events', 'posts', 'locations']));
  for (const t of ['events', 'users', 'posts']) expect(index.tables[t].rows, t).toBe(dbCounts[t]);
  const totalRows = Object.values(index.tables as Record<string, { rows: number }>).reduce((n, t) => n + t.rows, 0);
  await expect(fact(result, 'Rows')).toHaveText(`${totalRows.toLocaleString('en-US')} rows in ${index.entities.length} tables`);
  for (const entity of index.entities)
    expect(readFileSync(join(dir, index.tables[entity].file)).length, `${entity}'s file`).toBe(index.tables[entity].bytes);

  // ── Drop the downloaded archive anywhere on the window ──
  await go(page, 'Connections');
  // How many archives the window has open already (other tests' archives may still be open).
  const archiveNav = page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /^Archive/ });
  const openBefore = Number((await archiveNav.ariaSnapshot()).match(/Archive (\d+) open/)?.[1] ?? 0);
  const overlay = page.getByText('Drop the archive to open it');
  await expect(overlay).toBeHidden();
  const drag = await dropFile(page, { name: fileName, type: 'application/gzip', bytes }, { drop: false });
  expect(drag.dragoverCancelled, 'the page takes the drag (dragover is cancelled)').toBe(true);
  await expect(overlay).toBeVisible();
  await expect(page.getByText('MR4 archives end in .tar.gz')).toBeVisible();
  await settle(page);
  await app.shot(page, 'archive-drop-overlay');
  await recordTexts(page, ['Sending the file to the app…', 'Reading the archive once into a local cache', 'Cache rows']);
  expect(await finishDrop(page), 'the drop is handled by the page, not the browser').toBe(true);
  await expect(overlay).toBeHidden();

  // The archive opens on the Archive screen (upload, then the open-archive job's progress).
  await expect(page.getByRole('heading', { level: 1, name: 'Archive', exact: true })).toBeVisible();
  const meta = page.getByRole('region', { name: fileName });
  await expect(meta.getByText('Checksums verified')).toBeVisible({ timeout: 60_000 });
  expect(await seenTexts(page)).toEqual(
    expect.arrayContaining(['Sending the file to the app…', 'Reading the archive once into a local cache']),
  );
  await expect(fact(meta, 'From database')).toHaveText(`${db.name} (schema public)`);
  await expect(fact(meta, 'Format')).toHaveText(ARCHIVE_FORMAT_VERSION); // what this version writes (2.1: with the lineage of ids)
  await expect(fact(meta, 'Profile')).toHaveText(index.metadata.profile ?? 'none (generic)');
  await expect(fact(meta, 'Description')).toHaveText('before the spring release');
  await expect(fact(meta, 'Size')).toContainText(`${totalRows.toLocaleString('en-US')} rows in ${index.entities.length} tables`);
  await expect(archiveNav).toHaveAccessibleName(`Archive ${openBefore + 1} open`);

  // Every table with its row count.
  const tables = main(page).getByLabel('Tables in the archive (select one to see its rows)');
  for (const t of ['users', 'posts', 'events']) {
    await expect(await scrollToRow(page, tables, t)).toContainText(dbCounts[t].toLocaleString('en-US'));
  }
  await expect(main(page).getByText('Choose a table to see its rows.')).toBeVisible();
  await capture(page, app, 'archive-browser', 'the archive browser');

  // ── A table's rows ──
  await (await scrollToRow(page, tables, 'events')).click();
  await expect(main(page).getByRole('heading', { level: 2, name: 'events' })).toBeVisible();
  const grid = page.getByRole('grid', { name: 'Rows of events' });
  await expect(grid).toHaveAttribute('aria-rowcount', String(dbCounts.events + 1));
  await expect(grid.getByRole('columnheader', { name: /^xmlid/ })).toBeVisible();
  await expect(grid.getByRole('row').nth(1)).not.toContainText('loading');
  await expect(main(page).getByText(`Rows 1–`)).toContainText(`of ${dbCounts.events}`);

  // The filter searches every column, on the server.
  const needle = 'forumabend';
  const expected = (await db.client.query(`SELECT count(*)::int AS n FROM events e WHERE lower(e::text) LIKE '%' || $1 || '%'`, [needle]))
    .rows[0].n as number;
  expect(expected).toBeGreaterThan(0);
  await page.getByLabel('Filter rows of events').fill(needle);
  await expect(main(page).getByRole('search').getByRole('status')).toHaveText(`${expected} ${expected === 1 ? 'match' : 'matches'}`);
  await expect(grid).toHaveAttribute('aria-rowcount', String(expected + 1));
  const hit = grid.getByRole('row').filter({ hasText: EVENT });
  await expect(hit).toBeVisible();

  // A row's details: '' and NULL are different things, and say so.
  await hit.click();
  const detail = page.getByRole('complementary', { name: /^Row [\d,]+ of events$/ });
  await expect(detail).toBeVisible();
  const field = (column: string) =>
    detail.locator('dt', { has: page.getByText(column, { exact: true }) }).locator('xpath=following-sibling::dd[1]');
  await expect(field('xmlid')).toHaveText(EVENT);
  await expect(field('teaser')).toHaveText("empty text ('')");
  await expect(field('cimg')).toHaveText('NULL');
  await expect(detail.locator('dt', { has: page.getByText('xmlid', { exact: true }) })).toContainText('key');
  await capture(page, app, 'archive-row-detail', 'the archive browser with a row detail');

  // The grid itself marks them too (NULL as a marked NULL, '' as "empty").
  const cells = hit.getByRole('gridcell');
  await expect(cells.filter({ hasText: /^NULL$/ }).first()).toBeVisible();
  await expect(cells.filter({ hasText: /^empty$/ }).first()).toBeVisible();

  // Clearing the filter brings back every row.
  await page.getByLabel('Filter rows of events').fill('');
  await expect(grid).toHaveAttribute('aria-rowcount', String(dbCounts.events + 1));

  // The archive can go straight on to Import.
  await main(page).getByRole('button', { name: 'Import this archive…' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(fileName);

  // The Runs screen keeps the open-archive job: both its phases done.
  await go(page, 'Runs');
  await main(page)
    .getByRole('navigation', { name: 'Runs of this session' })
    .getByRole('button', { name: new RegExp(`^Open archive .*Open ${fileName.replace(/\./g, '\\.')} Succeeded$`) })
    .click();
  const openPhases = main(page).getByRole('list', { name: `Phases of Open ${fileName}` });
  await expect(openPhases.getByRole('listitem').filter({ hasText: 'Read index' })).toContainText('done');
  await expect(openPhases.getByRole('listitem').filter({ hasText: 'Cache rows' })).toContainText('done');
  await expect(main(page).getByText(`Opened ${fileName}: ${index.entities.length} tables from ${db.name}.`)).toBeVisible();

  // Closing it leaves the Archive screen empty again.
  await go(page, 'Archive');
  await main(page)
    .getByRole('button', { name: `Close ${fileName}` })
    .click();
  await expect(page.getByRole('region', { name: fileName })).toHaveCount(0);
});

test('a dropped file that is not an archive neither navigates the window nor goes unexplained', async ({ page, app }) => {
  await openApp(page, app, 'Connections');
  const before = page.url();

  // A drop as the browser delivers it (through the DevTools protocol, a file from disk).
  const dir = test.info().outputPath('drop');
  mkdirSync(dir, { recursive: true });
  const txt = join(dir, 'meeting-notes.txt');
  writeFileSync(txt, 'not an archive\n');
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: [txt], dragOperationsMask: 1 };
  await page.evaluate(() => {
    const w = window as unknown as { __drops: boolean[] };
    w.__drops = [];
    // Runs after the app's own listener (registered earlier): did anyone cancel the browser's default?
    window.addEventListener('drop', (e) => w.__drops.push(e.defaultPrevented));
    window.addEventListener('dragover', (e) => w.__drops.push(e.defaultPrevented));
  });
  await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', x: 700, y: 400, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', x: 700, y: 400, data });
  await expect(page.getByText('Drop the archive to open it')).toBeVisible();
  await cdp.send('Input.dispatchDragEvent', { type: 'drop', x: 700, y: 400, data });

  const error = page.getByRole('alert').filter({ hasText: 'Not an archive' });
  await expect(error).toContainText('"meeting-notes.txt" is not an MR4 archive.');
  await expect(error).toContainText('What to do: Drop or pick a .tar.gz file that MR4 Studio (or the mr4 command) exported.');
  await expect(page.getByText('Drop the archive to open it')).toBeHidden();
  const cancelled = await page.evaluate(() => (window as unknown as { __drops: boolean[] }).__drops);
  expect(cancelled.length).toBeGreaterThanOrEqual(2);
  expect(cancelled.every(Boolean), 'every dragover and the drop are cancelled, so the browser never opens the file').toBe(true);
  expect(page.url()).toBe(before);
  await expect(page.getByRole('heading', { level: 1, name: 'Archive', exact: true })).toBeVisible();
  await capture(page, app, 'archive-not-an-archive', 'the archive screen after a wrong drop');

  // The same through a synthetic drop (DataTransfer built in the page): cancelled too, same message.
  await error.getByRole('button', { name: 'Close' }).click();
  await expect(error).toBeHidden();
  const synthetic = await dropFile(page, { name: 'photo.png', type: 'image/png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
  expect(synthetic).toEqual({ dragoverCancelled: true, dropCancelled: true });
  await expect(page.getByRole('alert').filter({ hasText: 'Not an archive' })).toContainText('"photo.png" is not an MR4 archive.');
  expect(page.url()).toBe(before);

  // Escape drops a drag that never ends (e.g. the pointer left the window mid-drag).
  await dropFile(page, { name: 'x.tar.gz', type: 'application/gzip', bytes: Buffer.from([0x1f, 0x8b]) }, { drop: false });
  await expect(page.getByText('Drop the archive to open it')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByText('Drop the archive to open it')).toBeHidden();
});
