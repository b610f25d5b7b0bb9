// Runs in the engine worker: streams an archive once into a local paged cache, so the archive browser
// can read any page of any table by offset. Per table the cache holds
//   t<n>.rows  every row line of the table file (the JSON array of text values), one per line;
//   t<n>.idx   one 8-byte little-endian offset per row into t<n>.rows.
// Each table file is hashed and counted as it streams and compared with index.json. Archives of the
// original MR4 system (format 1.0) hold small JSON documents, read whole and turned into row lines.
import { createHash } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArchiveInfo, ArchiveTableInfo, EngineEvent } from '../../src-common/contract';
import { INDEX_FILE } from '../engine/archive/format';
import { type ArchiveLimits, archiveSha256, openArchive, parseJson, readWhole, walkArchive } from '../engine/archive/reader';
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
}

export interface BuildCacheOptions {
  archive: string;
  dir: string;
  limits?: ArchiveLimits;
  signal?: AbortSignal;
  emit?: (event: EngineEvent) => void;
}

const FLUSH = 1024 * 1024;

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
  async add(buf: Buffer): Promise<void> {
    this.parts.push(buf);
    this.size += buf.length;
    if (this.size >= FLUSH) await this.flush();
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
  async row(line: Buffer): Promise<void> {
    const at = this.data.position;
    this.offsets.writeUInt32LE(at % 0x100000000, this.used);
    this.offsets.writeUInt32LE(Math.floor(at / 0x100000000), this.used + 4);
    this.used += 8;
    if (this.used === this.offsets.length) {
      await this.index.add(this.offsets);
      this.offsets = Buffer.alloc(this.offsets.length);
      this.used = 0;
    }
    // Copied: the line is a view into a chunk the stream reuses.
    await this.data.add(Buffer.concat([line, NEWLINE]));
    this.rows++;
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
    const opened = await openArchive(archive, { limits, signal });
    const manifest = opened.kind === 'mr4-2' ? await cacheFormat2(opened, options, emit) : await cacheLegacy(opened.rawIndex, options, emit, opened.size);
    manifest.sha256 = await sha;
    return manifest;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    if (signal?.aborted) throw new CancelledError('Opening the archive was cancelled.');
    throw error;
  }
}

