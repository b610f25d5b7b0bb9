// Runs in the engine worker: streams an archive once into a local paged cache, so the archive browser
// can read any page of any table by offset. Per table the cache holds
//   t<n>.rows  every row line of the table file (the JSON array of text values), one per line;
//   t<n>.idx   one 8-byte little-endian offset per row into t<n>.rows.
// Each table file is hashed and counted as it streams and compared with index.json. Archives of the
// original MR4 system (format 1.0) hold small JSON documents, read whole (within LEGACY_LIMITS) and
// turned into row lines.
//
// Memory and the cache stay bounded whatever the archive holds: a row line of up to CACHE_ROW_BYTES is
// kept as it is; a longer one is decoded as it streams and kept shortened for display (each value up
// to VALUE_SHOWN bytes, ROW_SHOWN in all, with a note of its full size), so a page of the grid never
// reads more than a few megabytes.
import { createHash } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArchiveInfo, ArchiveTableInfo, EngineEvent } from '../../src-common/contract';
import { type ArchiveSecret, Unlocker } from '../engine/archive/crypto';
import { INDEX_FILE } from '../engine/archive/format';
import { readLegacyFiles } from '../engine/archive/legacy';
import { LineSplitter, MAX_HEADER_BYTES, MAX_ROW_BYTES, sizeText, Utf8Check } from '../engine/archive/lines';
import { type ArchiveLimits, archiveSha256, openArchive, walkArchive } from '../engine/archive/reader';
import { type FieldSink, RowDecoder } from '../engine/archive/row-scanner';
import { TableFileReader } from '../engine/archive/table-file';
import { CancelledError } from '../engine/run-context';

export interface CachedTable extends ArchiveTableInfo {
  /** Number of the table's cache files (t<n>.rows, t<n>.idx). */
  n: number;
  /** Rows in the cache (equal to `rows` unless the archive is damaged). */
  cachedRows: number;
  /** Column names in file order (the row arrays' order). */
  fileColumns: string[];
}

export interface CacheManifest {
  format: string;
  legacy: boolean;
  sha256: string;
  size: number;
  metadata: ArchiveInfo['metadata'];
  checksums: ArchiveInfo['checksums'];
  tables: CachedTable[];
  excluded: ArchiveInfo['excluded'];
  warnings: string[];
  /** The archive file is encrypted: its cache holds decrypted rows, and is removed when the archive
   *  is closed or the app quits, and never reused by a later opening. */
  encrypted?: boolean;
}

export interface BuildCacheOptions {
  archive: string;
  dir: string;
  limits?: ArchiveLimits;
  /** The passphrase or key file of an encrypted archive. */
  secret?: ArchiveSecret;
  signal?: AbortSignal;
  emit?: (event: EngineEvent) => void;
}

const FLUSH = 1024 * 1024;
/** Row lines up to this size are cached as they are. */
export const CACHE_ROW_BYTES = 64 * 1024;
/** A longer row is cached shortened: each value up to VALUE_SHOWN bytes, ROW_SHOWN bytes in all. */
export const VALUE_SHOWN = 16 * 1024;
export const ROW_SHOWN = 64 * 1024;

/** Bytes [0, n) of `buf` without a UTF-8 character cut at the end. */
function wholeCharacters(buf: Buffer): Buffer {
  let end = buf.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = buf[end - k];
    if ((b & 0xc0) === 0x80) continue;
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (len > k) end -= k;
    break;
  }
  return buf.subarray(0, end);
}

function shortenedNote(shown: number, total: number): string {
  return ` … [shortened for display: ${sizeText(shown)} of ${total.toLocaleString('en-US')} bytes shown]`;
}

/** A value for display: at most VALUE_SHOWN bytes of it (the archive browser's legacy rows). */
function shownText(text: string): string {
  if (text.length <= VALUE_SHOWN / 4) return text;
  const buf = Buffer.from(text);
  if (buf.length <= VALUE_SHOWN) return text;
  return wholeCharacters(buf.subarray(0, VALUE_SHOWN)).toString('utf8') + shortenedNote(VALUE_SHOWN, buf.length);
}

