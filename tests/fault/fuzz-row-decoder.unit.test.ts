// Property-based tests (fast-check) of the value decoder: the fast whole-line path (rowToCopy) and the
// streaming decoder (RowDecoder, for rows too long to hold) read the same grammar, give the same COPY
// text for any line cut into any pieces, agree with JSON.parse on what a row means, and refuse
// everything else with a RowSyntaxError (never another error, never a hang).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ByteSink, CopyFieldSink, RowDecoder, RowScratch, RowSyntaxError, rowToCopy } from '../../src-main/engine/archive/row-scanner';

type Outcome = { ok: true; out: string } | { ok: false };

function fast(line: Buffer, fields: number, wanted: Int32Array, count: number, rowNumber: number | null): Outcome {
  const sink = new ByteSink(64);
  try {
    rowToCopy(line, fields, wanted, rowNumber, sink, new RowScratch(count));
    return { ok: true, out: sink.buf.subarray(0, sink.length).toString('latin1') };
  } catch (error) {
    if (!(error instanceof RowSyntaxError)) throw error;
    return { ok: false };
  }
}

function streamed(line: Buffer, cuts: number[], fields: number, wanted: Int32Array, count: number, rowNumber: number | null): Outcome {
  const out = new ByteSink(64);
  const sink = new CopyFieldSink(out);
  sink.begin(rowNumber, count);
  const decoder = new RowDecoder(fields, wanted, sink, { allowComma: false });
  try {
    let at = 0;
    for (const cut of [...cuts.map((c) => c % (line.length + 1)).sort((a, b) => a - b), line.length]) {
      decoder.feed(line, at, Math.max(at, cut));
      at = Math.max(at, cut);
    }
    decoder.finish();
    sink.end();
    return { ok: true, out: out.buf.subarray(0, out.length).toString('latin1') };
  } catch (error) {
    if (!(error instanceof RowSyntaxError)) throw error;
    return { ok: false };
  }
}

/** COPY text of values, as PostgreSQL reads it back: the expected output for a valid row. */
function copyOf(values: (string | null)[], rowNumber: number | null): string {
  const esc = (v: string) => v.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
  const text = `${rowNumber !== null ? `${rowNumber}${values.length ? '\t' : ''}` : ''}${values.map((v) => (v === null ? '\\N' : esc(v))).join('\t')}\n`;
  return Buffer.from(text, 'utf8').toString('latin1');
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** Strings PostgreSQL could hold: any character but NUL and lone surrogates. */
const pgString = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/\u0000/g, ''));
const value = fc.oneof(pgString, fc.constant(null), fc.constantFrom('\\', '"', '\n\t\r', '\\N', '\u2028', '🎭', '\b\f\u000b\u0001'));
const spaces = fc.constantFrom('', ' ', '  ', '\t', '\r', ' \t ');

/** A JSON row written in a random legal way: random whitespace, escapes chosen at random. */
const row = fc
  .tuple(
    fc.array(value, { minLength: 0, maxLength: 6 }),
    fc.array(spaces, { minLength: 16, maxLength: 16 }),
    fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  )
  .map(([values, ws, escapeIt]) => {
    let k = 0;
    const encode = (s: string) =>
      `"${[...s]
        .map((c) => {
          const forced = c === '"' || c === '\\' || c < ' ';
          const code = c.codePointAt(0)!;
          if (!forced && !escapeIt[k++ % 64]) return c;
          if (c === '"') return '\\"';
          if (c === '\\') return '\\\\';
          if (code > 0xffff) {
            const hi = Math.floor((code - 0x10000) / 0x400) + 0xd800;
            const lo = ((code - 0x10000) % 0x400) + 0xdc00;
            return `\\u${hi.toString(16)}\\u${lo.toString(16).toUpperCase()}`;
          }
          return escapeIt[k++ % 64] ? `\\u${code.toString(16).padStart(4, '0')}` : JSON.stringify(c).slice(1, -1);
        })
        .join('')}"`;
    const w = (i: number) => ws[i % ws.length];
    const body = values.map((v, i) => `${w(i)}${v === null ? 'null' : encode(v)}${w(i + 5)}`).join(',');
    return { values, line: Buffer.from(`${w(10)}[${body}${values.length ? '' : w(11)}]${w(12)}`) };
  });

