// The review is a document: the preview's selection (a row left out) and decisions (a conflict decided)
// survive a reload of the window; "Save review" writes them as JSON with the archive's SHA-256, the
// target and the base; "Open review…" reads them back (and refuses, saying why, a review of another
// archive or another target); the merge of that review is recorded in the History with its base, its
// decisions, the rows left out and the equivalent mr4 command line (whose --decisions file is the review).
import { readFileSync } from 'node:fs';
import type { ReviewDocument } from '../src-common/contract';
import { docShot, expect, fact, main, openApp, test, uniq } from './support';

const ITEM = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, price numeric);`;

test('selection and decisions survive a reload, are saved and reopened as a review, and the merge is recorded with them', async ({
  page,
  app,
  studio,
}) => {
  test.setTimeout(240_000);
  const prodDb = await app.database(`${ITEM} INSERT INTO item (code, name, price) VALUES ('a', 'A', 1), ('b', 'B', 2), ('c', 'C', 3);`);
  const devDb = await app.database(ITEM);
  const tag = uniq();
  const prod = await studio.connect(prodDb, `Review prod ${tag}`, 'production');
  const dev = await studio.connect(devDb, `Review dev ${tag}`, 'dev');
  // Production pulled into dev (what they agree on is kept: the base), then work on both sides.
  const pulled = await studio.openArchive((await studio.exportVia(prod.id)).files![0]!.handle);
  const seeded = await studio.runJob({ kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false });
  expect(seeded.state, seeded.error?.message).toBe('succeeded');
  await app.api('archives.close', { archiveId: pulled.archiveId });
  await devDb.client.query(`UPDATE item SET price = 20 WHERE code = 'b'; INSERT INTO item (code, name) VALUES ('d', 'D'), ('e', 'E');`);
  await prodDb.client.query(`UPDATE item SET price = 21 WHERE code = 'b';`);
  const archive = await studio.openArchive((await studio.exportVia(dev.id)).files![0]!.handle);

  // Import → merge into production → Preview changes → compare with the kept base.
  await openApp(page, app, 'Import');
  await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(archive.file.name);
  await page.getByRole('combobox', { name: 'Target connection' }).click();
  await page.getByRole('option', { name: new RegExp(`^${prod.name}`) }).click();
  await page.getByText('Merge changes', { exact: true }).click();
  await page.getByRole('button', { name: 'Preview changes…' }).click();
  await page.getByRole('button', { name: 'Compare with the base' }).click();
  const newCell = page.locator('table.sg tbody tr[data-table="item"] td[data-kind="new"]');
  await expect(newCell).toHaveText('2', { timeout: 60_000 });

  // Leave out d; take the archive's price for b.
  await page.getByRole('button', { name: '2 new in item' }).click();
  await page
    .getByRole('grid', { name: /Rows of item/ })
    .getByRole('checkbox', { name: 'Include d in the merge' })
    .click();
  await page.getByRole('tab', { name: /Conflicts/ }).click();
  const price = page.locator('article.cf-row').filter({ hasText: 'b' }).locator('tr[data-field="price"]');
  await price.getByRole('button', { name: 'Take source' }).click();
  const ready = main(page).getByText('Ready: 1 row left out · 1 conflict decided.');
  await expect(ready).toBeVisible();

  // A reload: the preview comes back (compared again: a reload closes the diff) with both choices.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
  await expect(ready).toBeVisible({ timeout: 60_000 });
  await page.getByRole('tab', { name: /Conflicts/ }).click();
  await expect(price.getByRole('button', { name: 'Take source' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('tr[data-table="item"]')).toContainText('1 row left out');

  // Save the review: a JSON document of this archive, this target and this base.
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save review' }).click();
  const download = await downloading;
  const saved = JSON.parse(readFileSync((await download.path())!, 'utf8')) as ReviewDocument;
  expect(download.suggestedFilename()).toMatch(/^review-.*-into-.*\.json$/);
  expect(saved).toMatchObject({
    format: 'mr4-review',
    version: 1,
    archive: { name: archive.file.name, sha256: archive.sha256, database: devDb.name },
    target: { name: prod.name, database: prodDb.name },
    base: { kind: 'remembered' },
    mode: 'merge',
    exclude: [{ table: 'item', key: { code: 'd' } }],
    decisions: [{ table: 'item', key: { code: 'b' }, field: 'price', choice: 'source' }],
  });
  await expect(main(page).getByRole('status').filter({ hasText: 'Saved review-' })).toContainText('1 left out, 1 decided');

  // A review of another archive, and one of another target, are refused, saying why; nothing changes.
  const fileInput = page.getByLabel('Review file to open');
  const upload = (name: string, doc: unknown) =>
    fileInput.setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  await upload('other-archive.json', { ...saved, archive: { ...saved.archive, name: 'old.tar.gz', sha256: '0'.repeat(64) } });
  const refusedArchive = main(page).getByRole('alert').filter({ hasText: 'A review of another archive' });
  await expect(refusedArchive).toContainText(`other-archive.json was made for old.tar.gz (of ${devDb.name}), not ${archive.file.name}`);
  await refusedArchive
    .getByRole('button', { name: /Close|Dismiss/ })
    .first()
    .click()
    .catch(() => undefined);
  await upload('other-target.json', { ...saved, target: { ...saved.target, database: 'shop_prod' } });
  await expect(main(page).getByRole('alert').filter({ hasText: 'A review of another target' })).toContainText(
    `was made for a merge into shop_prod`,
  );
  await upload('not-a-review.json', { hello: 'world' });
  await expect(main(page).getByRole('alert').filter({ hasText: 'Not a review' })).toBeVisible();
  await expect(ready).toBeVisible();

  // Include d again, then reopen the saved review: d is left out again.
  await page.getByRole('tab', { name: /Changes/ }).click();
  await page.getByRole('button', { name: /new in item/ }).click();
  await page
    .getByRole('grid', { name: /Rows of item/ })
    .getByRole('checkbox', { name: 'Include d in the merge' })
    .click();
  await expect(main(page).getByText('Ready: every change included · 1 conflict decided.')).toBeVisible();
  await upload('saved-review.json', saved);
  await expect(main(page).getByRole('status').filter({ hasText: 'saved-review.json applied' })).toContainText('2 exclusions and decisions');
  await expect(ready).toBeVisible();
  await docShot(page, app, 'review-document', 'review-document');
  await app.accessible(page, 'the preview with a reopened review');

  // Dry run, then the merge with the typed name.
  await page.getByRole('button', { name: 'Dry run', exact: true }).click();
  await expect(page.getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: `Merge into ${prod.name}…` }).click();
  const dialog = page.getByRole('dialog', { name: `Merge into ${prod.name}?` });
  await dialog.getByRole('textbox').fill(prodDb.name);
  await dialog.getByRole('button', { name: /^Merge and overwrite/ }).click();
  await expect(page.getByText('Merged.', { exact: false }).first()).toBeVisible({ timeout: 60_000 });
  // The result shows the run's command line, its decisions the review written beside it.
  await expect(main(page).getByRole('region', { name: 'The same run on the command line' }).getByLabel('mr4 command')).toContainText(
    /--decisions \S+\.review\.json/,
  );
  expect(
    (await prodDb.client.query(`SELECT code, price::text AS price FROM item ORDER BY code`)).rows.map((r) => `${r.code}:${r.price}`),
  ).toEqual(['a:1', 'b:20', 'c:3', 'e:null']);

  // The History records the base, the decisions, the rows left out, and the command line.
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  const table = main(page).getByLabel('Run history (select a row for details)');
  await table
    .getByRole('row')
    .filter({ hasText: prod.name })
    .filter({ hasText: 'Merge' })
    .filter({ hasNotText: 'dry run' })
    .first()
    .click();
  const detail = page.getByRole('dialog', { name: new RegExp(`^Import .* into ${prod.name}$`) });
  await expect(fact(detail, 'Base')).toContainText('.tar.gz');
  await expect(fact(detail, 'Decisions')).toHaveText('1 conflict decided');
  await expect(fact(detail, 'Left out')).toHaveText('1 row or field');
  const command = detail.getByRole('region', { name: 'The same run on the command line' }).getByLabel('mr4 command');
  await expect(command).toContainText(`--mode merge --base `);
  await expect(command).toContainText('.review.json');
  const line = (await command.textContent())!;
  expect(line).not.toMatch(/postgres:\/\/[^@/]*:[^@/]*@/);
  await docShot(page, app, 'history-review', 'history-review');
  // The review written beside the run is the same document (it names the same archive and choices).
  const entry = (await app.api('history.list', {})).find((h) => h.target?.id === prod.id && h.review && !h.dryRun)!;
  expect(entry.review).toMatchObject({ conflictsDecided: 1, rowsLeftOut: 1, tablesLeftOut: [] });
  expect(entry.command).toMatch(/--decisions \S+\.review\.json/);
  const reviewFile = entry.command!.match(/--decisions (\S+\.review\.json)/)![1]!;
  const written = JSON.parse(readFileSync(reviewFile, 'utf8')) as ReviewDocument;
  expect(written).toMatchObject({
    format: 'mr4-review',
    archive: { sha256: archive.sha256 },
    target: { database: prodDb.name },
    exclude: [{ table: 'item', key: { code: 'd' } }],
  });
  expect(written.decisions).toContainEqual({ table: 'item', key: { code: 'b' }, field: 'price', choice: 'source' });
});
