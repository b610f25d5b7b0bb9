// Builds .tar.gz files entry by entry, including ones no honest writer produces (links, "..", absolute
// names, altered content, cut files, a row of a gigabyte), to test that the reader refuses them.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export interface CraftedEntry {
  path: string;
  body?: string | Buffer;
  type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory' | 'CharacterDevice' | 'FIFO';
  linkpath?: string;
  /** The size the header declares, when it should lie about the body. */
  size?: number;
}

function headerBlock(path: string, size: number, type: CraftedEntry['type'] = 'File', linkpath?: string): Buffer {
  const h = new Header({ path, mode: 0o644, size, mtime: new Date(0), type, linkpath, uid: 0, gid: 0 });
  h.encode();
  return h.block!;
}

/** The tar bytes of the entries (uncompressed), end blocks included. */
export function tarBytes(entries: CraftedEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : (e.body ?? Buffer.alloc(0));
    const isFile = !e.type || e.type === 'File';
    parts.push(headerBlock(e.path, e.size ?? (isFile ? body.length : 0), e.type ?? 'File', e.linkpath));
    if (isFile) parts.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function craftArchive(out: string, entries: CraftedEntry[]): void {
  writeFileSync(out, gzipSync(tarBytes(entries)));
}

/** The entries of a real archive, in order, so a test can alter one and write it back. */
export function readEntries(archive: string): { path: string; body: Buffer }[] {
  const dir = mkdtempSync(join(tmpdir(), 'mr4-entries-'));
  try {
    execFileSync('tar', ['xzf', archive, '-C', dir]);
    return execFileSync('tar', ['tzf', archive])
      .toString()
      .trim()
      .split('\n')
      .map((path) => ({ path, body: readFileSync(join(dir, path)) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sets a table file's sha256, bytes (and optionally rows) in index.json to match `body`. */
export function fixIndexFor(index: Buffer, file: string, body: Buffer, rows?: number): Buffer {
  const json = JSON.parse(index.toString('utf8'));
  const table = Object.keys(json.tables).find((t) => json.tables[t].file === file);
  const meta = table ? json.tables[table] : json.lineage?.file === file ? json.lineage : null;
  if (!meta) throw new Error(`index.json lists no ${file}`);
  meta.sha256 = createHash('sha256').update(body).digest('hex');
  meta.bytes = body.length;
  if (rows !== undefined) meta.rows = rows;
  return Buffer.from(JSON.stringify(json));
}

/** Rewrites a table file's entry and (optionally) its checksum in index.json so only the content is wrong. */
export function alterTableFile(archive: string, out: string, file: string, alter: (text: string) => string, fixChecksum: boolean): void {
  const entries = readEntries(archive);
  const target = entries.find((e) => e.path === file)!;
  const altered = Buffer.from(alter(target.body.toString('utf8')));
  target.body = altered;
  if (fixChecksum) {
    const index = entries.find((e) => e.path === 'index.json')!;
    index.body = fixIndexFor(index.body, file, altered);
  }
  craftArchive(out, entries);
}

// ─── Archives of gigabytes in kilobytes ──────────────────────────────────────────────────────────────

/** Bytes of a streamed entry: plain bytes, or one piece repeated many times. */
export type Piece = Buffer | string | { repeat: Buffer | string; times: number };

export interface StreamedEntry {
  path: string;
  pieces: Piece[];
}

function pieceLength(p: Piece): number {
  if (typeof p === 'string') return Buffer.byteLength(p);
  if (Buffer.isBuffer(p)) return p.length;
  return Buffer.byteLength(p.repeat) * p.times;
}

/**
 * Writes a .tar.gz as a series of gzip members (which every gunzip reads as one stream), compressing a
 * repeated piece once and writing that member again: a file holding a 1 GiB row takes about a
 * megabyte and a few milliseconds to make.
 */
export function craftStreamedArchive(out: string, entries: StreamedEntry[], options: { endBlocks?: boolean } = {}): void {
  const fd = openSync(out, 'w');
  let plain: Buffer[] = [];
  const flush = () => {
    if (!plain.length) return;
    writeSync(fd, gzipSync(Buffer.concat(plain)));
    plain = [];
  };
  try {
    for (const e of entries) {
      const size = e.pieces.reduce((n, p) => n + pieceLength(p), 0);
      plain.push(headerBlock(e.path, size));
      for (const p of e.pieces) {
        if (typeof p === 'string' || Buffer.isBuffer(p)) {
          plain.push(Buffer.from(p));
          continue;
        }
        const unit = Buffer.from(p.repeat);
        // Members of about 4 MiB of the repeated piece.
        const perMember = Math.max(1, Math.floor((4 << 20) / unit.length));
        const member = gzipSync(Buffer.concat(Array(Math.min(perMember, p.times)).fill(unit)), { level: 9 });
        flush();
        let left = p.times;
        while (left >= perMember) {
          writeSync(fd, member);
          left -= perMember;
        }
        if (left > 0) writeSync(fd, gzipSync(Buffer.concat(Array(left).fill(unit)), { level: 9 }));
      }
      plain.push(Buffer.alloc((512 - (size % 512)) % 512));
    }
    if (options.endBlocks !== false) plain.push(Buffer.alloc(1024));
    flush();
  } finally {
    closeSync(fd);
  }
}

/** sha256 and length of a streamed entry's bytes, computed without holding them. */
export function piecesDigest(pieces: Piece[]): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const p of pieces) {
    if (typeof p === 'string' || Buffer.isBuffer(p)) {
      const b = Buffer.from(p);
      hash.update(b);
      bytes += b.length;
      continue;
    }
    const unit = Buffer.from(p.repeat);
    const block = Buffer.concat(Array(Math.max(1, Math.min(p.times, Math.floor((1 << 20) / unit.length)))).fill(unit));
    const per = block.length / unit.length;
    let left = p.times;
    while (left >= per) {
      hash.update(block);
      left -= per;
    }
    for (; left > 0; left--) hash.update(unit);
    bytes += unit.length * p.times;
  }
  return { sha256: hash.digest('hex'), bytes };
}
