// The defects a first-time walk through the app found (issue 8), each checked where it was seen: a stale
// Import result, type-ahead in a connection select, a blank table list after switching archives, a
// connection test's error out of sight, focus dropped to the page, thin focus rings and radios that do
// not look checked, "1 rows", result tables full of zeros, repeated log lines, Elapsed and duration
// disagreeing, archives piling up, the empty Archive screen, a cramped grid at 1024×700, the Import
// screen reset by a reload, and a run that shows no rate.
import pg from 'pg';
import { chooseArchive, chooseConnection, devEditsArchive, expect, fact, go, main, openApp, serverParts, test, uniq } from './support';

test('the Import screen clears its result when the target, the archive or the mode changes', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const { archive } = await devEditsArchive(studio);
  const a = await studio.connect(await studio.crearis(), `Crearis one ${uniq()}`, 'dev');
  const b = await studio.connect(await studio.crearis(), `Crearis two ${uniq()}`, 'dev');
  const other = await studio.openArchive((await studio.exportVia(b.id)).files![0]!.handle);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', a.name);
  const steps = main(page).getByRole('list', { name: 'Import steps' });
  const dryRun = async () => {
    await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
    await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
    await expect(steps.locator('[aria-current="step"]')).toContainText('Dry run');
  };
  const cleared = async () => {
    await expect(main(page).getByText('Dry run — nothing was written.')).toHaveCount(0);
    await expect(main(page).getByRole('table', { name: 'Dry-run counts per table' })).toHaveCount(0);
    await expect(steps.locator('[aria-current="step"]')).toContainText('Choose');
    await expect(main(page).getByText('Choose the target and mode, then start a dry run to see what would change.')).toBeVisible();
  };

  await dryRun();
  await chooseConnection(page, 'Target connection', b.name);
  await cleared();

  await dryRun();
  await chooseArchive(page, other.file.name);
  await cleared();

  await dryRun();
  await page.getByRole('radio', { name: /Merge changes/ }).check();
  await page.getByRole('radio', { name: /Add new records only/ }).check();
  await cleared();
});

test('type-ahead in a connection select takes the whole typed text: "Shop p" is Shop prod', async ({ page, app, studio }) => {
  const db = await app.database('CREATE TABLE t (id serial PRIMARY KEY)');
  const tag = uniq();
  await studio.connect(db, `Shop dev (laptop) ${tag}`, 'dev');
  const prod = await studio.connect(db, `Shop prod ${tag}`, 'production');
  await studio.connect(db, `Shop staging ${tag}`, 'staging');

  await openApp(page, app, 'Export');
  const select = page.getByRole('combobox', { name: 'Source connection' });
  await select.focus();
  await page.keyboard.type('Shop p', { delay: 30 });
  // The list shows only what matches all of it, and Enter takes that one.
  const list = page.getByRole('listbox');
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(list.getByRole('option')).toContainText(prod.name);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('listbox')).toHaveCount(0);
  await expect(select).toContainText(prod.name);
  await expect(select).not.toContainText('Shop dev');
});

test('switching archives starts the table list at the top, and the empty Archive screen lists the kept archives', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const one = await studio.connect(await studio.crearis(), `Crearis a ${uniq()}`, 'dev');
  const two = await studio.connect(await studio.crearis(), `Crearis b ${uniq()}`, 'dev');
  const fileOne = (await studio.exportVia(one.id)).files![0]!;
  const fileTwo = (await studio.exportVia(two.id)).files![0]!;
  // Whatever other tests left open is closed: the screen starts empty.
  await page.setViewportSize({ width: 1400, height: 700 });
  await openApp(page, app, 'Archive');
  const closeAll = main(page).getByRole('button', { name: /^Close all/ });
  if (await closeAll.count()) await closeAll.click();
  const close = main(page).getByRole('button', { name: /^Close .*\.tar\.gz/ });
  if (await close.count()) await close.click();

  // The empty screen offers what the app kept (its exports), newest first; one click opens one.
  const kept = main(page).getByRole('region', { name: 'Archives the app kept' });
  await expect(kept.getByRole('button', { name: `Open ${fileOne.name}` })).toBeVisible();
  await kept.getByRole('button', { name: `Open ${fileTwo.name}` }).click();
  const heading = main(page).getByRole('heading', { level: 2, name: fileTwo.name });
  await expect(heading).toBeVisible({ timeout: 60_000 });
  // The focus is on the opened archive, not the page.
  await expect(heading).toBeFocused();
  // The second through the API (as a drop would; the reloaded window finds it); then: scroll the list of
  // tables of the first to its end.
  const infoOne = await studio.openArchive(fileOne.handle);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Archive' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Open archives' }).click();
  await page.getByRole('listbox').getByRole('option', { name: infoOne.file.name }).click();
  await expect(main(page).getByRole('heading', { level: 2, name: infoOne.file.name })).toBeVisible();
  const scroller = main(page).locator('.tables-table .p-virtualscroller');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBeGreaterThan(100);

  // Switch to the other archive: its table list starts at the top, its first table in view.
  await page.getByRole('combobox', { name: 'Open archives' }).click();
  await page.getByRole('listbox').getByRole('option', { name: fileTwo.name }).click();
  await expect(main(page).getByRole('heading', { level: 2, name: fileTwo.name })).toBeVisible();
  await expect
    .poll(() =>
      main(page)
        .locator('.tables-table .p-virtualscroller')
        .evaluate((el) => el.scrollTop),
    )
    .toBe(0);
  const tables = main(page).getByRole('table', { name: /Tables in the archive/ });
  await expect(tables.getByRole('row').nth(1)).toBeInViewport();

  // Open archives do not pile up: close them all at once.
  await main(page).getByRole('button', { name: 'Close all 2' }).click();
  await expect(main(page).getByText('No archive open')).toBeVisible();
  await expect(kept).toBeVisible();
});

