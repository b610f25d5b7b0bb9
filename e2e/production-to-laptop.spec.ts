// Production to the laptop, in the app: the Export screen masks personal data by default for a
// production-tagged connection (a visible switch, and the columns it masks), takes a subset (a condition,
// its rows counted before the export) and encrypts with a passphrase; the downloaded archive holds no
// clear personal value; dropped on the window it asks for its passphrase (a wrong one said so), then
// shows what is masked and what is a subset; it imports into dev with the passphrase the app kept for it.
import { readFileSync } from 'node:fs';
import { chooseArchive, chooseConnection, docShot, dropFile, expect, fact, main, openApp, scrollToRow, test, uniq } from './support';

const PASSPHRASE = 'orange kite under the bridge';
const CONDITION = "date_begin >= '2026-01-01'";

test('a masked, encrypted subset of production: exported, opened with its passphrase, imported into dev', async ({ page, app, studio }) => {
  test.setTimeout(240_000);
  const prod = await studio.crearis();
  const dev = await studio.crearis({ seed: false });
  const prodName = `Crearis production ${uniq()}`;
  const devName = `Crearis laptop ${uniq()}`;
  await studio.connect(prod, prodName, 'production');
  await studio.connect(dev, devName, 'dev');
  const originals = (
    await prod.client.query(
      `SELECT sysmail AS v FROM users UNION SELECT extmail FROM users UNION SELECT password FROM users UNION SELECT email FROM instructors UNION SELECT phone FROM instructors`,
    )
  ).rows
    .map((r) => r.v as string | null)
    .filter((v): v is string => !!v);
  const recent = Number((await prod.client.query(`SELECT count(*) AS n FROM events WHERE ${CONDITION}`)).rows[0].n);

  // ── Export: masked by default from production, a subset, encrypted ──
  await openApp(page, app, 'Export');
  await chooseConnection(page, 'Source connection', prodName);
  const maskSwitch = page.getByRole('switch', { name: 'Mask personal data' });
  await expect(maskSwitch).toBeChecked();
  await expect(main(page).getByText(`On by default: ${prodName} is tagged production.`)).toBeVisible();
  const masked = main(page).getByRole('list', { name: 'Columns the export masks' });
  await expect(masked).toContainText('users: sysmail (fake e-mail address), extmail (fake e-mail address), password (keyed hash)');
  await expect(masked).toContainText('instructors: email (fake e-mail address), phone (fake phone number)');
  await docShot(page, app, 'export-mask', 'export-mask');
  // Turned off, the screen warns; on again for this export.
  await maskSwitch.click();
  await expect(main(page).getByText('The archive will hold production’s personal data in clear.')).toBeVisible();
  await maskSwitch.click();
  await expect(maskSwitch).toBeChecked();

  await page.getByRole('radio', { name: /A subset/ }).check();
  await expect(page.getByRole('combobox', { name: 'Table of condition 1' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Table of condition 1' }).click();
  await page.getByRole('listbox').getByRole('option', { name: 'events', exact: true }).click();
  await page.getByLabel(/^Condition 1/).fill(CONDITION);
  await expect(page.getByRole('checkbox', { name: /Also the rows that point at kept rows/ })).toBeChecked();
  await main(page).getByRole('button', { name: 'Count the rows' }).click();
  const counts = main(page).getByRole('table', { name: 'Rows the subset exports' });
  await expect(counts.getByRole('row', { name: `events ${recent} ${recent} meet the condition` })).toBeVisible();
  await expect(counts.getByRole('row', { name: /^events_tags \d+ \d+ as children$/ })).toBeVisible();

  await page.getByRole('checkbox', { name: 'Encrypt the archive with a passphrase' }).check();
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('The same passphrase again').fill('orange kite');
  await expect(main(page).getByText('The two passphrases differ.')).toBeVisible();
  await expect(main(page).getByRole('button', { name: 'Export', exact: true })).toBeDisabled();
  await page.getByLabel('The same passphrase again').fill(PASSPHRASE);
  await expect(main(page).getByRole('button', { name: 'Export', exact: true })).toBeEnabled();
  await docShot(page, app, 'export-subset', 'export-subset');
  await app.accessible(page, 'the Export screen with masking, a subset and encryption');

  await main(page).getByRole('button', { name: 'Export', exact: true }).click();
  const result = main(page);
  await expect(result.getByText(`Exported ${prod.name}.`)).toBeVisible({ timeout: 90_000 });
  // The passphrase fields are emptied as soon as the export starts.
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveValue('');
  await expect(fact(result, 'File')).toHaveText(new RegExp(`^${prod.name}-\\d{8}-\\d{6}Z\\.tar\\.gz\\.enc$`));
  await expect(fact(result, 'Masked')).toContainText('users.sysmail');
  await expect(fact(result, 'Subset')).toContainText(`events ${recent}`);
  await expect(fact(result, 'Encrypted')).toHaveText('AES-256-GCM: it opens only with its passphrase');
  // The run's log says what happened, never the passphrase.
  const job = (await app.api('jobs.list', {})).find((j) => j.kind === 'export' && j.source?.name === prodName)!;
  expect(job.log.map((l) => l.message).join('\n')).toMatch(/Personal data is masked/);
  expect(JSON.stringify(job)).not.toContain(PASSPHRASE);
  expect(JSON.stringify(await app.api('history.list', {}))).not.toContain(PASSPHRASE);

  // ── The downloaded file: encrypted, and no clear personal value in its bytes ──
  const fileName = (await fact(result, 'File').textContent())!.trim();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    result.getByRole('button', { name: `Download ${fileName}` }).click(),
  ]);
  // In the test's own output folder (under test-results/, emptied by every run), not in /tmp.
  const file = test.info().outputPath(fileName);
  await download.saveAs(file);
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).toString('latin1')).toBe('\x89MR4ENC\n');
  for (const v of originals) expect(bytes.includes(Buffer.from(v)), v).toBe(false);

  // ── Dropped on the window: it asks for the passphrase ──
  await dropFile(page, { name: fileName, type: 'application/octet-stream', bytes });
  const unlock = main(page).getByRole('form', { name: `${fileName} is encrypted` });
  await expect(unlock).toBeVisible({ timeout: 60_000 });
  await unlock.getByLabel('Passphrase').fill('not it at all');
  await unlock.getByRole('button', { name: 'Open' }).click();
  await expect(unlock.getByRole('status')).toHaveText('That passphrase does not open this archive. Try again (it is case-sensitive).');
  await expect(unlock.getByLabel('Passphrase')).toHaveValue('');
  await unlock.getByLabel('Passphrase').fill(PASSPHRASE);
  await docShot(page, app, 'archive-passphrase', 'archive-passphrase');
  await app.accessible(page, 'an encrypted archive asking for its passphrase');
  await unlock.getByRole('button', { name: 'Open' }).click();

  const meta = page.getByRole('region', { name: fileName });
  await expect(meta.getByText('Checksums verified')).toBeVisible({ timeout: 60_000 });
  const tags = meta.locator('.p-tag');
  for (const tag of ['Encrypted', 'Masked', 'Subset']) await expect(tags.filter({ hasText: new RegExp(`^\\s*${tag}$`) })).toBeVisible();
  if (!(await fact(meta, 'Masked columns').isVisible())) await meta.getByRole('button', { name: 'Show details' }).click();
  await expect(fact(meta, 'Masked columns')).toContainText('users.sysmail, users.extmail, users.password');
  await expect(fact(meta, 'Subset')).toContainText(`events: ${CONDITION}, with the rows that point at kept rows`);
  const tables = main(page).getByLabel('Tables in the archive (select one to see its rows)');
  await (await scrollToRow(page, tables, 'users')).click();
  const grid = page.getByRole('grid', { name: 'Rows of users' });
  await expect(grid.getByRole('row').nth(1)).toContainText('@example.invalid');
  await expect(main(page).getByText(/masked: sysmail, extmail, password/)).toBeVisible();
  await docShot(page, app, 'archive-masked', 'archive-masked');
  await app.accessible(page, 'a masked, encrypted subset in the archive browser');

  // ── Into dev: the app kept the passphrase for the open archive ──
  await main(page).getByRole('button', { name: 'Import this archive…' }).click();
  await chooseArchive(page, fileName);
  await chooseConnection(page, 'Target connection', devName);
  await main(page).getByRole('button', { name: 'Import…', exact: true }).click();
  await page
    .getByRole('alertdialog', { name: `Import into ${devName}?` })
    .getByRole('button', { name: 'Import now' })
    .click();
  await expect(main(page).getByText('Succeeded')).toBeVisible({ timeout: 90_000 });
  expect(Number((await dev.client.query(`SELECT count(*) AS n FROM events`)).rows[0].n)).toBe(recent);
  const devValues = (await dev.client.query(`SELECT sysmail FROM users`)).rows.map((r) => r.sysmail as string);
  for (const v of originals) expect(devValues).not.toContain(v.includes('@theaterpedia.org') ? '(seeded in every database)' : v);
});
