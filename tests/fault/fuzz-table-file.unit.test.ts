// Property-based tests (fast-check) of table files and of the archive reader. A table file read in
// any chunking, with rows short or long (streamed past LONG_LINE), gives the same COPY text; a damaged
// one (a byte changed, removed, added, the file cut) is refused with an ArchiveError and nothing else;
// and an archive damaged anywhere ends the walk with an ArchiveError, never a hang or another error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { ArchiveError } from '../../src-main/engine/archive/format';
import { LineSplitter } from '../../src-main/engine/archive/lines';
import { walkArchive } from '../../src-main/engine/archive/reader';
import { TableFileReader, tableFileHeader } from '../../src-main/engine/archive/table-file';
import { tarBytes } from '../helpers/craft-archive';

const dir = mkdtempSync(join(tmpdir(), 'mr4-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tableFile(rows: (string | null)[][]): Buffer {
  return Buffer.from(tableFileHeader('t', ['a', 'b']) + rows.map((r) => JSON.stringify(r)).join(',\n') + (rows.length ? '\n]}\n' : ']}\n'));
}

function chunks(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, buf.length]) {
    if (c > prev) out.push(buf.subarray(prev, c));
    prev = c;
  }
  return out;
}

async function read(
  parts: Buffer[],
  maxRowBytes?: number,
): Promise<{ ok: true; out: string; rows: number } | { ok: false; error: unknown }> {
  const reader = new TableFileReader({ table: 't', columns: ['a', 'b'], rowNumbers: true, maxRowBytes });
  const got: Buffer[] = [];
  try {
    await pipeline(Readable.from(parts, { objectMode: false }), reader, new Writable({ write: (c, _e, cb) => (got.push(c), cb()) }));
    return { ok: true, out: Buffer.concat(got).toString('utf8'), rows: reader.rows };
  } catch (error) {
    return { ok: false, error };
  }
}

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }).map((s) => s.replace(/\u0000/g, '')),
  fc.constant(null),
  fc.constantFrom('"\\\n\t', '🎭é'),
);
const rows = fc.array(fc.tuple(value, value), { maxLength: 8 });

describe('table files', () => {
  test('any chunking, rows held or streamed: the same COPY text and row count', async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.array(fc.nat(), { maxLength: 10 }), fc.integer({ min: 0, max: 2 }), async (rs, cuts, longRow) => {
        // One row made longer than LONG_LINE (1 MiB) when asked, to go through the streaming decoder.
        const all = rs.map((r) => [...r]);
        if (longRow && all.length) all[0][1] = `${'x'.repeat(1_100_000)}"\\\n${longRow === 2 ? '🎭' : ''}`;
        const file = tableFile(all);
        const a = await read([file]);
        const b = await read(chunks(file, cuts));
        expect(a.ok, String((a as { error?: unknown }).error)).toBe(true);
        expect(b).toEqual(a);
        expect((a as { rows: number }).rows).toBe(all.length);
      }),
      { numRuns: 150 },
    );
  });

  test('a damaged file is refused with an ArchiveError, or reads as another valid file', async () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        text: fc.constantFrom('\n', ',', '"', '\\', '\u0000', ']', '[', 'null', '\t', '\xff'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(rows, damage, fc.array(fc.nat(), { maxLength: 5 }), async (rs, d, cuts) => {
        const good = tableFile(rs);
        const at = d.at % good.length;
        let bad: Buffer;
        if (d.kind === 'flip') bad = Buffer.concat([good.subarray(0, at), Buffer.of(d.byte), good.subarray(at + 1)]);
        else if (d.kind === 'cut') bad = good.subarray(0, at);
        else if (d.kind === 'drop') bad = Buffer.concat([good.subarray(0, at), good.subarray(at + 1)]);
        else bad = Buffer.concat([good.subarray(0, at), Buffer.from(d.text, 'latin1'), good.subarray(at)]);
        const r = await read(chunks(bad, cuts));
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(ArchiveError);
          return;
        }
        // Accepted: then it is a well-formed table file whose rows mean something (a changed letter);
        // the row count and checksum in index.json are what catch the rest.
        expect(
          r.out
            .split('\n')
            .filter(Boolean)
            .every((l) => /^\d+\t/.test(l)),
        ).toBe(true);
        expect(r.out.includes('\u0000')).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });

  test('a row above the limit is refused as soon as it passes it', async () => {
    const file = tableFile([['1', 'y'.repeat(3 << 20)]]);
    const r = await read(chunks(file, [65536, 200_000]), 2 << 20);
    expect(r.ok).toBe(false);
    expect(String((r as { error: unknown }).error)).toMatch(/larger than 2 MiB/);
  });

  test('the line splitter hands on the same lines however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 12 }), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (lines, cuts, threshold) => {
          const text = Buffer.from(lines.join('\n'));
          const seen: string[] = [];
          let long: Buffer[] | null = null;
          const splitter = new LineSplitter(threshold, {
            line: (l) => seen.push(l.toString()),
            longStart: () => (long = []),
            longBytes: (b, s, e) => long!.push(Buffer.from(b.subarray(s, e))),
            longEnd: () => {
              seen.push(Buffer.concat(long!).toString());
              long = null;
            },
          });
          for (const c of chunks(text, cuts)) splitter.feed(c);
          splitter.finish();
          const expected = text.length ? text.toString().split('\n') : [];
          // A last empty line (the text ends with a newline) is not a line.
          if (expected.length && expected[expected.length - 1] === '') expected.pop();
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('the archive reader', () => {
  const index = Buffer.from(JSON.stringify({ hello: 'index' }));
  const body = tableFile([
    ['1', 'a'],
    ['2', null],
    ['3', 'x'.repeat(3000)],
  ]);
  const good = gzipSync(
    tarBytes([
      { path: 'index.json', body: index },
      { path: 't.json', body },
      { path: 'u.json', body },
    ]),
  );

  test('an archive damaged anywhere ends with an ArchiveError (or reads), never hangs, never another error', async () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('garbage' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        const at = d.at % good.length;
        const bad =
          d.kind === 'flip'
            ? Buffer.concat([good.subarray(0, at), Buffer.of(d.byte), good.subarray(at + 1)])
            : d.kind === 'cut'
              ? good.subarray(0, Math.max(2, at))
              : Buffer.concat([good.subarray(0, Math.max(2, at)), Buffer.from(d.bytes)]);
        const path = join(dir, `a${n++}.tar.gz`);
        writeFileSync(path, bad);
        const visited: string[] = [];
        const walk = walkArchive(path, async (name, entry) => {
          visited.push(name);
          const reader = new TableFileReader({ table: 't', columns: ['a', 'b'] });
          if (name === 'index.json') return void (await entry.toArray());
          await pipeline(entry, reader, new Writable({ write: (_c, _e, cb) => cb() }));
        });
        const timeout = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 5000).unref());
        const outcome = await Promise.race([
          walk.then(
            () => 'ok' as const,
            (e: unknown) => e,
          ),
          timeout,
        ]);
        expect(outcome).not.toBe('hang');
        if (outcome !== 'ok') expect(outcome, String(outcome)).toBeInstanceOf(ArchiveError);
        rmSync(path, { force: true });
      }),
      { numRuns: 400 },
    );
  });
});