test('a failed connection test brings its error into view, takes the focus there and marks the field at fault', async ({
  page,
  app,
  studio,
}) => {
  const { host, port, user } = serverParts();
  const crearis = await studio.crearis();
  await page.setViewportSize({ width: 1024, height: 700 });
  await openApp(page, app, 'Connections');
  await main(page).getByRole('button', { name: 'Add connection' }).first().click();
  const form = page.getByRole('dialog', { name: 'Add a connection' });
  await form.getByLabel('Name', { exact: true }).fill(`Nowhere ${uniq()}`);
  await form.getByLabel('Host').fill(host);
  await form.getByLabel('Port').fill('');
  await form.getByLabel('Port').pressSequentially(String(port));
  await form.getByLabel('Database').fill('no_such_database_e2e');
  await form.getByLabel('User').fill(user);
  await form.getByRole('radio', { name: 'dev' }).check();
  await form.getByLabel('Name', { exact: true }).focus();
  await form.getByRole('button', { name: 'Test' }).click();

  const result = form.getByRole('region', { name: 'Test result: failed' });
  await expect(result).toContainText('no_such_database_e2e');
  await expect(result).toBeInViewport();
  await expect(result).toBeFocused();
  // The database field is marked; the others are not.
  await expect(form.getByLabel('Database')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Host')).not.toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('User')).not.toHaveAttribute('aria-invalid', 'true');
  // Fixing the field clears the mark.
  await form.getByLabel('Database').fill(crearis.name);
  await expect(form.getByLabel('Database')).not.toHaveAttribute('aria-invalid', 'true');
  await form.getByRole('button', { name: 'Test' }).click();
  await expect(form.getByRole('region', { name: 'Test result: connected' })).toBeInViewport();
  // The plan's warnings: a count in words, in full-strength text, with what to do.
  const warnings = fact(form, 'Warnings');
  await expect(warnings).toHaveText(/^\s*\d+ warnings? — a dry run lists each with what to do\s*$/);
  const colors = await warnings.evaluate((el) => ({
    text: getComputedStyle(el.querySelector('.plan-warnings')!).color,
    body: getComputedStyle(document.body).color,
  }));
  expect(colors.text).toBe(colors.body);
  await app.accessible(page, 'a tested connection form at 1024×700');
  await app.shot(page, 'polish-connection-tested');
});

test('focus goes to the result after an export and a dry run; focus rings are 2 px; a checked radio looks filled', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const src = await studio.connect(await studio.crearis(), `Crearis source ${uniq()}`, 'dev');
  await openApp(page, app, 'Export');
  await chooseConnection(page, 'Source connection', src.name);
  await main(page).getByRole('button', { name: 'Export', exact: true }).click();
  await expect(
    main(page)
      .getByText(/SHA-256/)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  await expect(main(page).getByRole('heading', { level: 2, name: 'Run' })).toBeFocused();

  const exported = (await app.api('jobs.list', {})).find((j) => j.kind === 'export' && j.source?.id === src.id && j.state === 'succeeded')!;
  const archive = await studio.openArchive(exported.files![0]!.handle);
  await page.reload(); // the window finds the archive the API opened
  await expect(page.getByRole('heading', { level: 1, name: 'Export' })).toBeVisible();
  await go(page, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', src.name);
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  await expect(main(page).getByRole('heading', { level: 2, name: 'Dry run' })).toBeFocused();

  // Focus rings: 2 px, on a button reached by the keyboard.
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const s = getComputedStyle(el);
    return { width: parseFloat(s.outlineWidth), style: s.outlineStyle };
  });
  expect(ring.style).not.toBe('none');
  expect(ring.width).toBeGreaterThanOrEqual(2);

  // Radios, light and dark: the checked one is a filled disc (a small dot), the unchecked an empty ring.
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const look = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll('main .p-radiobutton')].map((r) => {
        const box = r.querySelector('.p-radiobutton-box') as HTMLElement;
        const icon = r.querySelector('.p-radiobutton-icon') as HTMLElement;
        const input = r.querySelector('input') as HTMLInputElement;
        const card = getComputedStyle(r.closest('.card') as HTMLElement).backgroundColor;
        return {
          checked: input.checked,
          bg: getComputedStyle(box).backgroundColor,
          card,
          dot: icon.getBoundingClientRect().width / box.getBoundingClientRect().width,
          iconShown: getComputedStyle(icon).visibility !== 'hidden' && icon.getBoundingClientRect().width > 0,
        };
      });
      return boxes;
    });
    const checked = look.filter((l) => l.checked);
    const unchecked = look.filter((l) => !l.checked);
    expect(checked.length).toBeGreaterThan(0);
    expect(unchecked.length).toBeGreaterThan(0);
    for (const c of checked) expect(c.dot, `${scheme}: the checked radio's dot is small, the disc filled`).toBeLessThan(0.45);
    for (const u of unchecked) {
      expect(u.bg === 'rgba(0, 0, 0, 0)' || u.bg === u.card || u.bg !== checked[0]!.bg, `${scheme}: an unchecked radio is not filled`).toBe(
        true,
      );
      expect(u.bg).not.toBe(checked[0]!.bg);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
});

