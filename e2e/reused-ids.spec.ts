// Reused ids, the way out in the app: production seeds dev, then dev's table is reset (TRUNCATE …
// RESTART IDENTITY) and gets test rows at production's ids. Merging dev back (a Sync previewed against
// what the two last agreed on) is refused in the preview, naming the table and the database; "Forget
// the lineage of items in <dev>" asks first, forgets it, says how many pairs per table (the focus moves
// there), and "Export <dev> again and compare" makes the preview again: dev's rows are new rows, and
// the merge puts them beside production's invoices, never over them.
import { summaryCell } from './diff-support';
import type { TestDatabase } from './fixtures';
import { capture, chooseConnection, expect, go, main, openApp, test, uniq } from './support';

const SCHEMA = `CREATE TABLE items (id serial PRIMARY KEY, title text NOT NULL, note text);`;
const PROD_ROWS = ['1:Prod invoice 1:paid', '2:Prod invoice 2:open', '3:Prod invoice 3:open'];

const rowsOf = async (db: TestDatabase) =>
  (await db.client.query<{ id: number; title: string; note: string }>(`SELECT id, title, note FROM items ORDER BY id`)).rows.map(
    (r) => `${r.id}:${r.title}:${r.note}`,
  );

test('a merge refused for reused ids: the lineage forgotten from the app, then dev’s rows merged as new rows', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(240_000);
  const prodDb = await app.database(
    `${SCHEMA} INSERT INTO items (title, note) VALUES ('Prod invoice 1', 'paid'), ('Prod invoice 2', 'open'), ('Prod invoice 3', 'open');`,
  );
  const devDb = await app.database(SCHEMA);
  const tag = uniq();
  const prod = await studio.connect(prodDb, `Reused prod ${tag}`, 'production');
  const dev = await studio.connect(devDb, `Reused dev ${tag}`, 'dev');
  // Dev seeded from production in the app: its lineage and the two's agreement are kept.
  const pulled = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  const seeded = await studio.runJob({ kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false });
  expect(seeded.state, seeded.error?.message).toBe('succeeded');
  await app.api('archives.close', { archiveId: pulled.archiveId });
  await devDb.client.query(
    `TRUNCATE items RESTART IDENTITY; INSERT INTO items (title, note) VALUES ('DEV test A', 'x'), ('DEV test B', 'y');`,
  );

  // Dev merged back into production: the preview is refused, naming the table and the database.
  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', dev.name);
  await chooseConnection(page, 'Target connection (written to)', prod.name);
  await main(page).getByText('Merge changes', { exact: true }).click();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare with the base' }).click({ timeout: 60_000 });
  const refusal = main(page)
    .getByRole('alert')
    .filter({ hasText: `The ids of items in ${devDb.name} were reused` });
  await expect(refusal).toBeVisible({ timeout: 60_000 });
  await expect(refusal).toContainText('Nothing was written.');
  await expect(refusal).toContainText(`items in ${devDb.name}: its ids went back from 3 to 2`);
  await expect(refusal).toContainText(`What to do: Forget the lineage of items in ${devDb.name}`);
  await expect(refusal).toContainText(`Then export ${devDb.name} again and compare again.`);
  expect(await rowsOf(prodDb)).toEqual(PROD_ROWS);
  await capture(page, app, 'reused-ids-refused', 'a preview refused for reused ids');

  // The way out: asked first (dev is tagged dev: no typed name), then forgotten, the pairs counted.
  await refusal.getByRole('button', { name: `Forget the lineage of items in ${dev.name}…` }).click();
  const dialog = page.getByRole('dialog', { name: `Forget the lineage of items in ${dev.name}?` });
  await expect(dialog).toContainText('It cannot be undone');
  await expect(dialog.getByLabel(/Type the database name/)).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Forget the lineage of items' }).press('Enter');
  const heading = dialog.getByRole('heading', { name: 'Lineage forgotten' });
  await expect(heading).toBeFocused({ timeout: 60_000 });
  await expect(dialog.getByRole('status')).toContainText(`Forgot 3 pairs of the lineage of ids in ${devDb.name}.`);
  await expect(dialog.getByRole('table', { name: 'Pairs forgotten per table' }).getByRole('row').nth(1).getByRole('cell')).toHaveText([
    'items',
    '3',
  ]);
  expect(
    (await devDb.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM _mr4.lineage WHERE table_name = 'items'`)).rows[0]!.n,
  ).toBe(0);
  await capture(page, app, 'reused-ids-forgotten', 'the lineage forgotten');
  await page.emulateMedia({ colorScheme: 'dark' });
  await capture(page, app, 'reused-ids-forgotten-dark', 'the lineage forgotten, dark theme');
  await page.emulateMedia({ colorScheme: 'light' });

  // Compared again with a fresh export of dev: its rows are new rows, production's invoices stand.
  await dialog.getByRole('button', { name: `Export ${dev.name} again and compare` }).click();
  await expect(dialog).toBeHidden();
  await expect(summaryCell(page, 'items', 'new')).toHaveText('2', { timeout: 90_000 });
  await main(page)
    .getByRole('button', { name: `Merge into ${prod.name}…` })
    .click();
  const confirm = page.getByRole('dialog', { name: `Merge into ${prod.name}?` });
  await expect(confirm).toBeVisible({ timeout: 90_000 });
  await expect(confirm).toContainText('It will add 2 new rows and overwrite 0 existing rows');
  await confirm.getByRole('textbox').fill(prodDb.name);
  await confirm.getByRole('button', { name: 'Merge and overwrite 0 rows' }).click();
  await expect(page.getByText('Merged.', { exact: false }).first()).toBeVisible({ timeout: 90_000 });
  expect(await rowsOf(prodDb)).toEqual([...PROD_ROWS, '4:DEV test A:x', '5:DEV test B:y']);

  // The History records the forget with its counts.
  await go(page, 'History');
  await expect(
    main(page)
      .getByLabel('Run history (select a row for details)')
      .getByRole('row')
      .filter({ hasText: 'Forget lineage' })
      .filter({ hasText: dev.name }),
  ).toContainText('items: 3 pairs forgotten');
});

// Ids that only went back: dev deletes its newest rows, sets its sequence back to the highest left and
// edits row 1 (no restart). The refusal offers both ways; the dialog asks which — nothing chosen, the
// button waits — and the narrower one forgets only the pairs above 2: dev's edit then changes
// production's row 1, never a duplicate beside it.
const NOTES = `CREATE TABLE notes (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, body text NOT NULL);`;

test('ids that only went back: the dialog asks which way; the pairs above the ceiling forgotten, dev’s edit updates production’s row', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(240_000);
  const prodDb = await app.database(`${NOTES} INSERT INTO notes (body) VALUES ('n1'), ('n2'), ('n3'), ('n4');`);
  const devDb = await app.database(NOTES);
  const notesOf = async (db: TestDatabase) =>
    (await db.client.query<{ id: number; body: string }>(`SELECT id, body FROM notes ORDER BY id`)).rows.map((r) => `${r.id}:${r.body}`);
  const tag = uniq();
  const prod = await studio.connect(prodDb, `Went back prod ${tag}`, 'production');
  const dev = await studio.connect(devDb, `Went back dev ${tag}`, 'dev');
  const pulled = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  const seeded = await studio.runJob({ kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false });
  expect(seeded.state, seeded.error?.message).toBe('succeeded');
  await app.api('archives.close', { archiveId: pulled.archiveId });
  await devDb.client.query(`DELETE FROM notes WHERE id >= 3;
    SELECT setval(pg_get_serial_sequence('notes', 'id'), (SELECT max(id) FROM notes));
    UPDATE notes SET body = 'n1 edited in dev' WHERE id = 1;`);

  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', dev.name);
  await chooseConnection(page, 'Target connection (written to)', prod.name);
  await main(page).getByText('Merge changes', { exact: true }).click();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare with the base' }).click({ timeout: 60_000 });
  const refusal = main(page)
    .getByRole('alert')
    .filter({ hasText: `The ids of notes in ${devDb.name} were reused` });
  await expect(refusal).toBeVisible({ timeout: 60_000 });
  await expect(refusal).toContainText(`notes in ${devDb.name}: its ids went back from 4 to 2`);
  await expect(refusal).toContainText('one of two ways; only you know which is right.');

  await refusal.getByRole('button', { name: `Forget the lineage of notes in ${dev.name}…` }).click();
  const dialog = page.getByRole('dialog', { name: `Forget the lineage of notes in ${dev.name}?` });
  const ways = dialog.getByRole('group', { name: /only went back/ });
  await expect(ways.getByRole('radio')).toHaveCount(2);
  await expect(dialog.getByRole('button', { name: 'Forget the lineage of notes' })).toBeDisabled();
  await ways.getByRole('radio', { name: /^Only the pairs naming ids above id 2/ }).check();
  await capture(page, app, 'reused-ids-went-back-ways', 'the ids only went back: which way');
  await dialog.getByRole('button', { name: 'Forget the pairs naming ids above id 2' }).click();
  await expect(dialog.getByRole('heading', { name: 'Lineage forgotten' })).toBeFocused({ timeout: 60_000 });
  await expect(dialog.getByRole('status')).toContainText(
    `Forgot 2 pairs naming ids above id 2 in ${devDb.name}. The rows up to it stay paired.`,
  );
  await expect(dialog.getByRole('table', { name: 'Pairs forgotten per table' }).getByRole('row').nth(1).getByRole('cell')).toHaveText([
    'notes',
    '2',
    '2',
  ]);
  expect(
    (await devDb.client.query<{ k: string }>(`SELECT local_key AS k FROM _mr4.lineage WHERE table_name = 'notes' ORDER BY 1`)).rows,
  ).toEqual([{ k: '1' }, { k: '2' }]);

  await dialog.getByRole('button', { name: `Export ${dev.name} again and compare` }).click();
  await expect(dialog).toBeHidden();
  await expect(summaryCell(page, 'notes', 'changed')).toHaveText('1', { timeout: 90_000 });
  await main(page)
    .getByRole('button', { name: `Merge into ${prod.name}…` })
    .click();
  const confirm = page.getByRole('dialog', { name: `Merge into ${prod.name}?` });
  await expect(confirm).toContainText('It will add 0 new rows and overwrite 1 existing row', { timeout: 90_000 });
  await confirm.getByRole('textbox').fill(prodDb.name);
  await confirm.getByRole('button', { name: 'Merge and overwrite 1 row' }).click();
  await expect(page.getByText('Merged.', { exact: false }).first()).toBeVisible({ timeout: 90_000 });
  expect(await notesOf(prodDb)).toEqual(['1:n1 edited in dev', '2:n2', '3:n3', '4:n4']);
});
