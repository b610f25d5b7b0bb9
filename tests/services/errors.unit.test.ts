// toUiError: the engine's errors keep their facts; SQLSTATEs in plain words with what to do next;
// details to copy with every password removed. And the pgpass store's file handling.
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerSecret, scrubSecrets } from '../../src-main/services/secret-scrubber';
import { statusOf, toUiError } from '../../src-main/services/ui-error';
import { defaultDataDir } from '../../src-main/app/create-app';
import { failureHints } from '../../src-main/cli/errors';
import { ConnectionError } from '../../src-main/db/connect';
import { ArchiveError } from '../../src-main/engine/archive/format';
import { ImportCheckError } from '../../src-main/engine/staged/types';
import { RefusedRowsError, WriteError } from '../../src-main/engine/import/errors';
import { LockTimeoutError } from '../../src-main/engine/import/index';
import { PlanError } from '../../src-main/engine/plan';
import { CancelledError } from '../../src-main/engine/run-context';
import { JobError, serializeError } from '../../src-main/services/job-errors';
import { PgpassSecretStore } from '../../src-main/services/secrets';
import { conflict, notFound } from '../../src-main/services/service-error';
import { tempDir } from '../helpers/temp';

const row = { table: 'events', key: { xmlid: 'e1' }, row: 3, column: 'name', reason: 'null value in column "name"' };

describe('toUiError', () => {
  it('maps every engine error class, also after crossing the worker boundary', () => {
    const cases: [Error, Partial<ReturnType<typeof toUiError>>][] = [
      [
        new ImportCheckError(['table x is missing in the target', 'column y.z differs']),
        { code: 'ImportCheckError', problems: ['table x is missing in the target', 'column y.z differs'] },
      ],
      [new RefusedRowsError([row]), { code: 'RefusedRowsError', rows: [row] }],
      [new WriteError('insert into events failed', row, '23502'), { code: '23502', title: 'Missing required value', rows: [row] }],
      [
        new LockTimeoutError('Could not lock the target tables within 10 s\n  pid 42 (bob) holds RowExclusiveLock on events'),
        { code: '55P03', title: 'The target tables are locked' },
      ],
      [new ArchiveError('the archive is truncated'), { code: 'ArchiveError', title: 'The archive cannot be used' }],
      [
        new ConnectionError('The server refused the password for bob@db:5432/app. Check it, or the entry in ~/.pgpass.'),
        { code: '28P01', title: 'Wrong password' },
      ],
      [new PlanError('cannot order tables'), { code: 'PlanError' }],
      [new CancelledError(), { code: 'CancelledError', title: 'Cancelled' }],
      [
        Object.assign(new Error("app_dev (the archive's database, …) and app_prod have the same identity …\n- If app_prod is …"), {
          name: 'CopiedDatabaseError',
        }),
        {
          code: 'CopiedDatabaseError',
          title: 'The two databases look like copies of one database',
          message: "app_dev (the archive's database, …) and app_prod have the same identity …",
        },
      ],
    ];
    for (const [error, expected] of cases) {
      expect(toUiError(error)).toMatchObject(expected);
      const crossed = new JobError(serializeError(error));
      expect(toUiError(crossed)).toMatchObject(expected);
      const ui = toUiError(crossed);
      expect(ui.hint).toBeTruthy();
      expect(ui.details).toContain(`name: ${error.name}`);
    }
    expect(toUiError(new LockTimeoutError('x\n  pid 42 (bob) holds RowExclusiveLock')).message).toContain('pid 42 (bob)');
  });

  it('explains a query PostgreSQL stopped for row-level security, and how to run as a role it does not filter', () => {
    const stopped = Object.assign(new Error('query would be affected by row-level security policy for table "note"'), { code: '42501' });
    expect(toUiError(stopped)).toMatchObject({
      title: 'Row-level security',
      message:
        'A policy would hide some rows of a table from this user, so PostgreSQL stopped the query rather than let mr4 read part of it. (query would be affected by row-level security policy for table "note")',
      hint: "Connect as a role that bypasses it (a superuser, a role WITH BYPASSRLS, or the tables' owner where FORCE ROW LEVEL SECURITY is not set).",
    });
    expect(failureHints(stopped, { databaseNamed: true })).toEqual([
      "Row-level security would hide rows from mr4, so PostgreSQL stopped the query. Connect as a role that bypasses it (a superuser, a role WITH BYPASSRLS, or the tables' owner where FORCE ROW LEVEL SECURITY is not set).",
    ]);
    // Any other missing privilege keeps its own words.
    expect(toUiError(Object.assign(new Error('permission denied for table note'), { code: '42501' })).title).toBe('Permission denied');
  });

  it('points an archive that lacks or adds a column at the option that leaves such columns out', () => {
    const leaveOut =
      'A column exists on one side only. Tick “Leave out columns only one side has” in the options of the Import or Sync screen to leave it out (the target keeps its values of it), or bring the schemas in line. Nothing was written.';
    for (const problem of [
      'column item.priority of the target is not in the archive',
      'column item.note is in the archive but does not exist in the target',
    ]) {
      expect(toUiError(new JobError(serializeError(new ImportCheckError([problem])))).hint).toBe(leaveOut);
    }
    expect(toUiError(new ImportCheckError(['column item.price is numeric in the archive but text in the target'])).hint).toBe(
      'Fix each problem listed (bring the schemas in line, or choose fewer tables, or allow missing columns to be ignored), then run again. Nothing was written.',
    );
  });

  it('explains SQLSTATEs in plain words with what to do next', () => {
    const codes = [
      '28P01',
      '28000',
      '3D000',
      '42P01',
      '42501',
      '23505',
      '23503',
      '23502',
      '23514',
      '55P03',
      '57014',
      '53300',
      '08001',
      '08006',
      '25P02',
      '40001',
      '40P01',
    ];
    const titles = new Set<string>();
    for (const code of codes) {
      const e = Object.assign(new Error(`server says ${code}`), { code, severity: 'ERROR', detail: 'Key (id)=(1) already exists.' });
      const ui = toUiError(e);
      expect(ui.code).toBe(code);
      expect(ui.title).not.toBe('Something went wrong');
      expect(ui.hint!.length).toBeGreaterThan(20);
      expect(ui.details).toContain(`code: ${code}`);
      expect(ui.details).toContain('detail: Key (id)=(1) already exists.');
      titles.add(ui.title);
    }
    expect(titles.size).toBeGreaterThan(14);
    expect(toUiError(Object.assign(new Error('x'), { code: '23999' })).title).toBe('Constraint violated');
    expect(toUiError(Object.assign(new Error('gone'), { code: 'ENOENT' })).title).toBe('File not found');
    expect(toUiError('a string').title).toBe('Something went wrong');
    expect(toUiError(null).details).toBeTypeOf('string');
  });

  it('removes passwords from messages and details', () => {
    registerSecret('Sup3r-Secret!');
    const e = Object.assign(new Error('cannot connect to postgres://alice:hunter2@db:5432/app (password=Sup3r-Secret!) PGPASSWORD=abc'), {
      code: '08001',
      detail: 'tried Sup3r-Secret! and Sup3r-Secret%21',
    });
    const ui = toUiError(e);
    for (const text of [ui.message, ui.details]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('Sup3r-Secret');
      expect(text).not.toContain('abc');
    }
    expect(ui.details).toContain('postgres://alice:***@db:5432/app');
    expect(scrubSecrets('postgresql://u:p%40ss@h/d')).toBe('postgresql://u:***@h/d');
  });

  it("gives services' statuses and 500 for the rest", () => {
    expect(statusOf(notFound('job', 'x'))).toBe(404);
    expect(statusOf(conflict('t', 'm'))).toBe(409);
    expect(statusOf(new Error('x'))).toBe(500);
    expect(toUiError(notFound('job', 'x'))).toMatchObject({ title: 'Unknown job', code: 'MR4_NOT_FOUND' });
  });
});

