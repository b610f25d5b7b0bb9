// One table's file inside an archive, written and read as a stream. The shape is the original MR4
// system's (`tableName`, `columns`, `rows`), framed one row per line so neither side holds a table:
//
//   {"tableName":"users","columns":["id","sysmail"],"rows":[
//   ["1","a@example.org"],
//   ["2",null]
//   ]}
//
// Every value is null (SQL NULL) or a string holding PostgreSQL's text output of the value, which
// round-trips every type exactly (see session.ts for the settings that fix that output).
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveError } from './format';
import { copyRowToJson } from './copy-text';
import { ByteSink, RowScratch, RowSyntaxError, rowToCopy } from './row-scanner';

const NL = 0x0a;
const CHUNK = 256 * 1024;

/**
 * Splits a byte stream into lines. A line that spans chunks is kept as its parts until its newline
 * arrives and joined once then, so a row of many megabytes is not copied again with every chunk.
 */
class LineSplitter {
  private partial: Buffer[] = [];

  feed(chunk: Buffer, onLine: (buf: Buffer, start: number, end: number) => void): void {
    if (this.partial.length && chunk.indexOf(NL) === -1) {
      this.partial.push(Buffer.from(chunk));
      return;
    }
    const buf = this.partial.length ? Buffer.concat([...this.partial, chunk]) : chunk;
    this.partial = [];
    let start = 0;
    for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
      onLine(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) this.partial.push(Buffer.from(buf.subarray(start)));
  }

  /** What followed the last newline (a last line without one), or null. */
  rest(): Buffer | null {
    return this.partial.length ? Buffer.concat(this.partial) : null;
  }
}

export interface StreamStats {
  rows: number;
  bytes: number;
  sha256: string;
}

export function tableFileHeader(table: string, columns: readonly string[]): string {
  return `${JSON.stringify({ tableName: table, columns })
    .slice(0, -1)},"rows":[\n`;
}

/** Turns COPY output (text format) into a table file, counting and hashing as it goes. */
export class TableFileWriter extends Transform {
  private readonly hash = createHash('sha256');
  private readonly sink = new ByteSink(CHUNK * 2);
  private readonly lines = new LineSplitter();
  rows = 0;
  bytes = 0;

  constructor(
    table: string,
    private readonly columns: readonly string[],
  ) {
    super();
    this.sink.text(tableFileHeader(table, columns));
  }

  private pushOut(): void {
    const out = this.sink.take();
    this.hash.update(out);
    this.bytes += out.length;
    this.push(out);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.lines.feed(chunk, (src, start, end) => {
        if (this.rows > 0) this.sink.bytes(ROW_SEPARATOR, 0, ROW_SEPARATOR.length);
        copyRowToJson(src, start, end, this.columns.length, this.sink);
        this.rows++;
      });
    } catch (error) {
      return done(error as Error);
    }
    if (this.sink.length >= CHUNK) this.pushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.lines.rest()) return done(new Error('COPY output ended inside a row'));
    this.sink.text(this.rows > 0 ? '\n]}\n' : ']}\n');
    this.pushOut();
    done();
  }

  stats(): StreamStats {
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

const ROW_SEPARATOR = Buffer.from(',\n');

export interface TableFileReaderOptions {
  table: string;
  columns: readonly string[];
  /** Positions (in the file's column order) to pass on, in the order wanted; default all. */
  pick?: readonly number[];
  /** Start each COPY line with the row's 1-based position in the file. */
  rowNumbers?: boolean;
}

const CLOSING = Buffer.from(']}');

/**
 * Reads a table file and emits PostgreSQL COPY text format, one line per row. Checks the framing, the
 * header against the index, every row's arity and value types; counts and hashes the file's bytes.
 */
export class TableFileReader extends Transform {
  private readonly hash = createHash('sha256');
  private readonly wanted: Int32Array;
  private readonly scratch: RowScratch;
  private readonly sink = new ByteSink(CHUNK * 2);
  private readonly lines = new LineSplitter();
  private state: 'header' | 'rows' | 'done' = 'header';
  private lastHadComma = false;
  rows = 0;
  bytes = 0;

  constructor(private readonly options: TableFileReaderOptions) {
    super({ readableHighWaterMark: CHUNK });
    const n = options.columns.length;
    this.wanted = new Int32Array(n).fill(-1);
    const pick = options.pick ?? options.columns.map((_, i) => i);
    pick.forEach((field, position) => (this.wanted[field] = position));
    this.scratch = new RowScratch(pick.length);
  }

  private fail(message: string): ArchiveError {
    return new ArchiveError(`${this.options.table}: ${message} (row ${this.rows + 1})`);
  }

  private header(line: Buffer): void {
    let header: { tableName?: unknown; columns?: unknown };
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(line);
      if (!text.endsWith('"rows":[')) throw new Error('no rows array');
      header = JSON.parse(`${text}]}`);
    } catch {
      throw new ArchiveError(`${this.options.table}: the file does not start with a table header line`);
    }
    const cols = header.columns;
    if (header.tableName !== this.options.table) throw new ArchiveError(`${this.options.table}: the file is for table ${JSON.stringify(header.tableName)}`);
    if (!Array.isArray(cols) || cols.length !== this.options.columns.length || cols.some((c, i) => c !== this.options.columns[i])) {
      throw new ArchiveError(`${this.options.table}: the file's columns differ from index.json`);
    }
    this.state = 'rows';
  }

  private line(line: Buffer): void {
    if (this.state === 'header') return this.header(line);
    if (this.state === 'done') {
      if (line.length !== 0) throw this.fail('data after the end of the rows');
      return;
    }
    if (line.equals(CLOSING)) {
      if (this.lastHadComma) throw this.fail('a comma before the end of the rows');
      this.state = 'done';
      return;
    }
    if (this.rows > 0 && !this.lastHadComma) throw this.fail('rows must be separated by a comma and a newline');
    this.lastHadComma = line.length > 0 && line[line.length - 1] === 0x2c;
    try {
      rowToCopy(this.lastHadComma ? line.subarray(0, line.length - 1) : line, this.options.columns.length, this.wanted, this.options.rowNumbers ? this.rows + 1 : null, this.sink, this.scratch);
    } catch (error) {
      if (error instanceof RowSyntaxError) throw this.fail(error.message);
      throw error;
    }
    this.rows++;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      this.lines.feed(chunk, (buf, start, end) => this.line(buf.subarray(start, end)));
      if (this.sink.length >= CHUNK) this.push(this.sink.take());
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const last = this.lines.rest();
      if (last) this.line(last);
      if (this.state !== 'done') throw new ArchiveError(`${this.options.table}: the file ends before its rows do (truncated?)`);
      if (this.sink.length) this.push(this.sink.take());
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  stats(): StreamStats {
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
