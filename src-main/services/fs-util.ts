// Small file helpers shared by the services: private folders, atomic JSON writes, url-safe ids.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A random url-safe id (letters, digits, - and _). 12 characters by default. */
export function randomId(bytes = 9): string {
  return randomBytes(bytes).toString('base64url');
}

/** Creates `dir` (and parents) with mode 0700 where it is created. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(dir, 0o700).catch(() => undefined);
}

/** Writes `data` to `file` through a private temp file in the same folder, fsynced, then renamed. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomId(6)}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (error) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw error;
  }
  await fh.close();
  try {
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function readJsonFile<T>(file: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // A damaged settings file is kept aside rather than silently overwritten.
    await rename(file, `${file}.damaged-${Date.now()}`).catch(() => undefined);
    return fallback;
  }
}

/** Runs tasks one after another (writes to one file never interleave). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
