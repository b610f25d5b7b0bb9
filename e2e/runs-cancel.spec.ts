// Screen 6, live phases: a long import (300,000 rows into a target with a slow trigger) started from the
// Import screen, watched live; the window is reloaded while it runs and reattaches to it; Cancel (asked
// first) stops the running statement and rolls back: the screen says "rolling back", then "Rolled back:
// the target is unchanged", and the target database holds exactly what it held before. The cancelled run
// is kept in the History, across a reload.
import { capture, chooseArchive, chooseConnection, expect, go, main, openApp, recordTexts, seenTexts, test, uniq } from './support';

const ROWS = 300_000;
const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL UNIQUE, qty integer NOT NULL, note text);`;
// The target's own per-row trigger costs half a millisecond a row: writing 300,000 rows would take minutes,
// so the run is certainly still writing when it is cancelled, and the cancel must stop the running
// statement on the server (waiting for it to end would outlast the test).
const SLOW_TRIGGER = `
  CREATE FUNCTION slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.0005); RETURN NEW; END $$;
  CREATE TRIGGER items_audit BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION slow_audit();`;

test('cancel a long import: it reattaches after a reload, rolls back, and the target is unchanged', async ({ page, app, studio }) => {
  test.setTimeout(240_000);
  const source = await app.database(
    `${SCHEMA} INSERT INTO items (code, qty, note) SELECT 'item-' || g, g % 1000, md5(g::text) FROM generate_series(1, ${ROWS}) g;`,
  );
  const target = await app.database(
    `${SCHEMA} INSERT INTO items (code, qty, note) VALUES ('keep-1', 1, 'kept'), ('keep-2', 2, NULL), ('item-7', 70, 'target''s own'); ${SLOW_TRIGGER}`,
  );
  const snapshot = async () => (await target.client.query(`SELECT code, qty, note FROM items ORDER BY code`)).rows;
  const before = await snapshot();
  const src = await studio.connect(source, `Big source ${uniq()}`, 'staging');
  const name = `Big target ${uniq()}`;
  await studio.connect(target, name, 'dev');
  const exported = await studio.exportVia(src.id);
  const archive = await studio.openArchive(exported.files![0]!.handle);
  expect(archive.tables.find((t) => t.name === 'items')?.rows).toBe(ROWS);

  // Start the import from the Import screen.
  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', name);
  await main(page).getByRole('button', { name: 'Import…', exact: true }).click();
  await page
    .getByRole('alertdialog', { name: `Import into ${name}?` })
    .getByRole('button', { name: 'Import now' })
    .click();

  // Live: the phases (one marked "now"), the table's bar with rows done of the total, the log.
  const phases = main(page).getByRole('list', { name: /^Phases of Import / });
  try {
    await expect(phases.getByRole('listitem').filter({ hasText: 'Match and write' })).toContainText('now', { timeout: 60_000 });
  } catch (error) {
    // What the app says about the job, to tell a slow machine from a stuck run.
    const job = (await app.api('jobs.list', {})).find((j) => j.kind === 'import' && j.target?.name === name);
    await test.info().attach('job', { body: JSON.stringify(job, null, 2), contentType: 'application/json' });
    throw error;
  }
  await expect(phases.getByRole('listitem').filter({ hasText: 'Stage rows' })).toContainText('done');
  await expect(
    main(page).getByRole('list', { name: 'Progress per table' }).getByRole('listitem').filter({ hasText: 'items' }),
  ).toContainText(new RegExp(`(/ ${ROWS.toLocaleString('en-US')} rows|${ROWS.toLocaleString('en-US')} rows · working…)`));
  await expect(main(page).getByRole('log', { name: 'Job log' })).toContainText('started');

  // A reload while it runs: the window reattaches to the job (top bar, Runs badge, the Runs screen).
  await page.reload();
  const topJob = page.getByRole('banner').getByRole('status');
  await expect(topJob).toContainText(`into ${name}`);
  await expect(topJob).toContainText('Phase 3 of 5: Match and write');
  await expect(page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: /Runs/ })).toContainText('1');
  await topJob.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Runs' })).toBeVisible();
  await expect(main(page).getByRole('heading', { level: 2, name: new RegExp(`^Import .* into ${name}$`) })).toBeVisible();
  await expect(
    main(page)
      .getByRole('list', { name: /^Phases of Import / })
      .getByRole('listitem')
      .filter({ has: page.getByText('now', { exact: true }) }),
  ).toHaveCount(1);
  await expect(main(page).getByText('Rows per second')).toBeVisible();
  await capture(page, app, 'runs-in-progress', 'a running import on the Runs screen');

  // Cancel asks first ("Keep running" is the default), then stops and rolls back.
  await main(page).getByRole('button', { name: 'Cancel', exact: true }).click();
  const ask = page.getByRole('alertdialog', { name: 'Cancel this run and roll back?' });
  await expect(ask).toContainText('everything this run wrote is rolled back: the target stays exactly as it was');
  await expect(ask.getByRole('button', { name: 'Keep running' })).toBeFocused();
  await capture(page, app, 'runs-cancel-confirmation', 'the cancel confirmation');
  await recordTexts(page, ['rolling back', 'Rolled back: the target is unchanged.']);
  await ask.getByRole('button', { name: 'Cancel the run' }).click();
  await expect(main(page).getByText('Rolled back: the target is unchanged.')).toBeVisible({ timeout: 60_000 });
  expect(await seenTexts(page), 'the screen said it was rolling back before it said it had').toEqual([
    'rolling back',
    'Rolled back: the target is unchanged.',
  ]);
  await expect(
    main(page)
      .getByRole('navigation', { name: 'Runs of this session' })
      .getByRole('button', { name: new RegExp(`into ${name}`) }),
  ).toContainText('Cancelled');
  await expect(
    main(page)
      .getByRole('list', { name: /^Phases of Import / })
      .getByRole('listitem')
      .filter({ hasText: 'stopped here' }),
  ).toHaveCount(1);
  await expect(page.getByRole('banner')).toContainText('No job running');
  await capture(page, app, 'runs-rolled-back', 'a cancelled and rolled back import');

  // The target holds exactly what it held before, and nothing of the run is left behind.
  expect(await snapshot()).toEqual(before);
  const busy = await target.client.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
  );
  expect(busy.rows[0].n, 'the running statement was stopped on the server, not left to finish').toBe(0);
  const job = (await app.api('jobs.list', {})).find((j) => j.kind === 'import' && j.target?.name === name);
  expect(job).toMatchObject({ state: 'cancelled', rolledBack: true });

  // The History keeps it, with its outcome in words, across a reload.
  await go(page, 'History');
  const entry = main(page).getByRole('row').filter({ hasText: name }).first();
  await expect(entry).toContainText('Cancelled');
  await expect(entry).toContainText('Add new only');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
  await expect(entry).toContainText('Cancelled');
  await entry.click();
  const dialog = page.getByRole('dialog', { name: new RegExp(`^Import .* into ${name}$`) });
  await expect(dialog).toContainText('Cancelled');
  await expect(dialog).toContainText(name);
  await expect(dialog.getByText('Error')).toBeVisible();
  await capture(page, app, 'history-detail-cancelled', 'the history detail of a cancelled run');
});