describe('the row decoder', () => {
  test('a valid row means what JSON.parse says, on both paths, however it is cut', () => {
    fc.assert(
      fc.property(
        row,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.option(fc.nat({ max: 1e6 }), { nil: null }),
        ({ values, line }, cuts, rowNumber) => {
          const expected = copyOf(values, rowNumber);
          // JSON.parse is the reference (whitespace it allows: space, tab, CR).
          expect(JSON.parse(line.toString('utf8'))).toEqual(values);
          const a = fast(line, values.length, identity(values.length), values.length, rowNumber);
          const b = streamed(line, cuts, values.length, identity(values.length), values.length, rowNumber);
          expect(a).toEqual({ ok: true, out: expected });
          expect(b).toEqual({ ok: true, out: expected });
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a subset of the columns is passed on in order, dropped values are still checked', () => {
    fc.assert(
      fc.property(
        row,
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        ({ values, line }, keep, cuts) => {
          const wanted = new Int32Array(values.length).fill(-1);
          let n = 0;
          values.forEach((_, i) => {
            if (keep[i]) wanted[i] = n++;
          });
          const expected = copyOf(
            values.filter((_, i) => keep[i]),
            7,
          );
          expect(fast(line, values.length, wanted, n, 7)).toEqual({ ok: true, out: expected });
          expect(streamed(line, cuts, values.length, wanted, n, 7)).toEqual({ ok: true, out: expected });
        },
      ),
      { numRuns: 500 },
    );
  });

  test('any bytes at all: both paths agree, refuse with RowSyntaxError only, and never pass a NUL or a raw newline on', () => {
    const alphabet = fc.constantFrom(
      ...'[]",\\ nul\tx\r\n\u0000{}0tuU5dD8'.split(''),
      'null',
      '"\\u0000"',
      '"\\ud800"',
      '"\\udc00"',
      '"\\ud83c\\udfad"',
      '"é"',
      '\\u00e9',
    );
    const junk = fc.array(alphabet, { maxLength: 30 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));
    const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(junk, bytes), fc.integer({ min: 0, max: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (line, fields, cuts) => {
        const a = fast(line, fields, identity(fields), fields, 1);
        const b = streamed(line, cuts, fields, identity(fields), fields, 1);
        expect(a).toEqual(b);
        if (a.ok) {
          const out = Buffer.from(a.out, 'latin1');
          expect(out.indexOf(0)).toBe(-1);
          // One COPY line: its only raw newline ends it, and it has exactly `fields` tab-separated values.
          expect(out.indexOf(0x0a)).toBe(out.length - 1);
          expect(out.toString('latin1').slice(0, -1).split('\t')).toHaveLength(fields + 1);
          // And it is what JSON.parse makes of the line, where JSON.parse accepts it.
          let parsed: unknown;
          try {
            parsed = JSON.parse(line.toString('utf8'));
          } catch {
            parsed = undefined;
          }
          if (parsed !== undefined && Buffer.from(line.toString('utf8')).equals(line))
            expect(a.out).toBe(copyOf(parsed as (string | null)[], 1));
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('NUL is refused however it is written, and a lone surrogate too', () => {
    for (const line of [
      '["a\\u0000b"]',
      '["\\u0000"]',
      '["a\u0000"]',
      '[null\u0000]',
      '["\\ud800"]',
      '["\\udc00x"]',
      '["\\ud800\\u0041"]',
    ]) {
      expect(fast(Buffer.from(line), 1, identity(1), 1, null), line).toEqual({ ok: false });
      expect(streamed(Buffer.from(line), [3], 1, identity(1), 1, null), line).toEqual({ ok: false });
    }
  });
});
