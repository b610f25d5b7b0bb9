// Converts one row line of a table file (a JSON array of strings and nulls) to one line of PostgreSQL
// COPY text format, working on bytes. A JSON string without a backslash holds its value verbatim, and
// cannot contain a raw tab, newline or backslash, so it is copied as is; a string with escapes is
// decoded straight into the output. UTF-8 is checked by the table file reader as the bytes arrive
// (and again by the server).
//
// Rows too long to hold whole (see LONG_LINE in lines.ts) and lines the fast path does not take (raw
// tabs or carriage returns) go through RowDecoder instead: a state machine that decodes the same
// grammar as the bytes stream by, never holding a value, and hands the decoded values to a FieldSink
// (the COPY text of the row, or the archive browser's shortened view of it).
//
// The grammar, for both paths: a JSON array (whitespace: space, tab, carriage return) of exactly N
// values, each null or a string. A string holds any byte raw except NUL, the quote, the backslash,
// tab, newline and carriage return (other control bytes are taken as they are); escapes as JSON
// defines them, surrogates only in pairs, and never \u0000 (PostgreSQL's text cannot hold NUL).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const N = 0x6e;
const U = 0x75;
const L = 0x6c;
const COPY_NULL = Buffer.from('\\N');

export class RowSyntaxError extends Error {}

export const NUL_MESSAGE = 'a value holds a NUL character (\\u0000 or a zero byte), which PostgreSQL cannot store in text';

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

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The byte a one-letter JSON escape stands for, or -1. */
function simpleEscape(c: number): number {
  switch (c) {
    case QUOTE:
      return QUOTE;
    case BACKSLASH:
      return BACKSLASH;
    case 0x2f:
      return 0x2f;
    case 0x62:
      return 0x08;
    case 0x66:
      return 0x0c;
    case 0x6e:
      return LF;
    case 0x72:
      return CR;
    case 0x74:
      return TAB;
    default:
      return -1;
  }
}

const utf8Scratch = Buffer.allocUnsafe(4);

