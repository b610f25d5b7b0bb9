// Reads an archive as a stream, refusing anything that is not plain files with plain names: no links,
// devices, absolute paths or "..", no duplicates, no entry or total size beyond the limits.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import {
  DecryptStream,
  type EnvelopeHeader,
  HEADER_SIZE,
  isEncryptedHead,
  type KeySource,
  parseHeader,
  unlock,
  type Unlocker,
} from './crypto';
import { ArchiveError, type ArchiveIndex, INDEX_FILE, parseIndex } from './format';

export interface ArchiveLimits {
  maxEntries: number;
  /** Largest size one entry may declare. */
  maxEntryBytes: number;
  /** Largest total of decompressed bytes. */
  maxTotalBytes: number;
  /** Largest index.json (read whole). */
  maxIndexBytes: number;
}

/**
 * What an archive may hold. Table files are streamed (a row up to MAX_ROW_BYTES, see lines.ts), so
 * these bound only what is read whole: index.json (its bytes, and its JSON values, which cost memory
 * far beyond their bytes) and the number of entries.
 */
export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxEntryBytes: 1024 ** 4,
  maxTotalBytes: 4 * 1024 ** 4,
  maxIndexBytes: 16 * 1024 * 1024,
};

/** The most JSON values (objects, arrays, strings and keys; about 3,000 tables' worth in an index) a
 *  document read whole may hold. */
export const MAX_JSON_VALUES = 500_000;

export type ArchiveKind = 'mr4-2' | 'mr4-1-legacy';

export interface OpenedArchive {
  path: string;
  kind: ArchiveKind;
  /** Format 2 index; null for a legacy archive (see legacy.ts). */
  index: ArchiveIndex | null;
  rawIndex: unknown;
  size: number;
  /** How the archive is encrypted (see crypto.ts), or null for a plain .tar.gz. */
  encrypted: KeySource | null;
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
  if (
    name === '' ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\\') ||
    name.split('/').some((p) => p === '..' || p === '.')
  ) {
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

/** A regular file that starts like gzip, or an encrypted archive (its header then); its size. (A pipe
 *  or a device could stall a read forever.) */
async function checkArchiveFile(path: string): Promise<{ size: number; header: EnvelopeHeader | null }> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new ArchiveError(`Cannot open archive ${path}: no such file`);
  }
  if (!st.isFile()) throw new ArchiveError(`${path} is not a regular file; an archive is a .tar.gz file`);
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEADER_SIZE, 0);
    if (isEncryptedHead(head.subarray(0, bytesRead))) return { size: st.size, header: parseHeader(head.subarray(0, bytesRead)) };
    if (head[0] !== 0x1f || head[1] !== 0x8b || bytesRead < 2)
      throw new ArchiveError(`${path} is not a gzip file; expected a .tar.gz archive`);
  } finally {
    await fh.close();
  }
  return { size: st.size, header: null };
}

/** How an archive file is encrypted (null: a plain .tar.gz); throws for a file that is neither. */
export async function archiveEncryption(path: string): Promise<KeySource | null> {
  return (await checkArchiveFile(path)).header?.source ?? null;
}

/** Names what went wrong in the file, gzip or tar layers (never an error of the entry's reader). */
function describeStreamError(error: unknown, at: number): Error {
  if (error instanceof ArchiveError) return error;
  const e = error as NodeJS.ErrnoException;
  const message = e?.message ?? String(error);
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new ArchiveError(
      'the archive is truncated: its gzip stream ends early (was the file cut short while it was copied or downloaded?)',
    );
  }
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    return new ArchiveError(`the archive's gzip data is corrupt near byte ${at} of the file (zlib: ${message})`);
  }
  if (e?.code === 'TAR_BAD_ARCHIVE' || e?.code === 'TAR_ENTRY_INVALID' || e?.code === 'TAR_ABORT') {
    if (/truncated/i.test(message)) return new ArchiveError(`the archive is truncated: its tar data ends inside a file (${message})`);
    return new ArchiveError(`the archive is not a valid tar file (${message})`);
  }
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return new ArchiveError(`Cannot read the archive: ${message}`);
  return error as Error;
}

/**
 * Whether the whole file decompresses without a gzip error (CRCs and lengths included). Asked when a
 * table file reads wrong: a corrupted byte can decompress to wrong data before gzip's own check at the
 * end of its member says so, and "the gzip data is corrupt" is then the truer message. Gives up (and
 * says nothing) after `budgetMs`.
 */
