// A text primary key renamed in dev (sf → scifi) after production edited that row: without a lineage
// for text keys the renamed row looks new and the old one deleted in the source. The hint that asks
// "was its key renamed?" compares the new row with the old one as the base had it too, not only as the
// target has it now (production's edit made those differ). Review M4.
import { expect, test } from 'vitest';
import { dbTarget } from '../../src-main/db/connect';
import { openDiff } from '../../src-main/engine/diff/index';
import { agreementStore } from '../../src-main/services/bases';
import { importInto } from '../helpers/engine';
import { mergeWorkspace } from '../helpers/merge-workspace';

const { dataDir, db, registry, archiveOf } = mergeWorkspace();

const SCHEMA = `CREATE TABLE genre (code text PRIMARY KEY, label text NOT NULL);
  CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL UNIQUE, genre_code text REFERENCES genre ON UPDATE CASCADE);`;

test('the renamed row and the one gone are hinted at each other, though the target edited the old one since the base', async () => {
  const prod = await db(`${SCHEMA} INSERT INTO genre VALUES ('sf', 'SciFi'), ('bio', 'Biography');
    INSERT INTO book (title, genre_code) VALUES ('Dune', 'sf'), ('Steve Jobs', 'bio');`);
  const dev = await db(SCHEMA);
  await registry.record(await importInto(dev, await archiveOf(prod), 'merge', { agreement: agreementStore(dataDir) }));
  await prod.client.query(`UPDATE genre SET label = 'Science fiction' WHERE code = 'sf'`);
  await dev.client.query(`UPDATE genre SET code = 'scifi' WHERE code = 'sf'`);

  const s = await openDiff({ db: dbTarget(prod.url), archive: await archiveOf(dev), base: 'auto', agreement: agreementStore(dataDir) });
  try {
    const page = async (kind: 'new' | 'deleted_in_source') =>
      (await s.page({ table: 'genre', kinds: [kind], offset: 0, limit: 10 })).rows.map((r) => ({ key: r.key, hint: r.hint }));
    expect(await page('new')).toEqual([
      { key: { code: 'scifi' }, hint: 'same values as {"code": "sf"}, which the archive no longer has: was its key renamed?' },
    ]);
    expect(await page('deleted_in_source')).toEqual([
      { key: { code: 'sf' }, hint: 'same values as {"code": "scifi"} in the archive: was its key renamed there?' },
    ]);
  } finally {
    await s.close();
  }
});
