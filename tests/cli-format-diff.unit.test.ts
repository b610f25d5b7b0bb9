// mr4 diff's text: a row without a key (a table matched by content) is told apart by its values.
import { expect, test } from 'vitest';
import { formatDiff } from '../src-main/cli/format-diff';
import type { DiffRow, DiffSummary } from '../src-main/engine/report-types';

const summary: DiffSummary = {
  threeWay: false,
  archive: { path: 'dev.tar.gz', database: 'dev', timestamp: '2026-12-07T04:00:00Z' },
  base: null,
  target: { database: 'prod', label: 'prod' },
  tables: [
    {
      table: 'bag',
      counts: {
        new: 1,
        changed: 0,
        kept: 0,
        conflict: 0,
        identical: 0,
        target_only: 1,
        deleted_in_source: 0,
        refused: 0,
        probable_edit: 0,
        deleted_in_target: 0,
      },
    },
  ],
  warnings: [],
  durationMs: 5,
};
const row = (kind: DiffRow['kind'], n: number | null, values: Record<string, string | null>): DiffRow => ({
  table: 'bag',
  kind,
  key: null,
  row: n,
  fields: [],
  values,
  fingerprint: null,
});

test('rows without a key are listed with their values, the first eight columns', () => {
  const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, String(i)]));
  const text = formatDiff({
    summary,
    conflicts: [],
    rows: [row('new', 3, { label: 'red', n: '2', note: null }), row('target_only', null, many)],
    rowsPerKind: 10,
  });
  const lines = text.split('\n');
  expect(lines.slice(lines.indexOf('  bag (no key) (row 3): new'), lines.indexOf('  bag (no key) (row 3): new') + 4)).toEqual([
    '  bag (no key) (row 3): new',
    '      label "red", n "2", note NULL',
    '  bag (no key) (in the target): target only',
    '      c0 "0", c1 "1", c2 "2", c3 "3", c4 "4", c5 "5", c6 "6", c7 "7", … (2 more)',
  ]);
});

test("an archived row and a row only the target has are told apart where their keys read alike (each side's own ids)", () => {
  const keyed = (kind: DiffRow['kind'], n: number | null): DiffRow => ({ ...row(kind, n, {}), key: { id: '3' }, values: undefined });
  const lines = formatDiff({ summary, conflicts: [], rows: [keyed('new', 3), keyed('target_only', null)], rowsPerKind: 10 }).split('\n');
  expect(lines.filter((l) => l.startsWith('  bag {'))).toEqual([
    '  bag {"id":"3"} (row 3): new',
    '  bag {"id":"3"} (in the target): target only',
  ]);
});
