// A table's sequence is moved past the ids an import wrote into it as soon as that table is written,
// not at the end: a trigger of a table written later that draws from it (an audit log) gets a fresh
// id, instead of the run failing on a duplicate key that only a second try, with the sequence burnt
// by the first, would get past.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { databasesForFile, exportDb, importInto, scratchDir } from '../helpers/engine';

const dir = scratchDir();
const db = databasesForFile();

const SCHEMA = `
  CREATE TABLE audit_log (id serial PRIMARY KEY, msg text NOT NULL);
  CREATE TABLE users (id serial PRIMARY KEY, login text NOT NULL UNIQUE);
  CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, title text NOT NULL UNIQUE);
  CREATE FUNCTION audit_post() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO audit_log (msg) VALUES ('post ' || NEW.title); RETURN NEW; END $$;
  CREATE TRIGGER posts_audit AFTER INSERT ON posts FOR EACH ROW EXECUTE FUNCTION audit_post();`;

test('an audit trigger of a later table draws ids past the ones the import wrote', async () => {
  const source = await db(`${SCHEMA}
    INSERT INTO users (login) VALUES ('bob');
    INSERT INTO posts (user_id, title) VALUES (1, 'b1'), (1, 'b2');`);
  const archive = join(dir, 'audited.tar.gz');
  await exportDb(source, archive);
  const dev = await db(SCHEMA);
  const report = await importInto(dev, archive, 'merge');
  expect(report.tables.map((t) => [t.table, t.inserted])).toEqual([
    ['audit_log', 2],
    ['users', 1],
    ['posts', 2],
  ]);
  // The archive's two entries at their ids, then the two the target's trigger wrote for the posts.
  expect((await dev.client.query('SELECT id, msg FROM audit_log ORDER BY id')).rows).toEqual([
    { id: 1, msg: 'post b1' },
    { id: 2, msg: 'post b2' },
    { id: 3, msg: 'post b1' },
    { id: 4, msg: 'post b2' },
  ]);
  expect((await dev.client.query(`SELECT nextval('audit_log_id_seq')::int AS next`)).rows).toEqual([{ next: 5 }]);
});
