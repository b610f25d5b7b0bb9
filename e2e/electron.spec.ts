// The desktop app, launched for real through Playwright's _electron: one window titled "MR4 Studio" on
// app://mr4/, the preload's window.mr4 API and nothing of Node (require, process) in the page. Where no
// Electron binary is installed (as on the build machines, which cannot download one) or there is no
// display, the test is reported as skipped, with the reason.
//
// (Packaged builds have the EnableNodeCliInspectArguments fuse off, which Playwright needs to attach;
// this test runs against the unpackaged build in out/, where no fuse is flipped.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Electron binary's path, or why there is none. */
function findElectron(): { path: string; missing?: undefined } | { path?: undefined; missing: string } {
  try {
    // In plain Node the electron package exports the path of its binary, and throws when it has none.
    const path: unknown = createRequire(join(ROOT, 'package.json'))('electron');
    if (typeof path !== 'string') return { missing: 'the electron package did not name a binary' };
    if (!existsSync(path)) return { missing: `${path} does not exist` };
    return { path };
  } catch (error) {
    return { missing: (error as Error).message.split('\n')[0] };
  }
}

const found = findElectron();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('desktop app (Electron)', () => {
  test.skip(!found.path, `no Electron binary installed: ${found.missing ?? ''}`);
  test.skip(!!found.path && noDisplay, 'no display for an Electron window: DISPLAY and WAYLAND_DISPLAY are unset (run under xvfb-run)');

  test('one locked-down window over the renderer, with window.mr4 and no Node', async () => {
    test.skip(!existsSync(join(ROOT, 'out', 'main', 'index.js')), 'the app is not built: run npm run build');
    const dataDir = mkdtempSync(join(tmpdir(), 'mr4-electron-e2e-'));
    // Chromium refuses to run as root with its OS sandbox; the page's own sandbox (sandbox: true) stays.
    const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    const app = await electron.launch({
      executablePath: found.path!,
      args: [ROOT, ...rootArgs],
      env: { ...process.env, MR4_DATA_DIR: dataDir } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      await expect(page).toHaveTitle('MR4 Studio');
      expect(page.url()).toMatch(/^app:\/\/mr4\//);

      const globals = await page.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        return {
          mr4: typeof w.mr4,
          require: typeof w.require,
          process: typeof w.process,
          module: typeof w.module,
          ipcRenderer: typeof w.ipcRenderer,
        };
      });
      expect(globals).toEqual({ mr4: 'object', require: 'undefined', process: 'undefined', module: 'undefined', ipcRenderer: 'undefined' });

      // The preload answers through IPC with the DispatchResult shape.
      const info = await page.evaluate(async () => {
        const mr4 = (window as unknown as { mr4: Record<string, (req: unknown) => Promise<unknown>> }).mr4;
        return mr4['app.info']({});
      });
      expect(info).toMatchObject({ ok: true, value: { door: 'electron', nativeDialogs: true, dataDir } });

      // contextIsolation: the page cannot reach the preload's world (its electron module) through mr4.
      const leaks = await page.evaluate(() => {
        const mr4 = (window as unknown as { mr4: Record<string, unknown> }).mr4;
        return {
          keys: Object.keys(mr4)
            .filter((k) => !k.includes('.'))
            .sort(),
        };
      });
      expect(leaks.keys).toEqual(['addFile', 'door', 'onEvent']);

      // window.open is denied: still one window.
      await page.evaluate(() => void window.open('https://example.com/', '_blank'));
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
