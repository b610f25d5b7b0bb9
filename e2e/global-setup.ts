// Starts what the UI tests run against: a throwaway PostgreSQL server and the app in browser mode
// (`mr4 serve` from the build, over a fresh data folder, no demo databases). Their addresses reach the
// tests through the environment; the returned function stops both.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startThrowawayServer } from '../tests/helpers/pg-server';

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`mr4 serve printed no address in 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`mr4 serve exited (${code}):\n${out}`)));
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const pg = await startThrowawayServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'mr4-e2e-data-'));
  const serve = spawn(process.execPath, ['bin/mr4.js', 'serve', '--port', '0', '--no-demo', '--data-dir', dataDir], {
    env: { ...process.env, MR4_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForUrl(serve);
  process.env.MR4_E2E_APP_URL = url;
  process.env.MR4_E2E_PG_URL = pg.url;
  process.env.MR4_E2E_DATA_DIR = dataDir;
  return async () => {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
