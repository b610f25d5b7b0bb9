// Every test run gets a temp folder of its own: TMPDIR points into it for the test workers and every
// process they start, and it is removed when the run ends. What a file made and did not remove goes
// with it — a file whose every test is skipped (no sshd, no Electron) runs no afterAll.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'mr4-tests-'));
  // Traversable by others: a throwaway server started by a test keeps its cluster in here (as its own user).
  chmodSync(dir, 0o711);
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
