import { expect, test } from './fixtures';

test('the app opens in browser mode with its token', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Connections', exact: true })).toBeVisible();
  await app.shot(page, 'harness-connections');
  await app.accessible(page, 'the connections screen');
});

test('the axe check fails on a serious violation in the page and names it', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Connections', exact: true })).toBeVisible();
  // A button without a name, and grey text on white below the contrast AA asks for.
  await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.innerHTML = '<button type="button"></button><p style="color:#bbb;background:#fff">faint words</p>';
    document.body.append(probe);
  });
  const failure = await app.accessible(page, 'a page with a nameless button').then(
    () => null,
    (e: Error) => e.message,
  );
  expect(failure).toContain('button-name');
  expect(failure).toContain('color-contrast');
});