async function gzipFault(path: string, budgetMs = 10_000): Promise<string | null> {
  const gunzip = createGunzip();
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const deadline = Date.now() + budgetMs;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (v: string | null) => {
      if (settled) return;
      settled = true;
      file.destroy();
      gunzip.destroy();
      resolve(v);
    };
    gunzip.on('data', () => {
      if (Date.now() > deadline) settle(null);
    });
    gunzip.on('error', (e: NodeJS.ErrnoException) => settle(e.code === 'Z_BUF_ERROR' ? 'it ends early' : e.message));
    gunzip.on('end', () => settle(null));
    file.on('error', () => settle(null));
    file.pipe(gunzip);
  });
}

export interface EntryVisitor {
  (name: string, entry: Readable, size: number): Promise<void>;
}

/**
 * Streams every file of the archive through `visit`, one at a time, in archive order. Stops early when
 * `visit` returns and `stopAfter` says so. Throws ArchiveError for anything malformed.
 *
 * It always ends: a damaged, truncated or cancelled archive fails the entry being visited (its stream
 * is destroyed with the error, so a COPY reading it fails too) and then the walk. At most one entry is
 * read ahead of the visitor, so memory does not depend on how the archive is cut into entries.
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
    /** Opens encrypted archives (a passphrase or key file, keys derived once per archive). */
    unlocker?: Unlocker;
  } = {},
): Promise<void> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const { header } = await checkArchiveFile(path);
  options.signal?.throwIfAborted();
  // An encrypted archive: the keys are derived (and the passphrase checked) before a byte is read.
  const keys = header ? await keysOf(header, options.unlocker) : null;
  options.signal?.throwIfAborted();
  const file = createReadStream(path, { highWaterMark: 256 * 1024, start: header ? HEADER_SIZE : 0 });
  const decrypt = header && keys ? new DecryptStream(header, keys) : null;
  if (header) options.hash?.update(header.bytes);
  const gunzip = createGunzip();
  const limit = new ByteLimit(limits.maxTotalBytes);
  const parser = new Parser({ strict: true });
  const seen = new Set<string>();
  let entries = 0;
  let stopped = false;
  let failure: Error | null = null;
  let visitorFailed = false;
  let chain: Promise<void> = Promise.resolve();
  let compressed = header ? HEADER_SIZE : 0;
  /** The stream of the entry being visited. */
  let current: PassThrough | null = null;
  file.on('data', (c) => {
    compressed += (c as Buffer).length;
    options.hash?.update(c as Buffer);
    options.onBytes?.(compressed);
  });

  let rejectWalk: (e: Error) => void = () => undefined;
  const fail = (error: unknown, fromVisitor = false) => {
    if (failure || stopped) return;
    failure = fromVisitor ? (error as Error) : describeStreamError(error, compressed);
    visitorFailed = fromVisitor;
    file.destroy();
    decrypt?.destroy();
    gunzip.destroy();
    // The visitor reading the entry learns it now (a COPY fed from it is aborted), instead of waiting
    // for bytes that will never come.
    if (current && !current.readableEnded) current.destroy(failure);
    rejectWalk(failure);
  };
  const onAbort = () => fail(options.signal?.reason ?? new Error('cancelled'), true);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<void>((resolve, reject) => {
    rejectWalk = reject;
    parser.on('entry', (entry: ReadEntry) => {
      if (failure || stopped) return entry.resume();
      let name: string | null;
      try {
        entries++;
        if (entries > limits.maxEntries) throw new ArchiveError(`the archive has more than ${limits.maxEntries} entries; refused`);
        name = entryName(entry);
        if (name !== null) {
          if (seen.has(name)) throw new ArchiveError(`the archive contains ${name} twice`);
          seen.add(name);
          if (entry.size > limits.maxEntryBytes)
            throw new ArchiveError(`${name} declares ${entry.size} bytes, more than the limit of ${limits.maxEntryBytes}`);
        }
      } catch (error) {
        entry.resume();
        return fail(error);
      }
      if (name === null) return entry.resume();
      const entryName_ = name;
      // The entry is piped only when the visitor gets to it: until then tar's parser waits, so no more
      // than one entry is buffered ahead.
      chain = chain.then(async () => {
        if (failure || stopped) return void entry.resume();
        const body = new PassThrough({ highWaterMark: 256 * 1024 });
        // Its readers see its errors; this keeps one the visitor no longer listens for (it skipped or
        // finished the entry) from being an uncaught exception.
        body.on('error', () => undefined);
        current = body;
        entry.on('error', (e: unknown) => body.destroy(e as Error));
        entry.pipe(body);
        try {
          await visit(entryName_, body, entry.size);
        } finally {
          current = null;
          // Whatever the visitor left unread is discarded, so the walk goes on to the next entry.
          if (body.destroyed) {
            entry.unpipe(body);
            entry.resume();
          } else if (!body.readableEnded) body.resume();
        }
        if (options.stopAfter?.(entryName_)) {
          stopped = true;
          file.destroy();
          resolve();
        }
      });
      chain.catch((error) => fail(error, true));
    });
    parser.on('warn', (code: string, message: string) => {
      if (code === 'TAR_ENTRY_INFO') return;
      fail(Object.assign(new Error(message), { code: code === 'TAR_ENTRY_INVALID' ? code : 'TAR_BAD_ARCHIVE' }));
    });
    parser.on('error', (e) => fail(e));
    parser.on('end', () => {
      chain.then(
        () => {
          if (failure || stopped) return;
          resolve();
        },
        (e) => fail(e, true),
      );
    });
    file.on('error', (e) => fail(e));
    decrypt?.on('error', (e) => fail(e));
    gunzip.on('error', (e) => fail(e));
    limit.on('error', (e) => fail(e));
  });
  (decrypt ? file.pipe(decrypt) : file).pipe(gunzip).pipe(limit).pipe(parser);
  try {
    await done;
    await chain;
  } catch (error) {
    // Let the visitor finish failing (its COPY aborted) before the caller goes on.
    await chain.catch(() => undefined);
    // (An encrypted archive's chunks are authenticated: damage is named there.)
    if (!header && visitorFailed && error instanceof ArchiveError && error.damage && !options.signal?.aborted) {
      const fault = await gzipFault(path);
      if (fault) throw new ArchiveError(`the archive's gzip data is corrupt (${fault}); reading it, ${error.message}`);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function readWhole(entry: Readable, size: number, max: number, name: string): Promise<Buffer> {
  if (size > max) throw new ArchiveError(`${name} is ${size} bytes; at most ${max} are read into memory`);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const c of entry) {
    total += (c as Buffer).length;
    if (total > max) throw new ArchiveError(`${name} is more than ${max} bytes; at most ${max} are read into memory`);
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts);
}

/**
 * An upper bound of the JSON values in a document (containers, and every value after a comma), counted
 * on its bytes before it is parsed: a few megabytes of "{}," would otherwise become millions of
 * objects and gigabytes of memory.
 */
export function countJsonValues(
  buf: Buffer,
  start = 0,
  end = buf.length,
  state = { inString: false, escaped: false, count: 0 },
): typeof state {
  let { inString, escaped, count } = state;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
      count++;
    } else if (c === 0x2c || c === 0x5b || c === 0x7b) {
      count++;
    }
  }
  return { inString, escaped, count };
}

