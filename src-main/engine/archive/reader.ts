// Reads an archive as a stream, refusing anything that is not plain files with plain names: no links,
// devices, absolute paths or "..", no duplicates, no entry or total size beyond the limits.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveError, type ArchiveIndex, INDEX_FILE, parseIndex } from './format';

export interface ArchiveLimits {
  maxEntries: number;
  /** Largest size one entry may declare. */
  maxEntryBytes: number;
  /** Largest total of decompressed bytes. */
  maxTotalBytes: number;
  /** Largest index.json (and legacy table file, which is read whole). */
  maxIndexBytes: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxEntryBytes: 1024 ** 4,
  maxTotalBytes: 4 * 1024 ** 4,
  maxIndexBytes: 64 * 1024 * 1024,
};

export type ArchiveKind = 'mr4-2' | 'mr4-1-legacy';

export interface OpenedArchive {
  path: string;
  kind: ArchiveKind;
  /** Format 2 index; null for a legacy archive (see legacy.ts). */
  index: ArchiveIndex | null;
  rawIndex: unknown;
  size: number;
}

/** Normalises an entry name, or throws for anything that is not a plain file name. */
function entryName(entry: ReadEntry): string | null {
  const raw = entry.path;
  const type = entry.type;
  if (type === 'Directory' && (raw === './' || raw === '.')) return null;
  if (type !== 'File' && type !== 'OldFile' && type !== 'ContiguousFile') {
    throw new ArchiveError(`the archive contains ${raw} of type ${type}; only plain files are allowed (no links, directories or devices)`);
  }
  const name = raw.startsWith('./') ? raw.slice(2) : raw;
  if (name === '' || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '.')) {
    throw new ArchiveError(`the archive contains an entry with an unsafe name: ${JSON.stringify(raw)}`);
  }
  if (name.includes('/')) throw new ArchiveError(`the archive contains ${JSON.stringify(raw)} in a folder; archive files are flat`);
  return name;
}

class ByteLimit extends Transform {
  total = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.limit) return done(new ArchiveError(`the archive decompresses to more than ${this.limit} bytes; refused`));
    done(null, chunk);
  }
}

async function assertGzip(path: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ArchiveError(`Cannot open archive ${path}: no such file`);
  }
  const fh = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 0);
    if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw new ArchiveError(`${path} is not a gzip file; expected a .tar.gz archive`);
  } finally {
    await fh.close();
  }
  return size;
}

function describeStreamError(error: unknown): Error {
  if (error instanceof ArchiveError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e?.message ?? '')) {
    return new ArchiveError('the archive is truncated: the gzip stream ends early');
  }
  if (e?.code?.startsWith?.('Z_') || /incorrect header check|invalid/i.test(e?.message ?? '')) {
    return new ArchiveError(`the archive's gzip data is corrupt (${e.message})`);
  }
  if (e?.code === 'TAR_BAD_ARCHIVE' || e?.code === 'TAR_ENTRY_INVALID' || /tar/i.test(e?.message ?? '')) {
    return new ArchiveError(`the archive is not a valid tar file (${e.message})`);
  }
  return error as Error;
}

export interface EntryVisitor {
  (name: string, entry: Readable, size: number): Promise<void>;
}

/**
 * Streams every file of the archive through `visit`, one at a time, in archive order. Stops early when
 * `visit` returns and `stopAfter` says so. Throws ArchiveError for anything malformed.
 */
