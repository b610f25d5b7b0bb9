// Writes a .tar.gz whose first entry is index.json. Table files are compressed once, while they stream
// from the database, into spool files; the archive is then assembled from gzip members (one per tar
// header, table body and padding), which gzip, tar and every gunzip read as one stream (RFC 1952).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createGzip, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { type ArchiveIndex, INDEX_FILE } from './format';
import { type StreamStats, TableFileWriter } from './table-file';

const BLOCK = 512;
/** zlib's fast levels: a level-6 archive is about 15% smaller but costs half as much CPU again. */
export const DEFAULT_COMPRESSION_LEVEL = 3;

export interface SpooledTable extends StreamStats {
  file: string;
  spoolPath: string;
}

export interface WrittenArchive {
  path: string;
  bytes: number;
  sha256: string;
}

export class ArchiveWriter {
  private readonly spooled = new Map<string, SpooledTable>();
  private constructor(
    private readonly spoolDir: string,
    private readonly level: number,
    private readonly mtime: Date,
  ) {}

  static async create(options: { spoolParent?: string; level?: number; mtime?: Date } = {}): Promise<ArchiveWriter> {
    const dir = await mkdtemp(join(options.spoolParent ?? tmpdir(), 'mr4-spool-'));
    return new ArchiveWriter(dir, options.level ?? DEFAULT_COMPRESSION_LEVEL, options.mtime ?? new Date());
  }

  /** Streams one table's COPY output (text format) into a compressed spool file. */
  async addTable(table: string, file: string, columns: readonly string[], copyOut: Readable): Promise<SpooledTable> {
    const spoolPath = join(this.spoolDir, `${this.spooled.size}.gz`);
    const framer = new TableFileWriter(table, columns);
    await pipeline(copyOut, framer, createGzip({ level: this.level, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY, chunkSize: 128 * 1024 }), createWriteStream(spoolPath));
    const spooled = { ...framer.stats(), file, spoolPath };
    this.spooled.set(file, spooled);
    return spooled;
  }

  /** Spools a table file as it is (from another archive), compressed again. */
  async addFile(file: string, body: Readable): Promise<SpooledTable> {
    const spoolPath = join(this.spoolDir, `${this.spooled.size}.gz`);
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _e, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(body, count, createGzip({ level: this.level }), createWriteStream(spoolPath));
    const spooled = { rows: 0, bytes, sha256: hash.digest('hex'), file, spoolPath };
    this.spooled.set(file, spooled);
    return spooled;
  }

  private header(path: string, size: number): Buffer {
    const h = new Header({ path, mode: 0o644, size, mtime: this.mtime, type: 'File', uid: 0, gid: 0, uname: '', gname: '' });
    h.encode();
    if (!h.block) throw new Error(`cannot encode a tar header for ${path}`);
    return h.block;
  }

  private padding(size: number): Buffer {
    const rest = size % BLOCK;
    return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
  }

  /** Assembles the archive at `outPath` (written beside it first, then renamed into place). */
  async finish(index: ArchiveIndex, outPath: string): Promise<WrittenArchive> {
    const partial = join(dirname(outPath), `.${Date.now()}-${process.pid}.mr4-partial`);
    const out = createWriteStream(partial);
    const hash = createHash('sha256');
    let bytes = 0;
    const write = (buf: Buffer) =>
      new Promise<void>((resolve, reject) => {
        hash.update(buf);
        bytes += buf.length;
        out.write(buf, (err) => (err ? reject(err) : resolve()));
      });
    try {
      const indexJson = Buffer.from(`${JSON.stringify(index, null, 2)}\n`);
      await write(gzipSync(Buffer.concat([this.header(INDEX_FILE, indexJson.length), indexJson, this.padding(indexJson.length)])));
      const writeSpooled = async (file: string) => {
        const spool = this.spooled.get(file);
        if (!spool) throw new Error(`internal: table file ${file} was not spooled`);
        await write(gzipSync(this.header(file, spool.bytes)));
        for await (const chunk of createReadStream(spool.spoolPath)) await write(chunk as Buffer);
        const pad = this.padding(spool.bytes);
        if (pad.length) await write(gzipSync(pad));
      };
      for (const entity of index.entities) await writeSpooled(index.tables[entity].file);
      if (index.lineage) await writeSpooled(index.lineage.file);
      await write(gzipSync(Buffer.alloc(BLOCK * 2)));
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      await rename(partial, outPath);
    } catch (error) {
      out.destroy();
      await rm(partial, { force: true });
      throw error;
    }
    return { path: outPath, bytes: (await stat(outPath)).size, sha256: hash.digest('hex') };
  }

  async dispose(): Promise<void> {
    await rm(this.spoolDir, { recursive: true, force: true });
  }
}
