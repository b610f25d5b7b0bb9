// Temporary folders for tests, each removed when the test file that made it ends (tests/per-file.ts
// calls endOfTestFile after every file: files share a worker's modules, so nothing here is per file
// by itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
const forgetters: (() => void)[] = [];

/** A new folder under the system's temp folder named `prefix…`, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A value made on first use in each test file and forgotten when the file ends. */
export function perTestFile<T>(make: () => T): () => T {
  let slot: { value: T } | undefined;
  forgetters.push(() => (slot = undefined));
  return () => (slot ??= { value: make() }).value;
}

/** Removes the file's temporary folders and forgets its per-file values. */
export function endOfTestFile(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const forget of forgetters) forget();
}
