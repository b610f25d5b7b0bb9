// The visual diff before a merge, through the UI, against real databases: production (the Crearis demo)
// and dev seeded from production's export by a merge import in the app (so what the two agree on is
// kept), then edits on both sides including one conflict (crearisEditScenario), dev exported and opened.
// The walk: Import → merge into production → Preview changes (the kept agreement preselected) → the
// summary's counts → a table's rows → a changed row's highlighted fields → leave out a new row and one
// field of a changed row → a parent left out while its child stays is refused, naming both → the conflict decided field by field →
// dry run → merge with the typed database name → the database holds exactly what was chosen.
import { readFileSync } from 'node:fs';
import { applyDevEdits, applyProductionEdits, crearisEditScenario, seedCrearisDemo } from '../src-main/demo/crearis-demo-data';
import { connectionDraft, exportAndOpen, runJob, summaryCell } from './diff-support';
import { expect, test } from './fixtures';
import { docShot, escapeRegExp } from './support';

const CREARIS_SCHEMA = readFileSync(new URL('../src-main/demo/crearis-schema.sql', import.meta.url), 'utf8');
const sc = crearisEditScenario;
const DEV_POST_LEFT_OUT = sc.dev.addedPosts[1];
const NEW_EVENT_AT_NEW_LOCATION = sc.dev.addedEvents[0]; // kurzszenen_plauen, at studiobuehne_plauen
/** Beyond the scenario: a task production deleted while dev edited it (a conflict for the whole row). */
const TASK = 'task_004';
const TASK_NAME_ON_DEV = 'Status-Übersicht für Admins bauen (mit Filter nach Projekt)';

