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
import { CopyRowError, copyRowToJson, CopyRowStream } from './copy-text';
import { LineSplitter, LONG_LINE, MAX_HEADER_BYTES, MAX_ROW_BYTES, sizeText, Utf8Check } from './lines';
import { ByteSink, CopyFieldSink, keepsOrder, RowDecoder, RowScratch, RowSyntaxError, rowToCopy } from './row-scanner';

const CHUNK = 256 * 1024;

export interface StreamStats {
  rows: number;
  bytes: number;
  sha256: string;
}

export function tableFileHeader(table: string, columns: readonly string[]): string {
  return `${JSON.stringify({ tableName: table, columns }).slice(0, -1)},"rows":[\n`;
}

/** Turns COPY output (text format) into a table file, counting and hashing as it goes. A row longer
 *  than LONG_LINE is converted as it streams; one whose JSON passes MAX_ROW_BYTES is refused. */
export class TableFileWriter extends Transform {
  private readonly hash = createHash('sha256');
  private readonly sink = new ByteSink(CHUNK * 2);
  private readonly lines: LineSplitter;
  private long: CopyRowStream | null = null;
  private longFrom = 0;
  rows = 0;
  bytes = 0;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly maxRowBytes = MAX_ROW_BYTES,
  ) {
    super();
    this.sink.text(tableFileHeader(table, columns));
    this.lines = new LineSplitter(LONG_LINE, {
      line: (src) => {
        this.separate();
        copyRowToJson(src, 0, src.length, this.columns.length, this.sink);
        this.rows++;
      },
      longStart: () => {
        this.separate();
        this.longFrom = this.bytes + this.sink.length;
        this.long = new CopyRowStream(this.columns.length, this.sink);
      },
      longBytes: (src, start, end) => {
        this.long!.feed(src, start, end);
        if (this.sink.length >= CHUNK) this.pushOut();
        if (this.bytes + this.sink.length - this.longFrom > this.maxRowBytes) {
          throw new ArchiveError(
            `table ${this.table}: row ${this.rows + 1} is larger than ${sizeText(this.maxRowBytes)} as JSON, the largest row an archive may hold`,
          );
        }
      },
      longEnd: () => {
        this.long!.finish();
        this.long = null;
        this.rows++;
      },
    });
  }

  private separate(): void {
    if (this.rows > 0) this.sink.bytes(ROW_SEPARATOR, 0, ROW_SEPARATOR.length);
  }

  private pushOut(): void {
    const out = this.sink.take();
    this.hash.update(out);
    this.bytes += out.length;
    this.push(out);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.lines.feed(chunk);
    } catch (error) {
      return done(error as Error);
    }
    if (this.sink.length >= CHUNK) this.pushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.lines.pending) return done(new CopyRowError('COPY output ended inside a row'));
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
  /** The largest row accepted (its JSON text); default MAX_ROW_BYTES. */
  maxRowBytes?: number;
}

const CLOSING = Buffer.from(']}');

/**
 * Reads a table file and emits PostgreSQL COPY text format, one line per row. Checks the framing, the
 * header against the index, every row's arity and value types, that the file is UTF-8 and holds no
 * NUL; counts and hashes the file's bytes. Memory stays bounded: a row longer than LONG_LINE is
 * decoded as it streams, and one longer than maxRowBytes is refused.
 */
export class TableFileReader extends Transform {
  private readonly hash = createHash('sha256');
  private readonly wanted: Int32Array;
  private readonly scratch: RowScratch;
  private readonly sink = new ByteSink(CHUNK * 2);
  private readonly lines: LineSplitter;
  private readonly utf8 = new Utf8Check();
  private readonly maxRowBytes: number;
  private state: 'header' | 'rows' | 'done' = 'header';
  private lastHadComma = false;
  private long: { decoder: RowDecoder; sink: CopyFieldSink; bytes: number } | null = null;
  rows = 0;
  bytes = 0;

  constructor(private readonly options: TableFileReaderOptions) {
    super({ readableHighWaterMark: CHUNK });
    const n = options.columns.length;
    this.wanted = new Int32Array(n).fill(-1);
    const pick = options.pick ?? options.columns.map((_, i) => i);
    pick.forEach((field, position) => (this.wanted[field] = position));
    if (!keepsOrder(this.wanted)) throw new Error("internal: a table file reader passes columns on in the file's order");
    this.scratch = new RowScratch(pick.length);
    this.maxRowBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
    this.lines = new LineSplitter(LONG_LINE, {
      line: (line) => this.line(line),
      longStart: () => this.longStart(),
      longBytes: (buf, start, end) => this.longBytes(buf, start, end),
      longEnd: () => this.longEnd(),
    });
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
    if (header.tableName !== this.options.table)
      throw new ArchiveError(`${this.options.table}: the file is for table ${JSON.stringify(header.tableName)}`);
    if (!Array.isArray(cols) || cols.length !== this.options.columns.length || cols.some((c, i) => c !== this.options.columns[i])) {
      throw new ArchiveError(`${this.options.table}: the file's columns differ from index.json`);
    }
    this.state = 'rows';
  }

  /** Checks a row may start here. */
  private rowStart(): void {
    if (this.state === 'done') throw this.fail('data after the end of the rows');
    if (this.rows > 0 && !this.lastHadComma) throw this.fail('rows must be separated by a comma and a newline');
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
    this.rowStart();
    this.lastHadComma = line.length > 0 && line[line.length - 1] === 0x2c;
    try {
      rowToCopy(
        this.lastHadComma ? line.subarray(0, line.length - 1) : line,
        this.options.columns.length,
        this.wanted,
        this.options.rowNumbers ? this.rows + 1 : null,
        this.sink,
        this.scratch,
      );
    } catch (error) {
      if (error instanceof RowSyntaxError) throw this.fail(error.message);
      throw error;
    }
    this.rows++;
  }

  private longStart(): void {
    if (this.state === 'header')
      throw new ArchiveError(
        `${this.options.table}: the file's header line is longer than ${sizeText(MAX_HEADER_BYTES)}; it is not a table file`,
      );
    this.rowStart();
    const sink = new CopyFieldSink(this.sink);
    sink.begin(this.options.rowNumbers ? this.rows + 1 : null, this.scratch.count);
    this.long = { decoder: new RowDecoder(this.options.columns.length, this.wanted, sink, { allowComma: true }), sink, bytes: 0 };
  }

  private longBytes(buf: Buffer, start: number, end: number): void {
    const long = this.long!;
    long.bytes += end - start;
    if (long.bytes > this.maxRowBytes) {
      const error = this.fail(
        `the row is larger than ${sizeText(this.maxRowBytes)}, the largest row mr4 accepts (PostgreSQL's own limit for one value and one line of COPY is 1 GiB)`,
      );
      error.damage = false;
      throw error;
    }
    try {
      long.decoder.feed(buf, start, end);
    } catch (error) {
      if (error instanceof RowSyntaxError) throw this.fail(error.message);
      throw error;
    }
    if (this.sink.length >= CHUNK) this.push(this.sink.take());
  }

  private longEnd(): void {
    const long = this.long!;
    this.long = null;
    try {
      this.lastHadComma = long.decoder.finish();
    } catch (error) {
      if (error instanceof RowSyntaxError) throw this.fail(error.message);
      throw error;
    }
    long.sink.end();
    this.rows++;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      if (!this.utf8.check(chunk)) throw this.fail('the file is not valid UTF-8 text here');
      this.lines.feed(chunk);
      if (this.sink.length >= CHUNK) this.push(this.sink.take());
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.utf8.end()) throw this.fail('the file ends inside a UTF-8 character');
      this.lines.finish();
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