/** Collects a long row's values as RowDecoder decodes them, keeping what is shown of each. */
class ShortenedRow implements FieldSink {
  private readonly parts: string[] = [];
  private current: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private budget = ROW_SHOWN;
  nullField(): void {
    this.parts.push('null');
  }
  startField(): void {
    this.current = [];
    this.kept = 0;
    this.total = 0;
  }
  valueBytes(src: Buffer, start: number, end: number): void {
    this.total += end - start;
    const room = Math.min(VALUE_SHOWN, this.budget) - this.kept;
    if (room <= 0) return;
    const take = Math.min(room, end - start);
    this.current.push(Buffer.from(src.subarray(start, start + take)));
    this.kept += take;
  }
  valueByte(b: number): void {
    this.valueBytes(Buffer.of(b), 0, 1);
  }
  endField(): void {
    const text = wholeCharacters(Buffer.concat(this.current)).toString('utf8');
    this.current = [];
    this.budget -= this.kept;
    this.parts.push(JSON.stringify(this.total > this.kept ? text + shortenedNote(this.kept, this.total) : text));
  }
  line(): Buffer {
    return Buffer.from(`[${this.parts.join(',')}]`);
  }
}

/** Appends buffers to a file in ~1 MiB writes. */
class Appender {
  private parts: Buffer[] = [];
  private size = 0;
  written = 0;
  private constructor(private readonly fh: FileHandle) {}
  static async create(path: string): Promise<Appender> {
    return new Appender(await open(path, 'wx', 0o600));
  }
  get position(): number {
    return this.written + this.size;
  }
  /** Queues `buf`; written by the next flush. */
  push(buf: Buffer): void {
    this.parts.push(buf);
    this.size += buf.length;
  }
  get full(): boolean {
    return this.size >= FLUSH;
  }
  async add(buf: Buffer): Promise<void> {
    this.push(buf);
    if (this.full) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.size) return;
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.written += this.size;
    this.size = 0;
    await this.fh.write(buf);
  }
  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/** Writes row lines and their offsets for one table. */
class TableCacheWriter {
  rows = 0;
  private offsets = Buffer.alloc(8 * 8192);
  private used = 0;
  private constructor(
    private readonly data: Appender,
    private readonly index: Appender,
  ) {}
  static async create(dir: string, n: number): Promise<TableCacheWriter> {
    return new TableCacheWriter(await Appender.create(join(dir, `t${n}.rows`)), await Appender.create(join(dir, `t${n}.idx`)));
  }
  /** Queues a row line (copied: it may be a view into a chunk the stream reuses); see drain(). */
  rowSync(line: Buffer): void {
    const at = this.data.position;
    this.offsets.writeUInt32LE(at % 0x100000000, this.used);
    this.offsets.writeUInt32LE(Math.floor(at / 0x100000000), this.used + 4);
    this.used += 8;
    if (this.used === this.offsets.length) {
      this.index.push(this.offsets);
      this.offsets = Buffer.alloc(this.offsets.length);
      this.used = 0;
    }
    this.data.push(Buffer.concat([line, NEWLINE]));
    this.rows++;
  }
  /** Writes what is queued once it is a megabyte or more. */
  async drain(): Promise<void> {
    if (this.data.full) await this.data.flush();
    if (this.index.full) await this.index.flush();
  }
  async row(line: Buffer): Promise<void> {
    this.rowSync(line);
    await this.drain();
  }
  async close(): Promise<void> {
    if (this.used) await this.index.add(this.offsets.subarray(0, this.used));
    await this.data.close();
    await this.index.close();
  }
}

const NEWLINE = Buffer.from('\n');
const CLOSING = Buffer.from(']}');

