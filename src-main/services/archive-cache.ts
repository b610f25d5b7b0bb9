// The archive browser: an archive opened in the app is streamed once into a local paged cache (by the
// open-archive job, in the engine worker: see archive-cache-builder.ts); pages of any table are then read
// by offset, touching only the rows asked for, so memory stays bounded whatever the table's size. A
// filter streams a table's rows once, keeps up to 10 000 matching row numbers, and is remembered per
// (table, filter) so paging through matches is cheap. Caches not opened for 7 days are removed at start.
//
// An encrypted archive opens with its passphrase, checked before the job starts (a wrong one is said
// at once). The passphrase is kept in memory only, for the imports and diffs of the open archive, and
// forgotten when it is closed; its cache (decrypted rows) is removed when the archive is closed or the
// app quits, is never reused by a later opening, and any left behind by a crash is removed at start.
import { open, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveInfo, FileRef, RowsPage } from '../../src-common/contract';
import { type ArchiveSecret, readEnvelopeHeader, unlock, WrongSecretError } from '../engine/archive/crypto';
import { type ArchiveLimits, DEFAULT_LIMITS } from '../engine/archive/reader';
import type { CachedTable, CacheManifest } from './archive-cache-builder';
import { type FileService, uploadLimits } from './files';
import { randomId, writeFileAtomic } from './fs-util';
import { conflict, notFound, ServiceError } from './service-error';

export const FILTER_CAP = 10_000;
const KEEP_MS = 7 * 24 * 3600_000;
const META = 'meta.json';

interface CacheMeta {
  version: 1;
  archiveId: string;
  /** The archive file the cache was made from. */
  path: string;
  file: FileRef;
  size: number;
  mtimeMs: number;
  manifest: CacheManifest;
}

export interface PreparedOpen {
  archiveId: string;
  path: string;
  dir: string;
  ref: FileRef;
  limits: ArchiveLimits;
  size: number;
  mtimeMs: number;
  /** An encrypted archive's passphrase (checked). */
  secret?: ArchiveSecret;
}

interface Matches {
  rows: Uint32Array;
  capped: boolean;
}

/** Can `needle` be looked for in a row's raw JSON text before parsing it (no character JSON escapes)? */
function rawSearchable(needle: string): boolean {
  return !/["\\\u0000-\u001f\u007f]/.test(needle);
}

function rowMatches(line: string, needle: string, raw: boolean): boolean {
  if (raw && !line.toLowerCase().includes(needle)) return false;
  let values: unknown;
  try {
    values = JSON.parse(line);
  } catch {
    return false;
  }
  return Array.isArray(values) && values.some((v) => typeof v === 'string' && v.toLowerCase().includes(needle));
}

function parseRow(text: string, width: number): (string | null)[] {
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return v.map((x) => (x === null ? null : typeof x === 'string' ? x : JSON.stringify(x)));
  } catch {
    // A damaged line is shown as it is, in the first column.
  }
  return [text, ...Array(Math.max(0, width - 1)).fill(null)];
}

export class ArchiveService {
  readonly cacheDir: string;
  private readonly metas = new Map<string, CacheMeta>();
  private readonly matches = new Map<string, Promise<Matches>>();
  private readonly touched = new Map<string, number>();
  /** Passphrases of open encrypted archives (memory only). */
  private readonly secrets = new Map<string, ArchiveSecret>();

  constructor(
    dataDir: string,
    private readonly files: FileService,
  ) {
    this.cacheDir = join(dataDir, 'cache');
  }

