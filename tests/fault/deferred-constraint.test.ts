// A deferred constraint trigger that refuses a row when it is checked, after every row was written:
// the import stops, rolled back, naming the constraint and PostgreSQL's words on the row (never a raw
// server message alone); --allow-failures cannot leave a row out at that point, and says so. The
// target is unchanged.
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { ensureBuilt, runCli } from '../helpers/cli';
import { fingerprint } from '../helpers/compare';
import type { TestDb } from '../helpers/db';
import { databasesForFile, exportDb, scratchDir } from '../helpers/engine';

const db = databasesForFile();
const SCHEMA = `CREATE TABLE item (id serial PRIMARY KEY, code text NOT NULL UNIQUE, body text);`;
const TRIGGER = `
  CREATE FUNCTION no_bad() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.body = 'bad' THEN
      RAISE EXCEPTION 'item % is bad', NEW.code USING ERRCODE = '23514', TABLE = 'item', CONSTRAINT = 'no_bad', DETAIL = 'Key (code)=(' || NEW.code || ') is refused.';
    END IF;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER no_bad AFTER INSERT OR UPDATE ON item DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION no_bad();`;
let target: TestDb;
let archive: string;

beforeAll(async () => {
  ensureBuilt();
  const source = await db(SCHEMA + `INSERT INTO item (code, body) VALUES ('a', 'fine'), ('b', 'bad'), ('c', 'fine');`);
  archive = join(scratchDir(), 'src.tar.gz');
  await exportDb(source, archive);
  target = await db(SCHEMA + TRIGGER + `INSERT INTO item (code, body) VALUES ('mine', 'kept');`);
}, 60_000);

test.each([[[]], [['--allow-failures']]])('import %j: stopped and rolled back, naming the constraint and the row', async (extra) => {
  const before = await fingerprint(target.client);
  const r = await runCli(['import', archive, '--db', target.url, '--mode', 'merge', '--no-remember', ...(extra as string[])]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(
    /A deferred constraint \(no_bad on item\) failed when it was checked, after every row was written: item b is bad \(Key \(code\)=\(b\) is refused\.\)/,
  );
  expect(r.stderr).toMatch(/--allow-failures cannot leave a row out here/);
  expect(r.stderr).not.toMatch(/bug in mr4/);
  expect(await fingerprint(target.client)).toBe(before);
});