function throttle(ms: number): () => boolean {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < ms) return false;
    last = now;
    return true;
  };
}

export async function buildArchiveCache(options: BuildCacheOptions): Promise<CacheManifest> {
  const { archive, dir, limits, signal } = options;
  const emit = options.emit ?? (() => undefined);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    emit({ type: 'phase', index: 0, name: 'Read index' });
    const sha = archiveSha256(archive);
    sha.catch(() => undefined);
    const unlocker = new Unlocker(options.secret);
    const opened = await openArchive(archive, { limits, signal, unlocker });
    const manifest =
      opened.kind === 'mr4-2'
        ? await cacheFormat2(opened, options, emit, unlocker)
        : await cacheLegacy(opened.rawIndex, options, emit, opened.size);
    manifest.sha256 = await sha;
    if (opened.encrypted) {
      manifest.encrypted = true;
      emit({
        type: 'log',
        level: 'info',
        message: 'The archive is encrypted: every chunk of it authenticated with its passphrase as it was read.',
      });
    }
    return manifest;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (signal?.aborted) throw new CancelledError('Opening the archive was cancelled.');
    throw error;
  }
}

async function cacheFormat2(
  opened: Awaited<ReturnType<typeof openArchive>>,
  options: BuildCacheOptions,
  emit: (e: EngineEvent) => void,
  unlocker: Unlocker,
): Promise<CacheManifest> {
  const index = opened.index!;
  const { archive, dir, limits, signal } = options;
  const warnings: string[] = [];
  let verified = true;
  const byFile = new Map(index.entities.map((name, n) => [index.tables[name].file, { name, n, t: index.tables[name] }]));
  const tables: CachedTable[] = index.entities.map((name, n) => {
    const t = index.tables[name];
    return {
      name,
      role: t.role,
      rows: t.rows,
      bytes: t.bytes,
      columns: t.columns,
      key: t.key,
      ...(t.masked?.length ? { masked: t.masked.map((m) => ({ column: m.column, rule: m.rule })) } : {}),
      ...(t.subset ? { subset: t.subset } : {}),
      n,
      cachedRows: 0,
      fileColumns: t.columns.map((c) => c.name),
    };
  });
  const seen = new Set<string>();
  emit({ type: 'phase', index: 1, name: 'Cache rows' });
  for (const t of tables) emit({ type: 'table', table: t.name, phase: 1, rowsDone: 0, rowsTotal: t.rows });
  const bytesTick = throttle(200);
  await walkArchive(
    archive,
    async (name, body) => {
      // The lineage is bookkeeping for imports, not data to browse.
      if (name === INDEX_FILE || name === index.lineage?.file) return void body.resume();
      const entry = byFile.get(name);
      if (!entry) {
        verified = false;
        warnings.push(`the archive holds ${name}, which index.json does not list; not shown (an import refuses it)`);
        return void body.resume();
      }
      seen.add(name);
      const result = await cacheTableFile(
        body,
        entry.name,
        entry.t.columns.map((c) => c.name),
        dir,
        entry.n,
        entry.t.rows,
        emit,
        signal,
      );
      const table = tables[entry.n];
      table.cachedRows = result.rows;
      const problems: string[] = [...result.problems];
      if (result.sha256 !== entry.t.sha256) problems.push('its sha256 differs from index.json');
      if (result.rows !== entry.t.rows) problems.push(`it holds ${result.rows} rows, index.json says ${entry.t.rows}`);
      if (result.bytes !== entry.t.bytes) problems.push(`it is ${result.bytes} bytes, index.json says ${entry.t.bytes}`);
      if (problems.length) {
        verified = false;
        const msg = `table ${entry.name} (${name}) does not match index.json: ${problems.join('; ')}. The archive is damaged or was altered.`;
        warnings.push(msg);
        emit({ type: 'log', level: 'warn', message: msg });
      }
      emit({ type: 'table', table: entry.name, phase: 1, rowsDone: result.rows, rowsTotal: entry.t.rows, done: true });
    },
    {
      limits,
      signal,
      unlocker,
      onBytes: (done) => {
        if (bytesTick()) emit({ type: 'progress', done, total: opened.size });
      },
    },
  );
  emit({ type: 'progress', done: opened.size, total: opened.size });
  for (const [file, e] of byFile) {
    if (!seen.has(file)) {
      verified = false;
      const msg = `table ${e.name}: its file ${file} is missing from the archive`;
      warnings.push(msg);
      emit({ type: 'log', level: 'warn', message: msg });
    }
  }
  if (verified) emit({ type: 'log', level: 'info', message: 'Every table file matched its checksum and row count in index.json.' });
  const m = index.metadata;
  return {
    format: index.formatVersion,
    legacy: false,
    sha256: '',
    size: opened.size,
    metadata: {
      timestamp: m.timestamp,
      database: m.database,
      schema: m.schema,
      serverVersion: m.server.version,
      tool: m.tool,
      profile: m.profile,
      ...(m.description !== undefined ? { description: m.description } : {}),
      ...(m.identity !== undefined ? { identity: m.identity } : {}),
      ...(m.masking ? { masking: { seeded: m.masking.seeded } } : {}),
      ...(m.subset ? { subset: m.subset } : {}),
    },
    checksums: verified ? 'verified' : 'failed',
    tables,
    excluded: index.excluded,
    warnings,
  };
}

