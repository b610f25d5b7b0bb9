// The command lines the app shows for a run (services/command-line.ts): no password, shell-quoted, SSH and
// encryption as placeholders, every option of the request; and the summary of a review document.
import { expect, test } from 'vitest';
import type { SavedConnection } from '../../src-common/contract';
import {
  connectionUrlWithoutPassword,
  exportCommandLine,
  importCommandLine,
  reviewSummary,
  undoCommandLine,
} from '../../src-main/services/command-line';

test('command lines: no password, shell-quoted, SSH and encryption as placeholders, every option of the request', () => {
  const c: SavedConnection = {
    id: 'x',
    name: 'Shop',
    host: 'db.example.com',
    port: 5433,
    database: 'shop prod',
    user: 'me',
    sslMode: 'require',
    tag: null,
    color: '#000000',
    hasPassword: true,
    passwordStore: 'keychain',
    ssh: { host: 'bastion', port: 2222, user: 'ops', auth: 'key', keyFile: 'id_ed25519', hasSecret: true, secretStore: 'keychain' },
    demo: false,
    createdAt: '',
    updatedAt: '',
  };
  expect(connectionUrlWithoutPassword(c)).toBe('postgres://me@db.example.com:5433/shop%20prod?sslmode=require');
  const line = importCommandLine({
    archive: "/tmp/it's.tar.gz",
    target: c,
    mode: 'skip',
    dryRun: false,
    tables: ['a', 'b'],
    sameIds: true,
    probableEdits: 'new',
    allowFailures: true,
    ignoreMissingColumns: true,
    disableTriggers: true,
    encrypted: true,
    base: 'none',
  });
  expect(line).toBe(
    "mr4 import '/tmp/it'\\''s.tar.gz' --db 'postgres://me@db.example.com:5433/shop%20prod?sslmode=require' --ssh ops@bastion:2222 --ssh-key ~/.ssh/id_ed25519 --mode skip --base none --tables a,b --same-ids --probable-edits new --allow-failures --ignore-missing-columns --disable-triggers --passphrase-file PASSPHRASE_FILE",
  );
  expect(
    exportCommandLine({
      source: { ...c, ssh: null },
      out: '/x.tar.gz',
      mask: true,
      where: [{ table: 'events', where: 'year > 2020' }],
      withChildren: true,
    }),
  ).toBe(
    "mr4 export --db 'postgres://me@db.example.com:5433/shop%20prod?sslmode=require' --out /x.tar.gz --mask --where 'events:year > 2020' --with-children",
  );
  expect(undoCommandLine({ target: { ...c, ssh: null, sslMode: 'prefer' }, run: 'abc-123', dryRun: true, keepChanged: true })).toBe(
    'mr4 undo --db postgres://me@db.example.com:5433/shop%20prod --run abc-123 --keep-changed --dry-run',
  );
  expect(
    reviewSummary(
      {
        decisions: [
          { table: 't', key: {}, choice: 'source' },
          { table: 't', key: { a: 1 }, choice: 'same' },
        ],
        exclude: [{ table: 'x' }, { table: 't', key: { a: 2 } }, { table: 't', key: { a: 3 }, field: 'f' }],
      },
      'base.tar.gz',
    ),
  ).toEqual({
    base: 'base.tar.gz',
    conflictsDecided: 1,
    probableEditsAnswered: 1,
    rowsLeftOut: 2,
    tablesLeftOut: ['x'],
  });
});
