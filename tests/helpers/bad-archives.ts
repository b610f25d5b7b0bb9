// A corpus of bad archives, each built from a good one by the tests themselves: cut, corrupted, lying
// about its entries, holding values PostgreSQL cannot store, bombs. Each comes with what the refusal
// must say. Used by the fault suite (import, diff, the archive browser).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type CraftedEntry, craftArchive, fixIndexFor, readEntries, tarBytes } from './craft-archive';

export interface BadArchive {
  name: string;
  file: string;
  /** What the refusal says (import and diff). */
  expect: RegExp;
  /** The archive is damaged below the tar layer (the archive browser refuses it too, rather than
   *  showing it with warnings). */
  unreadable?: boolean;
}

/** `table` is a table file of the good archive with at least two rows; its first row is `["…",…]`. */
export function buildBadArchives(good: string, dir: string, table: string): BadArchive[] {
  const bytes = readFileSync(good);
  const entries = readEntries(good);
  const index = entries.find((e) => e.path === 'index.json')!;
  const file = entries.find((e) => e.path === table)!;
  const out: BadArchive[] = [];
  const add = (name: string, expect: RegExp, content: Buffer | CraftedEntry[], unreadable = false) => {
    const path = join(dir, `bad-${name}.tar.gz`);
    if (Buffer.isBuffer(content)) writeFileSync(path, content);
    else craftArchive(path, content);
    out.push({ name, file: path, expect, unreadable });
  };
  /** The archive with the table file's text changed (and index.json made to match it). */
  const alter = (name: string, expect: RegExp, change: (text: string) => string, fixIndex = true) => {
    const text = Buffer.from(change(file.body.toString('latin1')), 'latin1');
    const list = entries.map((e) =>
      e.path === table
        ? { ...e, body: text }
        : e.path === 'index.json' && fixIndex
          ? { ...e, body: fixIndexFor(index.body, table, text) }
          : e,
    );
    add(name, expect, list);
  };
  const firstRow = (text: string) => text.indexOf('\n[') + 1;
  /** Replaces the first value of the first row (a string) with `json` (raw JSON text). */
  const firstValue = (json: string) => (text: string) => {
    const at = firstRow(text) + 1;
    const close = text.indexOf('"', at + 1);
    return text.slice(0, at) + json + text.slice(close + 1);
  };

  // ── Not an archive, or cut short ──
  add('not-gzip', /not a gzip file/, Buffer.from('this is not an archive'), true);
  add('empty-file', /not a gzip file/, Buffer.alloc(0), true);
  add('gzip-magic-only', /truncated|corrupt/, Buffer.from([0x1f, 0x8b]), true);
  add('empty-tar', /no index\.json|not a valid tar/, gzipSync(Buffer.alloc(1024)), true);
  for (const pct of [10, 50, 90, 99]) add(`cut-${pct}pct`, /truncated/, bytes.subarray(0, Math.floor((bytes.length * pct) / 100)), true);
  add('cut-last-byte', /truncated/, bytes.subarray(0, bytes.length - 1), true);
  // The gzip data ends cleanly, but inside the table file (tar level).
  const tar = tarBytes(entries);
  const tableAt = tar.indexOf(Buffer.from(table)) + 512;
  add('tar-cut-in-file', /truncated|ends before its rows|lacks/, gzipSync(tar.subarray(0, tableAt + 100)), true);
  // ── Corrupt gzip ──
  const flipped = Buffer.from(bytes);
  flipped[Math.floor(bytes.length * 0.6)] ^= 0x55;
  add('gzip-byte-flipped', /gzip data is corrupt|truncated/, flipped, true);
  const crc = Buffer.from(bytes);
  crc[crc.length - 6] ^= 0xff;
  add('gzip-crc-wrong', /gzip data is corrupt|incorrect data check/, crc, true);
  add('gzip-trailing-garbage', /corrupt|not a valid tar|truncated/, Buffer.concat([bytes, Buffer.from('garbage after the end')]), true);
  // ── Entries that are not plain files in a flat archive ──
  add('entry-dotdot', /unsafe name/, [...entries, { path: '../evil.json', body: '{}' }]);
  add('entry-absolute', /unsafe name/, [...entries, { path: '/tmp/evil.json', body: '{}' }]);
  add('entry-symlink', /only plain files/, [...entries, { path: 'link.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }]);
  add('entry-hardlink', /only plain files/, [...entries, { path: 'hard.json', type: 'Link', linkpath: table }]);
  add('entry-in-folder', /in a folder/, [...entries, { path: 'sub/x.json', body: '{}' }]);
  add('entry-device', /only plain files/, [...entries, { path: 'dev.json', type: 'CharacterDevice' }]);
  add('entry-fifo', /only plain files/, [...entries, { path: 'fifo.json', type: 'FIFO' }]);
  add('entry-twice', /twice/, [...entries, file]);
  add('entry-unlisted', /does not list/, [...entries, { path: 'extra.json', body: '{}' }]);
  add(
    'entry-missing',
    /lacks/,
    entries.filter((e) => e.path !== table),
  );
  add('entry-declares-2TiB', /declares/, [...entries, { path: 'huge.json', body: '', size: 2 * 1024 ** 4 }]);
  // Entries of the folder itself ("./") are counted but not read: only the count can refuse these.
  add('entries-10001', /more than 10000 entries/, [
    index,
    ...Array.from({ length: 10_001 }, () => ({ path: './', type: 'Directory' as const })),
    ...entries.slice(1),
  ]);
  // ── index.json ──
  add(
    'index-missing',
    /no index\.json/,
    entries.filter((e) => e.path !== 'index.json'),
  );
  add('index-not-first', /must be the first/, [...entries.filter((e) => e.path !== 'index.json'), index]);
  add(
    'index-not-json',
    /not valid JSON/,
    entries.map((e) => (e === index ? { ...e, body: '{"format": ' } : e)),
  );
  add(
    'index-wrong-format',
    /not a valid MR4 archive index/,
    entries.map((e) => (e === index ? { ...e, body: '{"format":"zip"}' } : e)),
  );
  add(
    'index-value-bomb',
    /more than 500000 JSON values/,
    entries.map((e) => (e === index ? { ...e, body: `{"x":[${'{},'.repeat(2_000_000)}{}]}` } : e)),
  );
  add(
    'index-over-16MiB',
    /at most 16777216/,
    entries.map((e) => (e === index ? { ...e, body: `{"x":"${'a'.repeat(17 * 1024 * 1024)}"}` } : e)),
  );
  // ── A table file that does not hold what index.json says ──
  alter('checksum-mismatch', /does not match its checksum/, (t) => t.slice(0, firstRow(t) + 2) + 'X' + t.slice(firstRow(t) + 3), false);
  alter('row-count-wrong', /holds \d+ rows, index\.json says/, (t) => t, true);
  alter('nul-byte-raw', /NUL/, firstValue('"a\u0000b"'));
  alter('nul-escaped', /NUL/, firstValue('"a\\u0000b"'));
  alter('invalid-utf8', /not valid UTF-8/, firstValue('"a\xff\xfeb"'));
  alter('lone-surrogate', /surrogate/, firstValue('"\\ud800"'));
  alter('value-a-number', /strings or null/, firstValue('42'));
  alter('row-too-short', /array of \d+ values/, (t) => t.replace(/\n\[("[^"]*"|null),/, '\n['));
  alter('row-not-json', /not valid JSON|unterminated|array/, firstValue('"abc'));
  alter('rows-without-comma', /separated by a comma/, (t) => t.replace(/\],\n\[/, ']\n['));
  alter('comma-before-end', /comma before the end/, (t) => t.replace(/\]\n\]\}\n$/, '],\n]}\n'));
  alter('ends-before-rows-end', /ends before its rows do/, (t) => t.replace(/\n\]\}\n$/, '\n'));
  alter('data-after-end', /data after the end/, (t) => `${t}["more"]\n`);
  alter('header-other-table', /the file is for table/, (t) => t.replace(/"tableName":"[^"]*"/, '"tableName":"someone_else"'));
  alter('header-other-columns', /columns differ/, (t) => t.replace(/"columns":\[/, '"columns":["extra",'));
  alter('header-too-long', /header line is longer than 1 MiB/, (t) => t.replace(/^\{/, `{"pad":"${'p'.repeat(1_100_000)}",`));
  // The row count in index.json is fixed to the file for 'row-count-wrong' by fixIndexFor; make it lie.
  const rc = out.find((b) => b.name === 'row-count-wrong')!;
  const rcEntries = readEntries(rc.file).map((e) => {
    if (e.path !== 'index.json') return e;
    const json = JSON.parse(e.body.toString());
    const t = Object.keys(json.tables).find((k) => json.tables[k].file === table)!;
    json.tables[t].rows += 1;
    return { ...e, body: Buffer.from(JSON.stringify(json)) };
  });
  craftArchive(rc.file, rcEntries);
  return out;
}