interface TableFileResult {
  rows: number;
  bytes: number;
  sha256: string;
  /** What is wrong with the file's framing or rows (the first few). */
  problems: string[];
}

/**
 * Splits a table file into row lines as it streams; hashes and counts the file's bytes. Lines longer
 * than CACHE_ROW_BYTES are decoded as they stream and kept shortened; a damaged one is kept as a note.
 */
async function cacheTableFile(
  body: Readable,
  table: string,
  columns: string[],
  dir: string,
  n: number,
  expectedRows: number,
  emit: (e: EngineEvent) => void,
  signal: AbortSignal | undefined,
): Promise<TableFileResult> {
  const hash = createHash('sha256');
  const writer = await TableCacheWriter.create(dir, n);
  const tick = throttle(200);
  const utf8 = new Utf8Check();
  let bytes = 0;
  let state = 'header' as 'header' | 'rows' | 'done';
  const problems: string[] = [];
  let rowProblems = 0;
  const rowProblem = (text: string) => {
    if (++rowProblems <= 5) problems.push(text);
  };
  const identity = Int32Array.from(columns.keys());
  type Long = { decoder: RowDecoder | null; sink: ShortenedRow; bytes: number; error: string | null; skip: boolean };
  let long: Long | null = null;
  const splitter: LineSplitter = new LineSplitter(MAX_HEADER_BYTES, {
    line: (l) => {
      if (state === 'header') {
        state = 'rows';
        splitter.threshold = CACHE_ROW_BYTES;
        try {
          const text = l.toString('utf8');
          if (!text.endsWith('"rows":[')) throw new Error('no rows array');
          const h = JSON.parse(`${text}]}`) as { tableName?: unknown; columns?: unknown };
          if (h.tableName !== table) problems.push(`the file is for table ${JSON.stringify(h.tableName)}`);
          else if (!Array.isArray(h.columns) || h.columns.join('\u0000') !== columns.join('\u0000'))
            problems.push('its columns differ from index.json');
        } catch {
          problems.push('it does not start with a table header line');
        }
        return;
      }
      if (state === 'done') return;
      if (l.equals(CLOSING)) {
        state = 'done';
        return;
      }
      if (l.length === 0) return;
      writer.rowSync(l[l.length - 1] === 0x2c ? l.subarray(0, l.length - 1) : l);
    },
    longStart: () => {
      const sink = new ShortenedRow();
      if (state === 'header') {
        problems.push(`its header line is longer than ${sizeText(MAX_HEADER_BYTES)}`);
        state = 'rows';
        splitter.threshold = CACHE_ROW_BYTES;
        long = { decoder: null, sink, bytes: 0, error: null, skip: true };
        return;
      }
      long = {
        decoder: new RowDecoder(columns.length, identity, sink, { allowComma: true }),
        sink,
        bytes: 0,
        error: null,
        skip: state === 'done',
      };
    },
    longBytes: (buf, start, end) => {
      const l = long!;
      if (l.skip) return;
      l.bytes += end - start;
      if (!l.decoder) return;
      if (l.bytes > MAX_ROW_BYTES) {
        l.error = `it is larger than ${sizeText(MAX_ROW_BYTES)}, which an import refuses`;
        l.decoder = null;
        return;
      }
      try {
        l.decoder.feed(buf, start, end);
      } catch (error) {
        l.error = (error as Error).message;
        l.decoder = null;
      }
    },
    longEnd: () => {
      const l = long!;
      long = null;
      if (l.skip) return;
      if (l.decoder) {
        try {
          l.decoder.finish();
        } catch (error) {
          l.error = (error as Error).message;
        }
      }
      if (l.error) {
        rowProblem(`row ${writer.rows + 1}: ${l.error}`);
        const note = `(a damaged row of ${l.bytes.toLocaleString('en-US')} bytes, not shown: ${l.error})`;
        writer.rowSync(Buffer.from(JSON.stringify([note, ...Array(Math.max(0, columns.length - 1)).fill(null)])));
      } else {
        writer.rowSync(l.sink.line());
      }
    },
  });
  let utf8Bad = false;
  // What an import would say of the file: the reader it stages through, its output discarded.
  const check = new TableFileReader({ table, columns });
  let checkError: Error | null = null;
  const checked = new Promise<void>((resolve) => {
    check.on('error', (e: Error) => {
      checkError ??= e;
      resolve();
    });
    check.on('end', resolve);
  });
  check.resume();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new CancelledError();
      hash.update(chunk);
      bytes += chunk.length;
      if (!utf8Bad && !utf8.check(chunk)) {
        utf8Bad = true;
        problems.push('it is not valid UTF-8 text');
      }
      if (!checkError) check.write(chunk);
      splitter.feed(chunk);
      await writer.drain();
      if (tick()) emit({ type: 'table', table, phase: 1, rowsDone: writer.rows, rowsTotal: expectedRows });
    }
    splitter.finish();
    if (!checkError) check.end();
    await checked;
  } finally {
    if (!check.destroyed && checkError === null && !check.writableEnded) check.destroy();
    await writer.close();
  }
  const checkProblem = (checkError as Error | null)?.message.replace(`${table}: `, '');
  if (checkProblem && !problems.length && !rowProblems) problems.push(checkProblem);
  if (rowProblems > 5) problems.push(`… and ${rowProblems - 5} more damaged rows`);
  if (state !== 'done' && problems.length === 0) problems.push('it ends before its rows do (truncated?)');
  return { rows: writer.rows, bytes, sha256: hash.digest('hex'), problems };
}

