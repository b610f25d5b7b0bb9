// The connection form's SSH tunnel section, against a real OpenSSH server this spec starts on 127.0.0.1
// (its own config and host key; never the system's sshd) with the test database behind it: the first
// Test shows the server's host key fingerprint in a dialog (Cancel trusts nothing; "Trust this key and
// connect" tests again through the tunnel, every step passed, and the key is kept in the data folder's
// known_hosts); the connection is saved with its SSH password in the secret store; a changed host key is
// refused at the host key step, without a dialog. Logs in with a password (the app in browser mode runs
// with the machine's own HOME, where the test cannot put a key), so the test needs root to create a
// throwaway SSH user; elsewhere, or where sshd cannot start, it is skipped and says why.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshServer, type TestSshServer } from '../tests/helpers/ssh-server';
import type { E2EApp } from './fixtures';
import { capture, docShot, expect, openApp, serverParts, test, uniq } from './support';

let sshd: TestSshServer | null = null;
let skipReason = '';

test.beforeAll(async () => {
  const started = await startSshServer();
  if (!started.ok) skipReason = started.reason;
  else if (!started.server.password) {
    skipReason = started.server.passwordSkip;
    started.server.stop();
  } else sshd = started.server;
  if (skipReason) console.warn(`ssh.spec: skipped: ${skipReason}`);
});
test.afterAll(() => sshd?.stop());

const knownHosts = (app: E2EApp) => join(app.dataDir, 'known_hosts');

