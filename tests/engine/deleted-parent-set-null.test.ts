// A parent deleted in the source whose children are ON DELETE SET NULL (review 3, R5): the merge keeps
// the parent (it never deletes, and the target edited it since), so the references the deletion set
// to NULL are no edit of the source either — the target's children stay attached, the diff says why,
// and a repeated merge writes nothing. References the source changed itself are applied as before.
import { describe, expect, test } from 'vitest';
import type { DiffKind, ImportReport } from '../../src-common/contract';
import { formatDiff } from '../../src-main/cli/format-diff';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, registry, archiveOf } = mergeWorkspace();

const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, name text NOT NULL UNIQUE, budget int);
  CREATE TABLE player (id serial PRIMARY KEY, name text NOT NULL UNIQUE, team_id int REFERENCES team ON DELETE SET NULL);`;
const DATA = `
  INSERT INTO team (name, budget) VALUES ('reds', 10), ('blues', 20);
  INSERT INTO player (name, team_id) VALUES ('ann', 1), ('bob', 1), ('cy', 2), ('dan', 2);`;

/** A merge against what the two last agreed on (the first sync: two ways). */
async function merge(from: TestDb, to: TestDb, firstSync = false): Promise<ImportReport> {
  const base = firstSync ? undefined : 'auto';
  const report = await importInto(to, await archiveOf(from), 'merge', { agreement: agreementStore(dataDir), base });
  await registry.record(report);
  return report;
}

async function rows(d: TestDb) {
  return {
    team: (await d.client.query(`SELECT id, name, budget FROM team ORDER BY id`)).rows,
    player: (await d.client.query(`SELECT id, name, team_id FROM player ORDER BY id`)).rows,
  };
}

/** Production seeds dev; production edits reds; dev moves bob to blues, detaches cy by hand and
 *  deletes reds (which detaches ann). */
async function scenario(): Promise<{ prod: TestDb; dev: TestDb }> {
  const prod = await db(SCHEMA + DATA);
  const dev = await db(SCHEMA);
  await merge(prod, dev, true);
  await prod.client.query(`UPDATE team SET budget = 99 WHERE name = 'reds'`);
  await dev.client.query(`
    UPDATE player SET team_id = 2 WHERE name = 'bob';
    UPDATE player SET team_id = NULL WHERE name = 'cy';
    DELETE FROM team WHERE name = 'reds';`);
  return { prod, dev };
}

const DETACHED =
  'detached in the source by ON DELETE SET NULL (player_team_id_fkey) when team {"name": "reds"} was deleted there; ' +
  'kept as the target has it, as the merge keeps team';

const MERGED = {
  team: [
    { id: 1, name: 'reds', budget: 99 },
    { id: 2, name: 'blues', budget: 20 },
  ],
  player: [
    { id: 1, name: 'ann', team_id: 1 },
    { id: 2, name: 'bob', team_id: 2 },
    { id: 3, name: 'cy', team_id: null },
    { id: 4, name: 'dan', team_id: 2 },
  ],
};

describe('a parent deleted in the source, its children detached there by ON DELETE SET NULL', () => {
  test('the diff keeps the detached reference, says why, and applies the references dev changed itself', async () => {
    const { prod, dev } = await scenario();
    const diff = await openDiff({
      db: dbTarget(prod.url),
      archive: await archiveOf(dev),
      base: 'auto',
      agreement: agreementStore(dataDir),
    });
    try {
      const kinds = (table: string) =>
        Object.fromEntries(Object.entries(diff.summary.tables.find((t) => t.table === table)!.counts).filter(([, c]) => c > 0));
      expect(kinds('team')).toEqual({ identical: 1, deleted_in_source: 1 });
      expect(kinds('player')).toEqual({ kept: 1, changed: 2, identical: 1 });
      const page = async (kind: DiffKind) =>
        (await diff.page({ table: 'player', kinds: [kind], offset: 0, limit: 10 })).rows.map((r) => ({ key: r.key, fields: r.fields }));
      expect(await page('kept')).toEqual([
        {
          key: { name: 'ann' },
          fields: [
            { column: 'team_id', source: null, target: '{"name": "reds"}', base: '{"name": "reds"}', verdict: 'keep', reason: DETACHED },
          ],
        },
      ]);
      const kept = await diff.page({ table: 'player', kinds: ['kept'], offset: 0, limit: 10 });
      const text = formatDiff({ summary: diff.summary, conflicts: [], rows: kept.rows, rowsPerKind: 10 }).split('\n');
      expect(text.filter((line) => line.includes('team_id'))).toEqual([
        `      team_id: archive NULL, target "{\\"name\\": \\"reds\\"}", base "{\\"name\\": \\"reds\\"}" → keep target (${DETACHED})`,
      ]);
      expect(await page('changed')).toEqual([
        {
          key: { name: 'bob' },
          fields: [
            { column: 'team_id', source: '{"name": "blues"}', target: '{"name": "reds"}', base: '{"name": "reds"}', verdict: 'apply' },
          ],
        },
        {
          key: { name: 'cy' },
          fields: [{ column: 'team_id', source: null, target: '{"name": "blues"}', base: '{"name": "blues"}', verdict: 'apply' }],
        },
      ]);
    } finally {
      await diff.close();
    }
  });

  test('the merge keeps production’s team, its edit and its player; dev’s own moves go in', async () => {
    const { prod, dev } = await scenario();
    const report = await merge(dev, prod);
    expect(counts(report)).toEqual({
      team: { inserted: 0, updated: 0, unchanged: 1, skipped: 0, failed: 0 },
      player: { inserted: 0, updated: 2, unchanged: 2, skipped: 0, failed: 0 },
    });
    expect(await rows(prod)).toEqual(MERGED);
  });

  test('a repeated merge rewrites nothing', async () => {
    const { prod, dev } = await scenario();
    await merge(dev, prod);
    const again = await merge(dev, prod);
    expect(counts(again)).toEqual({
      team: { inserted: 0, updated: 0, unchanged: 1, skipped: 0, failed: 0 },
      player: { inserted: 0, updated: 0, unchanged: 4, skipped: 0, failed: 0 },
    });
    expect(await rows(prod)).toEqual(MERGED);
  });

  test('a multi-column key whose ON DELETE SET NULL (column) sets one of its columns: that column is kept', async () => {
    const schema = `
      CREATE TABLE club (league text, code text, name text, PRIMARY KEY (league, code));
      CREATE TABLE member (id serial PRIMARY KEY, name text NOT NULL UNIQUE, league text NOT NULL, club_code text,
                           FOREIGN KEY (league, club_code) REFERENCES club ON DELETE SET NULL (club_code));`;
    const prod = await db(
      `${schema} INSERT INTO club VALUES ('east', 'a', 'Aces'), ('east', 'b', 'Bees');
       INSERT INTO member (name, league, club_code) VALUES ('mo', 'east', 'a'), ('ned', 'east', 'b');`,
    );
    const dev = await db(schema);
    await merge(prod, dev, true);
    await prod.client.query(`UPDATE club SET name = 'Aces (prod)' WHERE code = 'a'`);
    await dev.client.query(`DELETE FROM club WHERE code = 'a'; UPDATE member SET club_code = NULL WHERE name = 'ned'`);
    const diff = await openDiff({
      db: dbTarget(prod.url),
      archive: await archiveOf(dev),
      base: 'auto',
      agreement: agreementStore(dataDir),
    });
    try {
      const member = await diff.page({ table: 'member', kinds: ['kept', 'changed'], offset: 0, limit: 10 });
      expect(member.rows.map((r) => ({ kind: r.kind, key: r.key, fields: r.fields }))).toEqual([
        {
          kind: 'kept',
          key: { name: 'mo' },
          fields: [
            {
              column: 'club_code',
              source: null,
              target: 'a',
              base: 'a',
              verdict: 'keep',
              reason:
                'detached in the source by ON DELETE SET NULL (member_league_club_code_fkey) when club (east, a) was deleted there; ' +
                'kept as the target has it, as the merge keeps club',
            },
          ],
        },
        {
          kind: 'changed',
          key: { name: 'ned' },
          fields: [{ column: 'club_code', source: null, target: 'b', base: 'b', verdict: 'apply' }],
        },
      ]);
    } finally {
      await diff.close();
    }
    await merge(dev, prod);
    expect((await prod.client.query(`SELECT league, code, name FROM club ORDER BY code`)).rows).toEqual([
      { league: 'east', code: 'a', name: 'Aces (prod)' },
      { league: 'east', code: 'b', name: 'Bees' },
    ]);
    expect((await prod.client.query(`SELECT id, name, league, club_code FROM member ORDER BY id`)).rows).toEqual([
      { id: 1, name: 'mo', league: 'east', club_code: 'a' },
      { id: 2, name: 'ned', league: 'east', club_code: null },
    ]);
  });

  test('ON DELETE SET DEFAULT: the reference the deletion set to the default is kept', async () => {
    const schema = `
      CREATE TABLE team (id serial PRIMARY KEY, name text NOT NULL UNIQUE, budget int);
      CREATE TABLE player (id serial PRIMARY KEY, name text NOT NULL UNIQUE,
                           team_id int NOT NULL DEFAULT 2 REFERENCES team ON DELETE SET DEFAULT);`;
    const prod = await db(schema + DATA);
    const dev = await db(schema);
    await merge(prod, dev, true);
    await prod.client.query(`UPDATE team SET budget = 99 WHERE name = 'reds'`);
    await dev.client.query(`UPDATE player SET team_id = 1 WHERE name = 'cy'; DELETE FROM team WHERE name = 'reds';`);
    const report = await merge(dev, prod);
    expect(counts(report).player).toEqual({ inserted: 0, updated: 0, unchanged: 4, skipped: 0, failed: 0 });
    expect(await rows(prod)).toEqual({
      team: MERGED.team,
      player: [
        { id: 1, name: 'ann', team_id: 1 },
        { id: 2, name: 'bob', team_id: 1 },
        { id: 3, name: 'cy', team_id: 2 },
        { id: 4, name: 'dan', team_id: 2 },
      ],
    });
  });

  test('a reference to the same table: the employees of a manager deleted in the source keep their manager', async () => {
    const schema = `CREATE TABLE employee (id serial PRIMARY KEY, name text NOT NULL UNIQUE, title text,
                                           manager_id int REFERENCES employee ON DELETE SET NULL);`;
    const prod = await db(
      `${schema} INSERT INTO employee (name, title, manager_id) VALUES ('boss', 'ceo', NULL), ('ann', 'dev', 1), ('bob', 'dev', 1);`,
    );
    const dev = await db(schema);
    await merge(prod, dev, true);
    await prod.client.query(`UPDATE employee SET title = 'chair' WHERE name = 'boss'`);
    await dev.client.query(`UPDATE employee SET title = 'lead' WHERE name = 'bob'; DELETE FROM employee WHERE name = 'boss'`);
    const report = await merge(dev, prod);
    expect(counts(report).employee).toEqual({ inserted: 0, updated: 1, unchanged: 1, skipped: 0, failed: 0 });
    expect((await prod.client.query(`SELECT id, name, title, manager_id FROM employee ORDER BY id`)).rows).toEqual([
      { id: 1, name: 'boss', title: 'chair', manager_id: null },
      { id: 2, name: 'ann', title: 'dev', manager_id: 1 },
      { id: 3, name: 'bob', title: 'lead', manager_id: 1 },
    ]);
  });
});
