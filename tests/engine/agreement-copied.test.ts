// A first pull writes every row of a table as the archive has it: the agreement the pair keeps is then
// the archive's own file for that table, copied, not read back from the target and written out again.
// Tables the target held rows of, or whose stored values may differ, are still read back.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import type { ImportOptions } from '../../src-main/engine/import/index';
import { agreementStore } from '../../src-main/services/bases';
import { alterTableFile, readEntries } from '../helpers/craft-archive';
import type { TestDb } from '../helpers/db';
import { counts, exportDb, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dir, dataDir, db, registry, archiveOf } = mergeWorkspace();

const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, founded timestamptz);
  -- No natural key: a note is known by its lineage of ids only.
  CREATE TABLE note (id serial PRIMARY KEY, team_id int REFERENCES team(id), body text);`;
const DATA = `
  INSERT INTO team (code, name, founded) VALUES ('a', 'Alpha', '2024-01-01 10:00:00+00'), ('b', 'Beta', NULL);
  INSERT INTO note (team_id, body) VALUES (1, 'first'), (2, 'second');`;
// Dev's sequences are far ahead: every row lands at another id than in production.
const DEV = `${SCHEMA} SELECT setval('team_id_seq', 500); SELECT setval('note_id_seq', 500);`;

let n = 0;
async function importKeeping(to: TestDb, archive: string, mode: 'skip' | 'merge', options: Partial<ImportOptions> = {}) {
  const report = await importInto(to, archive, mode, { agreement: agreementStore(dataDir), ...options });
  await registry.record(report);
  return report;
}

/** Each table file's body, by table. */
function tableFiles(archive: string): Record<string, string> {
  const entries = readEntries(archive);
  const index = JSON.parse(entries.find((e) => e.path === 'index.json')!.body.toString('utf8'));
  return Object.fromEntries(
    Object.entries(index.tables as Record<string, { file: string }>).map(([table, { file }]) => [
      table,
      entries.find((e) => e.path === file)!.body.toString('utf8'),
    ]),
  );
}

async function teams(d: TestDb) {
  return (await d.client.query(`SELECT code, name, founded::text FROM team ORDER BY code`)).rows;
}

describe("a first pull's agreement is the archive's files", () => {
  test('kept as the archive wrote them, and the base of the merge back', async () => {
    const prod = await db(SCHEMA + DATA);
    const dev = await db(DEV);
    // The same instant written as no server writes it: a file read back from dev would say
    // '2024-01-01 10:00:00+00'.
    const archive = join(dir, `seed-${++n}.tar.gz`);
    alterTableFile(
      await archiveOf(prod),
      archive,
      'team.json',
      (text) => text.replace('2024-01-01 10:00:00+00', '2024-01-01T12:00:00+02:00'),
      true,
    );
    const seeded = await importKeeping(dev, archive, 'merge');
    expect(counts(seeded)).toMatchObject({ team: { inserted: 2, failed: 0 }, note: { inserted: 2, failed: 0 } });
    const agreed = tableFiles(seeded.agreement!.path);
    expect(agreed).toEqual(tableFiles(archive));
    expect(agreed.team).toContain('2024-01-01T12:00:00+02:00');

    // Each side edits a team; dev's edit is merged back, production's stands, the instant written
    // two ways is the same value on all three sides.
    await prod.client.query(`UPDATE team SET name = 'Alpha (prod)' WHERE code = 'a'`);
    await dev.client.query(`UPDATE team SET name = 'Beta (dev)' WHERE code = 'b'`);
    const back = await importKeeping(prod, await archiveOf(dev), 'merge', { base: 'auto' });
    expect(back.failures).toEqual([]);
    expect(counts(back)).toMatchObject({ team: { inserted: 0, updated: 1 }, note: { inserted: 0, updated: 0 } });
    expect(await teams(prod)).toEqual([
      { code: 'a', name: 'Alpha (prod)', founded: '2024-01-01 10:00:00+00' },
      { code: 'b', name: 'Beta (dev)', founded: null },
    ]);
  });

  test("into a target holding other rows at the source's very ids: merged back three ways, then again with nothing to write", async () => {
    const prod = await db(SCHEMA + DATA);
    // Dev's own rows take ids 1 and 2: production's rows land at other ids.
    const dev = await db(`${SCHEMA} INSERT INTO team (code, name) VALUES ('x', 'Dev X'), ('y', 'Dev Y');
                          INSERT INTO note (team_id, body) VALUES (1, 'dev note');`);
    const archive = await archiveOf(prod);
    const seeded = await importKeeping(dev, archive, 'merge');
    expect(counts(seeded)).toMatchObject({ team: { inserted: 2, failed: 0 }, note: { inserted: 2, failed: 0 } });
    expect(tableFiles(seeded.agreement!.path)).toEqual(tableFiles(archive));

    await prod.client.query(`UPDATE note SET body = 'first (prod)' WHERE body = 'first'`);
    await dev.client.query(`UPDATE note SET body = 'second (dev)' WHERE body = 'second'`);
    const back = await importKeeping(prod, await archiveOf(dev), 'merge', { base: 'auto' });
    expect(back.failures).toEqual([]);
    expect(counts(back)).toMatchObject({ team: { inserted: 2, updated: 0 }, note: { inserted: 1, updated: 1 } });
    const notes = `SELECT t.code, n.body FROM note n JOIN team t ON t.id = n.team_id ORDER BY t.code`;
    expect((await prod.client.query(notes)).rows).toEqual([
      { code: 'a', body: 'first (prod)' },
      { code: 'b', body: 'second (dev)' },
      { code: 'x', body: 'dev note' },
    ]);
    const again = await importKeeping(prod, await archiveOf(dev), 'merge', { base: 'auto' });
    expect(again.failures).toEqual([]);
    expect(counts(again)).toMatchObject({ team: { inserted: 0, updated: 0 }, note: { inserted: 0, updated: 0 } });
  });

  test("a pull of some tables keeps the earlier agreement's files of the others, and the next merge back uses them", async () => {
    const prod = await db(SCHEMA + DATA);
    const dev = await db(DEV);
    const seeded = await importKeeping(dev, await archiveOf(prod), 'merge');
    await prod.client.query(`INSERT INTO team (code, name) VALUES ('c', 'Gamma')`);
    const partial = await importKeeping(dev, await archiveOf(prod), 'merge', { tables: ['team'] });
    expect(counts(partial)).toMatchObject({ team: { inserted: 1, unchanged: 2 } });
    expect(counts(partial).note).toBeUndefined();
    expect(tableFiles(partial.agreement!.path).note).toBe(tableFiles(seeded.agreement!.path).note);

    await dev.client.query(`UPDATE note SET body = 'first (dev)' WHERE body = 'first'`);
    const back = await importKeeping(prod, await archiveOf(dev), 'merge', { base: 'auto' });
    expect(back.failures).toEqual([]);
    expect(counts(back)).toMatchObject({ team: { inserted: 0, updated: 0 }, note: { inserted: 0, updated: 1 } });
    expect((await prod.client.query(`SELECT body FROM note ORDER BY body`)).rows).toEqual([{ body: 'first (dev)' }, { body: 'second' }]);
  });

  test('a table the target held rows of is read back: a skipped row is not agreed on', async () => {
    const prod = await db(SCHEMA + DATA);
    const dev = await db(`${DEV} INSERT INTO team (code, name) VALUES ('a', 'Alpha (dev)');`);
    const archive = await archiveOf(prod);
    const seeded = await importKeeping(dev, archive, 'skip');
    expect(counts(seeded)).toMatchObject({ team: { inserted: 1, skipped: 1 }, note: { inserted: 2 } });
    const agreed = tableFiles(seeded.agreement!.path);
    // Team 'a' differs on the two sides: only 'b' is agreed on. The notes were all written: copied.
    expect(agreed.team).not.toContain('"a"');
    expect(agreed.team).toContain('"b"');
    expect(agreed.note).toBe(tableFiles(archive).note);
  });
});

describe('an archive changed while it is imported', () => {
  const replacements: [string, (prod: TestDb) => Promise<string>, RegExp][] = [
    [
      "another database's archive",
      async () => archiveOf(await db(`${SCHEMA} INSERT INTO team (code, name) VALUES ('z', 'Zeta');`)),
      /could not be kept \(the archive's file team\.json changed while it was imported\)/,
    ],
    [
      "the same database's archive of one of the tables",
      async (prod) => {
        const out = join(dir, `team-only-${++n}.tar.gz`);
        await exportDb(prod, out, { tables: ['team'] });
        return out;
      },
      /could not be kept \(the archive no longer holds note\.json\)/,
    ],
  ];
  test.each(replacements)(
    'replaced by %s: keeps no new agreement and says so; the rows staged before are imported',
    async (_, make, warning) => {
      const prod = await db(SCHEMA + DATA);
      const dev = await db(DEV);
      const archive = join(dir, `changing-${++n}.tar.gz`);
      await exportDb(prod, archive);
      const replacement = await make(prod);
      const report: ImportReport = await importKeeping(dev, archive, 'merge', {
        // Finishing: every row is written; the archive is read again only for the agreement.
        onEvent: (e) => {
          if (e.type === 'phase' && e.index === 4) copyFileSync(replacement, archive);
        },
      });
      expect(report.agreement).toBeNull();
      expect(report.warnings).toContainEqual(expect.stringMatching(warning));
      expect(await teams(dev)).toEqual([
        { code: 'a', name: 'Alpha', founded: '2024-01-01 10:00:00+00' },
        { code: 'b', name: 'Beta', founded: null },
      ]);
      expect(await registry.find(report.archive.identity!, report.target.identity)).toBeNull();
    },
  );
});