function parseJson(buf: Buffer, name: string, maxValues = MAX_JSON_VALUES): unknown {
  const values = countJsonValues(buf).count;
  if (values > maxValues)
    throw new ArchiveError(`${name} in the archive holds more than ${maxValues} JSON values; at most ${maxValues} are read into memory`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (error) {
    throw new ArchiveError(`${name} in the archive is not valid JSON (${(error as Error).message})`);
  }
}

export function looksLikeLegacyIndex(json: unknown): boolean {
  const j = json as { metadata?: { version?: unknown }; entities?: unknown; files?: unknown };
  return (
    !!j &&
    typeof j === 'object' &&
    !!j.metadata &&
    Array.isArray(j.entities) &&
    !!j.files &&
    typeof j.files === 'object' &&
    !('format' in (j as object))
  );
}

async function keysOf(header: EnvelopeHeader, unlocker: Unlocker | undefined) {
  return unlocker ? unlocker.keysFor(header) : unlock(header, undefined);
}

/** Reads index.json (first in format 2; anywhere in a legacy archive) and validates it. */
export async function openArchive(
  path: string,
  options: { limits?: ArchiveLimits; signal?: AbortSignal; unlocker?: Unlocker } = {},
): Promise<OpenedArchive> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const { size, header } = await checkArchiveFile(path);
  const encrypted = header?.source ?? null;
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
    { limits, signal: options.signal, stopAfter: (name) => name === INDEX_FILE, unlocker: options.unlocker },
  );
  if (rawIndex === undefined) throw new ArchiveError('the archive has no index.json; it is not an MR4 archive');
  if (looksLikeLegacyIndex(rawIndex)) return { path, kind: 'mr4-1-legacy', index: null, rawIndex, size, encrypted };
  if (!indexFirst) throw new ArchiveError('index.json must be the first file of a format 2 archive');
  return { path, kind: 'mr4-2', index: parseIndex(rawIndex), rawIndex, size, encrypted };
}

/** Whole-file sha256 of an archive (identifies a base for three-way merges). */
export async function archiveSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export { readWhole, parseJson };
