// A user who may not create the undo log (no CREATE on the database) still imports: the run's
// warnings say it cannot be undone, and mr4 undo says why there is nothing to undo.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);`;

test('without the right to create _mr4: a warning, the import goes on, nothing to undo', async () => {
  const source = await db(`${SCHEMA} INSERT INTO item (code, name) VALUES ('a', 'A');`);
  const role = `mr4_undo_${randomBytes(4).toString('hex')}`;
  const target = await db(`${SCHEMA}
    CREATE ROLE ${role} LOGIN PASSWORD 'x';
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    GRANT SELECT, INSERT, UPDATE ON item TO ${role}; GRANT USAGE, SELECT, UPDATE ON SEQUENCE item_id_seq TO ${role};`);
  await target.client.query(`REVOKE CREATE ON DATABASE ${target.name} FROM PUBLIC`);
  const url = new URL(target.url);
  url.username = role;
  url.password = 'x';
  const file = join(dir, 'a.tar.gz');
  await exportDb(source, file);
  try {
    const report = await importInto({ ...target, url: url.toString() }, file, 'merge');
    expect(report.tables[0]).toMatchObject({ inserted: 1 });
    expect(report.undo).toBeNull();
    expect(report.warnings.some((w) => /this import cannot be undone: the user may not create the undo log/.test(w))).toBe(true);
    await expect(undoImport({ db: dbTarget(target.url) })).rejects.toThrow(/none recorded an undo log/);
  } finally {
    await target.client.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
  }
});