// ─── Format 1.0 (original MR4) ─────────────────────────────────────────────────────────────────────

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function legacyValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return shownText(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return shownText(JSON.stringify(v));
}

async function cacheLegacy(
  rawIndex: unknown,
  options: BuildCacheOptions,
  emit: (e: EngineEvent) => void,
  size: number,
): Promise<CacheManifest> {
  const { archive, dir, limits, signal } = options;
  const raw = rawIndex as {
    metadata?: Record<string, unknown>;
    entities?: unknown[];
    files?: Record<string, unknown>;
    checksums?: Record<string, unknown>;
  };
  const meta = isObject(raw.metadata) ? raw.metadata : {};
  const entities = (Array.isArray(raw.entities) ? raw.entities : []).filter((e): e is string => typeof e === 'string');
  const files = new Map<string, string>();
  for (const e of entities) {
    const f = isObject(raw.files) ? raw.files[e] : undefined;
    files.set(typeof f === 'string' ? f : `${e}.json`, e);
  }
  const checksums = isObject(raw.checksums) ? raw.checksums : {};
  const warnings: string[] = [];
  let verified = true;
  emit({ type: 'phase', index: 1, name: 'Cache rows' });
  const bytesTick = throttle(200);
  const read = await readLegacyFiles(archive, new Set(files.keys()), {
    limits,
    signal,
    onBytes: (done) => {
      if (bytesTick()) emit({ type: 'progress', done, total: size });
    },
  });
  const docs = new Map<string, unknown>();
  for (const [name, doc] of read.docs) {
    const sum = checksums[name];
    if (typeof sum === 'string' && /^[0-9a-f]{64}$/i.test(sum) && read.sha256.get(name) !== sum.toLowerCase()) {
      verified = false;
      warnings.push(`${name} does not match its checksum in index.json; the archive is damaged or was altered`);
    }
    docs.set(files.get(name)!, doc);
  }
  emit({ type: 'progress', done: size, total: size });
  if (!Object.keys(checksums).length)
    warnings.push('this archive of the original MR4 system (format 1.0) carries no checksums; its content cannot be verified');
  warnings.push(
    'an archive of the original MR4 system (format 1.0): its files carry no column types; values are shown as the archive holds them',
  );
  const tables: CachedTable[] = [];
  const addTable = async (doc: Record<string, unknown>, expected: string) => {
    const rows = Array.isArray(doc.rows) ? doc.rows.filter(isObject) : [];
    const columns = Array.isArray(doc.columns) ? doc.columns.filter((c): c is string => typeof c === 'string') : [];
    const all = [...columns];
    for (const r of rows) for (const k of Object.keys(r)) if (!all.includes(k)) all.push(k);
    const n = tables.length;
    const writer = await TableCacheWriter.create(dir, n);
    try {
      for (const r of rows) {
        if (signal?.aborted) throw new CancelledError();
        await writer.row(Buffer.from(JSON.stringify(all.map((c) => legacyValue(r[c])))));
      }
    } finally {
      await writer.close();
    }
    const name = typeof doc.tableName === 'string' ? doc.tableName : expected;
    tables.push({
      name,
      role: 'data',
      rows: rows.length,
      bytes: 0,
      columns: all.map((c) => ({
        name: c,
        type: columns.includes(c) ? 'unknown' : 'unknown (field added by the original exporter)',
        notNull: false,
      })),
      key: { kind: 'content', columns: [], source: 'not stated by format 1.0' },
      n,
      cachedRows: rows.length,
      fileColumns: all,
    });
    emit({ type: 'table', table: name, phase: 1, rowsDone: rows.length, rowsTotal: rows.length, done: true });
  };
  for (const e of entities) {
    const doc = docs.get(e);
    if (!isObject(doc)) {
      verified = false;
      warnings.push(`table ${e}: its file is missing from the archive or is not a JSON object`);
      continue;
    }
    await addTable(doc, e);
    if (Array.isArray(doc.detailTables))
      for (const d of doc.detailTables) if (isObject(d)) await addTable(d, String(d.tableName ?? `${e} detail`));
  }
  for (const w of warnings) emit({ type: 'log', level: 'warn', message: w });
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    format: `${text(meta.version) || '1.0'} (original MR4)`,
    legacy: true,
    sha256: '',
    size,
    metadata: {
      timestamp: text(meta.timestamp),
      database: text(meta.database),
      schema: 'public',
      serverVersion: 'unknown (original MR4 archive)',
      tool: `original MR4 backup (format ${text(meta.version) || '1.0'})`,
      profile: null,
      ...(typeof meta.description === 'string' ? { description: meta.description } : {}),
    },
    checksums: verified ? 'verified' : 'failed',
    tables,
    excluded: [],
    warnings,
  };
}
