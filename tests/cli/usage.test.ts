// `mr4` usage: --help and --version, bad usage and malformed connections (exit 2, nothing connected),
// --json's one object, and the bin script and engine worker as built.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanEnv, ROOT, runCli } from '../helpers/cli';
import { adminUrl } from '../helpers/db';
import { freePort } from '../helpers/pg-server';
import { cliWorkFolder, parseOneJson, PORT_URL } from './helpers';

const work = cliWorkFolder();

/** A TCP listener that records whether anything connected to it (a database that must not be used). */
async function tripwire(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const port = await freePort();
  let n = 0;
  const server: Server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: PORT_URL(port, 'tripwire'), connections: () => n, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('usage', () => {
  test('--help lists the commands and exits 0; --version prints 0.1.0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['plan', 'export', 'import']) expect(help.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    const importHelp = await runCli(['import', '--help']);
    expect(importHelp.code).toBe(0);
    for (const o of [
      '--mode',
      '--dry-run',
      '--allow-failures',
      '--ignore-missing-columns',
      '--disable-triggers',
      '--lock-timeout',
      '--tables',
      '--db',
      '--schema',
      '--config',
      '--json',
    ]) {
      expect(importHelp.stdout).toContain(o);
    }
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe('0.1.0');
  });

  test('bad usage exits 2 and never connects to the database', async () => {
    const wire = await tripwire();
    const archive = join(work, 'usage.tar.gz');
    writeFileSync(archive, 'not used');
    try {
      const cases: [string[], RegExp][] = [
        [['bogus', '--db', wire.url], /unknown command 'bogus'/],
        [['import', archive, '--db', wire.url], /required option '--mode <mode>' not specified/],
        [['import', archive, '--mode', 'bogus', '--db', wire.url], /Allowed choices are skip, merge/],
        [['import', archive, '--mode', 'skip', '--db', wire.url, '--lock-timeout', 'soon'], /not a number of seconds/],
        [['import', '--mode', 'skip', '--db', wire.url], /missing required argument 'file'/],
        [['plan', '--db', wire.url, '--tables', 'a,,b'], /empty table name/],
        [['plan', '--db', wire.url, '--tables', 'a,a'], /named twice/],
        [['export', '--db', wire.url, '--out', join(work, 'x.tar.gz'), '--tables', ''], /comma-separated list of table names/],
        [['export', '--db', wire.url], /required option '--out <file>'/],
        [['plan', '--db', wire.url, '--frobnicate'], /unknown option '--frobnicate'/],
        [['plan', 'extra', '--db', wire.url], /too many arguments/],
        [[], /Usage: mr4/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args, { env: cleanEnv({ DATABASE_URL: wire.url }) });
        expect(r.code, `mr4 ${args.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr, `mr4 ${args.join(' ')}`).toMatch(message);
        expect(r.stdout).toBe('');
      }
      expect(wire.connections()).toBe(0);
    } finally {
      await wire.close();
    }
  });

  test('a malformed connection (--db, DATABASE_URL or PGSSLMODE) is bad usage: exit 2, nothing touched', async () => {
    const wire = await tripwire();
    const archive = join(work, 'malformed.tar.gz');
    writeFileSync(archive, 'not used');
    try {
      const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
        [['plan', '--db', 'notaurl'], cleanEnv({ DATABASE_URL: wire.url }), /--db: The connection string is not a valid URL/],
        [['plan', '--db', 'mysql://root@127.0.0.1/app'], cleanEnv(), /--db: Unsupported connection URL scheme "mysql:"/],
        [['plan', '--db', 'postgres://postgres@127.0.0.1:99999/app'], cleanEnv(), /not a valid URL/],
        [['plan', '--db', `${wire.url}?sslmode=bogus`], cleanEnv(), /sslmode must be one of/],
        [['plan', '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter "colour"/],
        [['export', '--db', `${wire.url}?colour=red`, '--out', join(work, 'never.tar.gz')], cleanEnv(), /Unknown connection parameter/],
        [['import', archive, '--mode', 'skip', '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter/],
        [['diff', archive, '--db', `${wire.url}?colour=red`], cleanEnv(), /Unknown connection parameter/],
        [['plan'], cleanEnv({ DATABASE_URL: `${wire.url}?sslmode=bogus` }), /DATABASE_URL: sslmode must be one of/],
        [['plan', '--db', wire.url], cleanEnv({ PGSSLMODE: 'sometimes' }), /PGSSLMODE must be one of/],
        [
          ['plan', '--db', `mr4-settings:{"host":"127.0.0.1","port":1,"database":"d","user":"u","sslMode":"disable"}`],
          cleanEnv(),
          /not a postgres:\/\/ URL/,
        ],
      ];
      for (const [args, env, message] of cases) {
        const r = await runCli(args, { env });
        expect(r.code, `mr4 ${args.join(' ')}\n${r.stderr}`).toBe(2);
        expect(r.stderr, `mr4 ${args.join(' ')}`).toMatch(message);
        expect(r.stderr).toContain('--db postgres://user@host:5432/dbname');
        expect(r.stdout).toBe('');
        const json = await runCli([...args, '--json'], { env });
        expect(json.code).toBe(2);
        expect(parseOneJson(json.stdout)).toMatchObject({ error: { code: 'MR4_USAGE', exitCode: 2 } });
      }
      expect(existsSync(join(work, 'never.tar.gz'))).toBe(false);
      expect(wire.connections()).toBe(0);
    } finally {
      await wire.close();
    }
  });

  test('--json prints exactly one JSON object on stdout, an error object when the command fails', async () => {
    const closed = await freePort();
    const archive = join(work, 'json-missing.tar.gz');
    const notGzip = join(work, 'json-not-gzip.tar.gz');
    writeFileSync(notGzip, 'this is not an archive');
    const cases: [string[], number, Record<string, unknown>][] = [
      [
        ['import', archive, '--db', PORT_URL(closed)],
        2,
        { code: 'MR4_USAGE', name: 'UsageError', message: "required option '--mode <mode>' not specified" },
      ],
      [['import', archive, '--mode', 'bogus', '--db', PORT_URL(closed)], 2, { code: 'MR4_USAGE' }],
      [['plan', '--frobnicate', '--db', PORT_URL(closed)], 2, { code: 'MR4_USAGE', message: "unknown option '--frobnicate'" }],
      [['plan', '--db', 'notaurl'], 2, { code: 'MR4_USAGE' }],
      [['import', archive, '--mode', 'skip', '--db', PORT_URL(closed)], 1, { message: expect.stringContaining('cannot open archive') }],
      [
        ['plan', '--db', PORT_URL(closed)],
        1,
        { code: 'ECONNREFUSED', name: 'ConnectionError', message: expect.stringMatching(/connection refused/) },
      ],
      [['plan', '--db', PORT_URL(Number(new URL(adminUrl()).port), 'no_such_database')], 1, { code: '3D000', name: 'ConnectionError' }],
      [['import', notGzip, '--mode', 'skip', '--db', PORT_URL(closed)], 1, { message: expect.any(String) }],
    ];
    for (const [args, code, error] of cases) {
      const r = await runCli([...args, '--json']);
      expect(r.code, `mr4 ${args.join(' ')} --json\n${r.stderr}`).toBe(code);
      const out = parseOneJson(r.stdout);
      expect(Object.keys(out)).toEqual(['error']);
      expect(out.error, `mr4 ${args.join(' ')} --json`).toMatchObject({ ...error, exitCode: code });
      expect(typeof (out.error as { message: unknown }).message).toBe('string');
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      // stderr still tells it in words.
      expect(r.stderr).toMatch(/error/i);
    }
    // Without --json a failure prints nothing on stdout.
    expect((await runCli(['plan', '--db', PORT_URL(closed)])).stdout).toBe('');
  });

  test('bin/mr4.js is executable and says how to build when out/main/cli.js is missing', () => {
    expect(statSync(join(ROOT, 'bin', 'mr4.js')).mode & 0o111).not.toBe(0);
    // The same script in a checkout without out/.
    const fake = mkdtempSync(join(tmpdir(), 'mr4-nobuild-'));
    try {
      spawnSync('mkdir', ['-p', join(fake, 'bin')]);
      writeFileSync(join(fake, 'bin', 'mr4.js'), readFileSync(join(ROOT, 'bin', 'mr4.js')));
      writeFileSync(join(fake, 'package.json'), '{"type":"module"}');
      const r = spawnSync(process.execPath, [join(fake, 'bin', 'mr4.js'), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('mr4 is not built yet: run `npm run build`');
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  test('the built engine worker loads (out/main/engine-worker.js parses)', () => {
    // Every database command runs in this worker; if it does not parse, nothing else can work.
    const r = spawnSync(process.execPath, ['--check', join(ROOT, 'out', 'main', 'engine-worker.js')], { encoding: 'utf8' });
    const known = /Identifier 'require' has already been declared/.test(r.stderr)
      ? '\nKnown cause: src-main/db/connect.ts declares `const require = createRequire(import.meta.url)`, which collides with the ' +
        '`const require` shim electron-vite adds to every ESM chunk that calls require(); rename it (or import pgpass).'
      : '';
    expect(r.status, `out/main/engine-worker.js does not load:\n${r.stderr}${known}`).toBe(0);
  });
});
