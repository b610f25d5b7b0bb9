// Converts one row line of a table file (a JSON array of strings and nulls) to one line of PostgreSQL
// COPY text format, working on bytes. A JSON string without a backslash holds its value verbatim, and
// cannot contain a raw tab, newline or backslash, so it is copied as is; only strings with escapes go
// through JSON.parse. UTF-8 is validated by the server as the bytes arrive.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const NULL_BYTES = [0x6e, 0x75, 0x6c, 0x6c];
const COPY_NULL = Buffer.from('\\N');

export class RowSyntaxError extends Error {}

/** A growable output buffer. */
export class ByteSink {
  buf: Buffer;
  length = 0;
  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
  bytes(src: Buffer, start: number, end: number): void {
    this.reserve(end - start);
    this.length += src.copy(this.buf, this.length, start, end);
  }
  text(s: string): void {
    this.reserve(Buffer.byteLength(s));
    this.length += this.buf.write(s, this.length, 'utf8');
  }
  take(): Buffer {
    const out = this.buf.subarray(0, this.length);
    // Back to the usual size: one huge row does not make every later buffer huge.
    this.buf = Buffer.allocUnsafe(this.size);
    this.length = 0;
    return out;
  }
}

function copyEscape(value: string): string {
  return /[\\\n\r\t]/.test(value)
    ? value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
    : value;
}

/** Position of the quote that closes the string whose opening quote is at `open`. */
function closingQuote(line: Buffer, open: number): number {
  let q = line.indexOf(QUOTE, open + 1);
  while (q !== -1) {
    let slashes = 0;
    for (let k = q - 1; k > open && line[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q;
    q = line.indexOf(QUOTE, q + 1);
  }
  throw new RowSyntaxError('an unterminated string');
}

function skipSpace(line: Buffer, i: number): number {
  while (i < line.length && line[i] === SPACE) i++;
  return i;
}

/** Per-row working space, reused across rows. */
export class RowScratch {
  readonly special: (Buffer | string | null)[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  constructor(readonly count: number) {
    this.special = new Array(count).fill(null);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
  }
}

/**
 * Appends the COPY line for `line` (without its newline and without a trailing comma) to `out`.
 * `wanted[i]` is the output position of field i, or -1 to drop it; `scratch.count` fields are output.
 */
export function rowToCopy(line: Buffer, fields: number, wanted: Int32Array, rowNumber: number | null, out: ByteSink, scratch: RowScratch): void {
  const count = scratch.count;
  if (line.indexOf(TAB) !== -1 || line.indexOf(CR) !== -1) return slowRow(line, fields, wanted, count, rowNumber, out);
  let i = skipSpace(line, 0);
  if (line[i] !== OPEN) throw new RowSyntaxError('a row must be a JSON array');
  i = skipSpace(line, i + 1);
  let nextSlash = line.indexOf(BACKSLASH, i);
  const { special: extra, starts, ends } = scratch;
  extra.fill(null);
  for (let f = 0; f < fields; f++) {
    if (f > 0) {
      if (line[i] !== COMMA) throw new RowSyntaxError(`a row must be an array of ${fields} values`);
      i = skipSpace(line, i + 1);
    }
    const slot = wanted[f];
    if (line[i] === QUOTE) {
      const fastClose = line.indexOf(QUOTE, i + 1);
      if (fastClose !== -1 && (nextSlash === -1 || nextSlash > fastClose)) {
        if (slot !== -1) {
          starts[slot] = i + 1;
          ends[slot] = fastClose;
        }
        i = fastClose + 1;
      } else {
        const close = closingQuote(line, i);
        if (slot !== -1) {
          let value: unknown;
          try {
            value = JSON.parse(line.toString('utf8', i, close + 1));
          } catch {
            throw new RowSyntaxError('a string value is not valid JSON');
          }
          extra[slot] = copyEscape(value as string);
        }
        i = close + 1;
        nextSlash = line.indexOf(BACKSLASH, i);
      }
    } else if (line[i] === NULL_BYTES[0] && line[i + 1] === NULL_BYTES[1] && line[i + 2] === NULL_BYTES[2] && line[i + 3] === NULL_BYTES[3]) {
      if (slot !== -1) extra[slot] = COPY_NULL;
      i += 4;
    } else {
      throw new RowSyntaxError('values must be strings or null');
    }
    i = skipSpace(line, i);
  }
  if (line[i] !== CLOSE) throw new RowSyntaxError(`a row must be an array of ${fields} values`);
  if (skipSpace(line, i + 1) !== line.length) throw new RowSyntaxError('unexpected characters after a row');
  if (rowNumber !== null) {
    out.text(String(rowNumber));
    if (count > 0) out.byte(TAB);
  }
  for (let k = 0; k < count; k++) {
    if (k > 0) out.byte(TAB);
    const special = extra[k];
    if (special === null) out.bytes(line, starts[k], ends[k]);
    else if (typeof special === 'string') out.text(special);
    else out.bytes(special, 0, special.length);
  }
  out.byte(0x0a);
}

/** Lines with raw tabs or carriage returns are not valid JSON rows; JSON.parse says so exactly. */
function slowRow(line: Buffer, fields: number, wanted: Int32Array, count: number, rowNumber: number | null, out: ByteSink): void {
  let values: unknown;
  try {
    values = JSON.parse(line.toString('utf8'));
  } catch {
    throw new RowSyntaxError('a row is not valid JSON');
  }
  if (!Array.isArray(values) || values.length !== fields) throw new RowSyntaxError(`a row must be an array of ${fields} values`);
  const picked: string[] = new Array(count);
  values.forEach((v, f) => {
    if (v !== null && typeof v !== 'string') throw new RowSyntaxError('values must be strings or null');
    if (wanted[f] !== -1) picked[wanted[f]] = v === null ? '\\N' : copyEscape(v);
  });
  out.text(`${rowNumber !== null ? `${rowNumber}${count > 0 ? '\t' : ''}` : ''}${picked.join('\t')}\n`);
}
