// A run's warnings are readable before anything is written, at the top of what the screen shows: a
// schema with a generic reference mr4 cannot follow (its content types have no app_label and model,
// so nothing names their tables; object id as text) and an id column without a
// foreign key, plus many tables, so the counts are long. At 1024×700 the dry run lists the columns
// whose ids are copied as they are above its counts, in view without scrolling; the preview's summary
// lists them above its tabs and folds them to one line while a table's rows are shown. Light and dark.
import type { Page } from '@playwright/test';
import { chooseArchive, chooseConnection, docShot, expect, main, openApp, test } from './support';

const TABLES = Array.from({ length: 14 }, (_, i) => `shelf_${String(i + 1).padStart(2, '0')}`);
const SCHEMA = `
CREATE TABLE content_type (id serial PRIMARY KEY, app text NOT NULL, kind text NOT NULL, UNIQUE (app, kind));
CREATE TABLE customer (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
CREATE TABLE admin_log (id serial PRIMARY KEY, content_type_id integer REFERENCES content_type (id), object_id text, action text NOT NULL, logged_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE note (id serial PRIMARY KEY, customer_id integer, body text NOT NULL UNIQUE);
${TABLES.map((t) => `CREATE TABLE ${t} (id serial PRIMARY KEY, code text NOT NULL UNIQUE);`).join('\n')}
`;
const DATA = `
INSERT INTO content_type (app, kind) VALUES ('shop', 'customer'), ('shop', 'note');
INSERT INTO customer (email, name) VALUES ('ada@example.com', 'Ada'), ('bo@example.com', 'Bo');
INSERT INTO admin_log (content_type_id, object_id, action) VALUES (1, '2', 'changed'), (2, '1', 'added');
INSERT INTO note (customer_id, body) VALUES (2, 'Calls back on Mondays');
${TABLES.map((t) => `INSERT INTO ${t} (code) SELECT 'x' || g FROM generate_series(1, 3) g;`).join('\n')}
`;

async function warningsInView(page: Page, where: string): Promise<void> {
  const list = main(page).locator('details.warning-list');
  await expect(list, where).toBeVisible();
  await expect(list.locator('summary'), `${where}: the summary line needs no scrolling`).toBeInViewport();
  await expect(list.locator('[data-warning="copied-ids"]').first(), `${where}: the first warning needs no scrolling`).toBeInViewport();
}

test('columns whose ids are copied as they are are listed readably before the import and the merge', async ({ page, app, studio }) => {
  test.setTimeout(180_000);
  const source = await app.database(SCHEMA + DATA);
  const target = await app.database(SCHEMA);
  const from = await studio.connect(source, `Shop source ${source.name.slice(-5)}`, 'dev');
  const into = await studio.connect(target, `Shop target ${target.name.slice(-5)}`, 'dev');
  const archive = await studio.openArchive((await studio.exportVia(from.id)).files![0]!.handle);

  await page.setViewportSize({ width: 1024, height: 700 });
  await openApp(page, app, 'Import');
  await chooseArchive(page, archive.file.name);
  await chooseConnection(page, 'Target connection', into.name);
  await main(page).getByRole('button', { name: 'Dry run', exact: true }).click();
  await expect(main(page).getByText('Dry run — nothing was written.')).toBeVisible({ timeout: 60_000 });

  const list = main(page).locator('details.warning-list');
  await expect(list.locator('summary')).toContainText(
    '2 warnings: 2 columns whose ids are copied as they are — read them before the import',
  );
  const generic = list.locator('li').filter({ hasText: 'admin_log.object_id' });
  await expect(generic).toContainText('is a generic reference (with content_type_id naming the table)');
  await expect(generic).toContainText('Declare it in the configuration');
  await expect(list.locator('li').filter({ hasText: 'note.customer_id' })).toContainText(
    'looks like an id of customer but has no foreign key',
  );
  // Above the counts, which follow it.
  const counts = main(page).getByRole('table', { name: 'Dry-run counts per table' });
  expect((await list.boundingBox())!.y).toBeLessThan((await counts.boundingBox())!.y);
  // The results are in a card beside (or, this narrow, below) the form: in view once they arrive.
  await list.scrollIntoViewIfNeeded();
  await warningsInView(page, 'the dry run');
  await docShot(page, app, 'dry-run-warnings', 'import-warnings');
  await app.accessible(page, 'the dry run with its warnings');
  // Folded and opened again from the keyboard.
  await list.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(generic).toBeHidden();
  await page.keyboard.press('Enter');
  await expect(generic).toBeVisible();

  // ── the preview's summary: above the tabs, folded while a table's rows are shown ──
  await main(page)
    .getByRole('radio', { name: /Merge changes/ })
    .check();
  await main(page).getByRole('button', { name: 'Preview changes…' }).click();
  await main(page).getByRole('button', { name: 'Compare two ways' }).click();
  await expect(main(page).locator('table.sg')).toBeVisible({ timeout: 60_000 });
  await warningsInView(page, 'the preview summary');
  await expect(main(page).locator('details.warning-list summary')).toContainText('read them before the merge');
  await expect(main(page).locator('table.sg tbody tr').first(), 'the summary grid stays in view below the warnings').toBeInViewport();
  await app.accessible(page, 'the preview summary with warnings at 1024×700');
  await page.emulateMedia({ colorScheme: 'dark' });
  await app.shot(page, 'preview-warnings-dark');
  await app.accessible(page, 'the preview warnings in the dark theme');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: /^admin_log\b.*show its rows/ }).click();
  await expect(main(page).locator('details.warning-list')).not.toHaveAttribute('open');
  await expect(main(page).locator('details.warning-list summary')).toBeInViewport();
  await expect(
    main(page)
      .getByRole('grid', { name: /Rows of admin_log/ })
      .getByRole('row')
      .first(),
  ).toBeInViewport();
});
