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
