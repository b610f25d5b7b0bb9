// Screen 1, Connections: add a connection through the form, test it (server version, size, tables, plan),
// edit, duplicate and delete it (asking first); fill the form from a pasted postgres:// URL, and refuse a
// URL whose parameters name a file. What the app saved is checked through its API, not only on screen.
import { capture, chooseConnection, expect, fact, go, openApp, serverParts, settle, test, uniq } from './support';

const LIBRARY = `
  CREATE TABLE authors (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
  CREATE TABLE books (id serial PRIMARY KEY, isbn text NOT NULL UNIQUE, title text NOT NULL, author_id integer REFERENCES authors(id));
  INSERT INTO authors (email, name) VALUES ('ada@example.org', 'Ada'), ('grace@example.org', 'Grace');
  INSERT INTO books (isbn, title, author_id) SELECT 'isbn-' || g, 'Book ' || g, 1 + g % 2 FROM generate_series(1, 20) g;
`;

test('add, test, edit, duplicate and delete a connection through the form', async ({ page, app, studio }) => {
  const db = await app.database(LIBRARY);
  const { host, port, user } = serverParts();
  const name = `Library staging ${uniq()}`;

  await openApp(page, app, 'Connections');
  // The list may be empty (then the empty state offers the same button) or hold other tests' connections.
  await page.getByRole('main').getByRole('button', { name: 'Add connection' }).first().click();

  const form = page.getByRole('dialog', { name: 'Add a connection' });
  await expect(form).toBeVisible();
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Host').fill(host);
  // Typed key by key, as a user does: the port field takes a fill() only when it loses the focus.
  await form.getByLabel('Port').fill('');
  await form.getByLabel('Port').pressSequentially(String(port));
  await form.getByLabel('Database').fill(db.name);
  await form.getByLabel('User').fill(user);
  await form.getByRole('radio', { name: 'staging' }).check();
  await expect(form.getByText('Imports run after a plain confirmation.')).toBeVisible();
  await capture(page, app, 'connections-form', 'the add-connection form');

  // Test before saving: the draft is tested as typed.
  await form.getByRole('button', { name: 'Test' }).click();
  // The result region, whatever it says (a failure's message is then in the assertion's output).
  await expect(form.getByRole('region', { name: /^Test result/ })).toContainText('Connected.');
  const server = (await db.client.query('SHOW server_version')).rows[0].server_version as string;
  await expect(fact(form, 'Server')).toContainText(server.split(' ')[0]!);
  await expect(fact(form, 'Tables')).toHaveText('2');
  await expect(fact(form, 'Database size')).toHaveText(/\d+(\.\d+)? (kB|MB)/);
  await expect(fact(form, 'Plan')).toHaveText(/Plans cleanly: 2 tables in order/);
  await settle(page);
  await app.shot(page, 'connections-form-tested');

  await form.getByRole('button', { name: 'Save connection' }).click();
  await expect(form).toBeHidden();

  // Saved as typed, and listed with its tag written out.
  const saved = (await app.api('connections.list', {})).find((c) => c.name === name);
  expect(saved).toMatchObject({ host, port, database: db.name, user, tag: 'staging', sslMode: 'prefer', hasPassword: false });
  studio.track(saved!.id);
  const list = page.getByRole('main').getByLabel('Saved connections');
  const row = list.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText(db.name);
  await expect(row.getByLabel('Environment: Staging')).toHaveText('staging');
  await expect(row).toContainText('Not tested');
  await capture(page, app, 'connections-list', 'the connections list');

  // Test from the list: a dialog with what the server said; the list remembers the result.
  await row.getByRole('button', { name: `Test ${name}` }).click();
  const tested = page.getByRole('dialog', { name: `Test: ${name}` });
  await expect(tested.getByText('Connected.')).toBeVisible();
  await expect(fact(tested, 'Tables')).toHaveText('2');
  await expect(fact(tested, 'Server')).toContainText(server.split(' ')[0]!);
  await expect(fact(tested, 'Plan')).toContainText('Plans cleanly');
  await capture(page, app, 'connections-test-result', 'the connection test dialog');
  await tested.getByRole('button', { name: 'Close' }).filter({ hasText: 'Close' }).click();
  await expect(tested).toBeHidden();
  await expect(row).toContainText('OK');

  // Edit: rename and tag it production.
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${name}` });
  await expect(edit.getByLabel('Name', { exact: true })).toHaveValue(name);
  await expect(edit.getByLabel('Database')).toHaveValue(db.name);
  await edit.getByLabel('Name', { exact: true }).fill(`${name} (prod)`);
  await edit.getByRole('radio', { name: 'production' }).check();
  await expect(edit.getByText('Treated as production: every import that writes shows a dry run first')).toBeVisible();
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(edit).toBeHidden();
  const renamed = `${name} (prod)`;
  const prodRow = list.getByRole('row').filter({ hasText: renamed });
  await expect(prodRow.getByLabel('Environment: Production')).toHaveText('production');
  expect(await app.api('connections.list', {})).toContainEqual(
    expect.objectContaining({ id: saved!.id, name: renamed, tag: 'production', database: db.name }),
  );

  // Duplicate: a copy is added and opened for editing.
  await prodRow.getByRole('button', { name: `Duplicate ${renamed}` }).click();
  const copyName = `${renamed} (copy)`;
  await expect(page.getByText(`“${copyName}” was added. Its password is not copied.`)).toBeVisible();
  const copyForm = page.getByRole('dialog', { name: `Edit ${copyName}` });
  await expect(copyForm.getByLabel('Database')).toHaveValue(db.name);
  await copyForm.getByRole('button', { name: 'Cancel' }).click();
  await expect(copyForm).toBeHidden();
  const copy = (await app.api('connections.list', {})).find((c) => c.name === copyName);
  expect(copy).toMatchObject({ database: db.name, tag: 'production', host, port });
  studio.track(copy!.id);
  const copyRow = list.getByRole('row').filter({ hasText: copyName });
  await expect(copyRow).toBeVisible();

  // Delete asks first; "Keep it" is the default and keeps it.
  await copyRow.getByRole('button', { name: `Delete ${copyName}` }).click();
  const ask = page.getByRole('alertdialog', { name: `Delete “${copyName}”?` });
  await expect(ask).toContainText(`The saved connection to ${db.name} on ${host}`);
  await expect(ask.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await capture(page, app, 'connections-delete-confirmation', 'the delete confirmation');
  await ask.getByRole('button', { name: 'Keep it' }).click();
  await expect(ask).toBeHidden();
  await expect(copyRow).toBeVisible();
  expect((await app.api('connections.list', {})).some((c) => c.id === copy!.id)).toBe(true);

  await copyRow.getByRole('button', { name: `Delete ${copyName}` }).click();
  await page
    .getByRole('alertdialog', { name: `Delete “${copyName}”?` })
    .getByRole('button', { name: 'Delete connection' })
    .click();
  await expect(page.getByText(`“${copyName}” was removed.`)).toBeVisible();
  await expect(list.getByRole('row').filter({ hasText: copyName })).toHaveCount(0);
  const after = await app.api('connections.list', {});
  expect(after.some((c) => c.id === copy!.id)).toBe(false);
  expect(after.some((c) => c.id === saved!.id)).toBe(true);

  // The database itself was not touched by any of this.
  expect((await db.client.query('SELECT count(*)::int AS n FROM books')).rows[0].n).toBe(20);

  // The saved connection appears, with its tag in words, where connections are chosen.
  await go(page, 'Export');
  await chooseConnection(page, 'Source connection', renamed);
  await expect(page.getByRole('combobox', { name: 'Source connection' }).getByLabel('Environment: Production')).toHaveText('production');
});

test('a pasted postgres:// URL fills the form; a URL naming a file is refused', async ({ page, app, studio, context }) => {
  const db = await app.database(LIBRARY);
  const { host, port } = serverParts();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);

  await openApp(page, app, 'Connections');
  await page.getByRole('main').getByRole('button', { name: 'Add connection' }).first().click();
  const form = page.getByRole('dialog', { name: 'Add a connection' });
  const urlField = form.getByLabel('Paste a postgres:// URL (optional)');
  // The dialog gives its Name field the focus (autofocus) when its opening animation ends. Focusing
  // the URL field before that loses the focus, and the paste, to the Name field (it happened under load):
  // wait until the dialog has opened and done so. (Vue removes the enter classes right before the
  // dialog's after-enter focus, in the same task.)
  await expect(form.getByLabel('Name', { exact: true })).toBeFocused();
  await expect(form).not.toHaveClass(/p-dialog-enter/);

  // A real paste (Ctrl+V from the clipboard) fills the form at once.
  const url = `postgresql://postgres@${host}:${port}/${db.name}?sslmode=disable&application_name=e2e`;
  await page.evaluate((text) => navigator.clipboard.writeText(text), url);
  await urlField.focus();
  await expect(urlField).toBeFocused();
  await page.keyboard.press('ControlOrMeta+V');
  await expect(form.getByRole('status').filter({ hasText: 'Filled in host, port, database, user and SSL mode.' })).toBeVisible();
  await expect(form.getByLabel('Host')).toHaveValue(host);
  await expect(form.getByLabel('Port')).toHaveValue(String(port));
  await expect(form.getByLabel('Database')).toHaveValue(db.name);
  await expect(form.getByLabel('User')).toHaveValue('postgres');
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue(db.name);
  await expect(form.getByRole('combobox', { name: 'SSL mode' })).toHaveText('disable');
  // The URL (which may hold a password) is not kept in the field.
  await expect(urlField).toHaveValue('');

  // A parameter that names a file is refused, and nothing of that URL is taken.
  await urlField.fill(`postgres://mallory@evil.example:6543/other?sslcert=/etc/passwd`);
  await form.getByRole('button', { name: 'Fill in' }).click();
  await expect(
    form.getByRole('status').filter({ hasText: 'The parameter "sslcert" is not accepted here (it names a file).' }),
  ).toBeVisible();
  await expect(form.getByLabel('Host')).toHaveValue(host);
  await expect(form.getByLabel('Database')).toHaveValue(db.name);
  await expect(form.getByLabel('User')).toHaveValue('postgres');
  await capture(page, app, 'connections-url-refused', 'the form with a refused URL');

  // Also refused when pasted (Enter in the field applies it too).
  await urlField.fill(`postgres://postgres@${host}:${port}/${db.name}?sslrootcert=/etc/shadow`);
  await urlField.press('Enter');
  await expect(
    form.getByRole('status').filter({ hasText: 'The parameter "sslrootcert" is not accepted here (it names a file).' }),
  ).toBeVisible();

  // What the good URL filled in works: save (untagged, so production-like), then it tests fine.
  const name = `From URL ${uniq()}`;
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('radio', { name: 'No tag' }).check();
  await expect(form.getByText('Treated as production')).toBeVisible();
  await form.getByRole('button', { name: 'Save connection' }).click();
  await expect(form).toBeHidden();
  const saved = (await app.api('connections.list', {})).find((c) => c.name === name);
  expect(saved).toMatchObject({ host, port, database: db.name, user: 'postgres', sslMode: 'disable', tag: null });
  studio.track(saved!.id);

  const row = page.getByRole('main').getByLabel('Saved connections').getByRole('row').filter({ hasText: name });
  await expect(row.getByLabel('Environment: No tag: treated as production')).toHaveText('untagged');
  await row.getByRole('button', { name: `Test ${name}` }).click();
  const tested = page.getByRole('dialog', { name: `Test: ${name}` });
  await expect(tested.getByText('Connected.')).toBeVisible();
  await expect(fact(tested, 'Tables')).toHaveText('2');
});

test('a connection that cannot connect says why and what to do', async ({ page, app, studio }) => {
  const { host, port } = serverParts();
  const name = `Missing db ${uniq()}`;
  const saved = await app.api('connections.save', {
    name,
    host,
    port,
    database: 'no_such_database_e2e',
    user: 'postgres',
    sslMode: 'disable',
    tag: 'dev',
  });
  studio.track(saved.id);

  await openApp(page, app, 'Connections');
  const row = page.getByRole('main').getByLabel('Saved connections').getByRole('row').filter({ hasText: name });
  await row.getByRole('button', { name: `Test ${name}` }).click();
  const tested = page.getByRole('dialog', { name: `Test: ${name}` });
  await expect(tested).toContainText('no_such_database_e2e');
  await expect(tested.getByText('Connected.')).toHaveCount(0);
  await capture(page, app, 'connections-test-failed', 'a failed connection test');
  await tested.getByRole('button', { name: 'Close' }).filter({ hasText: 'Close' }).click();
  await expect(row).toContainText('Failed');
});
