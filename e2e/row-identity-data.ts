// Two copies of one small database that MR4 never synced (both loaded from the same dump, as a
// pg_dump restored into dev would be): employees without a natural key, and customers pointing at
// their support rep. The same rows sit at the same ids on both sides, so without a lineage of ids an
// edited employee only looks like an edit of the target's employee with its id (a probable edit).
import type { ArchiveInfo, EnvTag, SavedConnection } from '../src-common/contract';
import type { TestDatabase } from './fixtures';
import { type Studio, uniq } from './support';

export const COPIES_SQL = `
CREATE TABLE employee (id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, title text, email text, phone text, city text);
CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, support_rep_id integer REFERENCES employee (id));
INSERT INTO employee (first_name, last_name, title, email, phone, city) VALUES
  ('Andrew', 'Adams', 'General Manager', 'andrew@example.com', '+1 780 428 9482', 'Edmonton'),
  ('Nancy', 'Edwards', 'Sales Manager', 'nancy@example.com', '+1 403 262 3443', 'Calgary'),
  ('Jane', 'Peacock', 'Sales Support Agent', 'jane@example.com', '+1 403 262 3443 1', 'Calgary'),
  ('Margaret', 'Park', 'Sales Support Agent', 'margaret@example.com', '+1 403 263 4423', 'Calgary'),
  ('Steve', 'Johnson', 'Sales Support Agent', 'steve@example.com', '1 780 836 9987', 'Calgary'),
  ('Michael', 'Mitchell', 'IT Manager', 'michael@example.com', '+1 403 246 9887', 'Calgary'),
  ('Robert', 'King', 'IT Staff', 'robert@example.com', '+1 403 456 9986', 'Lethbridge'),
  ('Laura', 'Callahan', 'IT Staff', 'laura@example.com', '+1 403 467 3351', 'Lethbridge');
INSERT INTO customer (name, support_rep_id) VALUES ('Luís Gonçalves', 3), ('Leonie Köhler', 5), ('François Tremblay', 3), ('Bjørn Hansen', 4);
`;

/** The employee edited in the source: Jane Peacock, id 3, promoted. */
export const JANE = { id: 3, title: 'Sales Support Agent', promoted: 'Senior Sales Support Agent' };

export interface Copies {
  source: TestDatabase;
  target: TestDatabase;
  sourceConn: SavedConnection;
  targetConn: SavedConnection;
  /** The source exported and opened (after `edit`). */
  archive: ArchiveInfo;
}

/** Both copies, Jane promoted in the source (and `edit` applied there), the source exported and opened. */
export async function copies(
  app: { database(sql?: string): Promise<TestDatabase> },
  studio: Studio,
  options: { targetTag?: EnvTag; edit?: string } = {},
): Promise<Copies> {
  const source = await app.database(COPIES_SQL);
  const target = await app.database(COPIES_SQL);
  await source.client.query(`UPDATE employee SET title = $1 WHERE id = $2`, [JANE.promoted, JANE.id]);
  if (options.edit) await source.client.query(options.edit);
  const tag = uniq();
  const sourceConn = await studio.connect(source, `Laptop copy ${tag}`, 'dev');
  const targetConn = await studio.connect(target, `Office copy ${tag}`, options.targetTag ?? 'dev');
  const exported = await studio.exportVia(sourceConn.id);
  const archive = await studio.openArchive(exported.files![0]!.handle);
  return { source, target, sourceConn, targetConn, archive };
}

export async function employees(db: TestDatabase): Promise<{ id: number; last_name: string; title: string }[]> {
  return (await db.client.query(`SELECT id, last_name, title FROM employee ORDER BY id`)).rows;
}