/** The UTF-8 bytes of a code point, in utf8Scratch; returns their count. */
function encodeCodePoint(cp: number): number {
  if (cp < 0x80) {
    utf8Scratch[0] = cp;
    return 1;
  }
  if (cp < 0x800) {
    utf8Scratch[0] = 0xc0 | (cp >> 6);
    utf8Scratch[1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    utf8Scratch[0] = 0xe0 | (cp >> 12);
    utf8Scratch[1] = 0x80 | ((cp >> 6) & 0x3f);
    utf8Scratch[2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  utf8Scratch[0] = 0xf0 | (cp >> 18);
  utf8Scratch[1] = 0x80 | ((cp >> 12) & 0x3f);
  utf8Scratch[2] = 0x80 | ((cp >> 6) & 0x3f);
  utf8Scratch[3] = 0x80 | (cp & 0x3f);
  return 4;
}

const BAD_STRING = 'a string value is not valid JSON';

function readHex4(line: Buffer, at: number, end: number): number {
  if (at + 4 > end) throw new RowSyntaxError(BAD_STRING);
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = hexValue(line[at + k]);
    if (h < 0) throw new RowSyntaxError(BAD_STRING);
    v = (v << 4) | h;
  }
  return v;
}

/**
 * Decodes the content of a JSON string (bytes [start, end) between its quotes, escapes included) and
 * appends it to `out` as COPY text data; with `out` null it only checks it.
 */
function decodeEscapedString(line: Buffer, start: number, end: number, out: ByteSink | null): void {
  let run = start;
  let i = start;
  while (i < end) {
    const c = line[i];
    if (c !== BACKSLASH) {
      if (c === TAB || c === CR || c === LF || c === QUOTE) throw new RowSyntaxError(BAD_STRING);
      i++;
      continue;
    }
    if (out && i > run) out.bytes(line, run, i);
    if (i + 1 >= end) throw new RowSyntaxError(BAD_STRING);
    const e = line[i + 1];
    if (e !== U) {
      const b = simpleEscape(e);
      if (b < 0) throw new RowSyntaxError(BAD_STRING);
      if (out) {
        if (b === BACKSLASH || b === LF || b === CR || b === TAB) {
          out.byte(BACKSLASH);
          out.byte(b === BACKSLASH ? BACKSLASH : b === LF ? 0x6e : b === CR ? 0x72 : 0x74);
        } else out.byte(b);
      }
      i += 2;
      run = i;
      continue;
    }
    let cp = readHex4(line, i + 2, end);
    i += 6;
    if (cp >= 0xdc00 && cp <= 0xdfff) throw new RowSyntaxError('a string value holds half of a UTF-16 surrogate pair');
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i + 6 > end || line[i] !== BACKSLASH || line[i + 1] !== U)
        throw new RowSyntaxError('a string value holds half of a UTF-16 surrogate pair');
      const low = readHex4(line, i + 2, end);
      if (low < 0xdc00 || low > 0xdfff) throw new RowSyntaxError('a string value holds half of a UTF-16 surrogate pair');
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      i += 6;
    }
    if (cp === 0) throw new RowSyntaxError(NUL_MESSAGE);
    if (out) {
      if (cp === LF || cp === CR || cp === TAB || cp === BACKSLASH) {
        out.byte(BACKSLASH);
        out.byte(cp === BACKSLASH ? BACKSLASH : cp === LF ? 0x6e : cp === CR ? 0x72 : 0x74);
      } else {
        const n = encodeCodePoint(cp);
        out.bytes(utf8Scratch, 0, n);
      }
    }
    run = i;
  }
  if (out && end > run) out.bytes(line, run, end);
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

const VERBATIM = 0;
const IS_NULL = 1;
const ESCAPED = 2;

/** Per-row working space, reused across rows. */
export class RowScratch {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  constructor(readonly count: number) {
    this.kinds = new Uint8Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
  }
}

/** Whether the output positions keep the file's order (what RowDecoder needs to stream). */
export function keepsOrder(wanted: Int32Array): boolean {
  let last = -1;
  for (const w of wanted) {
    if (w === -1) continue;
    if (w <= last) return false;
    last = w;
  }
  return true;
}

/**
 * Appends the COPY line for `line` (without its newline and without a trailing comma) to `out`.
 * `wanted[i]` is the output position of field i, or -1 to drop it; `scratch.count` fields are output.
 */
export function rowToCopy(
  line: Buffer,
  fields: number,
  wanted: Int32Array,
  rowNumber: number | null,
  out: ByteSink,
  scratch: RowScratch,
): void {
  const count = scratch.count;
  if (line.indexOf(0) !== -1) throw new RowSyntaxError(NUL_MESSAGE);
  if (line.indexOf(TAB) !== -1 || line.indexOf(CR) !== -1 || line.indexOf(LF) !== -1)
    return slowRow(line, fields, wanted, count, rowNumber, out);
  let i = skipSpace(line, 0);
  if (line[i] !== OPEN) throw new RowSyntaxError('a row must be a JSON array');
  i = skipSpace(line, i + 1);
  let nextSlash = line.indexOf(BACKSLASH, i);
  const { kinds, starts, ends } = scratch;
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
          kinds[slot] = VERBATIM;
          starts[slot] = i + 1;
          ends[slot] = fastClose;
        }
        i = fastClose + 1;
      } else {
        const close = closingQuote(line, i);
        if (slot !== -1) {
          kinds[slot] = ESCAPED;
          starts[slot] = i + 1;
          ends[slot] = close;
        } else {
          decodeEscapedString(line, i + 1, close, null);
        }
        i = close + 1;
        nextSlash = line.indexOf(BACKSLASH, i);
      }
    } else if (line[i] === N && line[i + 1] === U && line[i + 2] === L && line[i + 3] === L) {
      if (slot !== -1) kinds[slot] = IS_NULL;
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
    const kind = kinds[k];
    if (kind === VERBATIM) out.bytes(line, starts[k], ends[k]);
    else if (kind === IS_NULL) out.bytes(COPY_NULL, 0, COPY_NULL.length);
    else decodeEscapedString(line, starts[k], ends[k], out);
  }
  out.byte(LF);
}

/** Lines with raw tabs, carriage returns (whitespace outside strings) or newlines: the general decoder. */
function slowRow(line: Buffer, fields: number, wanted: Int32Array, count: number, rowNumber: number | null, out: ByteSink): void {
  if (!keepsOrder(wanted)) throw new Error('internal: a table file reader keeps the file order of columns');
  const sink = new CopyFieldSink(out);
  const decoder = new RowDecoder(fields, wanted, sink, { allowComma: false });
  sink.begin(rowNumber, count);
  decoder.feed(line, 0, line.length);
  decoder.finish();
  sink.end();
}

// ─── The streaming decoder ───────────────────────────────────────────────────────────────────────────

/** Receives a row's values as RowDecoder decodes them: `k` is the value's output position. */
export interface FieldSink {
  nullField(k: number): void;
  startField(k: number): void;
  /** Decoded bytes of the current value (UTF-8 as the archive holds it), none of them a backslash,
   *  tab, newline or carriage return. */
  valueBytes(src: Buffer, start: number, end: number): void;
  /** One decoded byte of the current value (any byte but NUL). */
  valueByte(b: number): void;
  endField(k: number): void;
}

