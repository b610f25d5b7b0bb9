// "Refresh dev from production" as one action on a dev connection (Connections screen): production is
// exported, previewed against what the two last agreed on, merged — production's changes in, dev's own
// edits kept — and the new agreement is kept as the next base; when the preview has a conflict it stops
// there for the user, and nothing is written.
import { docShot, expect, main, openApp, test, uniq, type Studio } from './support';
import type { E2EApp, TestDatabase } from './fixtures';

const ITEM = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;

async function pair(app: E2EApp, studio: Studio) {
  const prodDb = await app.database(`${ITEM} INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  const devDb = await app.database(ITEM);
  const tag = uniq();
  const prod = await studio.connect(prodDb, `Refresh prod ${tag}`, 'production');
  const dev = await studio.connect(devDb, `Refresh dev ${tag}`, 'dev');
  // Dev seeded from production in the app: what the two agree on is kept.
  const pulled = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  const seeded = await studio.runJob({ kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false });
  expect(seeded.state, seeded.error?.message).toBe('succeeded');
  await app.api('archives.close', { archiveId: pulled.archiveId });
  return { prodDb, devDb, prod, dev };
}

const rowsOf = async (db: TestDatabase) =>
  (
    await db.client.query<{ code: string; name: string; price: string | null }>(
      `SELECT code, name, price::text AS price FROM item ORDER BY code`,
    )
  ).rows.map((r) => `${r.code}:${r.name}:${r.price}`);

async function refresh(page: import('@playwright/test').Page, app: E2EApp, dev: { name: string }, prod: { name: string }) {
  await openApp(page, app, 'Connections');
  await main(page)
    .getByRole('button', { name: `Refresh ${dev.name} from production` })
    .click();
  const dialog = page.getByRole('dialog', { name: `Refresh ${dev.name} from production` });
  await dialog.getByRole('radio', { name: new RegExp(prod.name) }).check();
  await app.accessible(page, 'the refresh dialog');
  await dialog.getByRole('button', { name: `Refresh ${dev.name}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
}

test('refresh dev from production: exported, previewed against the kept base, merged, the new base kept', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const { prodDb, devDb, prod, dev } = await pair(app, studio);
  await prodDb.client.query(`UPDATE item SET name = 'A v2' WHERE code = 'a'; INSERT INTO item (code, name, price) VALUES ('x', 'X', 9);`);
  await devDb.client.query(`UPDATE item SET name = 'C dev' WHERE code = 'c'; INSERT INTO item (code, name) VALUES ('d', 'D dev');`);
  const before = new Date().toISOString();

  await refresh(page, app, dev, prod);
  await expect(
    main(page)
      .getByRole('status')
      .filter({ hasText: `Refreshed ${dev.name} from ${prod.name}.` }),
  ).toBeVisible({ timeout: 90_000 });
  // Production's changes came in; dev's own edits stayed (three-way, against the kept base).
  expect(await rowsOf(devDb)).toEqual(['a:A v2:1', 'b:B:2', 'c:C dev:3', 'd:D dev:null', 'x:X:9']);
  await expect(main(page).getByRole('region', { name: 'The same run on the command line' })).toContainText('--mode merge --base');
  await docShot(page, app, 'refresh-dev-done', 'refresh-dev-done');
  await app.accessible(page, 'a finished refresh');

  // The new agreement is kept: the base of the next refresh is from this run.
  const again = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  const base = await app.api('bases.forArchive', { archiveId: again.archiveId, targetId: dev.id });
  expect(base.file).not.toBeNull();
  expect(base.between!.at > before, `agreement of ${base.between!.at} is newer than ${before}`).toBe(true);
  // The History has the merge with its base.
  const merged = (await app.api('history.list', {})).find(
    (h) => h.kind === 'import' && h.target?.id === dev.id && h.startedAt > before && !h.dryRun,
  );
  expect(merged?.outcome).toBe('succeeded');
  expect(merged?.review?.base).toMatch(/\.tar\.gz/);
  await main(page).getByRole('button', { name: 'Done' }).click();
});

test('refresh dev from production stops in the preview when a conflict needs the user, writing nothing', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const { prodDb, devDb, prod, dev } = await pair(app, studio);
  await prodDb.client.query(`UPDATE item SET price = 21 WHERE code = 'b'; INSERT INTO item (code, name) VALUES ('x', 'X');`);
  await devDb.client.query(`UPDATE item SET price = 20 WHERE code = 'b';`);

  await refresh(page, app, dev, prod);
  const stopped = main(page)
    .getByRole('status')
    .filter({ hasText: `Refresh ${dev.name} from ${prod.name}:` });
  await expect(stopped).toContainText('Stopped for you: 1 conflict to decide. Decide them below, then merge.', { timeout: 90_000 });
  await expect(page.getByRole('tab', { name: /Conflicts.*1 to decide/ })).toBeVisible();
  await expect(page.getByRole('button', { name: `Merge into ${dev.name}…` })).toBeDisabled();
  expect(await rowsOf(devDb)).toEqual(['a:A:1', 'b:B:20', 'c:C:3']);
  await docShot(page, app, 'refresh-dev-stopped', 'refresh-dev-stopped');
  await app.accessible(page, 'a refresh stopped for a conflict');
});
