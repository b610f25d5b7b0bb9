// A conflict decided once stays decided: a merge that kept the target's value over the archive's (a
// conflict answered "target", in a decisions file or with --on-conflict) remembers the archive's value
// as the base of that field, as git takes the merged side as the next merge base. Before, the
// agreement held only fields both databases held alike, so the next merge back and the next pull both
// stopped on the very conflict the user had answered.
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { rowVersions } from '../helpers/compare';
import { type importInto, totals } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const syncOnce = syncer(dir);
const sync = async (from: TestDb, to: TestDb, mode: 'skip' | 'merge', options: Parameters<typeof importInto>[3] = {}) =>
  (await syncOnce(from, to, dataDir, mode, options)).report;

const SCHEMA = `
  CREATE TABLE team (id serial PRIMARY KEY, code text NOT NULL UNIQUE, name text, city text);
  CREATE TABLE note (id serial PRIMARY KEY, team_id int REFERENCES team(id), body text);`;

async function rows(d: TestDb) {
  const q = async (sql: string) => (await d.client.query(sql)).rows;
  return {
    team: await q(`SELECT code, name, city FROM team ORDER BY code`),
    note: await q(`SELECT t.code, n.body FROM note n JOIN team t ON t.id = n.team_id ORDER BY n.body`),
  };
}

const conflictOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: Error) => e.message.split('\n').filter((l) => l.startsWith('  - ')),
  );

describe('a conflict answered once', () => {
  test('answered "target": the next merge back writes nothing and asks nothing, the next pull takes the answer', async () => {
    const prod = await db(SCHEMA);
    const dev = await db(SCHEMA);
    await prod.client.query(`INSERT INTO team (code, name, city) VALUES ('a', 'Alpha', 'Oslo'), ('b', 'Beta', 'Rome');
                             INSERT INTO note (team_id, body) VALUES (1, 'first');`);
    await sync(prod, dev, 'skip');
    // Both rename team a; dev also moves it to Bergen (no conflict there) and edits its note; production
    // adds a team both then hold differently.
    await prod.client.query(
      `UPDATE team SET name = 'Alpha (prod)' WHERE code = 'a'; INSERT INTO team (code, name) VALUES ('c', 'Gamma prod')`,
    );
    await dev.client
      .query(`UPDATE team SET name = 'Alpha (dev)', city = 'Bergen' WHERE code = 'a'; INSERT INTO team (code, name) VALUES ('c', 'Gamma dev');
                            UPDATE note SET body = 'first, edited'`);

    expect(await conflictOf(sync(dev, prod, 'merge', { base: 'auto' }))).toEqual([
      '  - team {"code":"a"} name: changed on both sides since the base, to different values',
      '  - team {"code":"c"} name: added on both sides since the base, with different values',
    ]);
    const answered = await sync(dev, prod, 'merge', { base: 'auto', onConflict: 'target' });
    expect(answered.failures).toEqual([]);
    const merged = {
      team: [
        { code: 'a', name: 'Alpha (prod)', city: 'Bergen' },
        { code: 'b', name: 'Beta', city: 'Rome' },
        { code: 'c', name: 'Gamma prod', city: null },
      ],
      note: [{ code: 'a', body: 'first, edited' }],
    };
    expect(await rows(prod)).toEqual(merged);

    // The same dev merged back again: nothing to ask, nothing written.
    const versions = await rowVersions(prod.client, ['team', 'note']);
    const again = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(totals(again)).toMatchObject({ inserted: 0, updated: 0, failed: 0 });
    expect(await rowVersions(prod.client, ['team', 'note'])).toEqual(versions);

    // Pulled into dev: production's answer arrives there without a question.
    const pulled = await sync(prod, dev, 'merge', { base: 'auto' });
    expect(pulled.failures).toEqual([]);
    expect(await rows(dev)).toEqual(merged);

    // Later edits on either side are edits again: dev renames a, and it merges back without a question.
    await dev.client.query(`UPDATE team SET name = 'Alpha (final)' WHERE code = 'a'`);
    const later = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(later.failures).toEqual([]);
    expect((await rows(prod)).team[0]).toEqual({ code: 'a', name: 'Alpha (final)', city: 'Bergen' });
  });

  test('a skip import is no answer: what it left out is still asked about or applied later', async () => {
    const prod = await db(SCHEMA);
    const dev = await db(SCHEMA);
    await prod.client.query(`INSERT INTO team (code, name) VALUES ('a', 'Alpha')`);
    await sync(prod, dev, 'skip');
    await dev.client.query(`UPDATE team SET name = 'Alpha (dev)'`);
    // Skip leaves production's row alone: dev's rename is not applied, and not forgotten.
    const skipped = await sync(dev, prod, 'skip', { base: 'auto' });
    expect(totals(skipped)).toMatchObject({ inserted: 0, updated: 0 });
    const merged = await sync(dev, prod, 'merge', { base: 'auto' });
    expect(totals(merged)).toMatchObject({ updated: 1 });
    expect((await rows(prod)).team).toEqual([{ code: 'a', name: 'Alpha (dev)', city: null }]);
  });
});