test('the SSH tunnel section: a first connection shows the host key fingerprint and asks; trusted, the test passes every step', async ({
  page,
  app,
  studio,
}) => {
  test.skip(!sshd, skipReason);
  rmSync(knownHosts(app), { force: true });
  const db = await app.database(
    `CREATE TABLE notes (id serial PRIMARY KEY, slug text NOT NULL UNIQUE, body text); INSERT INTO notes (slug) SELECT 'n' || g FROM generate_series(1, 5) g;`,
  );
  const { port, user } = serverParts();
  const name = `Production via bastion ${uniq()}`;

  await openApp(page, app, 'Connections');
  await page.getByRole('main').getByRole('button', { name: 'Add connection' }).first().click();
  const form = page.getByRole('dialog', { name: 'Add a connection' });
  await expect(form.getByLabel('Name', { exact: true })).toBeFocused();
  await form.getByLabel('Name', { exact: true }).fill(name);
  // The database as the SSH server sees it.
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  // Typed key by key, as a user does: a number field takes a fill() only when it loses the focus.
  await form.getByLabel('Port', { exact: true }).fill('');
  await form.getByLabel('Port', { exact: true }).pressSequentially(String(port));
  await form.getByLabel('Database', { exact: true }).fill(db.name);
  await form.getByLabel('User', { exact: true }).fill(user);
  await form.getByRole('radio', { name: 'production' }).check();

  await expect(form.getByText('For a database that is reachable only through an SSH server')).toBeVisible();
  await form.getByLabel('Connect through an SSH tunnel').check();
  await expect(form.getByText('Host and port above are then the database as the SSH server sees it')).toBeVisible();
  await form.getByLabel('SSH host', { exact: true }).fill(sshd!.host);
  // Typed key by key, as a user does: a number field takes a fill() only when it loses the focus.
  await form.getByLabel('SSH port', { exact: true }).fill('');
  await form.getByLabel('SSH port', { exact: true }).pressSequentially(String(sshd!.port));
  await form.getByLabel('SSH user', { exact: true }).fill(sshd!.user);
  // A key is the default; this server takes the test user's password.
  await expect(form.getByRole('combobox', { name: 'Key file in ~/.ssh' })).toHaveValue('id_ed25519');
  await form.locator('#conn-ssh-auth-password').check();
  await expect(form.getByRole('combobox', { name: 'Key file in ~/.ssh' })).toHaveCount(0);
  await form.getByLabel('SSH password', { exact: true }).fill(sshd!.password!);
  // The whole SSH tunnel section in view.
  await form.getByRole('group', { name: 'SSH tunnel' }).evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await docShot(page, app, 'connections-ssh-form', 'connection-ssh');
  await app.accessible(page, 'the connection form with its SSH tunnel section');

  // First Test: the host key is unknown; the dialog shows its fingerprint, Cancel trusts nothing.
  await form.getByRole('button', { name: 'Test' }).click();
  const ask = page.getByRole('dialog', { name: 'Unknown SSH host key' });
  await expect(ask).toBeVisible();
  await expect(ask.getByTestId('host-key-fingerprint')).toHaveText(sshd!.fingerprint);
  await expect(ask).toContainText(`[${sshd!.host}]:${sshd!.port}`);
  await expect(ask).toContainText(sshd!.hostKeyType);
  await expect(ask.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await docShot(page, app, 'connections-ssh-host-key', 'ssh-host-key');
  await capture(page, app, 'connections-ssh-host-key-axe', 'the host key dialog');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toBeHidden();
  expect(existsSync(knownHosts(app))).toBe(false);
  await expect(form.getByRole('list', { name: 'Connection steps' })).toBeVisible();
  await expect(form.getByLabel('SSH connect: passed')).toBeVisible();
  await expect(form.getByLabel('Host key: failed')).toBeVisible();
  await expect(form.getByLabel('Database: not reached')).toBeVisible();
  await expect(form.getByText('Unknown SSH host key')).toBeVisible();

  // Again, and trusted: the test goes through the tunnel, every step passed.
  await form.getByRole('button', { name: 'Test' }).click();
  await expect(ask.getByTestId('host-key-fingerprint')).toHaveText(sshd!.fingerprint);
  await ask.getByRole('button', { name: 'Trust this key and connect' }).click();
  await expect(form.getByText('Connected.')).toBeVisible({ timeout: 30_000 });
  for (const step of ['SSH connect', 'Host key', 'SSH login', 'Database']) await expect(form.getByLabel(`${step}: passed`)).toBeVisible();
  await expect(form.locator('dt', { hasText: /^Tables$/ }).locator('xpath=following-sibling::dd[1]')).toHaveText('1');
  expect(readFileSync(knownHosts(app), 'utf8')).toBe(`${sshd!.knownHostsLine}\n`);
  expect(sshd!.log()).toContain(`target 127.0.0.1 port ${port}`);
  await docShot(page, app, 'connections-ssh-tested', 'connection-ssh-tested');

  await form.getByRole('button', { name: 'Save connection' }).click();
  await expect(form).toBeHidden();
  const saved = (await app.api('connections.list', {})).find((c) => c.name === name);
  expect(saved).toMatchObject({
    host: '127.0.0.1',
    port,
    database: db.name,
    ssh: { host: sshd!.host, port: sshd!.port, user: sshd!.user, auth: 'password', keyFile: null, hasSecret: true },
  });
  studio.track(saved!.id);
  expect(JSON.stringify(await app.api('connections.list', {}))).not.toContain(sshd!.password!);

  // The server's key changes (or someone is in between): refused at the host key step, no dialog.
  writeFileSync(knownHosts(app), `${sshd!.otherKeyLine()}\n`);
  const list = page.getByRole('main').getByLabel('Saved connections');
  const row = list.getByRole('row').filter({ hasText: name });
  await row.getByRole('button', { name: `Edit ${name}` }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${name}` });
  await expect(edit.getByLabel('Connect through an SSH tunnel')).toBeChecked();
  await expect(edit.getByLabel('SSH host', { exact: true })).toHaveValue(sshd!.host);
  await expect(edit.getByLabel('SSH password', { exact: true })).toHaveAttribute('placeholder', 'saved — leave empty to keep');
  await edit.getByRole('button', { name: 'Test' }).click();
  await expect(edit.getByText('SSH host key CHANGED: refused')).toBeVisible({ timeout: 30_000 });
  await expect(edit.getByText(/HAS CHANGED.*man-in-the-middle/)).toBeVisible();
  await expect(edit.getByLabel('Host key: failed')).toBeVisible();
  await expect(page.getByRole('dialog', { name: 'Unknown SSH host key' })).toHaveCount(0);
  await edit.getByRole('button', { name: 'Cancel' }).click();
  rmSync(knownHosts(app), { force: true });
});
