// A sync whose mode is merge: its preview comes from a fresh export of the source (the archive kept), and
// a staging target asks for confirmation as production does.
import type { ArchiveInfo } from '../src-common/contract';
import { connectionDraft, ITEM, summaryCell } from './diff-support';
import { expect, test } from './fixtures';

test('a sync that merges is previewed from a fresh export of its source, and confirmed for a staging target', async ({ page, app }) => {
  const startedAt = new Date().toISOString();
  const tag = Math.random().toString(36).slice(2, 7);
  const stageDb = await app.database(`${ITEM} INSERT INTO item (code, name) VALUES ('a', 'A'), ('b', 'B');`);
  const devDb = await app.database(`${ITEM} INSERT INTO item (code, name) VALUES ('a', 'A dev'), ('b', 'B'), ('c', 'C'), ('d', 'D');`);
  const target = await app.api('connections.save', { ...connectionDraft(stageDb, `Stage ${tag}`, 'production'), tag: 'staging' });
  const source = await app.api('connections.save', connectionDraft(devDb, `Laptop ${tag}`, 'dev'));
  try {
    await page.goto(app.url);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Sync' }).click();
    await page.getByRole('combobox', { name: 'Source connection (read from)' }).click();
    await page.getByRole('option', { name: new RegExp(`^Laptop ${tag}`) }).click();
    await expect(page.getByRole('combobox', { name: 'Source connection (read from)' })).toContainText(`Laptop ${tag}`);
    await expect(page.getByRole('listbox')).toHaveCount(0);
    await page.getByRole('combobox', { name: 'Target connection (written to)' }).click();
    await page.getByRole('option', { name: new RegExp(`^Stage ${tag}`) }).click();
    await page.getByText('Merge changes', { exact: true }).click();
    await page.getByRole('button', { name: 'Preview changes…' }).click();
    await page.getByRole('button', { name: 'Compare two ways' }).click({ timeout: 60_000 });
    await expect(summaryCell(page, 'item', 'new')).toHaveText('2', { timeout: 60_000 });
    await expect(summaryCell(page, 'item', 'changed')).toHaveText('1');
    // Leave out one new row, then merge: dry run first, then a plain confirmation for staging.
    await page.getByRole('button', { name: '2 new in item' }).click();
    await page
      .getByRole('grid', { name: /Rows of item/ })
      .getByRole('checkbox', { name: 'Include d in the merge' })
      .click();
    // Someone edits the target meanwhile: the preview is out of date, and the merge says so.
    await stageDb.client.query(`UPDATE item SET name = 'A staged' WHERE code = 'a'`);
    await page.getByRole('button', { name: `Merge into Stage ${tag}…` }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The preview is out of date' })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: `Merge into Stage ${tag}…` })).toBeDisabled();
    await app.shot(page, 'diff-stale');
    await app.accessible(page, 'a stale preview');
    await page.getByRole('button', { name: 'Make the diff again' }).first().click();
    await expect(summaryCell(page, 'item', 'changed')).toHaveText('1', { timeout: 60_000 });
    await expect(page.locator('tr[data-table="item"]')).toContainText('1 row left out');
    await page.getByRole('button', { name: '1 changed in item' }).click();
    await expect(page.locator('.row-detail')).toContainText('A staged');
    await page.getByRole('button', { name: `Merge into Stage ${tag}…` }).click();
    const confirm = page
      .getByRole('alertdialog')
      .or(page.getByRole('dialog'))
      .filter({ hasText: `Merge into Stage ${tag}?` });
    await expect(confirm).toBeVisible({ timeout: 60_000 });
    await expect(confirm).toContainText('1 row in the dry run');
    await expect(confirm).toContainText('Compared two ways, without a base');
    await app.accessible(page, 'the staging confirmation');
    await confirm.getByRole('button', { name: 'Merge now' }).click();
    await expect(page.getByText('1 row was inserted, 1 updated')).toBeVisible({ timeout: 60_000 });
    expect((await stageDb.client.query(`SELECT code, name FROM item ORDER BY code`)).rows).toEqual([
      { code: 'a', name: 'A dev' },
      { code: 'b', name: 'B' },
      { code: 'c', name: 'C' },
    ]);
    // Done: the diff and the archive the preview opened for itself are closed (the file is kept).
    const opened = (await app.api('jobs.list', {})).filter(
      (j) => j.kind === 'open-archive' && j.state === 'succeeded' && j.startedAt >= startedAt,
    );
    expect(opened).toHaveLength(1);
    const syncArchive = (opened[0]!.result as ArchiveInfo).archiveId;
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sync', exact: true })).toBeVisible();
    await expect
      .poll(() =>
        app.api('archives.info', { archiveId: syncArchive }).then(
          () => 'open',
          (e: Error) => e.message,
        ),
      )
      .toMatch(/404/);
  } catch (error) {
    await app.shot(page, 'diff-failure');
    throw error;
  } finally {
    await app.api('connections.delete', { id: target.id }).catch(() => undefined);
    await app.api('connections.delete', { id: source.id }).catch(() => undefined);
  }
});