export async function walkArchive(
  path: string,
  visit: EntryVisitor,
  options: {
    limits?: ArchiveLimits;
    signal?: AbortSignal;
    stopAfter?: (name: string) => boolean;
    onBytes?: (compressed: number) => void;
    /** Fed every byte of the file as it is read: a walk that reads to the end hashes the archive. */
    hash?: Hash;
  } = {},
): Promise<void> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  await assertGzip(path);
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const gunzip = createGunzip();
  const limit = new ByteLimit(limits.maxTotalBytes);
  const parser = new Parser({ strict: true });
  const seen = new Set<string>();
  let entries = 0;
  let stopped = false;
  let failure: Error | null = null;
  let chain: Promise<void> = Promise.resolve();
  let compressed = 0;
  file.on('data', (c) => {
    compressed += (c as Buffer).length;
    options.hash?.update(c as Buffer);
    options.onBytes?.(compressed);
  });

  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (failure || stopped) return;
      failure = describeStreamError(error);
      file.destroy();
      reject(failure);
    };
    options.signal?.addEventListener('abort', () => fail(options.signal?.reason ?? new Error('cancelled')), { once: true });
    parser.on('entry', (entry: ReadEntry) => {
      if (failure || stopped) return entry.resume();
      try {
        entries++;
        if (entries > limits.maxEntries) throw new ArchiveError(`the archive has more than ${limits.maxEntries} entries; refused`);
        const name = entryName(entry);
        if (name === null) return entry.resume();
        if (seen.has(name)) throw new ArchiveError(`the archive contains ${name} twice`);
        seen.add(name);
        if (entry.size > limits.maxEntryBytes) throw new ArchiveError(`${name} declares ${entry.size} bytes, more than the limit of ${limits.maxEntryBytes}`);
        // tar's parser stops reading while the current entry is not flowing, so a slow consumer pauses
        // the whole chain back to the file.
        const body = new PassThrough({ highWaterMark: 256 * 1024 });
        entry.pipe(body);
        entry.on('error', (e: unknown) => body.destroy(e as Error));
        chain = chain.then(async () => {
          if (failure) return;
          try {
            await visit(name, body, entry.size);
          } finally {
            // Whatever the visitor left unread is discarded, so the walk goes on to the next entry.
            if (body.destroyed) {
              entry.unpipe(body);
              entry.resume();
            } else if (!body.readableEnded) body.resume();
          }
          if (options.stopAfter?.(name)) {
            stopped = true;
            file.destroy();
            resolve();
          }
        });
        chain.catch(fail);
      } catch (error) {
        fail(error);
      }
    });
    parser.on('warn', (code: string, message: string) => {
      if (code === 'TAR_ENTRY_INFO') return;
      fail(new ArchiveError(`the archive is not a valid tar file (${message})`));
    });
    parser.on('error', fail);
    parser.on('end', () => {
      chain.then(() => {
        if (failure || stopped) return;
        resolve();
      }, fail);
    });
    file.on('error', fail);
    gunzip.on('error', fail);
    limit.on('error', fail);
  });
  file.pipe(gunzip).pipe(limit).pipe(parser);
  await done;
  await chain;
}

async function readWhole(entry: Readable, size: number, max: number, name: string): Promise<Buffer> {
  if (size > max) throw new ArchiveError(`${name} is ${size} bytes; at most ${max} are read into memory`);
  const parts: Buffer[] = [];
  for await (const c of entry) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function parseJson(buf: Buffer, name: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (error) {
    throw new ArchiveError(`${name} in the archive is not valid JSON (${(error as Error).message})`);
  }
}

export function looksLikeLegacyIndex(json: unknown): boolean {
  const j = json as { metadata?: { version?: unknown }; entities?: unknown; files?: unknown };
  return !!j && typeof j === 'object' && !!j.metadata && Array.isArray(j.entities) && !!j.files && typeof j.files === 'object' && !('format' in (j as object));
}

/** Reads index.json (first in format 2; anywhere in a legacy archive) and validates it. */
export async function openArchive(path: string, options: { limits?: ArchiveLimits; signal?: AbortSignal } = {}): Promise<OpenedArchive> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const size = await assertGzip(path);
  let rawIndex: unknown = undefined;
  let first = true;
  let indexFirst = false;
  await walkArchive(
    path,
    async (name, entry, entrySize) => {
      if (name === INDEX_FILE) {
        rawIndex = parseJson(await readWhole(entry, entrySize, limits.maxIndexBytes, name), name);
        indexFirst = first;
      }
      first = false;
    },
    { limits, signal: options.signal, stopAfter: (name) => name === INDEX_FILE },
  );
  if (rawIndex === undefined) throw new ArchiveError('the archive has no index.json; it is not an MR4 archive');
  if (looksLikeLegacyIndex(rawIndex)) return { path, kind: 'mr4-1-legacy', index: null, rawIndex, size };
  if (!indexFirst) throw new ArchiveError('index.json must be the first file of a format 2 archive');
  return { path, kind: 'mr4-2', index: parseIndex(rawIndex), rawIndex, size };
}

/** Whole-file sha256 of an archive (identifies a base for three-way merges). */
export async function archiveSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export { readWhole, parseJson };
