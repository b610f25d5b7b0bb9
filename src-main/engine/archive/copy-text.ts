// One row of COPY's text format, as PostgreSQL writes it, as a JSON array of strings: the row form of a
// table file. The server's own COPY of a table is its fastest way out (each value through its type's
// output function, no expression per column); the JSON escaping is done here, while the server already
// sends the next rows.
//
// COPY TO ends rows with "\n", separates fields by "\t", writes NULL as the field "\N", and escapes in
// data only "\\", "\b", "\f", "\n", "\r", "\t" and "\v"; every other byte is the value's own. Strings are
// escaped as PostgreSQL's escape_json does, so a row comes out as array_to_json of its values would.
import type { ByteSink } from './row-scanner';

const TAB = 0x09;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/** JSON's escape for a COPY escape letter (the byte after a backslash). */
const UNESCAPE: Record<number, Buffer> = {
  [BACKSLASH]: Buffer.from('\\\\'),
  0x62: Buffer.from('\\b'),
  0x66: Buffer.from('\\f'),
  0x6e: Buffer.from('\\n'),
  0x72: Buffer.from('\\r'),
  0x74: Buffer.from('\\t'),
  0x76: Buffer.from('\\u000b'), // \v: JSON has no short form
};
const HEX = Buffer.from('0123456789abcdef');
const NULL = Buffer.from('null');

export class CopyRowError extends Error {
  override name = 'CopyRowError';
}

/** Appends bytes [start, end) of src, one COPY row without its newline, to sink as a JSON array. */
export function copyRowToJson(src: Buffer, start: number, end: number, columns: number, sink: ByteSink): void {
  // Room for the row as it is plus brackets, quotes and commas; an escape makes more room as needed.
  const framing = 3 * columns + 2;
  sink.reserve(end - start + framing);
  let out = sink.buf;
  let p = sink.length;
  const room = (i: number) => {
    if (p + 6 + (end - i) + framing <= out.length) return;
    sink.length = p;
    sink.reserve(6 + (end - i) + framing);
    out = sink.buf;
  };
  out[p++] = 0x5b; // [
  let i = start;
  for (let field = 0; field < columns; field++) {
    if (field > 0) {
      if (i >= end || src[i] !== TAB) throw new CopyRowError(`a COPY row has fewer than ${columns} fields`);
      out[p++] = 0x2c; // ,
      i++;
    }
    if (src[i] === BACKSLASH && src[i + 1] === 0x4e && (i + 2 === end || src[i + 2] === TAB)) {
      p += NULL.copy(out, p);
      i += 2;
      continue;
    }
    out[p++] = QUOTE;
    // Byte by byte: fields are short, and a copy call per field costs more than the loop.
    for (; i < end; i++) {
      const c = src[i];
      if (c > QUOTE && c !== BACKSLASH) {
        out[p++] = c;
      } else if (c === TAB) {
        break;
      } else if (c === BACKSLASH) {
        room(i);
        const escape = UNESCAPE[src[++i]];
        if (!escape || i >= end) throw new CopyRowError('a COPY row holds an unknown escape');
        for (let k = 0; k < escape.length; k++) out[p++] = escape[k];
      } else if (c === QUOTE) {
        room(i);
        out[p++] = BACKSLASH;
        out[p++] = QUOTE;
      } else if (c < 0x20) {
        room(i);
        out[p++] = BACKSLASH;
        out[p++] = 0x75; // u00XX
        out[p++] = 0x30;
        out[p++] = 0x30;
        out[p++] = HEX[c >> 4];
        out[p++] = HEX[c & 15];
      } else {
        out[p++] = c;
      }
    }
    out[p++] = QUOTE;
  }
  if (i !== end) throw new CopyRowError(`a COPY row has more than ${columns} fields`);
  out[p++] = 0x5d; // ]
  sink.length = p;
}

const enum C {
  /** At the start of a field. */
  Start,
  /** After a backslash at the start of a field: "\N" (NULL) or an escape. */
  StartSlash,
  /** After "\N": the field must end here. */
  NullEnd,
  /** Inside a value. */
  Value,
  /** After a backslash inside a value. */
  Slash,
}

