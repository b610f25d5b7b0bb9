// A `<x>_type` text column beside `<x>_id` is taken for a Rails polymorphic reference by its names
// alone only where the source's rows say so: uploads.file_type 'image' / 'document' beside file_id, an
// object number in an external store, while local tables images and documents happen to exist. Ids
// that name no row of the table their type names are copied as they are and said once; a pair whose
// ids partly do is refused with the way out; the configuration ("polymorphic", "notReferences") wins.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Mr4Config } from '../../src-main/engine/config';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import type { TestDb } from '../helpers/db';
import { counts, databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { planWith } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const schema = `
  CREATE TABLE images (id serial PRIMARY KEY, url text UNIQUE NOT NULL);
  CREATE TABLE documents (id serial PRIMARY KEY, title text UNIQUE NOT NULL);
  CREATE TABLE uploads (id serial PRIMARY KEY, name text UNIQUE NOT NULL, file_type text NOT NULL, file_id bigint NOT NULL);`;

/** Production: two images and a document, and uploads whose file ids are the given values. */
const source = (uploads: string) =>
  schema +
  `INSERT INTO images (url) VALUES ('x1'), ('x2'); INSERT INTO documents (title) VALUES ('d1');
   INSERT INTO uploads (name, file_type, file_id) VALUES ${uploads};`;

/** Dev: its own rows at production's ids, its sequences far ahead. */
const target = () =>
  db(
    schema +
      `INSERT INTO images (url) VALUES ('dev-a'), ('dev-b'), ('dev-c'); INSERT INTO documents (title) VALUES ('dev-doc');
       INSERT INTO uploads (name, file_type, file_id) VALUES ('dev-u1', 'image', 3), ('dev-u2', 'image', 3), ('dev-u3', 'document', 1), ('dev-u4', 'image', 3);
       SELECT setval('images_id_seq', 500), setval('documents_id_seq', 500), setval('uploads_id_seq', 500);`,
  );
const devUploads = [
  { id: 1, name: 'dev-u1', file_type: 'image', file_id: '3' },
  { id: 2, name: 'dev-u2', file_type: 'image', file_id: '3' },
  { id: 3, name: 'dev-u3', file_type: 'document', file_id: '1' },
  { id: 4, name: 'dev-u4', file_type: 'image', file_id: '3' },
];

const declared: Mr4Config = { tables: { uploads: { polymorphic: [{ column: 'file_id', typeColumn: 'file_type' }] } } };
const notReferences: Mr4Config = { tables: { uploads: { notReferences: ['file_id'] } } };
const declareIt = `If it is one, state it in the configuration: "tables": {"uploads": {"polymorphic": [{"column": "file_id", "typeColumn": "file_type"}]}}; if it is not, list "file_id" under "notReferences".`;

async function rows(d: TestDb) {
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  return {
    images: await q(`SELECT id, url FROM images ORDER BY id`),
    documents: await q(`SELECT id, title FROM documents ORDER BY id`),
    uploads: await q(`SELECT id, name, file_type, file_id FROM uploads ORDER BY id`),
  };
}

const devImages = [
  { id: 1, url: 'dev-a' },
  { id: 2, url: 'dev-b' },
  { id: 3, url: 'dev-c' },
];
const writtenImages = [...devImages, { id: 501, url: 'x1' }, { id: 502, url: 'x2' }];
const writtenDocuments = [
  { id: 1, title: 'dev-doc' },
  { id: 501, title: 'd1' },
];

async function exported(name: string, uploads: string): Promise<string> {
  const file = join(dir, `${name}.tar.gz`);
  await exportDb(await db(source(uploads)), file);
  return file;
}

describe('a *_type + *_id pair found by its names', () => {
  test('whose ids name no row of the tables their types name is copied as it is, and said once', async () => {
    const file = await exported('external', `('u1', 'image', 1001), ('u2', 'image', 1002), ('u3', 'document', 2001), ('u4', 'image', 999)`);
    const dst = await target();
    const report = await importInto(dst, file, 'merge');
    expect(counts(report)).toMatchObject({ images: { inserted: 2 }, documents: { inserted: 1 }, uploads: { inserted: 4 } });
    expect(report.warnings.filter((w) => w.includes('file_id') && !w.includes('looks like a polymorphic reference (file_type'))).toEqual([
      `uploads.file_type/file_id looks like a polymorphic reference but 4 of 4 ids name no row of documents/images in the archive: copied as they are. ${declareIt}`,
    ]);
    expect(await rows(dst)).toEqual({
      images: writtenImages,
      documents: writtenDocuments,
      uploads: [
        ...devUploads,
        { id: 501, name: 'u1', file_type: 'image', file_id: '1001' },
        { id: 502, name: 'u2', file_type: 'image', file_id: '1002' },
        { id: 503, name: 'u3', file_type: 'document', file_id: '2001' },
        { id: 504, name: 'u4', file_type: 'image', file_id: '999' },
      ],
    });
  });

  test('whose ids all name rows is a reference: rewritten through the ids those rows are given', async () => {
    const file = await exported('resolved', `('u1', 'image', 1), ('u2', 'image', 2), ('u3', 'document', 1)`);
    const dst = await target();
    const report = await importInto(dst, file, 'merge');
    expect(report.warnings.filter((w) => /^uploads\.(file_id is copied|file_type\/file_id)/.test(w))).toEqual([]);
    expect(await rows(dst)).toEqual({
      images: writtenImages,
      documents: writtenDocuments,
      uploads: [
        ...devUploads,
        { id: 501, name: 'u1', file_type: 'image', file_id: '501' },
        { id: 502, name: 'u2', file_type: 'image', file_id: '502' },
        { id: 503, name: 'u3', file_type: 'document', file_id: '501' },
      ],
    });
  });

  test('up to 1 in 100 ids of a type naming no row (parents since deleted) still leaves it a reference', async () => {
    const uploads = `${Array.from({ length: 99 }, (_, i) => `('u${i + 1}', 'image', ${(i % 2) + 1})`).join(', ')}, ('u100', 'image', 77)`;
    const file = await exported('tolerated', uploads);
    const dst = await target();
    const report = await importInto(dst, file, 'merge');
    expect(report.warnings.filter((w) => w.startsWith('uploads.file_id is copied as it is'))).toEqual([
      `uploads.file_id is copied as it is in rows that name no row mr4 can follow, so in a target whose ids differ they point at other rows: 1 with file_type = 'image' (name images rows the archive does not have).`,
    ]);
    const { rows: onImages } = await dst.client.query(
      `SELECT u.name, COALESCE(i.url, '(nothing: ' || u.file_id || ')') AS image FROM uploads u LEFT JOIN images i ON i.id = u.file_id
        WHERE u.name NOT LIKE 'dev-%' ORDER BY substr(u.name, 2)::int`,
    );
    expect(onImages).toEqual([
      ...Array.from({ length: 99 }, (_, i) => ({ name: `u${i + 1}`, image: i % 2 ? 'x2' : 'x1' })),
      { name: 'u100', image: '(nothing: 77)' },
    ]);
  });

  describe('whose ids partly name rows (the review repro: u4 names no image)', () => {
    const repro = `('u1', 'image', 1), ('u2', 'image', 2), ('u3', 'document', 1), ('u4', 'image', 999)`;
    const refusal =
      `uploads.file_type/file_id looks like a polymorphic reference, but only 3 of its 4 ids name a row of the table their file_type names ('document': 1 of 1 name a documents row; 'image': 2 of 3 name a images row): ` +
      `mr4 cannot tell a reference whose parents were deleted from other numbers that happen to match some ids, and either guess could write wrong values, so nothing was written. ${declareIt} ` +
      `Declared, the ids that name a row are rewritten and the others copied and named; under "notReferences" every id is copied as it is.`;

    test('is refused by the diff and the import, which write nothing', async () => {
      const file = await exported('repro', repro);
      const dst = await target();
      const before = await rows(dst);
      await expect(openDiff({ db: dbTarget(dst.url), archive: file })).rejects.toThrow(refusal);
      await expect(importInto(dst, file, 'merge')).rejects.toThrow(refusal);
      expect(await rows(dst)).toEqual(before);
    });

    test('under "notReferences": every file_id copied as it is', async () => {
      const file = await exported('repro-plain', repro);
      const dst = await target();
      const report = await importInto(dst, file, 'merge', { config: notReferences });
      expect(report.warnings.filter((w) => w.includes('file_id'))).toEqual([]);
      expect(await rows(dst)).toEqual({
        images: writtenImages,
        documents: writtenDocuments,
        uploads: [
          ...devUploads,
          { id: 501, name: 'u1', file_type: 'image', file_id: '1' },
          { id: 502, name: 'u2', file_type: 'image', file_id: '2' },
          { id: 503, name: 'u3', file_type: 'document', file_id: '1' },
          { id: 504, name: 'u4', file_type: 'image', file_id: '999' },
        ],
      });
    });

    test('declared "polymorphic": the ids that name a row rewritten, the other copied and named', async () => {
      const file = await exported('repro-declared', repro);
      const dst = await target();
      const plan = await planWith(dst.client, { config: declared });
      expect(plan.warnings.filter((w) => w.startsWith('uploads.file_id'))).toEqual([
        `uploads.file_id is a polymorphic reference (file_type names the table by class, 'Issue' → issues): rewritten through the named table's ids where that table is in the run (its own rows through the ids they are given, a table written after it once that is written); any other value is copied as it is and named in the run's warnings. Declare it in the configuration ("references", for a column that always points at one table), leave it out ("excludeColumns"), or list it under "notReferences" if it holds no ids of other rows.`,
      ]);
      const report = await importInto(dst, file, 'merge', { config: declared });
      expect(report.warnings.filter((w) => w.startsWith('uploads.file_id is copied as it is'))).toEqual([
        `uploads.file_id is copied as it is in rows that name no row mr4 can follow, so in a target whose ids differ they point at other rows: 1 with file_type = 'image' (name images rows the archive does not have).`,
      ]);
      expect(await rows(dst)).toEqual({
        images: writtenImages,
        documents: writtenDocuments,
        uploads: [
          ...devUploads,
          { id: 501, name: 'u1', file_type: 'image', file_id: '501' },
          { id: 502, name: 'u2', file_type: 'image', file_id: '502' },
          { id: 503, name: 'u3', file_type: 'document', file_id: '501' },
          { id: 504, name: 'u4', file_type: 'image', file_id: '999' },
        ],
      });
    });
  });

  test('the plan says it is followed only where its rows show it is a reference, and how to state either way', async () => {
    const plan = await planWith((await db(schema)).client);
    expect(plan.warnings.filter((w) => w.startsWith('uploads.file_id'))).toEqual([
      `uploads.file_id looks like a polymorphic reference (file_type names the table by class, 'Issue' → issues), by its columns' names alone: rewritten through the named table's ids where that table is in the run (its own rows through the ids they are given, a table written after it once that is written); any other value is copied as it is and named in the run's warnings. Only if the archive's rows show it is one: where the ids beside a type name no rows of its table it is copied as it is, and where some do and some do not the run stops. ${declareIt}`,
    ]);
  });
});
