// A preview goes stale on a live database. The diff writes, for every archived row it classified, the
// md5 of the target row it was compared with (or null where the target had none); a merge given that
// file re-checks every one inside its own transaction, after taking its locks, and stops if any differ.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { temp } from '../staged/types';
import { literal } from '../sql';
import type { Analysis } from './analyze';

export class StalePreviewError extends Error {
  override name = 'StalePreviewError';
  constructor(readonly changed: { table: string; key: unknown }[]) {
    const shown = changed.slice(0, 50).map((c) => `  - ${c.table} ${JSON.stringify(c.key)}`);
    super(
      `${changed.length} target row(s) changed since the diff was made; nothing was written:\n${shown.join('\n')}` +
        `${changed.length > 50 ? `\n  … and ${changed.length - 50} more` : ''}\nMake the diff again and review it before merging.`,
    );
  }
}

export async function checkFingerprints(a: Analysis, path: string, archive: { database: string; timestamp: string }): Promise<void> {
  const m = a.m;
  await m.ctx.query(`CREATE TEMP TABLE pg_temp.mr4_fp (tbl text, key jsonb, f text) ON COMMIT DROP`);
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  interface Header {
    format?: string;
    archive?: { database?: string; timestamp?: string };
  }
  let seenHeader = false;
  let batch: unknown[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await m.ctx.query(`INSERT INTO pg_temp.mr4_fp SELECT t, k, f FROM jsonb_to_recordset($1::jsonb) AS r(t text, k jsonb, f text)`, [
      JSON.stringify(batch),
    ]);
    batch = [];
  };
  for await (const line of lines) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`${path} is not a fingerprint file written by mr4 diff (a line is not JSON).`);
    }
    if (!seenHeader) {
      const header = json as Header;
      if (header?.format !== 'mr4-fingerprints') throw new Error(`${path} is not a fingerprint file written by mr4 diff.`);
      if (header.archive?.database !== archive.database || header.archive?.timestamp !== archive.timestamp) {
        throw new Error(`${path} was made for another archive (${header.archive?.database} of ${header.archive?.timestamp}).`);
      }
      seenHeader = true;
      continue;
    }
    batch.push(json);
    if (batch.length >= 5000) await flush();
  }
  await flush();
  const changed: { table: string; key: unknown }[] = [];
  for (const t of a.tables) {
    if (t.plan.role !== 'data') continue;
    const res = await m.ctx.query<{ key: unknown }>(
      `SELECT fp.key FROM pg_temp.mr4_fp fp LEFT JOIN ${temp(t, 'classified')} d ON d.key = fp.key AND d.srow IS NOT NULL
       WHERE fp.tbl = ${literal(t.plan.name)} AND (d.srow IS NULL OR d.fingerprint IS DISTINCT FROM fp.f) LIMIT 1000`,
    );
    for (const r of res.rows) changed.push({ table: t.plan.name, key: r.key });
  }
  if (changed.length) throw new StalePreviewError(changed);
}
