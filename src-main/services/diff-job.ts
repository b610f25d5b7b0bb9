// A diff as a one-shot job (the CLI): the summary, every conflict, the first rows of each other kind
// per table, and optionally every row written to a JSON-lines file as it is read page by page, so
// memory does not grow with the size of the diff.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { EngineEvent } from '../../src-common/contract';
import type { DbTarget } from '../db/connect';
import type { Mr4Config } from '../engine/config';
import { type ComparisonSettings, comparisonSettingsOf } from '../../src-common/import-settings';
import type { ArchiveSecret } from '../engine/archive/crypto';
import { DIFF_KINDS, type DiffKind } from '../engine/report-types';
import { type DiffRow, type DiffSummary, openDiff } from '../engine/diff/index';
import { agreementStore } from './bases';

export interface DiffRequest extends ComparisonSettings {
  archive: string;
  /** A base archive, or "auto": what the two databases last agreed on, kept in `dataDir`. */
  base?: string;
  dataDir?: string;
  schema?: string;
  tables?: string[];
  /** Rows of each kind (but conflicts, which are all listed) per table in the result. */
  rowsPerKind?: number;
  /** Write every differing row (all kinds but identical) here, one JSON object per line. */
  rowsOut?: string;
  /** Write the fingerprints a later merge re-checks (`mr4 import --expect-fingerprints`). */
  fingerprintsOut?: string;
  /** The passphrase or key file of an encrypted archive. */
  secret?: ArchiveSecret;
}

export interface DiffResult {
  summary: DiffSummary;
  conflicts: DiffRow[];
  rows: DiffRow[];
  rowsPerKind: number;
  rowsOut?: string;
  fingerprintsOut?: string;
}

const SHOWN: DiffKind[] = DIFF_KINDS.filter((k) => k !== 'identical' && k !== 'conflict');

export async function runDiff(
  db: DbTarget,
  request: DiffRequest,
  config: Mr4Config | undefined,
  signal: AbortSignal,
  emit: (e: EngineEvent) => void,
): Promise<DiffResult> {
  const session = await openDiff({
    db,
    archive: request.archive,
    base: request.base,
    agreement: request.dataDir ? agreementStore(request.dataDir, false) : undefined,
    ...comparisonSettingsOf(request),
    schema: request.schema,
    tables: request.tables,
    secret: request.secret,
    config,
    signal,
    onEvent: emit,
  });
  try {
    const perKind = request.rowsPerKind ?? 20;
    const rows: DiffRow[] = [];
    for (const { table, counts } of session.summary.tables) {
      for (const kind of SHOWN) {
        if (counts[kind] && perKind > 0) rows.push(...(await session.page({ table, kinds: [kind], offset: 0, limit: perKind })).rows);
      }
    }
    if (request.rowsOut) {
      const out = createWriteStream(request.rowsOut);
      for (const { table, counts } of session.summary.tables) {
        for (const kind of [...SHOWN, 'conflict' as const]) {
          for (let offset = 0; offset < counts[kind]; offset += 1000) {
            const page = await session.page({ table, kinds: [kind], offset, limit: 1000 });
            for (const r of page.rows) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
          }
        }
      }
      out.end();
      await once(out, 'finish');
    }
    if (request.fingerprintsOut) await session.writeFingerprints(request.fingerprintsOut);
    return {
      summary: session.summary,
      conflicts: await session.conflicts(),
      rows,
      rowsPerKind: perKind,
      ...(request.rowsOut ? { rowsOut: request.rowsOut } : {}),
      ...(request.fingerprintsOut ? { fingerprintsOut: request.fingerprintsOut } : {}),
    };
  } finally {
    await session.close();
  }
}