test('plurals, tables with changes only (show all N), one duration, and "1 row"', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const db = await app.database(`
    CREATE TABLE single (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
    INSERT INTO single (code) VALUES ('only');
  `);
  const conn = await studio.connect(db, `Single ${uniq()}`, 'dev');
  const exported = await studio.exportVia(conn.id);
  const info = await studio.openArchive(exported.files![0]!.handle);
  // A Crearis archive for the dry run below: 27 tables, a few with changes.
  const { archive } = await devEditsArchive(studio);
  const target = await studio.connect(await studio.crearis(), `Crearis target ${uniq()}`, 'dev');
  await openApp(page, app, 'Archive');
  if (await page.getByRole('combobox', { name: 'Open archives' }).count()) {
    await page.getByRole('combobox', { name: 'Open archives' }).click();
    await page.getByRole('listbox').getByRole('option', { name: info.file.name }).click();
  }
  await expect(main(page).getByRole('heading', { level: 2, name: info.file.name })).toBeVisible();
  await main(page)
    .getByRole('table', { name: /Tables in the archive/ })
    .getByText('single', { exact: true })
    .click();
  await expect(main(page).getByText(/· 1 row · 2 columns ·/)).toBeVisible();
  await expect(main(page).getByText(/\b1 rows\b/)).toHaveCount(0);

  // The Crearis dry run: only the tables with changes are listed until asked.
  await go(page, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', target.name);
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  const counts = main(page).getByRole('table', { name: 'Dry-run counts per table' });
  const all = archive.tables.length;
  const showAll = main(page).getByRole('button', { name: `Show all ${all} tables` });
  await expect(showAll).toBeVisible();
  const shown = await counts.locator('tbody tr').count();
  expect(shown).toBeLessThan(all);
  await expect(counts.getByRole('cell', { name: 'events', exact: true })).toBeVisible();
  await expect(counts.getByRole('cell', { name: 'i18n_codes', exact: true })).toHaveCount(0);
  await showAll.click();
  await expect(counts.getByRole('cell', { name: 'i18n_codes', exact: true })).toBeVisible();
  await main(page).getByRole('button', { name: 'Show only tables with changes' }).click();
  await expect(counts.getByRole('cell', { name: 'i18n_codes', exact: true })).toHaveCount(0);

  // Runs: the job's Elapsed and its result's duration are one number.
  const job = await studio.runJob({ kind: 'import', archiveId: archive.archiveId, targetId: target.id, mode: 'skip', dryRun: true });
  await go(page, 'Runs');
  await main(page).getByRole('navigation', { name: 'Runs of this session' }).getByRole('button').first().click();
  await expect(main(page).getByRole('heading', { level: 2, name: job.title })).toBeVisible();
  const summary = await main(page)
    .getByText(/would be inserted/)
    .first()
    .textContent();
  const inWords = /, in (.+)\.\s*$/.exec(summary ?? '')?.[1];
  expect(inWords).toBeTruthy();
  await expect(fact(main(page), 'Elapsed')).toHaveText(inWords!);
});

