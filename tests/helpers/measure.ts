// Runs tests/helpers/measure-cache.ts in a child process: the archive browser's cache builder on one
// archive, with its outcome and the child's peak RSS.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli';

export type Measured = ({ ok: true; checksums: string; warnings: string[]; rows: number[] } | { ok: false; error: string }) & {
  maxRssMb: number;
};

export function measureCache(archive: string): Measured {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tests', 'helpers', 'measure-cache.ts'), archive], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as Measured;
}
