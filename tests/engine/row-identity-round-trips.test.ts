// Real-world case: the first thing anyone does with mr4 on a database shaped like Pagila, a Django
// project or Chinook — export it whole and import it into an empty copy of its schema with default
// settings. The result must be an exact copy (every row, every reference), and merging the same
// archive again must find nothing to do and rewrite no row.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compareDatabases, fingerprint, rowVersions } from '../helpers/compare';
import { databasesForFile, exportDb, importInto, scratchDir, totals } from '../helpers/engine';
import { type Fixture, fixtureSchema, fixtureSql, physicalTables } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

describe.each(['pagila-like', 'django-like', 'chinook-like'] as Fixture[])('%s, whole, into an empty database', (name) => {
  test('is an exact copy, and a second merge of the same archive rewrites no row', async () => {
    const source = await db(fixtureSql(name));
    const empty = await db(fixtureSchema(name));
    const file = join(dir, `${name}-whole.tar.gz`);
    await exportDb(source, file);

    const report = await importInto(empty, file, 'merge');
    expect(report.failures).toEqual([]);
    expect(totals(report)).toMatchObject({ updated: 0, failed: 0 });
    expect(await compareDatabases(source.client, empty.client)).toEqual([]);
    // Same rows at the same ids: nothing in the target had to move.
    expect(await fingerprint(empty.client)).toBe(await fingerprint(source.client));

    const tables = await physicalTables(empty.client);
    const versions = await rowVersions(empty.client, tables);
    const again = await importInto(empty, file, 'merge');
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(empty.client, tables)).toEqual(versions);
  });
});
