// UI tests: the real renderer in browser mode (mr4 serve), driven in Debian's Chromium (never a
// downloaded browser), against a real PostgreSQL the global setup starts. Each worker runs its own app
// server and data folder (fixtures.ts); every test has databases of its own. Two workers by default:
// a test spends much of its time waiting on the app, the server and the browser.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results/playwright',
  workers: Number(process.env.MR4_E2E_WORKERS) || 2,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.MR4_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--disable-gpu',
        '--disable-dev-shm-usage',
      ],
    },
    // A trace records every DOM change of every test (about a third of the browser's work): asked for
    // with MR4_E2E_TRACE=1 when a failure needs one; a failure always keeps its screenshot.
    trace: process.env.MR4_E2E_TRACE ? 'retain-on-failure' : 'off',
    reducedMotion: 'reduce',
    screenshot: 'only-on-failure',
  },
});
