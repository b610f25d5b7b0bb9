// Builds .tar.gz files entry by entry, including ones no honest writer produces (links, "..", absolute
// names, altered content), to test that the reader refuses them.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface CraftedEntry {
  path: string;
  body?: string | Buffer;
  type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory';
  linkpath?: string;
}

export function craftArchive(out: string, entries: CraftedEntry[]): void {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const h = new Header({ path: e.path, mode: 0o644, size: e.type && e.type !== 'File' ? 0 : body.length, mtime: new Date(0), type: e.type ?? 'File', linkpath: e.linkpath, uid: 0, gid: 0 });
    h.encode();
    parts.push(h.block!);
    if (!e.type || e.type === 'File') {
      parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  writeFileSync(out, gzipSync(Buffer.concat(parts)));
}

/** The entries of a real archive, in order, so a test can alter one and write it back. */
export function readEntries(archive: string): { path: string; body: Buffer }[] {
  const dir = mkdtempSync(join(tmpdir(), 'mr4-entries-'));
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  return execFileSync('tar', ['tzf', archive])
    .toString()
    .trim()
    .split('\n')
    .map((path) => ({ path, body: readFileSync(join(dir, path)) }));
}

/** Rewrites a table file's entry and (optionally) its checksum in index.json so only the content is wrong. */
export function alterTableFile(archive: string, out: string, file: string, alter: (text: string) => string, fixChecksum: boolean): void {
  const entries = readEntries(archive);
  const target = entries.find((e) => e.path === file)!;
  const altered = Buffer.from(alter(target.body.toString('utf8')));
  target.body = altered;
  if (fixChecksum) {
    const index = entries.find((e) => e.path === 'index.json')!;
    const json = JSON.parse(index.body.toString('utf8'));
    const table = Object.keys(json.tables).find((t) => json.tables[t].file === file)!;
    json.tables[table].sha256 = createHash('sha256').update(altered).digest('hex');
    json.tables[table].bytes = altered.length;
    index.body = Buffer.from(JSON.stringify(json));
  }
  craftArchive(out, entries);
}
