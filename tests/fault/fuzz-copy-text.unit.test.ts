// Property-based tests (fast-check) of the export's value encoder: COPY text to a JSON row, whole
// (copyRowToJson) or as it streams (CopyRowStream, for rows too long to hold), give the same bytes for
// any line cut into any pieces; and a row of any values goes COPY → table file → COPY unchanged.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CopyRowError, copyRowToJson, CopyRowStream } from '../../src-main/engine/archive/copy-text';
import { ByteSink, RowScratch, rowToCopy } from '../../src-main/engine/archive/row-scanner';

type Outcome = { ok: true; out: string } | { ok: false };

function whole(line: Buffer, columns: number): Outcome {
  // copyRowToJson may look at the byte after the line (the newline in a real stream).
  const src = Buffer.concat([line, Buffer.from('\n')]);
  const sink = new ByteSink(16);
  try {
    copyRowToJson(src, 0, line.length, columns, sink);
    return { ok: true, out: sink.buf.subarray(0, sink.length).toString('latin1') };
  } catch (error) {
    if (!(error instanceof CopyRowError)) throw error;
    return { ok: false };
  }
}

function streamed(line: Buffer, cuts: number[], columns: number): Outcome {
  const sink = new ByteSink(16);
  try {
    const s = new CopyRowStream(columns, sink);
    let at = 0;
    for (const cut of [...cuts.map((c) => c % (line.length + 1)).sort((a, b) => a - b), line.length]) {
      s.feed(line, at, Math.max(at, cut));
      at = Math.max(at, cut);
    }
    s.finish();
    return { ok: true, out: sink.buf.subarray(0, sink.length).toString('latin1') };
  } catch (error) {
    if (!(error instanceof CopyRowError)) throw error;
    return { ok: false };
  }
}

/** One value as PostgreSQL's COPY TO writes it. */
function copyValue(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(
    /[\\\b\f\n\r\t\v]/g,
    (c) => ({ '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' })[c]!,
  );
}

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => s.replace(/\u0000/g, '')),
  fc.constant(null),
  fc.constantFrom('\\N', 'N', '\\', '"', '\b\f\v\u0001\u001f', '\t\n\r', ''),
);

describe('the COPY text encoder', () => {
  test('any bytes, cut anywhere: the streamed JSON equals the whole one (or both refuse)', () => {
    const alphabet = fc.constantFrom('\\', 'N', '\t', 'a', '"', '\u0001', 'b', 'f', 'n', 'r', 't', 'v', 'x', 'é', '\\N', '\\\\');
    const junk = fc.array(alphabet, { maxLength: 24 }).map((p) => Buffer.from(p.join('')));
    fc.assert(
      fc.property(
        fc.oneof(
          junk,
          fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))),
        ),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (line, columns, cuts) => {
          expect(streamed(line, cuts, columns)).toEqual(whole(line, columns));
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('values go COPY → JSON row → COPY unchanged, and the JSON row is JSON of the values', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 5 }), (values, cuts) => {
        const line = Buffer.from(values.map(copyValue).join('\t'));
        const a = whole(line, values.length);
        const b = streamed(line, cuts, values.length);
        expect(a.ok).toBe(true);
        expect(b).toEqual(a);
        const json = Buffer.from((a as { out: string }).out, 'latin1');
        expect(JSON.parse(json.toString('utf8'))).toEqual(values);
        // Back to COPY text, as an import stages it: the server would read the same values.
        const back = new ByteSink(16);
        rowToCopy(json, values.length, Int32Array.from(values.keys()), null, back, new RowScratch(values.length));
        const expected = values
          .map((v) => (v === null ? '\\N' : v.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!)))
          .join('\t');
        expect(back.buf.subarray(0, back.length).toString('utf8')).toBe(`${expected}\n`);
      }),
      { numRuns: 3000 },
    );
  });
});
