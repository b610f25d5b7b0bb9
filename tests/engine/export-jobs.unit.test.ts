// How many connections an export reads over: what was asked (never more than the tables), else one
// for a small database and two from PARALLEL_EXPORT_FROM_BYTES on.
import { expect, test } from 'vitest';
import { DEFAULT_EXPORT_JOBS, exportJobs, PARALLEL_EXPORT_FROM_BYTES } from '../../src-main/engine/snapshot-readers';

const tables = (...bytes: number[]) => bytes.map((b) => ({ bytes: b }));

test('by default a small database is read over one connection, a big one over two', () => {
  expect(DEFAULT_EXPORT_JOBS).toBe(2);
  expect(exportJobs(tables(1024, 8192, 0), undefined)).toBe(1);
  expect(exportJobs(tables(PARALLEL_EXPORT_FROM_BYTES / 2, PARALLEL_EXPORT_FROM_BYTES / 2 - 1), undefined)).toBe(1);
  expect(exportJobs(tables(PARALLEL_EXPORT_FROM_BYTES / 2, PARALLEL_EXPORT_FROM_BYTES / 2), undefined)).toBe(2);
  expect(exportJobs(tables(PARALLEL_EXPORT_FROM_BYTES * 10, 0, 0), undefined)).toBe(2);
});

test('a number asked for is kept whatever the size, but never more than there are tables, nor fewer than one', () => {
  expect(exportJobs(tables(10, 10, 10), 3)).toBe(3);
  expect(exportJobs(tables(10, 10, 10), 8)).toBe(3);
  expect(exportJobs(tables(PARALLEL_EXPORT_FROM_BYTES * 10, 0), 1)).toBe(1);
  expect(exportJobs(tables(PARALLEL_EXPORT_FROM_BYTES * 10), undefined)).toBe(1);
  expect(exportJobs([], undefined)).toBe(1);
});
