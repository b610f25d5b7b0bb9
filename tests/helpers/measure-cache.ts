// Child process for memory tests: opens an archive in the archive browser's cache builder (what
// browser mode and the desktop app run in their engine worker) and prints its outcome and peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArchiveCache } from '../../src-main/services/archive-cache-builder';

const dir = mkdtempSync(join(tmpdir(), 'mr4-measure-'));
const outcome = await buildArchiveCache({ archive: process.argv[2], dir: join(dir, 'cache') }).then(
  (m) => ({ ok: true as const, checksums: m.checksums, warnings: m.warnings, rows: m.tables.map((t) => t.cachedRows) }),
  (e: Error) => ({ ok: false as const, error: e.message }),
);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ ...outcome, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