test('reloading during an import reattaches the Import screen to the running job, with a rate and the whole target name', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(180_000);
  const { archive } = await devEditsArchive(studio);
  const db = await studio.crearis();
  const long = `Crearis development copy on the shared laptop of the events team ${uniq()}`;
  const target = await studio.connect(db, long, 'dev');

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', target.name);
  await main(page).getByRole('button', { name: 'Import…', exact: true }).click();

  // Hold the import at the events table (the lock is released after the checks, well within its lock timeout).
  const lock = new pg.Client({ connectionString: db.url });
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE events IN EXCLUSIVE MODE');
    await page
      .getByRole('alertdialog', { name: `Import into ${target.name}?` })
      .getByRole('button', { name: 'Import now' })
      .click();
    await expect(main(page).getByText('Running', { exact: true })).toBeVisible();
    // A rate while a statement runs (never a bare "—").
    await expect(fact(main(page), 'Rows per second')).not.toHaveText('—');
    // The top bar says the whole title, target name included (wrapped, not cut), and has it as a tooltip.
    const title = page.locator('.topjob-title');
    await expect(title).toHaveAttribute('title', new RegExp(long));
    expect(await title.evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1)).toBe(true);

    const job = (await app.api('jobs.list', {})).find((j) => j.kind === 'import' && j.target?.id === target.id && !j.dryRun)!;

    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Import' })).toBeVisible();
    // The same form, and the job it started (still running, or ended by now on a slow machine), not a blank form.
    await expect(page.getByRole('combobox', { name: 'Target connection' })).toContainText(target.name);
    await expect(main(page).getByRole('list', { name: `Phases of ${job.title}` })).toBeVisible();
    await expect(main(page).getByText('Choose the target and mode, then start a dry run to see what would change.')).toHaveCount(0);
    await expect(main(page).getByRole('list', { name: 'Import steps' }).locator('[aria-current="step"]')).toContainText('Run');
  } finally {
    await lock.query('ROLLBACK').catch(() => undefined);
    await lock.end();
  }
  // The reattached screen follows the job to its end (on a slow machine the hold may outlast the
  // import's lock timeout: then it ends rolled back, which the screen says as well).
  await expect(
    main(page)
      .getByText(/^\s*(Imported\.|Rolled back: the target is unchanged\.)/)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(archive.file.name);
});

test('at 1024×700 the archive grid gets the window’s remaining height', async ({ page, app, studio }) => {
  const conn = await studio.connect(await studio.crearis(), `Crearis small ${uniq()}`, 'dev');
  const info = await studio.openArchive((await studio.exportVia(conn.id)).files![0]!.handle);
  await page.setViewportSize({ width: 1024, height: 700 });
  await openApp(page, app, 'Archive');
  if (await page.getByRole('combobox', { name: 'Open archives' }).count()) {
    await page.getByRole('combobox', { name: 'Open archives' }).click();
    await page.getByRole('listbox').getByRole('option', { name: info.file.name }).click();
  }
  await expect(main(page).getByRole('heading', { level: 2, name: info.file.name })).toBeVisible();
  await main(page)
    .getByRole('table', { name: /Tables in the archive/ })
    .locator('tbody tr')
    .first()
    .click();
  const grid = main(page).getByRole('grid', { name: /^Rows of / });
  await expect(grid).toBeVisible();
  const box = (await grid.boundingBox())!;
  expect(box.height, 'the grid’s height at 1024×700').toBeGreaterThanOrEqual(340);
  // And it fits: the grid ends inside the window.
  expect(box.y + box.height).toBeLessThanOrEqual(700);
  await app.shot(page, 'polish-archive-1024x700');
});

test('a log line repeated in a row is shown once, with how many times', async ({ page, app, studio }) => {
  const conn = await studio.connect(await studio.crearis(), `Crearis log ${uniq()}`, 'dev');
  const job = await studio.exportVia(conn.id);
  // The job as the window reads it, with one message repeated three times in a row (as a retried step
  // or a warning per chunk writes it).
  const repeated = `Table audit_${uniq()}: a row without a key was left out`;
  await page.route('**/api/call/jobs.list', async (route) => {
    const response = await route.fetch();
    const jobs = (await response.json()) as { id: string; log: { at: string; level: string; message: string }[] }[];
    for (const j of jobs) {
      if (j.id !== job.id) continue;
      const at = j.log[j.log.length - 1]?.at ?? new Date().toISOString();
      for (let i = 0; i < 3; i++) j.log.push({ at, level: 'warn', message: repeated });
    }
    await route.fulfill({ response, json: jobs });
  });
  await openApp(page, app, 'Runs');
  await main(page)
    .getByRole('navigation', { name: 'Runs of this session' })
    .getByRole('button')
    .filter({ hasText: job.title })
    .first()
    .click();
  const log = main(page).getByRole('log', { name: 'Job log' });
  await expect(log.getByText(repeated)).toHaveCount(1);
  await expect(log.getByLabel('repeated 3 times')).toHaveText('×3');
});
