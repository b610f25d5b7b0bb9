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

const NL = 0x0a;
const CHUNK = 256 * 1024;

export interface StreamStats {
  rows: number;
  bytes: number;
  sha256: string;
}

export function tableFileHeader(table: string, columns: readonly string[]): string {
  return `${JSON.stringify({ tableName: table, columns })
    .slice(0, -1)},"rows":[\n`;
}

/** Turns COPY output of one JSON array per line into a table file, counting and hashing as it goes. */
export class TableFileWriter extends Transform {
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private rowOpen = false;
  private endedRow = false;
  rows = 0;
  bytes = 0;

  constructor(table: string, columns: readonly string[]) {
    super();
    this.queue(Buffer.from(tableFileHeader(table, columns)));
  }

  private queue(buf: Buffer): void {
    this.hash.update(buf);
    this.bytes += buf.length;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
  }

  private flushPending(force: boolean): void {
    if (this.pendingBytes === 0 || (!force && this.pendingBytes < CHUNK)) return;
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.endedRow) {
        this.queue(Buffer.from(',\n'));
        this.endedRow = false;
      }
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      if (end > start) {
        this.queue(chunk.subarray(start, end));
        this.rowOpen = true;
      }
      if (nl === -1) break;
      this.rows++;
      this.rowOpen = false;
      this.endedRow = true;
      start = nl + 1;
    }
    this.flushPending(false);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.rowOpen) return done(new Error('COPY output ended inside a row'));
    this.queue(Buffer.from(this.endedRow ? '\n]}\n' : ']}\n'));
    this.flushPending(true);
    done();
  }

  stats(): StreamStats {
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

function copyEscape(value: string): string {
  return /[\\\n\r\t]/.test(value)
    ? value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
    : value;
}

export interface TableFileReaderOptions {
  table: string;
  columns: readonly string[];
  /** Positions (in the file's column order) to pass on, in the order wanted; default all. */
  pick?: readonly number[];
  /** Start each COPY line with the row's 1-based position in the file. */
  rowNumbers?: boolean;
}

/**
 * Reads a table file and emits PostgreSQL COPY text format, one line per row. Checks the framing, the
 * header against the index, every row's arity and value types; counts and hashes the file's bytes.
 */
export class TableFileReader extends Transform {
  private readonly hash = createHash('sha256');
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private carry = '';
  private state: 'header' | 'rows' | 'done' = 'header';
  private lastHadComma = false;
  private out: string[] = [];
  private outLength = 0;
  rows = 0;
  bytes = 0;

  constructor(private readonly options: TableFileReaderOptions) {
    super({ readableHighWaterMark: CHUNK });
  }

  private fail(message: string): ArchiveError {
    return new ArchiveError(`${this.options.table}: ${message} (row ${this.rows + 1})`);
  }

  private line(text: string): void {
    if (this.state === 'header') {
      let header: { tableName?: unknown; columns?: unknown };
      try {
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
      return;
    }
    if (this.state === 'done') {
      if (text !== '') throw this.fail('data after the end of the rows');
      return;
    }
    if (text === ']}') {
      if (this.lastHadComma) throw this.fail('a comma before the end of the rows');
      this.state = 'done';
      return;
    }
    if (this.rows > 0 && !this.lastHadComma) throw this.fail('rows must be separated by a comma and a newline');
    this.lastHadComma = text.endsWith(',');
    const json = this.lastHadComma ? text.slice(0, -1) : text;
    let values: unknown;
    try {
      values = JSON.parse(json);
    } catch {
      throw this.fail('a row is not valid JSON');
    }
    const n = this.options.columns.length;
    if (!Array.isArray(values) || values.length !== n) throw this.fail(`a row must be an array of ${n} values`);
    for (const v of values) if (v !== null && typeof v !== 'string') throw this.fail('values must be strings or null');
    const pick = this.options.pick;
    let copy = this.options.rowNumbers ? `${this.rows + 1}\t` : '';
    const count = pick ? pick.length : n;
    for (let i = 0; i < count; i++) {
      const v = values[pick ? pick[i] : i] as string | null;
      if (i > 0) copy += '\t';
      copy += v === null ? '\\N' : copyEscape(v);
    }
    copy += '\n';
    this.out.push(copy);
    this.outLength += copy.length;
    this.rows++;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      this.lines(this.decode(chunk, true));
      if (this.outLength >= CHUNK) this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private decode(chunk: Buffer | undefined, more: boolean): string {
    try {
      return this.decoder.decode(chunk, { stream: more });
    } catch {
      throw new ArchiveError(`${this.options.table}: the file is not valid UTF-8`);
    }
  }

  private lines(decoded: string): void {
    const text = this.carry + decoded;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.carry = text.slice(start);
  }

  private drain(): void {
    if (this.out.length === 0) return;
    this.push(this.out.join(''));
    this.out = [];
    this.outLength = 0;
  }

  override _flush(done: TransformCallback): void {
    try {
      this.lines(this.decode(undefined, false));
      if (this.carry !== '') this.line(this.carry);
      if (this.state !== 'done') throw new ArchiveError(`${this.options.table}: the file ends before its rows do (truncated?)`);
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  stats(): StreamStats {
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
