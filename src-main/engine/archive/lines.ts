// The limits of one line of a table file, and the splitter that cuts a byte stream into lines while
// holding at most LONG_LINE bytes of any one: a longer line is handed on in pieces as it streams.
import { isUtf8 } from 'node:buffer';

/** Lines up to this many bytes are handled whole; longer ones are decoded as they stream. */
export const LONG_LINE = 1024 * 1024;
/**
 * The largest row a table file may hold (its JSON text): 1 GiB, PostgreSQL's own ceiling for one value
 * and for one line of COPY. Rows are streamed, so memory does not grow with them; a longer row is
 * refused as soon as it passes the limit.
 */
export const MAX_ROW_BYTES = 1024 ** 3;
/** The largest header line of a table file (its table and column names). */
export const MAX_HEADER_BYTES = LONG_LINE;

const NL = 0x0a;

export interface LineHandler {
  /** A whole line, without its newline (a view: copy what you keep). */
  line(buf: Buffer): void;
  /** A line longer than the threshold begins; its bytes follow through longBytes, then longEnd. */
  longStart(): void;
  longBytes(buf: Buffer, start: number, end: number): void;
  longEnd(): void;
}

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private long = false;

  constructor(
    /** Lines longer than this are handed on in pieces (may change between lines). */
    public threshold: number,
    private readonly handler: LineHandler,
  ) {}

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let start = 0;
    while (start < n) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? n : nl;
      if (this.long) {
        if (end > start) this.handler.longBytes(chunk, start, end);
      } else if (this.partialBytes + (end - start) > this.threshold) {
        this.long = true;
        this.handler.longStart();
        const parts = this.partial;
        this.partial = [];
        this.partialBytes = 0;
        for (const p of parts) this.handler.longBytes(p, 0, p.length);
        if (end > start) this.handler.longBytes(chunk, start, end);
      } else if (nl !== -1) {
        if (this.partialBytes === 0) this.handler.line(chunk.subarray(start, nl));
        else {
          const line = Buffer.concat([...this.partial, chunk.subarray(start, nl)]);
          this.partial = [];
          this.partialBytes = 0;
          this.handler.line(line);
        }
      } else {
        this.partial.push(Buffer.from(chunk.subarray(start, end)));
        this.partialBytes += end - start;
      }
      if (nl === -1) return;
      if (this.long) {
        this.long = false;
        this.handler.longEnd();
      }
      start = nl + 1;
    }
  }

  /** Whether bytes after the last newline are waiting (a last line without one). */
  get pending(): boolean {
    return this.long || this.partialBytes > 0;
  }

  /** The stream ended: hands on a last line that had no newline. */
  finish(): void {
    if (this.long) {
      this.long = false;
      this.handler.longEnd();
    } else if (this.partialBytes > 0) {
      const line = Buffer.concat(this.partial);
      this.partial = [];
      this.partialBytes = 0;
      this.handler.line(line);
    }
  }
}

function sequenceLength(lead: number): number {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/** Where a multi-byte sequence that the end of [start, end) cuts starts, or end. */
function cutSequence(buf: Buffer, start: number, end: number): number {
  for (let k = 1; k <= 3 && end - k >= start; k++) {
    const b = buf[end - k];
    if ((b & 0xc0) === 0x80) continue;
    return b >= 0xc0 && sequenceLength(b) > k ? end - k : end;
  }
  return end;
}

/** Checks a byte stream is UTF-8, chunk by chunk (a character may be cut between two chunks). */
export class Utf8Check {
  private carry: Buffer | null = null;

  /** False once the stream holds bytes that are not UTF-8. */
  check(chunk: Buffer): boolean {
    let start = 0;
    if (this.carry) {
      const need = sequenceLength(this.carry[0]) - this.carry.length;
      const take = Math.min(need, chunk.length);
      this.carry = Buffer.concat([this.carry, chunk.subarray(0, take)]);
      start = take;
      if (this.carry.length < sequenceLength(this.carry[0])) return true;
      if (!isUtf8(this.carry)) return false;
      this.carry = null;
    }
    const cut = cutSequence(chunk, start, chunk.length);
    if (cut > start && !isUtf8(chunk.subarray(start, cut))) return false;
    if (cut < chunk.length) this.carry = Buffer.from(chunk.subarray(cut));
    return true;
  }

  /** False if the stream ended inside a character. */
  end(): boolean {
    return this.carry === null;
  }
}

/** "1 GiB", "256 MiB", "64 KiB" or a number of bytes. */
export function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
