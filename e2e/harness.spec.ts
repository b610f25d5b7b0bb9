import { expect, test } from './fixtures';

test('the app opens in browser mode with its token', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Connections', exact: true })).toBeVisible();
  await app.shot(page, 'harness-connections');
  await app.accessible(page, 'the connections screen');
});
