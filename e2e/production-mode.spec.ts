// Production mode, as TablePlus has it: whenever the target a screen writes into is a production (or
// untagged) connection, the whole window is tinted and says so; a connection's colour is always its tag's;
// a new connection is untagged (so treated as production) until the user picks a tag; and a run that
// writes nothing asks no typed database name.
import { chooseArchive, chooseConnection, devEditsArchive, docShot, expect, go, main, openApp, serverParts, test, uniq } from './support';

/** The colour the app gives each tag (src-main/services/connections.ts), as the browser reports it. */
const RGB = { production: 'rgb(198, 40, 40)', none: 'rgb(107, 114, 128)', dev: 'rgb(46, 125, 50)' };

test('a new connection is untagged until a tag is picked, and its colour always follows the tag', async ({ page, app, studio }) => {
  const db = await app.database('CREATE TABLE t (id serial PRIMARY KEY, code text UNIQUE)');
  const { host, port } = serverParts();
  await openApp(page, app, 'Connections');
  await main(page).getByRole('button', { name: 'Add connection' }).first().click();
  const form = page.getByRole('dialog', { name: 'Add a connection' });
  // Nothing picked: "No tag", which is treated as production (no longer dev by default).
  await expect(form.getByRole('radio', { name: 'No tag' })).toBeChecked();
  await expect(form.getByRole('radio', { name: 'dev' })).not.toBeChecked();
  await expect(form.getByText(/No tag yet: treated as production/)).toBeVisible();
  // No colour of its own to pick: the tag sets it.
  await expect(form.getByLabel('Colour')).toHaveCount(0);

  // A pasted …/shop_prod URL is saved untagged, not as a green dev connection.
  const name = `Shop prod ${uniq()}`;
  await form.getByLabel(/Paste a postgres/).fill(`postgres://postgres@${host}:${port}/${db.name}?sslmode=disable`);
  await form.getByRole('button', { name: 'Fill in' }).click();
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('button', { name: 'Save connection' }).click();
  await expect(form).toBeHidden();
  const saved = (await app.api('connections.list', {})).find((c) => c.name === name)!;
  studio.track(saved.id);
  expect(saved.tag).toBeNull();
  const row = main(page).getByLabel('Saved connections').getByRole('row').filter({ hasText: name });
  await expect(row.getByLabel('Environment: No tag: treated as production')).toHaveText('untagged');
  await expect(row.locator('.conn-dot')).toHaveCSS('background-color', RGB.none);

  // Saved with a green colour of its own and then tagged production (as an older version allowed): the
  // dot is production's red beside the red badge, never the stored green.
  await app.api('connections.save', {
    id: saved.id,
    name,
    host,
    port,
    database: db.name,
    user: 'postgres',
    sslMode: 'disable',
    tag: 'production',
    color: '#2e7d32',
  });
  await expect(row.getByLabel('Environment: Production')).toHaveText('production');
  await expect(row.locator('.conn-dot')).toHaveCSS('background-color', RGB.production);
  expect((await app.api('connections.list', {})).find((c) => c.id === saved.id)!.color).toBe('#c62828');

  // Retagged dev through the form: the dot turns dev's green with the badge.
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${name}` });
  await edit.getByRole('radio', { name: 'dev' }).check();
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit).toBeHidden();
  await expect(row.getByLabel('Environment: Development')).toHaveText('dev');
  await expect(row.locator('.conn-dot')).toHaveCSS('background-color', RGB.dev);
});

test('a production or untagged target tints the window and says so, on Import and Sync; a dev target does not', async ({
  page,
  app,
  studio,
}) => {
  const { archive } = await devEditsArchive(studio);
  const prodDb = await studio.crearis();
  const devDb = await studio.crearis();
  const prod = await studio.connect(prodDb, `Crearis live ${uniq()}`, 'production');
  const loose = await studio.connect(prodDb, `Crearis old ${uniq()}`, null);
  const dev = await studio.connect(devDb, `Crearis laptop ${uniq()}`, 'dev');

  await openApp(page, app, 'Import');
  const bar = page.getByTestId('production-mode');
  await chooseArchive(page, archive.file.name);
  await expect(bar).toHaveCount(0);
  await chooseConnection(page, 'Target connection', prod.name);
  await expect(bar).toBeVisible();
  await expect(bar).toContainText('Production');
  await expect(bar).toContainText(prod.name);
  await expect(page.locator('.shell')).toHaveClass(/production-mode/);
  await app.accessible(page, 'the import screen in production mode');
  await docShot(page, app, 'production-mode', 'production-mode');

  await chooseConnection(page, 'Target connection', dev.name);
  await expect(bar).toHaveCount(0);
  await expect(page.locator('.shell')).not.toHaveClass(/production-mode/);

  await chooseConnection(page, 'Target connection', loose.name);
  await expect(bar).toContainText('Untagged: treated as production');

  // Other screens are not in production mode; back on Import it is again.
  await go(page, 'Connections');
  await expect(bar).toHaveCount(0);
  await go(page, 'Import');
  await expect(bar).toContainText(loose.name);

  // Sync: the target written to decides.
  await go(page, 'Sync');
  await expect(bar).toHaveCount(0);
  await chooseConnection(page, 'Source connection (read from)', dev.name);
  await expect(bar).toHaveCount(0);
  await chooseConnection(page, 'Target connection (written to)', prod.name);
  await expect(bar).toContainText(prod.name);
});

test('importing nothing into production asks no typed name: the dry run says there is nothing to write', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  // The archive of the production database itself: every row is already there.
  const prodDb = await studio.crearis();
  const prod = await studio.connect(prodDb, `Shop live ${uniq()}`, 'production');
  const exported = await studio.exportVia(prod.id);
  const archive = await studio.openArchive(exported.files![0]!.handle);

  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', prod.name);
  await main(page).getByRole('button', { name: 'Import… (dry run first)' }).click();
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  await expect(main(page).getByText(/0 rows would be inserted, 0 updated/)).toBeVisible();
  await expect(main(page).getByText('Nothing to import.')).toBeVisible();
  // No dialog asking to type the database name to import 0 rows.
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByLabel(/Type the database name/)).toHaveCount(0);
  await app.shot(page, 'production-nothing-to-import');
});
