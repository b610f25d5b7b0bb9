// `mr4 serve` as a user runs it (node bin/mr4.js serve …): options, a busy port, the printed address,
// no demo when a connection is already saved, and a clean stop on Ctrl-C (also when the Ctrl-C reaches
// it twice, from the terminal and from npm start).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src-main/app/create-app';
import { MemorySecretStore } from '../../src-main/services/secrets';
import { ensureBuilt, runCli, spawnCli, type RunningCli } from '../helpers/cli';

let work: string;

beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'mr4-serve-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function addressOf(serve: RunningCli): Promise<{ origin: string; token: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = serve.stdout().match(/(http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]{43})/);
    if (m) return { origin: m[1], token: m[2] };
    if (Date.now() > deadline) throw new Error(`no address printed; stderr:\n${serve.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('mr4 serve', () => {
  test('--help names every option', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const option of ['--port', '--open', '--data-dir', '--no-demo']) expect(r.stdout).toContain(option);
  });

  test('a port that is not one is a usage error (exit 2)', async () => {
    const r = await runCli(['serve', '--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a port/);
  });

  test('a busy port fails with a clear message (exit 1)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--no-demo', '--port', String(port), '--data-dir', join(work, 'busy')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  test('with a saved connection it starts no demo, serves the API, and stops cleanly on a double Ctrl-C', async () => {
    const dataDir = join(work, 'saved');
    const app = await createApp({ door: 'browser', dataDir, secrets: [new MemorySecretStore()] });
    const saved = await app.dispatch('connections.save', {
      name: 'Mine',
      host: '127.0.0.1',
      port: 5432,
      database: 'app',
      user: 'me',
      sslMode: 'disable',
      tag: 'dev',
    });
    expect(saved.ok).toBe(true);
    await app.shutdown();

    const serve = spawnCli(['serve', '--data-dir', dataDir]);
    const { origin, token } = await addressOf(serve);
    expect(serve.stdout()).toContain(`data folder: ${dataDir}`);
    const res = await fetch(`${origin}/api/call/connections.list`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }[]).map((c) => c.name)).toEqual(['Mine']);
    // The page itself is served (the built renderer).
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');

    serve.child.kill('SIGINT');
    serve.child.kill('SIGINT');
    const result = await serve.done;
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
    expect(result.stderr).toContain('Stopped.');
    expect(result.stderr).not.toMatch(/demo databases/i);
    expect(result.stderr).not.toContain('Stopping at once');
  });
});
