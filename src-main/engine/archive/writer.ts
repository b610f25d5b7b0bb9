// Writes a .tar.gz whose first entry is index.json. Table files are compressed once, while they stream
// from the database, into spool files; the archive is then assembled from gzip members (one per tar
// header, table body and padding), which gzip, tar and every gunzip read as one stream (RFC 1952).
//
// Everything it writes is private (0600 files in a 0700 folder) and hidden until done: the spool
// folder `.mr4-spool-<host>-<pid>-<random>` and the archive's partial file `.mr4-partial-…` live beside
// the output, and the archive appears under its name only by a rename once complete. A failure
// (a full disk included) removes both. A process killed outright cannot clean up: the next writer
// into the same folder removes what a dead process of this host left (or anything older than a week).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readdir, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createGzip, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import {
  type ArchiveSecret,
  DecryptStream,
  EncryptStream,
  type EnvelopeHeader,
  type EnvelopeKeys,
  ephemeralEnvelope,
  HEADER_SIZE,
  newEnvelope,
} from './crypto';
import { type ArchiveIndex, INDEX_FILE } from './format';
import { type StreamStats, TableFileWriter } from './table-file';

const BLOCK = 512;
/** zlib's fast levels: a level-6 archive is about 15% smaller but costs half as much CPU again. */
export const DEFAULT_COMPRESSION_LEVEL = 3;
const FILE_MODE = 0o600;
const SPOOL_PREFIX = '.mr4-spool-';
const PARTIAL_PREFIX = '.mr4-partial-';
const STALE_MS = 7 * 24 * 3600_000;

export interface SpooledTable extends StreamStats {
  file: string;
  spoolPath: string;
}

export interface WrittenArchive {
  path: string;
  bytes: number;
  sha256: string;
}

/** This machine, in a file name: leftovers of other hosts (a shared folder) are not judged by pid. */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes spool folders and partial archives in `dir` that a process of this host left when it was
 * killed (its pid is gone), and any older than a week. Never fails.
 */
export async function removeStaleSpools(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const prefix = name.startsWith(SPOOL_PREFIX) ? SPOOL_PREFIX : name.startsWith(PARTIAL_PREFIX) ? PARTIAL_PREFIX : null;
    if (!prefix) continue;
    const [host, pidText] = name.slice(prefix.length).split('-');
    const pid = Number(pidText);
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (!st) continue;
    const dead = host === HOST && Number.isInteger(pid) && pid > 0 && !pidAlive(pid);
    if (!dead && Date.now() - st.mtimeMs < STALE_MS) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
    removed.push(path);
  }
  return removed;
}

/** Where `dir` is mounted, and as what (Linux; null elsewhere). */
function mountOf(dir: string): { mountPoint: string; type: string } | null {
  try {
    let best: { mountPoint: string; type: string } | null = null;
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [, point, type] = line.split(' ');
      if (!point) continue;
      const mountPoint = point.replace(/\\040/g, ' ');
      const inside = dir === mountPoint || dir.startsWith(mountPoint.endsWith(sep) ? mountPoint : mountPoint + sep);
      if (inside && (!best || mountPoint.length > best.mountPoint.length)) best = { mountPoint, type };
    }
    return best;
  } catch {
    return null;
  }
}

export class DiskFullError extends Error {
  override name = 'DiskFullError';
  readonly code = 'ENOSPC';
}

/** "No space left on device" naming the folder, its file system and what is free there. */
export async function describeDiskFull(dir: string): Promise<string> {
  const real = await realpath(dir).catch(() => dir);
  const mount = mountOf(real);
  const free = await statfs(real)
    .then((s) => s.bavail * s.bsize)
    .catch(() => null);
  const where = mount ? `the ${mount.type} file system mounted at ${mount.mountPoint}` : 'its file system';
  const left =
    free === null ? '' : `; ${free < 1024 * 1024 ? `${Math.round(free / 1024)} KiB` : `${(free / 1024 / 1024).toFixed(1)} MiB`} were left`;
  return `No space left on device: ${real} (${where}${left}) is full`;
}

function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

type Envelope = { header: EnvelopeHeader; keys: EnvelopeKeys };

export class ArchiveWriter {
  private readonly spooled = new Map<string, SpooledTable>();
  /** Spool files are numbered as they are opened: several tables may be spooling at once. */
  private spoolFiles = 0;
  private constructor(
    private readonly spoolDir: string,
    private readonly level: number,
    private readonly mtime: Date,
    /** The archive's envelope (an encrypted export), and the spool's own: a key that never leaves this
     *  process, so no clear byte of an encrypted export reaches the disk, even while it is spooled. */
    private readonly envelope: Envelope | null,
    private readonly spoolEnvelope: Envelope | null,
  ) {}

  static async create(
    options: { spoolParent?: string; level?: number; mtime?: Date; encrypt?: ArchiveSecret } = {},
  ): Promise<ArchiveWriter> {
    const parent = options.spoolParent ?? tmpdir();
    await removeStaleSpools(parent);
    let dir: string;
    try {
      dir = await mkdtemp(join(parent, `${SPOOL_PREFIX}${HOST}-${process.pid}-`));
    } catch (error) {
      if (isDiskFull(error)) throw new DiskFullError(await describeDiskFull(parent));
      throw error;
    }
    const envelope = options.encrypt ? await newEnvelope(options.encrypt) : null;
    const spoolEnvelope = options.encrypt ? await ephemeralEnvelope() : null;
    return new ArchiveWriter(dir, options.level ?? DEFAULT_COMPRESSION_LEVEL, options.mtime ?? new Date(), envelope, spoolEnvelope);
  }

