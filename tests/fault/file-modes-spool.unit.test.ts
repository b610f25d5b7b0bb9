// The engine's spool files are private: 0600 files in a 0700 spool folder, whatever the umask, the
// archive appearing under its name only once complete.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { ArchiveWriter } from '../../src-main/engine/archive/writer';
import { scratchDir } from '../helpers/engine';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the spool folder is 0700, its files 0600, the archive 0600 (umask 022)', async () => {
  const old = process.umask(0o022);
  try {
    const dir = mkdtempSync(join(scratchDir(), 'modes-'));
    const writer = await ArchiveWriter.create({ spoolParent: dir });
    expect(mode(writer.folder)).toBe(0o700);
    const spooled = await writer.addTable('t', 't.json', ['a'], Readable.from([Buffer.from('1\n2\n')]));
    expect(mode(spooled.spoolPath)).toBe(0o600);
    expect(readdirSync(dir).every((n) => n.startsWith('.mr4-spool-'))).toBe(true);
    const out = join(dir, 'a.tar.gz');
    const index = {
      format: 'mr4-archive',
      formatVersion: '2.1',
      metadata: {
        timestamp: '2024-01-01T00:00:00Z',
        database: 'd',
        schema: 'public',
        server: { version: '15', systemIdentifier: null },
        tool: 'mr4',
        profile: null,
      },
      entities: ['t'],
      files: { t: 't.json' },
      tables: {
        t: {
          file: 't.json',
          role: 'data',
          rows: 2,
          bytes: spooled.bytes,
          sha256: spooled.sha256,
          columns: [{ name: 'a', type: 'text', notNull: false }],
          primaryKey: [],
          surrogate: null,
          key: { kind: 'content', columns: ['a'], source: 'content' },
          references: [],
          excludedColumns: [],
        },
      },
      excluded: [],
    } as const;
    await writer.finish(index as never, out);
    await writer.dispose();
    expect(mode(out)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['a.tar.gz']);
  } finally {
    process.umask(old);
  }
});