test('preview, leave out, decide and merge exactly that into production', async ({ page, app }) => {
  test.setTimeout(240_000);
  const tag = Math.random().toString(36).slice(2, 7);
  const prodDb = await app.database(CREARIS_SCHEMA);
  const devDb = await app.database(CREARIS_SCHEMA);
  await seedCrearisDemo(prodDb.client);
  const prod = await app.api('connections.save', connectionDraft(prodDb, `Production ${tag}`, 'production'));
  const dev = await app.api('connections.save', connectionDraft(devDb, `Dev ${tag}`, 'dev'));
  const opened: string[] = [];
  try {
    // Pull production into dev by a merge import in the app: the production export becomes dev's base.
    const pulled = await exportAndOpen(app, prod);
    opened.push(pulled.archiveId);
    await runJob(app, { kind: 'import', archiveId: pulled.archiveId, targetId: dev.id, mode: 'merge', dryRun: false });
    await app.api('archives.close', { archiveId: pulled.archiveId });
    // Work on both sides; one edit collides.
    await applyDevEdits(devDb.client);
    await applyProductionEdits(prodDb.client);
    await devDb.client.query(`UPDATE tasks SET name = $2 WHERE id = $1`, [TASK, TASK_NAME_ON_DEV]);
    await prodDb.client.query(`DELETE FROM tasks WHERE id = $1`, [TASK]);
    const conflictBefore = (await prodDb.client.query(`SELECT teaser, updated_at FROM events WHERE xmlid = $1`, [sc.conflict.xmlid]))
      .rows[0];
    const devConflictTeaser = (await devDb.client.query(`SELECT teaser FROM events WHERE xmlid = $1`, [sc.conflict.xmlid])).rows[0].teaser;
    const projectDescriptionBefore = (
      await prodDb.client.query(`SELECT description FROM projects WHERE domaincode = $1`, [sc.dev.editedProject.domaincode])
    ).rows[0].description;
    const devArchive = await exportAndOpen(app, dev);
    opened.push(devArchive.archiveId);
    const base = await app.api('bases.forArchive', { archiveId: devArchive.archiveId, targetId: prod.id });
    expect(base.file, 'what production and dev agreed on when dev was seeded is kept').not.toBeNull();
    expect(base.between).toMatchObject({ archive: devDb.name, target: prodDb.name });

    // ── Import → merge into production → Preview changes ──
    await page.goto(app.url);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Import' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Archive' })).toContainText(devArchive.file.name);
    await page.getByRole('combobox', { name: 'Target connection' }).click();
    await page.getByRole('option', { name: new RegExp(`^Production ${tag}`) }).click();
    await page.getByText('Merge changes', { exact: true }).click();
    await app.shot(page, 'diff-import-merge');
    await app.accessible(page, 'the import screen in merge mode');
    await page.getByRole('button', { name: 'Preview changes…' }).click();

    // What the two last agreed on is preselected, named in words; one sentence says what it is for.
    await expect(page.getByRole('heading', { level: 1, name: 'Preview changes' })).toBeVisible();
    const baseLabel = escapeRegExp(`What ${devDb.name} and ${prodDb.name} agreed on when they last synced, `); // and the date
    const remembered = page.getByRole('radio', { name: new RegExp(`^${baseLabel}`) });
    await expect(remembered).toBeChecked();
    await expect(page.getByText(/The base is what the two databases last agreed on/)).toBeVisible();
    await expect(page.getByText('verified', { exact: false })).toHaveCount(0);
    await app.shot(page, 'diff-setup');
    await app.accessible(page, 'the preview setup (base choice)');
    await page.getByRole('button', { name: 'Compare with the base' }).click();

    // ── the summary ──
    await expect(page.getByRole('note').filter({ hasText: new RegExp(`Three-way · Base: ${baseLabel}`) })).toBeVisible({ timeout: 60_000 });
    const expected: [string, string, string][] = [
      ['events', 'new', '3'],
      ['events', 'changed', '1'],
      ['events', 'conflict', '1'],
      ['events', 'kept', '1'],
      ['locations', 'new', '1'],
      ['locations', 'kept', '1'],
      ['projects', 'changed', '1'],
      ['posts', 'new', '2'],
      ['posts', 'changed', '1'],
      ['images', 'new', '1'],
      ['users', 'target_only', '1'],
      ['tasks', 'conflict', '1'],
    ];
    for (const [table, kind, n] of expected) await expect(summaryCell(page, table, kind), `${table} ${kind}`).toHaveText(n);
    // 20 new rows in all: the new location, image, events and posts, and their links (tags, instructors, members).
    await expect(page.locator('table.sg tfoot td[data-kind="new"]')).toHaveText('20');
    await expect(page.getByRole('tab', { name: /Conflicts.*3 to decide/ })).toBeVisible();
    await expect(page.getByRole('button', { name: `Merge into Production ${tag}…` })).toBeDisabled();
    await expect(page.getByText('3 conflicts to decide before the merge.')).toBeVisible();
    await docShot(page, app, 'diff-summary', 'diff-summary');
    await app.accessible(page, 'the diff summary');

    // ── a table's rows: the changed event, its fields side by side ──
    await page.getByRole('button', { name: '1 changed in events' }).click();
    await expect(page.getByRole('heading', { level: 2, name: 'events' })).toBeVisible();
    const rows = page.getByRole('grid', { name: /Rows of events/ });
    await expect(rows.getByRole('row')).toHaveCount(1);
    const edited = sc.dev.editedEvents[1]!; // masken_gaertnerei: name edited on dev
    await expect(rows.getByRole('row').first()).toContainText(edited.xmlid);
    const detail = page.locator('.row-detail');
    await expect(detail.getByRole('heading', { name: edited.xmlid })).toBeVisible();
    const nameField = detail.locator(`tr[data-field="${edited.column}"]`);
    await expect(nameField).toHaveAttribute('data-verdict', 'apply');
    // The archive's cell is highlighted and says so in words; the verdict is written out.
    const sourceCell = nameField.locator('td.val.changed');
    await expect(sourceCell).toHaveCount(1);
    await expect(sourceCell).toContainText('edited in archive');
    await expect(sourceCell).toContainText('Maskenbau **Commedia dell’Arte** (Wochenendkurs)');
    await expect(nameField.locator('.verdict')).toHaveText('Apply');
    await expect(nameField.getByRole('checkbox', { name: `Update ${edited.column}` })).toBeChecked();
    await docShot(page, app, 'diff-row', 'diff-row');
    await app.accessible(page, 'a changed row side by side');

    // All differences of events, moved through with the keyboard.
    await page.getByRole('button', { name: /All differences/ }).click();
    await expect(rows.getByRole('row')).toHaveCount(6);
    await rows.focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await page.keyboard.press('n');
    await expect(page.getByText('Row 2 of 6')).toBeVisible();
    await app.shot(page, 'diff-table-rows');
    await app.accessible(page, 'the rows of a table');
    await page.keyboard.press('Escape');
    await expect(page.locator('table.sg')).toBeVisible();

    // ── leave out one new row (a post nothing depends on) ──
    await page.getByRole('button', { name: '2 new in posts' }).click();
    const postRows = page.getByRole('grid', { name: /Rows of posts/ });
    await expect(postRows.getByRole('row')).toHaveCount(2);
    await page.getByRole('textbox', { name: 'Search posts by natural key' }).fill('dev_02');
    await expect(postRows.getByRole('row')).toHaveCount(1);
    await expect(postRows.getByRole('row').first()).toContainText(DEV_POST_LEFT_OUT);
    await postRows.getByRole('checkbox', { name: `Include ${DEV_POST_LEFT_OUT} in the merge` }).click();
    await expect(postRows.getByRole('row').first()).toContainText('left out');
    await expect(page.locator('.row-detail')).toContainText('Left out: the merge does not touch this row.');
    await page.getByRole('button', { name: 'All tables' }).click();
    await expect(page.locator('tr[data-table="posts"]')).toContainText('1 row left out');

    // ── leave out one field of a changed row: the project's description stays as production has it ──
    await page.getByRole('button', { name: '1 changed in projects' }).click();
    const projectRows = page.getByRole('grid', { name: /Rows of projects/ });
    await expect(projectRows.getByRole('row')).toHaveCount(1);
    const description = page.locator('.row-detail tr[data-field="description"]');
    await expect(description).toHaveAttribute('data-verdict', 'apply');
    await description.getByRole('checkbox', { name: 'Update description' }).click();
    await expect(description).toContainText('left out: not updated');
    await expect(page.locator('.row-detail tr[data-field="teaser"]').getByRole('checkbox', { name: 'Update teaser' })).toBeChecked();
    await page.getByRole('button', { name: 'All tables' }).click();

    // ── the conflict: take the source's teaser, keep the target's updated_at ──
    await page.getByRole('tab', { name: /Conflicts/ }).click();
    const card = page.locator('article.cf-row').filter({ hasText: sc.conflict.xmlid });
    await expect(card).toHaveCount(1);
    const teaser = card.locator(`tr[data-field="${sc.conflict.column}"]`);
    const stamp = card.locator('tr[data-field="updated_at"]');
    await expect(teaser).toContainText(devConflictTeaser);
    await expect(teaser).toContainText(conflictBefore.teaser);
    await app.shot(page, 'diff-conflicts-open');
    await teaser.getByRole('button', { name: 'Take source' }).click();
    await stamp.getByRole('button', { name: 'Keep target' }).click();
    await expect(teaser.getByRole('button', { name: 'Take source' })).toHaveAttribute('aria-pressed', 'true');
    await expect(stamp.getByRole('button', { name: 'Keep target' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByText('1 conflict to decide before the merge.')).toBeVisible();
    // The task production deleted and dev edited: decided for the whole row.
    const taskCard = page.locator('article.cf-row[data-table="tasks"]');
    await expect(taskCard).toContainText('Deleted in the target since the base, but the archive edited it since: name');
    await expect(taskCard).toContainText(TASK_NAME_ON_DEV);
    await taskCard.getByRole('button', { name: 'Bring it back' }).click();
    await expect(page.getByText('Every conflict is decided')).toBeVisible();
    await expect(card).toContainText('decided');
    await card.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await docShot(page, app, 'diff-conflicts', 'diff-conflicts');
    await app.accessible(page, 'the conflicts');

    // ── a parent left out while a child that needs it stays: the server names both ──
    await page.getByRole('tab', { name: /Changes/ }).click();
    await page.getByRole('button', { name: '1 new in locations' }).click();
    const locRows = page.getByRole('grid', { name: /Rows of locations/ });
    await expect(locRows.getByRole('row')).toHaveCount(1);
    await locRows.getByRole('checkbox', { name: `Include ${sc.dev.addedLocation} in the merge` }).click();
    const mergeButton = page.getByRole('button', { name: `Merge into Production ${tag}…` });
    await expect(mergeButton).toBeEnabled();
    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'The selection leaves out rows that are needed' });
    await expect(refusal).toBeVisible({ timeout: 60_000 });
    await expect(refusal).toContainText(NEW_EVENT_AT_NEW_LOCATION);
    await expect(refusal).toContainText(sc.dev.addedLocation);
    await app.shot(page, 'diff-selection-refused');
    await app.accessible(page, 'the refused selection');
    // Include the location again.
    await page.getByRole('tab', { name: /Changes/ }).click();
    await locRows.getByRole('checkbox', { name: `Include ${sc.dev.addedLocation} in the merge` }).click();
    await expect(locRows.getByRole('row').first()).not.toContainText('left out');

    // ── dry run, then the merge with the typed confirmation ──
    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    await expect(page.getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });
    const dryPanel = page.getByRole('tabpanel', { name: /Dry run/ });
    const countsOf = (table: string) =>
      dryPanel
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: table, exact: true }) })
        .getByRole('cell');
    // Inserted, updated, unchanged, skipped: one of the two new posts (the other left out), one changed post.
    await expect(countsOf('posts').nth(1)).toHaveText('1');
    await expect(countsOf('posts').nth(2)).toHaveText('1');
    await expect(countsOf('posts').nth(4)).toHaveText('1');
    // events: three new; the changed one and the conflict (its teaser taken from the source) updated.
    await expect(countsOf('events').nth(1)).toHaveText('3');
    await expect(countsOf('events').nth(2)).toHaveText('2');
    await app.shot(page, 'diff-dry-run');
    await app.accessible(page, 'the dry run of the preview');
    // Inserted: the 20 new rows but the post left out, and the task. Updated: the changed event, project
    // and post, and
    // the conflict's row (its teaser from the source); the task brought back is inserted.
    const updatedTotal = 4;
    await expect(dryPanel.getByText(`20 rows would be inserted, ${updatedTotal} updated`)).toBeVisible();
    await mergeButton.click();
    const dialog = page.getByRole('dialog', { name: `Merge into Production ${tag}?` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(`It will add 20 new rows and overwrite ${updatedTotal} existing rows`);
    await expect(dialog).toContainText('As reviewed in the preview (three-way');
    await dialog.getByRole('textbox').fill(prodDb.name);
    await app.shot(page, 'diff-merge-confirm');
    await app.accessible(page, 'the merge confirmation');
    await dialog.getByRole('button', { name: `Merge and overwrite ${updatedTotal} rows` }).click();

    // ── the result, which links back to the preview ──
    await expect(page.getByText('Merged.', { exact: false }).first()).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Back to the preview' })).toBeVisible();
    await app.shot(page, 'diff-result');
    await app.accessible(page, 'the merge result');

    // ── the database holds exactly what was chosen ──
    const q = async (sql: string, params: unknown[] = []) => (await prodDb.client.query(sql, params)).rows;
    expect(await q('SELECT 1 FROM posts WHERE xmlid = $1', [DEV_POST_LEFT_OUT]), 'the row left out is absent').toHaveLength(0);
    expect(await q('SELECT 1 FROM posts WHERE xmlid = $1', [sc.dev.addedPosts[0]])).toHaveLength(1);
    for (const xmlid of sc.dev.addedEvents) expect(await q('SELECT 1 FROM events WHERE xmlid = $1', [xmlid]), xmlid).toHaveLength(1);
    expect(await q('SELECT 1 FROM locations WHERE xmlid = $1', [sc.dev.addedLocation])).toHaveLength(1);
    const devValue = async (sql: string, params: unknown[]) => (await devDb.client.query(sql, params)).rows[0];
    expect((await q('SELECT name FROM events WHERE xmlid = $1', [edited.xmlid]))[0]).toEqual(
      await devValue('SELECT name FROM events WHERE xmlid = $1', [edited.xmlid]),
    );
    // The project: dev's teaser applied, its description left out (production's kept).
    expect((await q('SELECT teaser, description FROM projects WHERE domaincode = $1', [sc.dev.editedProject.domaincode]))[0]).toEqual({
      teaser: (await devValue('SELECT teaser FROM projects WHERE domaincode = $1', [sc.dev.editedProject.domaincode])).teaser,
      description: projectDescriptionBefore,
    });
    expect(projectDescriptionBefore).not.toBe(
      (await devValue('SELECT description FROM projects WHERE domaincode = $1', [sc.dev.editedProject.domaincode])).description,
    );
    // Production's own edits are kept.
    expect((await q('SELECT teaser FROM events WHERE xmlid = $1', [sc.production.editedEvents[0]!.xmlid]))[0].teaser).toMatch(
      /zweitem Termin/,
    );
    expect((await q('SELECT phone FROM locations WHERE xmlid = $1', [sc.production.editedLocation.xmlid]))[0].phone).toBe('0851 3340999');
    expect(await q('SELECT 1 FROM users WHERE sysmail = $1', [sc.production.addedUser])).toHaveLength(1);
    // The conflict, as decided: the source's teaser, the target's updated_at.
    const conflictAfter = (await q('SELECT teaser, updated_at FROM events WHERE xmlid = $1', [sc.conflict.xmlid]))[0];
    expect(conflictAfter.teaser).toBe(devConflictTeaser);
    expect(conflictAfter.updated_at).toEqual(conflictBefore.updated_at);
    expect(await q('SELECT name FROM tasks WHERE id = $1', [TASK]), 'the task is back, as dev edited it').toEqual([
      { name: TASK_NAME_ON_DEV },
    ]);

    // Back to the preview: the diff is still there to look at.
    await page.getByRole('button', { name: 'Back to the preview' }).click();
    await expect(page.locator('table.sg')).toBeVisible();
    await expect(page.getByText('Merged. This preview shows the target as it was before the merge.')).toBeVisible();
    await page.getByRole('button', { name: 'Show the result' }).click();
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Import', exact: true })).toBeVisible();
  } catch (error) {
    await app.shot(page, 'diff-failure');
    throw error;
  } finally {
    for (const archiveId of opened) await app.api('archives.close', { archiveId }).catch(() => undefined);
    await app.api('connections.delete', { id: prod.id }).catch(() => undefined);
    await app.api('connections.delete', { id: dev.id }).catch(() => undefined);
  }
});
