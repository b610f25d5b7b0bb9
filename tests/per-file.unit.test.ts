import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';
import { endOfTestFile, perTestFile, tempDir } from './helpers/temp';

// tests/per-file.ts calls endOfTestFile after every file; files share a worker's modules, so this is
// what keeps one file's folders and per-file values from reaching the next.
test("endOfTestFile removes the file's temporary folders and forgets its per-file values", () => {
  const dir = tempDir('mr4-per-file-');
  let made = 0;
  const value = perTestFile(() => ({ n: ++made }));
  const first = value();
  expect(value()).toBe(first);
  expect(existsSync(dir)).toBe(true);
  endOfTestFile();
  expect(existsSync(dir)).toBe(false);
  expect(value()).toEqual({ n: 2 });
  expect(made).toBe(2);
});