/**
 * copyRowToJson for a row too long to hold: the COPY line's bytes are fed as they arrive and the JSON
 * array is written to the sink as it goes. Gives exactly what copyRowToJson gives for the whole line.
 */
export class CopyRowStream {
  private state = C.Start;
  private field = 0;

  constructor(
    private readonly columns: number,
    private readonly sink: ByteSink,
  ) {
    sink.byte(0x5b); // [
  }

  private nextField(): void {
    this.field++;
    if (this.field >= this.columns) throw new CopyRowError(`a COPY row has more than ${this.columns} fields`);
    this.sink.byte(0x2c); // ,
    this.state = C.Start;
  }

  private escape(c: number): void {
    const escape = UNESCAPE[c];
    if (!escape) throw new CopyRowError('a COPY row holds an unknown escape');
    this.sink.bytes(escape, 0, escape.length);
    this.state = C.Value;
  }

  feed(src: Buffer, start: number, end: number): void {
    if (this.columns === 0 && end > start) throw new CopyRowError('a COPY row has more than 0 fields');
    let i = start;
    while (i < end) {
      const c = src[i];
      switch (this.state) {
        case C.Start:
          if (c === BACKSLASH) {
            this.state = C.StartSlash;
            i++;
          } else if (c === TAB) {
            this.sink.byte(QUOTE);
            this.sink.byte(QUOTE);
            this.nextField();
            i++;
          } else {
            this.sink.byte(QUOTE);
            this.state = C.Value;
          }
          break;
        case C.StartSlash:
          if (c === 0x4e) {
            this.state = C.NullEnd;
          } else {
            this.sink.byte(QUOTE);
            this.escape(c);
          }
          i++;
          break;
        case C.NullEnd:
          if (c !== TAB) throw new CopyRowError('a COPY row holds an unknown escape');
          this.sink.bytes(NULL, 0, NULL.length);
          this.nextField();
          i++;
          break;
        case C.Value: {
          // Written straight into the sink's buffer, as copyRowToJson does.
          const sink = this.sink;
          sink.reserve(end - i + 8);
          let out = sink.buf;
          let p = sink.length;
          for (; i < end; i++) {
            const b = src[i];
            if (b > QUOTE && b !== BACKSLASH) {
              out[p++] = b;
              continue;
            }
            if (b === TAB) break;
            if (p + 14 + (end - i) > out.length) {
              sink.length = p;
              sink.reserve(14 + (end - i));
              out = sink.buf;
            }
            if (b === BACKSLASH) {
              if (i + 1 === end) break;
              const escape = UNESCAPE[src[++i]];
              if (!escape) throw new CopyRowError('a COPY row holds an unknown escape');
              for (let k = 0; k < escape.length; k++) out[p++] = escape[k];
            } else if (b === QUOTE) {
              out[p++] = BACKSLASH;
              out[p++] = QUOTE;
            } else if (b < 0x20) {
              out[p++] = BACKSLASH;
              out[p++] = 0x75; // u00XX
              out[p++] = 0x30;
              out[p++] = 0x30;
              out[p++] = HEX[b >> 4];
              out[p++] = HEX[b & 15];
            } else {
              out[p++] = b;
            }
          }
          sink.length = p;
          if (i === end) break;
          if (src[i] === TAB) {
            sink.byte(QUOTE);
            this.nextField();
          } else {
            this.state = C.Slash;
          }
          i++;
          break;
        }
        case C.Slash:
          this.escape(c);
          i++;
          break;
      }
    }
  }

  /** The line ended: closes the last field and the array. */
  finish(): void {
    if (this.columns === 0) {
      this.sink.byte(0x5d);
      return;
    }
    switch (this.state) {
      case C.Start:
        this.sink.byte(QUOTE);
        this.sink.byte(QUOTE);
        break;
      case C.NullEnd:
        this.sink.bytes(NULL, 0, NULL.length);
        break;
      case C.Value:
        this.sink.byte(QUOTE);
        break;
      default:
        throw new CopyRowError('a COPY row holds an unknown escape');
    }
    if (this.field + 1 < this.columns) throw new CopyRowError(`a COPY row has fewer than ${this.columns} fields`);
    this.sink.byte(0x5d); // ]
  }
}