/** Writes decoded values as one COPY text line. */
export class CopyFieldSink implements FieldSink {
  private numbered = false;
  constructor(private readonly out: ByteSink) {}
  begin(rowNumber: number | null, count: number): void {
    this.numbered = rowNumber !== null && count > 0;
    if (rowNumber !== null) this.out.text(String(rowNumber));
  }
  startField(k: number): void {
    if (k > 0 || this.numbered) this.out.byte(TAB);
  }
  nullField(k: number): void {
    this.startField(k);
    this.out.bytes(COPY_NULL, 0, COPY_NULL.length);
  }
  valueBytes(src: Buffer, start: number, end: number): void {
    this.out.bytes(src, start, end);
  }
  valueByte(b: number): void {
    if (b === BACKSLASH || b === LF || b === CR || b === TAB) {
      this.out.byte(BACKSLASH);
      this.out.byte(b === BACKSLASH ? BACKSLASH : b === LF ? 0x6e : b === CR ? 0x72 : 0x74);
    } else this.out.byte(b);
  }
  endField(): void {}
  end(): void {
    this.out.byte(LF);
  }
}

function indexOrEnd(buf: Buffer, byte: number, from: number, end: number): number {
  const at = buf.indexOf(byte, from);
  return at === -1 || at > end ? end : at;
}

const enum S {
  /** Before the opening bracket. */
  Open,
  /** Where a value starts (after "[" or ","). */
  Value,
  Str,
  /** After a backslash in a string. */
  Esc,
  /** Reading the four hex digits of \uXXXX. */
  Hex,
  /** After a high surrogate's escape: expecting "\". */
  LowSlash,
  /** Expecting "u" of the low surrogate's escape. */
  LowU,
  /** Inside "null". */
  Null,
  /** After a value: "," or "]". */
  After,
  /** After the closing bracket. */
  Closed,
  /** After the separating comma that ends a line of a table file. */
  Comma,
}

export interface RowDecoderOptions {
  /** A comma after the row (the separator of a table file's rows) is allowed, as the last byte. */
  allowComma: boolean;
}

/**
 * Decodes one row line in pieces: feed() its bytes as they come (without the newline), then finish().
 * Values go to the sink as they are decoded; nothing but a few bytes of state is kept.
 */
export class RowDecoder {
  private state = S.Open;
  /** Index (in the file) of the value being read, or of the next one. */
  private field = 0;
  /** Output position of the value being read, or -1. */
  private slot = -1;
  private hex = 0;
  private hexDigits = 0;
  private high = -1;
  private nullAt = 0;
  private sawComma = false;
  /** Where the next byte the Str state must look at is, per kind, in the buffer being fed. */
  private nextQuote = -1;
  private nextSlash = -1;
  private nextTab = -1;
  private nextCr = -1;
  private nextLf = -1;
  private nextNul = -1;
  private scanned: Buffer | null = null;

  constructor(
    private readonly fields: number,
    private readonly wanted: Int32Array,
    private readonly sink: FieldSink,
    private readonly options: RowDecoderOptions,
  ) {}

  private fail(message: string): never {
    throw new RowSyntaxError(message);
  }

  private valueDone(): void {
    this.field++;
    this.state = S.After;
  }

  private codePoint(cp: number): void {
    if (cp === 0) this.fail(NUL_MESSAGE);
    if (this.slot === -1) return;
    if (cp < 0x80) {
      this.sink.valueByte(cp);
      return;
    }
    const n = encodeCodePoint(cp);
    this.sink.valueBytes(utf8Scratch, 0, n);
  }

  /** The end of the run of plain string bytes from `i`: the next quote, backslash, tab, newline,
   *  carriage return or NUL, or `end`. */
  private runEnd(buf: Buffer, i: number, end: number): number {
    if (this.scanned !== buf) {
      this.scanned = buf;
      this.nextQuote = this.nextSlash = this.nextTab = this.nextCr = this.nextLf = this.nextNul = -1;
    }
    if (this.nextQuote < i) this.nextQuote = indexOrEnd(buf, QUOTE, i, end);
    if (this.nextSlash < i) this.nextSlash = indexOrEnd(buf, BACKSLASH, i, end);
    if (this.nextTab < i) this.nextTab = indexOrEnd(buf, TAB, i, end);
    if (this.nextCr < i) this.nextCr = indexOrEnd(buf, CR, i, end);
    if (this.nextLf < i) this.nextLf = indexOrEnd(buf, LF, i, end);
    if (this.nextNul < i) this.nextNul = indexOrEnd(buf, 0, i, end);
    const other = Math.min(this.nextTab, this.nextCr, this.nextLf, this.nextNul);
    return Math.min(this.nextQuote, this.nextSlash, other, end);
  }

