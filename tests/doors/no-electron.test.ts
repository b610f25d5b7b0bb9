// The CLI and browser mode never load `electron`, proved twice on the built output:
// 1. `node out/main/cli.js serve` runs (and answers API calls, then shuts down on SIGTERM) with a loader
//    hook that records and refuses every attempt to resolve `electron`, for import and require alike,
//    in the main thread and in worker threads (they inherit --import);
// 2. cli.js and every chunk it imports, statically or dynamically, or starts as a worker, name no
//    `electron` module. (out/main/index.js, the desktop entry, does: the scan is checked on it too.)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AppInfo } from '../../src-common/contract';
import { cleanEnv, ensureBuilt, ROOT } from '../helpers/cli';

const OUT_MAIN = join(ROOT, 'out', 'main');
let work: string;
let hook: string;
let marker: string;

const HOOK = `// Refuses electron: records every attempt in $MR4_ELECTRON_MARKER, then throws.
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
const isElectron = (s) => s === 'electron' || s.startsWith('electron/');
const record = (how, s) => appendFileSync(process.env.MR4_ELECTRON_MARKER, how + ' ' + s + '\\n');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (isElectron(request)) { record('require', request); throw new Error('electron must not be loaded here'); }
  return resolveFilename.call(this, request, ...rest);
};
register('./resolve-hook.mjs', import.meta.url);
`;

const RESOLVE_HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier === 'electron' || specifier.startsWith('electron/')) {
    appendFileSync(process.env.MR4_ELECTRON_MARKER, 'import ' + specifier + '\\n');
    throw new Error('electron must not be loaded here');
  }
  return next(specifier, context);
}
`;

beforeAll(() => {
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'mr4-no-electron-'));
  hook = join(work, 'hook.mjs');
  writeFileSync(hook, HOOK);
  writeFileSync(join(work, 'resolve-hook.mjs'), RESOLVE_HOOK);
  marker = join(work, 'electron-attempts.log');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stdout: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return {
    done: new Promise((resolveDone, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolveDone({ code, stdout: out, stderr: err }));
    }),
    stdout: () => out,
    kill: (s) => child.kill(s),
  };
}

describe('the loader hook', () => {
  test('catches electron when something does load it (the control)', async () => {
    const control = join(work, 'control.log');
    const env = cleanEnv({ MR4_ELECTRON_MARKER: control });
    const viaImport = await run(['--import', hook, '--input-type=module', '-e', "await import('electron').catch(() => {});"], env).done;
    expect(viaImport.code).toBe(0);
    const viaRequire = await run(['--import', hook, '-e', "try { require('electron') } catch {}"], env).done;
    expect(viaRequire.code).toBe(0);
    expect(readFileSync(control, 'utf8')).toBe('import electron\nrequire electron\n');
  });
});

describe('mr4 serve (built) never loads electron', () => {
  test('serves, answers API calls and stops on SIGTERM without one attempt to load electron', async () => {
    const dataDir = join(work, 'data');
    const serve = run(
      ['--import', hook, join(OUT_MAIN, 'cli.js'), 'serve', '--no-demo', '--data-dir', dataDir],
      cleanEnv({ MR4_ELECTRON_MARKER: marker }),
    );
    const deadline = Date.now() + 30_000;
    let url: RegExpMatchArray | null = null;
    while (!(url = serve.stdout().match(/http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]{43})/)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    if (!url) {
      serve.kill('SIGKILL');
      const r = await serve.done;
      throw new Error(`mr4 serve printed no address.\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    }
    const [, port, token] = url;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const post = (method: string, body: unknown = {}) =>
      fetch(`http://127.0.0.1:${port}/api/call/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const info = await post('app.info');
    expect(info.status).toBe(200);
    expect(((await info.json()) as AppInfo).door).toBe('browser');
    for (const method of ['connections.list', 'files.list', 'jobs.list', 'history.list', 'demo.status'])
      expect((await post(method)).status, method).toBe(200);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);

    serve.kill('SIGTERM');
    const result = await serve.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Stopped.');
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toBe('');
  });
});

/** Bare module names a built file imports or requires, and the relative files it reaches. */
function importsOf(source: string): { bare: string[]; relative: string[] } {
  const specifiers = new Set<string>();
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bnew\s+URL\s*\(\s*["'](\.{1,2}\/[^"']+\.m?js)["']/g,
  ];
  for (const p of patterns) for (const m of source.matchAll(p)) specifiers.add(m[1]);
  const all = [...specifiers];
  return {
    bare: all.filter((s) => !s.startsWith('.') && !s.startsWith('/')),
    relative: all.filter((s) => s.startsWith('./') || s.startsWith('../')),
  };
}

/** Every built file reachable from `entry`, with the bare names each imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    const { bare, relative } = importsOf(readFileSync(file, 'utf8'));
    seen.set(file, bare);
    for (const r of relative) {
      const next = resolve(dirname(file), r);
      if (existsSync(next)) queue.push(next);
    }
  }
  return seen;
}

const isElectron = (s: string) => s === 'electron' || s.startsWith('electron/');

describe('the built CLI bundle', () => {
  test('cli.js and every chunk it reaches (engine worker included) import no electron', () => {
    const files = reachable(join(OUT_MAIN, 'cli.js'));
    const names = [...files.keys()].map((f) => f.slice(OUT_MAIN.length + 1));
    expect(names).toContain('cli.js');
    expect(names).toContain('engine-worker.js');
    expect(names.length).toBeGreaterThan(2);
    for (const [file, bare] of files) expect(bare.filter(isElectron), file).toEqual([]);
    // And no trace of it in any other form either.
    for (const file of files.keys()) expect(readFileSync(file, 'utf8'), file).not.toMatch(/["']electron["']/);
  });

  test('the scan does find electron where it is (the desktop entry)', () => {
    const files = reachable(join(OUT_MAIN, 'index.js'));
    expect([...files.values()].flat().some(isElectron)).toBe(true);
  });
});
