// Every finished run (export, import, sync), one JSON line each in history.jsonl: append-only, so a
// crash loses at most the line being written; listed newest first.
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEntry } from '../../src-common/contract';
import { Serial } from './fs-util';

export class HistoryService {
  readonly file: string;
  private readonly serial = new Serial();

  constructor(
    dataDir: string,
    private readonly changed: () => void = () => undefined,
  ) {
    this.file = join(dataDir, 'history.jsonl');
  }

  append(entry: HistoryEntry): Promise<void> {
    return this.serial.run(async () => {
      await appendFile(this.file, JSON.stringify(entry) + '\n', { mode: 0o600 });
      this.changed();
    });
  }

  async list(limit = 200): Promise<HistoryEntry[]> {
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: HistoryEntry[] = [];
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      const line = lines[i].trim();
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as HistoryEntry);
      } catch {
        // A line torn by a crash is skipped.
      }
    }
    return out;
  }
}