  feed(buf: Buffer, start: number, end: number): void {
    this.scanned = null;
    let i = start;
    while (i < end) {
      const c = buf[i];
      switch (this.state) {
        case S.Open:
          if (c === OPEN) this.state = S.Value;
          else if (c !== SPACE && c !== TAB && c !== CR) this.fail('a row must be a JSON array');
          i++;
          break;
        case S.Value:
          if (c === SPACE || c === TAB || c === CR) {
            i++;
            break;
          }
          if (c === CLOSE && this.field === 0 && this.fields === 0 && !this.sawComma) {
            this.state = S.Closed;
            i++;
            break;
          }
          if (this.field >= this.fields) this.fail(`a row must be an array of ${this.fields} values`);
          this.slot = this.wanted[this.field];
          if (c === QUOTE) {
            if (this.slot !== -1) this.sink.startField(this.slot);
            this.state = S.Str;
          } else if (c === N) {
            this.nullAt = 1;
            this.state = S.Null;
          } else {
            this.fail('values must be strings or null');
          }
          i++;
          break;
        case S.Str: {
          // A run of plain bytes up to the next byte that needs a look (found by indexOf, which is
          // fast), copied in one piece.
          const j = this.runEnd(buf, i, end);
          if (j > i && this.slot !== -1) this.sink.valueBytes(buf, i, j);
          i = j;
          if (i === end) break;
          const b = buf[i];
          if (b === QUOTE) {
            if (this.slot !== -1) this.sink.endField(this.slot);
            this.valueDone();
          } else if (b === BACKSLASH) {
            this.state = S.Esc;
          } else if (b === 0) {
            this.fail(NUL_MESSAGE);
          } else {
            this.fail(BAD_STRING);
          }
          i++;
          break;
        }
        case S.Esc:
          if (c === U) {
            this.hex = 0;
            this.hexDigits = 0;
            this.state = S.Hex;
          } else {
            const b = simpleEscape(c);
            if (b < 0) this.fail(BAD_STRING);
            if (this.slot !== -1) this.sink.valueByte(b);
            this.state = S.Str;
          }
          i++;
          break;
        case S.Hex: {
          const h = hexValue(c);
          if (h < 0) this.fail(BAD_STRING);
          this.hex = (this.hex << 4) | h;
          i++;
          if (++this.hexDigits < 4) break;
          const v = this.hex;
          if (this.high !== -1) {
            if (v < 0xdc00 || v > 0xdfff) this.fail('a string value holds half of a UTF-16 surrogate pair');
            this.codePoint(0x10000 + ((this.high - 0xd800) << 10) + (v - 0xdc00));
            this.high = -1;
            this.state = S.Str;
          } else if (v >= 0xd800 && v <= 0xdbff) {
            this.high = v;
            this.state = S.LowSlash;
          } else if (v >= 0xdc00 && v <= 0xdfff) {
            this.fail('a string value holds half of a UTF-16 surrogate pair');
          } else {
            this.codePoint(v);
            this.state = S.Str;
          }
          break;
        }
        case S.LowSlash:
          if (c !== BACKSLASH) this.fail('a string value holds half of a UTF-16 surrogate pair');
          this.state = S.LowU;
          i++;
          break;
        case S.LowU:
          if (c !== U) this.fail('a string value holds half of a UTF-16 surrogate pair');
          this.hex = 0;
          this.hexDigits = 0;
          this.state = S.Hex;
          i++;
          break;
        case S.Null:
          if (c !== (this.nullAt === 1 ? U : L)) this.fail('values must be strings or null');
          i++;
          if (++this.nullAt === 4) {
            if (this.slot !== -1) this.sink.nullField(this.slot);
            this.valueDone();
          }
          break;
        case S.After:
          if (c === COMMA) {
            if (this.field >= this.fields) this.fail(`a row must be an array of ${this.fields} values`);
            this.sawComma = true;
            this.state = S.Value;
          } else if (c === CLOSE) {
            if (this.field !== this.fields) this.fail(`a row must be an array of ${this.fields} values`);
            this.state = S.Closed;
          } else if (c !== SPACE && c !== TAB && c !== CR) {
            this.fail(`a row must be an array of ${this.fields} values`);
          }
          i++;
          break;
        case S.Closed:
          if (c === COMMA && this.options.allowComma) this.state = S.Comma;
          else if (c !== SPACE && c !== TAB && c !== CR) this.fail('unexpected characters after a row');
          i++;
          break;
        case S.Comma:
          this.fail('unexpected characters after a row');
      }
    }
  }

  /** The line ended: checks the row is complete. Returns whether a separating comma ended it. */
  finish(): boolean {
    if (this.state === S.Closed) return false;
    if (this.state === S.Comma) return true;
    if (this.state === S.Str || this.state === S.Esc || this.state === S.Hex || this.state === S.LowSlash || this.state === S.LowU)
      this.fail('an unterminated string');
    if (this.state === S.Open) this.fail('a row must be a JSON array');
    if (this.state === S.Null) this.fail('values must be strings or null');
    return this.fail(`a row must be an array of ${this.fields} values`);
  }
}
