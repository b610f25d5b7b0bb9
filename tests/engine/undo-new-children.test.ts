// A row the import inserted that the target has since given children (a note added to an imported
// team): deleting it would break their foreign key, so the undo stops, says which constraint and which
// rows, and changes nothing.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { undoImport } from '../../src-main/engine/undo';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';
import { snapshot } from '../helpers/undo';

const dir = scratchDir();
const db = databasesForFile();
const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, code text NOT NULL UNIQUE);
  CREATE TABLE note (id serial PRIMARY KEY, team_id int NOT NULL REFERENCES team(id), body text);`;

test('an imported row that got children since: the undo stops on the foreign key, nothing changed', async () => {
  const source = await db(`${SCHEMA} INSERT INTO team (code) VALUES ('new');`);
  const target = await db(SCHEMA);
  const file = join(dir, 'team.tar.gz');
  await exportDb(source, file);
  await importInto(target, file, 'merge');
  await target.client.query(`INSERT INTO note (team_id, body) SELECT id, 'added after the import' FROM team WHERE code = 'new'`);
  const now = await snapshot(target.client);
  const note = (await target.client.query(`SELECT id FROM note`)).rows[0].id;
  await expect(undoImport({ db: dbTarget(target.url) })).rejects.toThrow(
    new RegExp(`would break a constraint: .*note_team_id_fkey[\\s\\S]*\n  note \\{"id":${note}\\}\n[\\s\\S]*Nothing was changed`),
  );
  expect(await snapshot(target.client)).toEqual(now);
});
