// The base of a three-way merge is what the two databases last agreed on, kept by the app after every
// real import between them, whichever way it went. Production is pulled into dev (a sync, merged);
// both sides edit; pulling production into dev again previews three-way against that agreement
// (preselected, named by the two databases and the date), so dev's own edit is kept. Then dev's export
// goes the other way: the same agreement is offered; an archive chosen instead is used as it is and
// never called verified.
import type { Page } from '@playwright/test';
import { chooseArchive, chooseConnection, docShot, escapeRegExp, expect, go, main, openApp, test } from './support';

const ITEM = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;
const summaryCell = (page: Page, table: string, kind: string) =>
  page.locator(`table.sg tbody tr[data-table="${table}"] td[data-kind="${kind}"]`);

test('pulling production into dev and merging back both compare with what the two last agreed on', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const prodDb = await app.database(`${ITEM} INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  const devDb = await app.database(ITEM);
  const prod = await studio.connect(prodDb, `Shop production ${prodDb.name.slice(-5)}`, 'production');
  const dev = await studio.connect(devDb, `Shop dev ${devDb.name.slice(-5)}`, 'dev');
  // Dev is seeded from production by a sync (merged): the two now agree on a, b and c.
  const seeded = await studio.runJob({ kind: 'sync', sourceId: prod.id, targetId: dev.id, mode: 'merge', dryRun: false });
  expect(seeded.state, seeded.error?.message).toBe('succeeded');
  await prodDb.client.query(`UPDATE item SET name = 'A prod' WHERE code = 'a'`);
  await devDb.client.query(`UPDATE item SET price = 20 WHERE code = 'b'`);

  // ── production into dev again: Sync → Merge changes → Preview changes ──
  await openApp(page, app, 'Sync');
  await chooseConnection(page, 'Source connection (read from)', prod.name);
  await chooseConnection(page, 'Target connection (written to)', dev.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  const pulled = escapeRegExp(`What ${prodDb.name} and ${devDb.name} agreed on when they last synced, `);
  const agreed = main(page).getByRole('radio', { name: new RegExp(`^${pulled}`) });
  await expect(agreed).toBeChecked({ timeout: 60_000 });
  await expect(main(page).getByText(/Kept by the app after the last import between them, whichever way it went/)).toBeVisible();
  await docShot(page, app, 'diff-base', 'diff-base');
  await app.accessible(page, 'the base: what the two databases last agreed on');
  await main(page).getByRole('button', { name: 'Compare with the base' }).click();
  await expect(
    main(page)
      .getByRole('note')
      .filter({ hasText: new RegExp(`Three-way · Base: ${pulled}`) }),
  ).toBeVisible({ timeout: 60_000 });
  // Production's edit is applied; dev's own edit is kept, not a conflict.
  await expect(summaryCell(page, 'item', 'changed')).toHaveText('1');
  await expect(summaryCell(page, 'item', 'kept')).toHaveText('1');
  await expect(page.getByRole('tab', { name: /Conflicts.*none/ })).toBeVisible();
  await main(page)
    .getByRole('button', { name: `Merge into ${dev.name}…` })
    .click();
  const ask = page.getByRole('alertdialog', { name: `Merge into ${dev.name}?` });
  await expect(ask).toBeVisible({ timeout: 60_000 });
  await ask.getByRole('button', { name: 'Merge now' }).click();
  await expect(
    main(page)
      .getByText(/^Merged\./)
      .first(),
  ).toBeVisible({ timeout: 60_000 });
  expect((await devDb.client.query(`SELECT code, name, price::text FROM item ORDER BY code`)).rows).toEqual([
    { code: 'a', name: 'A prod', price: '1' },
    { code: 'b', name: 'B', price: '20' },
    { code: 'c', name: 'C', price: '3' },
  ]);
  await main(page).getByRole('button', { name: 'Done' }).click();

  // ── dev's export the other way: the same pair's agreement is offered ──
  const devArchive = await studio.openArchive((await studio.exportVia(dev.id)).files![0]!.handle);
  const prodArchive = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  expect((await app.api('bases.forArchive', { archiveId: devArchive.archiveId, targetId: prod.id })).between).toMatchObject({
    archive: devDb.name,
    target: prodDb.name,
  });
  await page.reload(); // the window reads the archives opened meanwhile
  await go(page, 'Import');
  await chooseArchive(page, devArchive.file.name);
  await chooseConnection(page, 'Target connection', prod.name);
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  const back = escapeRegExp(`What ${devDb.name} and ${prodDb.name} agreed on when they last synced, `);
  await expect(main(page).getByRole('radio', { name: new RegExp(`^${back}`) })).toBeChecked({ timeout: 60_000 });

  // An archive chosen instead: used as it is, said so, never "verified".
  await main(page).getByRole('radio', { name: 'Another open archive' }).check();
  await expect(main(page).getByRole('combobox', { name: 'Base archive' })).toContainText(prodArchive.file.name);
  await expect(
    main(page)
      .getByRole('note')
      .filter({ hasText: 'An archive you choose is used as it is: nothing here can tell whether both databases held its rows.' }),
  ).toBeVisible();
  await main(page).getByRole('button', { name: 'Compare with the base' }).click();
  await expect(
    main(page)
      .getByRole('note')
      .filter({ hasText: `Three-way · Base: ${prodArchive.file.name} (an archive you chose: ${prodDb.name},` }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(main(page).getByText(/verified/i)).toHaveCount(0);
  await main(page).getByRole('button', { name: 'Change the base' }).click();
  await main(page).getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
});