async function cacheFormat2(opened: Awaited<ReturnType<typeof openArchive>>, options: BuildCacheOptions, emit: (e: EngineEvent) => void): Promise<CacheManifest> {
  const index = opened.index!;
  const { archive, dir, limits, signal } = options;
  const warnings: string[] = [];
  let verified = true;
  const byFile = new Map(index.entities.map((name, n) => [index.tables[name].file, { name, n, t: index.tables[name] }]));
  const tables: CachedTable[] = index.entities.map((name, n) => {
    const t = index.tables[name];
    return { name, role: t.role, rows: t.rows, bytes: t.bytes, columns: t.columns, key: t.key, n, cachedRows: 0, fileColumns: t.columns.map((c) => c.name) };
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
        warnings.push(`the archive holds ${name}, which index.json does not list; not shown`);
        return void body.resume();
      }
      seen.add(name);
      const result = await cacheTableFile(body, entry.name, entry.t.columns.map((c) => c.name), dir, entry.n, entry.t.rows, emit, signal);
      const table = tables[entry.n];
      table.cachedRows = result.rows;
      const problems: string[] = [];
      if (result.headerProblem) problems.push(result.headerProblem);
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
  headerProblem?: string;
}

/** Splits a table file into row lines as it streams; hashes and counts the file's bytes. */
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
  let bytes = 0;
  let state = 'header' as 'header' | 'rows' | 'done';
  let headerProblem: string | undefined;
  const line = async (l: Buffer) => {
    if (state === 'header') {
      state = 'rows';
      try {
        const text = l.toString('utf8');
        if (!text.endsWith('"rows":[')) throw new Error('no rows array');
        const h = JSON.parse(`${text}]}`) as { tableName?: unknown; columns?: unknown };
        if (h.tableName !== table) headerProblem = `the file is for table ${JSON.stringify(h.tableName)}`;
        else if (!Array.isArray(h.columns) || h.columns.join('\u0000') !== columns.join('\u0000')) headerProblem = 'its columns differ from index.json';
      } catch {
        headerProblem = 'it does not start with a table header line';
      }
      return;
    }
    if (state === 'done') return;
    if (l.equals(CLOSING)) {
      state = 'done';
      return;
    }
    if (l.length === 0) return;
    await writer.row(l[l.length - 1] === 0x2c ? l.subarray(0, l.length - 1) : l);
    if (tick()) emit({ type: 'table', table, phase: 1, rowsDone: writer.rows, rowsTotal: expectedRows });
  };
  try {
    // A line may span chunks: its parts are kept until its newline arrives.
    let carry: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (signal?.aborted) throw new CancelledError();
      hash.update(chunk);
      bytes += chunk.length;
      let start = 0;
      if (carry.length) {
        const nl = chunk.indexOf(0x0a);
        if (nl === -1) {
          carry.push(Buffer.from(chunk));
          continue;
        }
        await line(Buffer.concat([...carry, chunk.subarray(0, nl)]));
        carry = [];
        start = nl + 1;
      }
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        await line(chunk.subarray(start, nl));
        start = nl + 1;
      }
      if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
    }
    if (carry.length) await line(Buffer.concat(carry));
  } finally {
    await writer.close();
  }
  if (state !== 'done' && !headerProblem) headerProblem = 'it ends before its rows do (truncated?)';
  return { rows: writer.rows, bytes, sha256: hash.digest('hex'), ...(headerProblem ? { headerProblem } : {}) };
}

// ─── Format 1.0 (original MR4) ─────────────────────────────────────────────────────────────────────

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function legacyValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

async function cacheLegacy(rawIndex: unknown, options: BuildCacheOptions, emit: (e: EngineEvent) => void, size: number): Promise<CacheManifest> {
  const { archive, dir, limits, signal } = options;
  const raw = rawIndex as { metadata?: Record<string, unknown>; entities?: unknown[]; files?: Record<string, unknown>; checksums?: Record<string, unknown> };
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
  const docs = new Map<string, unknown>();
  emit({ type: 'phase', index: 1, name: 'Cache rows' });
  const maxWhole = limits?.maxIndexBytes ?? 64 * 1024 * 1024;
  const bytesTick = throttle(200);
  await walkArchive(
    archive,
    async (name, body, entrySize) => {
      const table = files.get(name);
      if (!table) return void body.resume();
      const buf = await readWhole(body, entrySize, maxWhole, name);
      const sum = checksums[name];
      if (typeof sum === 'string' && /^[0-9a-f]{64}$/i.test(sum) && createHash('sha256').update(buf).digest('hex') !== sum.toLowerCase()) {
        verified = false;
        warnings.push(`${name} does not match its checksum in index.json; the archive is damaged or was altered`);
      }
      docs.set(table, parseJson(buf, name));
    },
    {
      limits,
      signal,
      onBytes: (done) => {
        if (bytesTick()) emit({ type: 'progress', done, total: size });
      },
    },
  );
  emit({ type: 'progress', done: size, total: size });
  if (!Object.keys(checksums).length) warnings.push('this archive of the original MR4 system (format 1.0) carries no checksums; its content cannot be verified');
  warnings.push('an archive of the original MR4 system (format 1.0): its files carry no column types; values are shown as the archive holds them');
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
      columns: all.map((c) => ({ name: c, type: columns.includes(c) ? 'unknown' : 'unknown (field added by the original exporter)', notNull: false })),
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
    if (Array.isArray(doc.detailTables)) for (const d of doc.detailTables) if (isObject(d)) await addTable(d, String(d.tableName ?? `${e} detail`));
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