  /** Whether the archive is written encrypted. */
  get encrypted(): boolean {
    return this.envelope !== null;
  }

  /** The spool file's stream: the file itself, or (encrypted exports) its encryption into the file. */
  private spoolSink(file: Writable): Writable[] {
    return this.spoolEnvelope ? [new EncryptStream(this.spoolEnvelope.header, this.spoolEnvelope.keys), file] : [file];
  }

  /** A spool file's compressed bytes, decrypted again where they were encrypted. */
  private readSpool(path: string): Readable {
    const raw = createReadStream(path, { highWaterMark: 256 * 1024, start: this.spoolEnvelope ? HEADER_SIZE : 0 });
    if (!this.spoolEnvelope) return raw;
    const decrypt = new DecryptStream(this.spoolEnvelope.header, this.spoolEnvelope.keys);
    raw.on('error', (e) => decrypt.destroy(e));
    return raw.pipe(decrypt);
  }

  /** The folder the spool files are in (private; removed by dispose). */
  get folder(): string {
    return this.spoolDir;
  }

  private spoolFile(): { path: string; stream: Writable } {
    const path = join(this.spoolDir, `${this.spoolFiles++}.gz`);
    return { path, stream: createWriteStream(path, { flags: 'wx', mode: FILE_MODE }) };
  }

  private async diskFull(error: unknown): Promise<never> {
    if (isDiskFull(error)) throw new DiskFullError(await describeDiskFull(dirname(this.spoolDir)));
    throw error;
  }

  /** Streams one table's COPY output (text format) into a compressed spool file. */
  async addTable(table: string, file: string, columns: readonly string[], copyOut: Readable): Promise<SpooledTable> {
    const spool = this.spoolFile();
    const framer = new TableFileWriter(table, columns);
    try {
      await pipeline([
        copyOut,
        framer,
        createGzip({ level: this.level, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY, chunkSize: 128 * 1024 }),
        ...this.spoolSink(spool.stream),
      ]);
    } catch (error) {
      await this.diskFull(error);
    }
    const spooled = { ...framer.stats(), file, spoolPath: spool.path };
    this.spooled.set(file, spooled);
    return spooled;
  }

  /** Spools a table file as it is (from another archive), compressed again. */
  async addFile(file: string, body: Readable): Promise<SpooledTable> {
    const spool = this.spoolFile();
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _e, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline([body, count, createGzip({ level: this.level }), ...this.spoolSink(spool.stream)]);
    } catch (error) {
      await this.diskFull(error);
    }
    const spooled = { rows: 0, bytes, sha256: hash.digest('hex'), file, spoolPath: spool.path };
    this.spooled.set(file, spooled);
    return spooled;
  }

  private header(path: string, size: number): Buffer {
    const h = new Header({ path, mode: FILE_MODE, size, mtime: this.mtime, type: 'File', uid: 0, gid: 0, uname: '', gname: '' });
    h.encode();
    if (!h.block) throw new Error(`cannot encode a tar header for ${path}`);
    return h.block;
  }

  private padding(size: number): Buffer {
    const rest = size % BLOCK;
    return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
  }

  /** The archive's bytes, in order. */
  private async *parts(index: ArchiveIndex): AsyncGenerator<Buffer> {
    const indexJson = Buffer.from(`${JSON.stringify(index, null, 2)}\n`);
    yield gzipSync(Buffer.concat([this.header(INDEX_FILE, indexJson.length), indexJson, this.padding(indexJson.length)]));
    const spooledFile = async function* (this: ArchiveWriter, file: string): AsyncGenerator<Buffer> {
      const spool = this.spooled.get(file);
      if (!spool) throw new Error(`internal: table file ${file} was not spooled`);
      yield gzipSync(this.header(file, spool.bytes));
      for await (const chunk of this.readSpool(spool.spoolPath)) yield chunk as Buffer;
      const pad = this.padding(spool.bytes);
      if (pad.length) yield gzipSync(pad);
    }.bind(this);
    for (const entity of index.entities) yield* spooledFile(index.tables[entity].file);
    if (index.lineage) yield* spooledFile(index.lineage.file);
    yield gzipSync(Buffer.alloc(BLOCK * 2));
  }

  /** Assembles the archive at `outPath` (written beside it first, then renamed into place). */
  async finish(index: ArchiveIndex, outPath: string, signal?: AbortSignal): Promise<WrittenArchive> {
    const dir = dirname(outPath);
    const partial = join(
      dir,
      `${PARTIAL_PREFIX}${HOST}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    );
    const hash = createHash('sha256');
    let bytes = 0;
    const parts = async function* (this: ArchiveWriter): AsyncGenerator<Buffer> {
      for await (const part of this.parts(index)) {
        signal?.throwIfAborted();
        yield part;
      }
    }.bind(this);
    // What identifies the archive is the file as written: encrypted, its ciphertext.
    const count = new Transform({
      transform(chunk: Buffer, _e, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const stages: NodeJS.ReadWriteStream[] = this.envelope ? [new EncryptStream(this.envelope.header, this.envelope.keys), count] : [count];
    try {
      await pipeline([
        Readable.from(parts(), { objectMode: false }),
        ...stages,
        createWriteStream(partial, { flags: 'wx', mode: FILE_MODE }),
      ]);
      await rename(partial, outPath);
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      if (isDiskFull(error)) throw new DiskFullError(await describeDiskFull(dir));
      throw error;
    }
    return { path: outPath, bytes, sha256: hash.digest('hex') };
  }

  async dispose(): Promise<void> {
    await rm(this.spoolDir, { recursive: true, force: true });
  }
}