describe('defaultDataDir', () => {
  it('follows MR4_DATA_DIR, then the platform', () => {
    expect(defaultDataDir({ MR4_DATA_DIR: '/x/y' })).toBe('/x/y');
    expect(defaultDataDir({ HOME: '/home/a' }, 'linux')).toBe('/home/a/.config/mr4-studio');
    expect(defaultDataDir({ HOME: '/home/a', XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/mr4-studio');
    expect(defaultDataDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Application Support/MR4 Studio');
    expect(defaultDataDir({ HOME: 'C:\\Users\\a', APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toMatch(
      /AppData.Roaming.MR4 Studio$/,
    );
  });
});

describe('PgpassSecretStore', () => {
  it('keeps a file without a final newline and a symlinked file intact apart from its own lines', async () => {
    const home = tempDir('mr4-pgpass-');
    const real = join(home, 'dotfiles-pgpass');
    writeFileSync(real, 'a:1:b:c:d', { mode: 0o644 });
    symlinkSync(real, join(home, '.pgpass'));
    const store = new PgpassSecretStore(join(home, '.pgpass'));
    await store.set('c1', 'p:w\\d', { host: 'h', port: 5432, database: 'db:x', user: 'u' });
    expect(readFileSync(real, 'utf8')).toBe('a:1:b:c:d\n# mr4-studio connection c1\nh:5432:db\\:x:u:p\\:w\\\\d\n');
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(await store.get('c1')).toBe('p:w\\d');
    await store.set('c2', 'two', { host: 'h2', port: 1, database: 'd', user: 'u' });
    await store.set('c1', 'new', { host: 'h', port: 5432, database: 'db', user: 'u' });
    expect(await store.get('c1')).toBe('new');
    expect(await store.get('c2')).toBe('two');
    await store.delete('c1');
    await store.delete('c2');
    expect(readFileSync(real, 'utf8')).toBe('a:1:b:c:d\n');
    expect(await store.get('c1')).toBeUndefined();
    await expect(store.set('c3', 'x')).rejects.toThrow(/host, port/);
  });
});