  /** Loads the caches that are still fresh; removes stale and incomplete ones. */
  async init(now = Date.now()): Promise<void> {
    for (const name of await readdir(this.cacheDir).catch(() => [] as string[])) {
      const dir = join(this.cacheDir, name);
      const st = await stat(join(dir, META)).catch(() => null);
      if (!st || now - st.mtimeMs > KEEP_MS) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      try {
        const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as CacheMeta;
        // Decrypted rows of an encrypted archive never outlive the app that opened it.
        if (meta.archiveId === name && !meta.manifest.encrypted) this.metas.set(name, meta);
        else await rm(dir, { recursive: true, force: true });
      } catch {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }

  async shutdown(): Promise<void> {
    this.matches.clear();
    this.secrets.clear();
    for (const meta of [...this.metas.values()]) {
      if (!meta.manifest.encrypted) continue;
      this.metas.delete(meta.archiveId);
      await rm(join(this.cacheDir, meta.archiveId), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Where the open-archive job should build the cache for the file behind `handle`. An encrypted
   * archive needs its passphrase, checked here (scrypt, off the main thread) so a wrong one is said
   * before any job starts.
   */
  async prepare(handle: string, passphrase?: string): Promise<PreparedOpen> {
    const { path, ref } = await this.files.readable(handle);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) throw notFound('file', handle);
    const header = await readEnvelopeHeader(path).catch(() => null);
    let secret: ArchiveSecret | undefined;
    if (header) {
      if (header.source === 'key-file') {
        throw new ServiceError(400, {
          title: 'Encrypted with a key file',
          message: `${ref.name} is encrypted with a key file, which the app does not read.`,
          hint: 'Open it with the mr4 command (--key-file FILE), or export it again with a passphrase.',
          code: 'MR4_KEY_FILE_REQUIRED',
        });
      }
      if (!passphrase) {
        throw new ServiceError(400, {
          title: 'Encrypted archive',
          message: `${ref.name} is encrypted. Type its passphrase to open it.`,
          code: 'MR4_PASSPHRASE_REQUIRED',
        });
      }
      secret = { passphrase };
      try {
        await unlock(header, secret);
      } catch (error) {
        if (error instanceof WrongSecretError) {
          throw new ServiceError(400, {
            title: 'Wrong passphrase',
            message: `That is not the passphrase ${ref.name} was encrypted with.`,
            hint: 'Type it again (it is case-sensitive).',
            code: 'MR4_WRONG_PASSPHRASE',
          });
        }
        throw error;
      }
    }
    const archiveId = randomId();
    const isUpload = path.startsWith(this.files.uploadsDir);
    return {
      archiveId,
      path,
      dir: join(this.cacheDir, archiveId),
      ref,
      limits: isUpload ? uploadLimits(st.size) : DEFAULT_LIMITS,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ...(secret ? { secret } : {}),
    };
  }

  /** A complete cache of the same unchanged file, if there is one (never for an encrypted archive:
   *  opening one always takes its passphrase). */
  async reusable(prepared: PreparedOpen): Promise<ArchiveInfo | null> {
    if (prepared.secret) return null;
    for (const meta of this.metas.values()) {
      if (meta.manifest.encrypted) continue;
      if (meta.path === prepared.path && meta.size === prepared.size && meta.mtimeMs === prepared.mtimeMs) {
        if (!(await stat(join(this.cacheDir, meta.archiveId, META)).catch(() => null))) {
          // Removed meanwhile (by another app on the same data folder): build a new one.
          this.metas.delete(meta.archiveId);
          continue;
        }
        meta.file = prepared.ref;
        await this.writeMeta(meta);
        return this.infoOf(meta);
      }
    }
    return null;
  }

  /** Records a cache the worker finished. */
  async finish(prepared: PreparedOpen, manifest: CacheManifest): Promise<ArchiveInfo> {
    const meta: CacheMeta = {
      version: 1,
      archiveId: prepared.archiveId,
      path: prepared.path,
      file: prepared.ref,
      size: prepared.size,
      mtimeMs: prepared.mtimeMs,
      manifest,
    };
    await this.writeMeta(meta);
    this.metas.set(meta.archiveId, meta);
    if (prepared.secret) this.secrets.set(meta.archiveId, prepared.secret);
    return this.infoOf(meta);
  }

  async discard(prepared: PreparedOpen): Promise<void> {
    await rm(prepared.dir, { recursive: true, force: true });
  }

  private async writeMeta(meta: CacheMeta): Promise<void> {
    await writeFileAtomic(join(this.cacheDir, meta.archiveId, META), JSON.stringify(meta), 0o600);
  }

  private infoOf(meta: CacheMeta): ArchiveInfo {
    const m = meta.manifest;
    return {
      archiveId: meta.archiveId,
      file: meta.file,
      format: m.format,
      legacy: m.legacy,
      sha256: m.sha256,
      metadata: m.metadata,
      checksums: m.checksums,
      tables: m.tables.map(({ n: _n, cachedRows: _c, fileColumns: _f, ...t }) => t),
      excluded: m.excluded,
      ...(m.encrypted ? { encrypted: true } : {}),
    };
  }

  private meta(archiveId: string): CacheMeta {
    const meta = this.metas.get(archiveId);
    if (!meta) throw notFound('archive', archiveId);
    const now = Date.now();
    if (now - (this.touched.get(archiveId) ?? 0) > 60_000) {
      this.touched.set(archiveId, now);
      const d = new Date(now);
      void utimes(join(this.cacheDir, archiveId, META), d, d).catch(() => undefined);
    }
    return meta;
  }

  async info(archiveId: string): Promise<ArchiveInfo> {
    return this.infoOf(this.meta(archiveId));
  }

  /** The archive file behind an opened archive, for an import; refused if it changed since. An
   *  encrypted one comes with its passphrase. */
  async archivePath(archiveId: string): Promise<{ path: string; info: ArchiveInfo; secret?: ArchiveSecret }> {
    const meta = this.meta(archiveId);
    const st = await stat(meta.path).catch(() => null);
    if (!st?.isFile())
      throw new ServiceError(404, {
        title: 'Archive file gone',
        message: `${meta.file.name} no longer exists where it was opened from.`,
        hint: 'Open the archive again.',
        code: 'MR4_NOT_FOUND',
      });
    if (st.size !== meta.size || st.mtimeMs !== meta.mtimeMs)
      throw conflict(
        'Archive file changed',
        `${meta.file.name} changed since it was opened.`,
        'Open the archive again, so you import what you looked at.',
      );
    const secret = this.secrets.get(archiveId);
    return { path: meta.path, info: this.infoOf(meta), ...(secret ? { secret } : {}) };
  }

  async close(archiveId: string): Promise<{ ok: true }> {
    this.meta(archiveId);
    this.metas.delete(archiveId);
    this.secrets.delete(archiveId);
    for (const k of [...this.matches.keys()]) if (k.startsWith(`${archiveId}\u0000`)) this.matches.delete(k);
    await rm(join(this.cacheDir, archiveId), { recursive: true, force: true });
    return { ok: true };
  }

  private table(meta: CacheMeta, name: string): CachedTable {
    const t = meta.manifest.tables.find((x) => x.name === name);
    if (!t) throw notFound('table', name);
    return t;
  }

  async rows(request: { archiveId: string; table: string; offset: number; limit: number; filter?: string }): Promise<RowsPage> {
    const meta = this.meta(request.archiveId);
    const t = this.table(meta, request.table);
    const dir = join(this.cacheDir, meta.archiveId);
    const filter = request.filter?.trim().toLowerCase() ?? '';
    let wanted: number[];
    let total: number;
    let capped = false;
    if (!filter) {
      total = t.cachedRows;
      const end = Math.min(total, request.offset + request.limit);
      wanted = [];
      for (let i = request.offset; i < end; i++) wanted.push(i);
    } else {
      const m = await this.filtered(meta, t, filter);
      total = m.rows.length;
      capped = m.capped;
      wanted = Array.from(m.rows.subarray(Math.min(total, request.offset), Math.min(total, request.offset + request.limit)));
    }
    const texts = await readRows(dir, t, wanted);
    return {
      table: t.name,
      columns: t.fileColumns,
      rows: wanted.map((index, i) => ({ index, values: parseRow(texts[i], t.fileColumns.length) })),
      total,
      capped,
    };
  }

  private filtered(meta: CacheMeta, t: CachedTable, needle: string): Promise<Matches> {
    const key = `${meta.archiveId}\u0000${t.name}\u0000${needle}`;
    let pending = this.matches.get(key);
    if (pending) {
      // Most recently used last.
      this.matches.delete(key);
      this.matches.set(key, pending);
      return pending;
    }
    pending = scanTable(join(this.cacheDir, meta.archiveId), t, needle);
    this.matches.set(key, pending);
    pending.catch(() => this.matches.delete(key));
    while (this.matches.size > 32) this.matches.delete(this.matches.keys().next().value!);
    return pending;
  }
}

/** A cached row longer than this is not read (a cache made before rows were kept shortened). */
const MAX_READ_ROW = 1024 * 1024;
const TOO_LARGE_ROW = JSON.stringify(['(this row is too large to show here)']);

/** Reads rows by number: their offsets from t<n>.idx, then each run of consecutive rows in one read. */
export async function readRows(dir: string, t: CachedTable, wanted: number[]): Promise<string[]> {
  if (!wanted.length) return [];
  const idx = await open(join(dir, `t${t.n}.idx`), 'r');
  const data = await open(join(dir, `t${t.n}.rows`), 'r');
  try {
    const dataSize = (await data.stat()).size;
    const out: string[] = new Array(wanted.length);
    let i = 0;
    while (i < wanted.length) {
      let j = i;
      while (j + 1 < wanted.length && wanted[j + 1] === wanted[j] + 1) j++;
      const first = wanted[i];
      const count = j - i + 1;
      const hasNext = first + count < t.cachedRows;
      const offs = Buffer.alloc((count + (hasNext ? 1 : 0)) * 8);
      await idx.read(offs, 0, offs.length, first * 8);
      const at = (k: number) => offs.readUInt32LE(k * 8) + offs.readUInt32LE(k * 8 + 4) * 0x100000000;
      const end = hasNext ? at(count) : dataSize;
      const rowEnd = (k: number) => (k + 1 < count ? at(k + 1) : end);
      let bounded = true;
      for (let k = 0; k < count && bounded; k++) if (rowEnd(k) - at(k) > MAX_READ_ROW) bounded = false;
      if (bounded) {
        const start = at(0);
        const buf = Buffer.alloc(end - start);
        await data.read(buf, 0, buf.length, start);
        for (let k = 0; k < count; k++) {
          const a = at(k) - start;
          const b = rowEnd(k) - start - 1;
          out[i + k] = buf.toString('utf8', a, Math.max(a, b));
        }
      } else {
        for (let k = 0; k < count; k++) {
          const size = rowEnd(k) - at(k);
          if (size > MAX_READ_ROW) {
            out[i + k] = TOO_LARGE_ROW;
            continue;
          }
          const buf = Buffer.alloc(size);
          await data.read(buf, 0, size, at(k));
          out[i + k] = buf.toString('utf8', 0, Math.max(0, size - 1));
        }
      }
      i = j + 1;
    }
    return out;
  } finally {
    await idx.close();
    await data.close();
  }
}

/** Streams a table's cached rows once, keeping the numbers of matching rows (up to the cap). */
async function scanTable(dir: string, t: CachedTable, needle: string): Promise<Matches> {
  const raw = rawSearchable(needle);
  const found = new Uint32Array(FILTER_CAP);
  let count = 0;
  let capped = false;
  const fh = await open(join(dir, `t${t.n}.rows`), 'r');
  try {
    const chunk = Buffer.alloc(1024 * 1024);
    let carry: Buffer[] = [];
    let carried = 0;
    let oversized = false;
    let row = 0;
    let position = 0;
    const visit = (line: Buffer): boolean => {
      if (rowMatches(line.toString('utf8'), needle, raw)) {
        if (count === FILTER_CAP) {
          capped = true;
          return false;
        }
        found[count++] = row;
      }
      row++;
      return true;
    };
    outer: for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const view = chunk.subarray(0, bytesRead);
      let start = 0;
      for (let nl = view.indexOf(0x0a); nl !== -1; nl = view.indexOf(0x0a, start)) {
        const line = oversized
          ? Buffer.alloc(0)
          : carry.length
            ? Buffer.concat([...carry, view.subarray(start, nl)])
            : view.subarray(start, nl);
        carry = [];
        carried = 0;
        oversized = false;
        if (!visit(line)) break outer;
        start = nl + 1;
      }
      if (start < view.length && !oversized) {
        carry.push(Buffer.from(view.subarray(start)));
        carried += view.length - start;
        // A row too large to read (an old cache) is not searched.
        if (carried > MAX_READ_ROW) {
          carry = [];
          oversized = true;
        }
      }
    }
  } finally {
    await fh.close();
  }
  return { rows: found.slice(0, count), capped };
}
