// The partial-pull workflow: production seeds dev, production edits, dev pulls with --mode skip (which
// leaves production's edits out) and again with a merge that leaves one row out, dev edits, and dev is
// merged back with the remembered base. What each side remembers after an import is what the two
// databases then hold alike: production's edits stand, dev's are applied, nothing is asked.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ImportReport } from '../../src-common/contract';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { agreementStore } from '../../src-main/services/bases';
import type { TestDb } from '../helpers/db';
import { counts, exportDb, importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dir, dataDir, db, registry } = mergeWorkspace();

const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text);
  -- No natural key: a note is known by its lineage of ids only.
  CREATE TABLE note (id serial PRIMARY KEY, team_id int REFERENCES team(id), body text, pinned boolean NOT NULL DEFAULT false);`;
const DATA = `
  INSERT INTO team (code, name) VALUES ('a', 'Alpha'), ('b', 'Beta'), ('c', 'Gamma'), ('d', 'Delta');
  INSERT INTO note (team_id, body) VALUES (1, 'first'), (2, 'second'), (3, 'third');`;

let n = 0;
/** One sync from `from` into `to`, as the CLI and the app run it: the pair's agreement kept. */
async function sync(
  from: TestDb,
  to: TestDb,
  mode: 'skip' | 'merge',
  options: Parameters<typeof importInto>[3] = {},
): Promise<ImportReport> {
  const archive = join(dir, `sync-${++n}.tar.gz`);
  await exportDb(from, archive);
  const report = await importInto(to, archive, mode, { agreement: agreementStore(dataDir), ...options });
  await registry.record(report);
  return report;
}

async function rows(d: TestDb) {
  return {
    team: (await d.client.query(`SELECT code, name FROM team ORDER BY code`)).rows,
    note: (await d.client.query(`SELECT t.code AS team, n.body, n.pinned FROM note n JOIN team t ON t.id = n.team_id ORDER BY n.body`))
      .rows,
  };
}

describe('a base is what both sides last agreed on', () => {
  test('after a skip pull and a pull that leaves a row out, merging dev back keeps every production edit', async () => {
    const prod = await db(SCHEMA + DATA);
    // Dev's sequences are far ahead: every row lands at another id than in production.
    const dev = await db(SCHEMA + `SELECT setval('team_id_seq', 500); SELECT setval('note_id_seq', 500);`);
    const seeded = await sync(prod, dev, 'merge');
    expect(seeded.agreement).not.toBeNull();

    // Production edits a keyed row and a keyless one, and adds a team.
    await prod.client.query(`UPDATE team SET name = 'Alpha (prod)' WHERE code = 'a';
                             UPDATE note SET body = 'second (prod)' WHERE body = 'second';
                             INSERT INTO team (code, name) VALUES ('e', 'Epsilon');`);
    // A skip pull brings the new team only: dev keeps its old values of the edited rows.
    const skipped = await sync(prod, dev, 'skip');
    expect(skipped.tables.find((t) => t.table === 'team')).toMatchObject({ inserted: 1, skipped: 4 });
    expect((await rows(dev)).team.find((t) => t.code === 'a')).toEqual({ code: 'a', name: 'Alpha' });

    // Production edits another row; a merge pull leaves that row out, takes the rest.
    await prod.client.query(
      `UPDATE team SET name = 'Gamma (prod)' WHERE code = 'c'; UPDATE team SET name = 'Delta (prod)' WHERE code = 'd';`,
    );
    const merged = await sync(prod, dev, 'merge', {
      base: 'auto',
      decisions: { format: 'mr4-decisions', version: 1, decisions: [], exclude: [{ table: 'team', key: { code: 'c' } }] },
    });
    expect(merged.tables.find((t) => t.table === 'team')).toMatchObject({ inserted: 0, updated: 2 });
    expect((await rows(dev)).team.filter((t) => ['a', 'c', 'd'].includes(t.code))).toEqual([
      { code: 'a', name: 'Alpha (prod)' },
      { code: 'c', name: 'Gamma' },
      { code: 'd', name: 'Delta (prod)' },
    ]);

    // Dev works: a team renamed, a note pinned, a note added.
    await dev.client.query(`UPDATE team SET name = 'Beta (dev)' WHERE code = 'b';
                            UPDATE note SET pinned = true WHERE body = 'third';
                            INSERT INTO note (team_id, body) SELECT id, 'dev note' FROM team WHERE code = 'e';`);
    const prodBefore = await rows(prod);

    // What was remembered before (the last pulled archive itself) would revert production's edit of
    // the row the pull left out, and say nothing.
    const devArchive = join(dir, 'dev-now.tar.gz');
    await exportDb(dev, devArchive);
    const wrongBase = await openDiff({ db: dbTarget(prod.url), archive: devArchive, base: join(dir, `sync-${n}.tar.gz`) });
    try {
      const changed = (await wrongBase.page({ table: 'team', kinds: ['changed'], offset: 0, limit: 10 })).rows;
      expect(changed.map((r) => r.key)).toContainEqual({ code: 'c' });
      expect(wrongBase.summary.tables.find((t) => t.table === 'team')!.counts.conflict).toBe(0);
    } finally {
      await wrongBase.close();
    }

    // Merging back with the remembered base: no conflicts, every production edit stands.
    const back = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(back.failures).toEqual([]);
    const after = await rows(prod);
    expect(after.team).toEqual([
      { code: 'a', name: 'Alpha (prod)' },
      { code: 'b', name: 'Beta (dev)' },
      { code: 'c', name: 'Gamma (prod)' },
      { code: 'd', name: 'Delta (prod)' },
      { code: 'e', name: 'Epsilon' },
    ]);
    expect(after.note).toEqual([
      { team: 'e', body: 'dev note', pinned: false },
      { team: 'a', body: 'first', pinned: false },
      { team: 'b', body: 'second (prod)', pinned: false },
      { team: 'c', body: 'third', pinned: true },
    ]);
    expect(prodBefore.team.find((t) => t.code === 'c')).toEqual({ code: 'c', name: 'Gamma (prod)' });
    expect(back.tables.find((t) => t.table === 'team')).toMatchObject({ inserted: 0, updated: 1 });
    expect(back.tables.find((t) => t.table === 'note')).toMatchObject({ inserted: 1, updated: 1 });

    // And pulled again into dev, with the agreement the merge back left: dev gets production's edits
    // it had not taken, and its own edits are not undone.
    const again = await sync(prod, dev, 'merge', { base: 'auto' });
    expect(again.failures).toEqual([]);
    expect((await rows(dev)).team).toEqual(after.team);
    expect((await rows(dev)).note).toEqual(after.note);
  });

  test("dev's new row, given another id in production by a merge back and edited in dev since: the next merge back applies dev's edit, asks nothing", async () => {
    const prod = await db(SCHEMA + DATA);
    const dev = await db(SCHEMA);
    await sync(prod, dev, 'merge');
    // Each side adds a note, both at id 4, each in its own database.
    await prod.client.query(`INSERT INTO note (team_id, body) VALUES (1, 'prod note')`);
    await dev.client.query(`INSERT INTO note (team_id, body) VALUES (2, 'dev note')`);
    const first = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(counts(first).note).toMatchObject({ inserted: 1, updated: 0 });
    expect((await prod.client.query(`SELECT id FROM note WHERE body = 'dev note'`)).rows).toEqual([{ id: 5 }]);

    // The agreement now holds dev's note at production's id 5; dev's own id for it is 4.
    await dev.client.query(`UPDATE note SET body = 'dev note (edited)', pinned = true WHERE body = 'dev note'`);
    await prod.client.query(`UPDATE note SET pinned = true WHERE body = 'prod note'`);
    const second = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(second.failures).toEqual([]);
    expect(counts(second).note).toMatchObject({ inserted: 0, updated: 1 });
    expect((await rows(prod)).note).toEqual([
      { team: 'b', body: 'dev note (edited)', pinned: true },
      { team: 'a', body: 'first', pinned: false },
      { team: 'a', body: 'prod note', pinned: true },
      { team: 'b', body: 'second', pinned: false },
      { team: 'c', body: 'third', pinned: false },
    ]);
    const third = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(counts(third).note).toMatchObject({ inserted: 0, updated: 0 });
  });

  test('an agreement is found for the pair in either direction, and only for that pair', async () => {
    const a = await db(SCHEMA + DATA);
    const b = await db(SCHEMA);
    const c = await db(SCHEMA);
    const report = await sync(a, b, 'merge');
    const [x, y] = report.agreement!.between;
    expect((await registry.find(x, y))?.path).toBe(report.agreement!.path);
    expect((await registry.find(y, x))?.path).toBe(report.agreement!.path);
    const third = await sync(a, c, 'merge');
    expect((await registry.find(x, third.agreement!.between[1]))?.path).toBe(third.agreement!.path);
    expect(await registry.find(y, third.agreement!.between[1])).toBeNull();
  });
});

describe('a column type changed on both sides since the agreement (a routine migration)', () => {
  test("the base is read in the new type: each side's edit is its own, no conflict, a key column still matches", async () => {
    const schema = `CREATE TABLE item (id serial PRIMARY KEY, code varchar(10) NOT NULL UNIQUE, body varchar(10), qty integer);`;
    const prod = await db(`${schema} INSERT INTO item (code, body, qty) VALUES ('a', 'one', 1), ('b', 'two', 2);`);
    const dev = await db(schema);
    await sync(prod, dev, 'merge');
    const migrate = `ALTER TABLE item ALTER code TYPE varchar(20), ALTER body TYPE varchar(20), ALTER qty TYPE bigint;`;
    await prod.client.query(`${migrate} UPDATE item SET body = 'one (prod)' WHERE code = 'a';`);
    await dev.client.query(`${migrate} UPDATE item SET body = 'two (dev)', qty = 20 WHERE code = 'b';`);
    const report = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(counts(report).item).toMatchObject({ inserted: 0, updated: 1, failed: 0 });
    expect((await prod.client.query(`SELECT code, body, qty::int FROM item ORDER BY code`)).rows).toEqual([
      { code: 'a', body: 'one (prod)', qty: 1 },
      { code: 'b', body: 'two (dev)', qty: 20 },
    ]);
  });
});
