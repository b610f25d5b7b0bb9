// A key stated in the configuration that leaves out a one-column primary key: each database numbers
// its rows on its own (Keycloak: every installation drew its own uuid for its 'master' realm). The row
// found by the key keeps the target's id and the archive's references follow it. Before, the merge
// renumbered the target's row to the archive's id: refused where a foreign key points at it, and
// silently orphaning the rows of a reference the schema does not declare (Keycloak's
// user_entity.realm_id has no foreign key).
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatPlan } from '../../src-main/cli/format-plan';
import type { Mr4Config } from '../../src-main/engine/config';
import { planOf, rowVersions } from '../helpers/compare';
import { counts, exportDb, importInto, totals } from '../helpers/engine';
import { mergeWorkspace, syncer } from '../helpers/merge-workspace';

const { dir, dataDir, db } = mergeWorkspace();
const sync = syncer(dir);

const SCHEMA = `
  CREATE TABLE realm (id varchar(36) PRIMARY KEY, name varchar(255) UNIQUE);
  CREATE TABLE client (id varchar(36) PRIMARY KEY, realm_id varchar(36) NOT NULL REFERENCES realm, client_id text NOT NULL);
  CREATE TABLE user_entity (id varchar(36) PRIMARY KEY, realm_id varchar(255) NOT NULL, username text NOT NULL);`;

const KEY_ONLY: Mr4Config = { tables: { realm: { key: ['name'] } } };
const DECLARED: Mr4Config = {
  tables: { ...KEY_ONLY.tables, user_entity: { references: [{ columns: ['realm_id'], table: 'realm', refColumns: ['id'] }] } },
};

async function realms(d: Awaited<ReturnType<typeof db>>) {
  return (await d.client.query(`SELECT id, name FROM realm ORDER BY name`)).rows;
}

async function usersByRealm(d: Awaited<ReturnType<typeof db>>) {
  const res = await d.client.query(
    `SELECT u.username, r.name AS realm FROM user_entity u LEFT JOIN realm r ON r.id = u.realm_id ORDER BY 1`,
  );
  return res.rows;
}

describe('a configured key beside a primary key each database draws on its own', () => {
  test('the plan takes the primary key for an id, and names a text column that holds such ids', async () => {
    const d = await db(SCHEMA);
    const plan = await planOf(d.client, KEY_ONLY);
    const realm = plan.tables.find((t) => t.name === 'realm')!;
    expect([realm.surrogate, realm.key]).toEqual(['id', { kind: 'key', columns: ['name'], source: 'configuration', nullable: true }]);
    expect(plan.tables.find((t) => t.name === 'client')!.references[0]).toMatchObject({ columns: ['realm_id'], remap: true });
    const text = formatPlan({ plan, server: { version: '15', database: 'x', systemIdentifier: null } });
    expect(text).toContain(
      "id column: id (each database's own: rows are found by the configured key and keep the target's id, references follow it; a new row whose id another target row holds is refused, as there is nothing to draw a new one from)",
    );
    expect(plan.warnings.filter((w) => w.startsWith('user_entity.realm_id'))).toEqual([
      expect.stringContaining('user_entity.realm_id (character varying(255)) looks like an id of realm but has no foreign key'),
    ]);
    // Without the configured key the primary key is the key, as before.
    expect((await planOf(d.client)).tables.find((t) => t.name === 'realm')!.surrogate).toBeNull();
  });

  test("the target's row keeps its id; the archive's references, declared or by foreign key, follow it", async () => {
    const prod = await db(`${SCHEMA}
      INSERT INTO realm VALUES ('p-master', 'master'), ('p-shop', 'shop');
      INSERT INTO client VALUES ('c1', 'p-master', 'admin-console'), ('c2', 'p-shop', 'web');
      INSERT INTO user_entity VALUES ('u1', 'p-master', 'root'), ('u2', 'p-shop', 'ann');`);
    const dev = await db(`${SCHEMA}
      INSERT INTO realm VALUES ('d-master', 'master');
      INSERT INTO client VALUES ('c9', 'd-master', 'admin-cli');
      INSERT INTO user_entity VALUES ('u9', 'd-master', 'admin');`);
    const file = join(dir, 'realms.tar.gz');
    await exportDb(prod, file, { config: DECLARED });
    const report = await importInto(dev, file, 'merge', { config: DECLARED });
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({
      realm: { inserted: 1, updated: 0, unchanged: 1 },
      client: { inserted: 2 },
      user_entity: { inserted: 2 },
    });
    expect(await realms(dev)).toEqual([
      { id: 'd-master', name: 'master' },
      { id: 'p-shop', name: 'shop' },
    ]);
    expect(await usersByRealm(dev)).toEqual([
      { username: 'admin', realm: 'master' },
      { username: 'ann', realm: 'shop' },
      { username: 'root', realm: 'master' },
    ]);
    expect((await dev.client.query(`SELECT c.client_id, r.name FROM client c JOIN realm r ON r.id = c.realm_id ORDER BY 1`)).rows).toEqual([
      { client_id: 'admin-cli', name: 'master' },
      { client_id: 'admin-console', name: 'master' },
      { client_id: 'web', name: 'shop' },
    ]);
  });

  test("seeded, edited on both sides, merged back: dev's rows reach production's realm, and the merge again writes nothing", async () => {
    const prod = await db(`${SCHEMA}
      INSERT INTO realm VALUES ('p-master', 'master');
      INSERT INTO user_entity VALUES ('u1', 'p-master', 'root');`);
    // Dev's installation drew its own id for its master realm before it was seeded.
    const dev = await db(`${SCHEMA} INSERT INTO realm VALUES ('d-master', 'master');`);
    await sync(prod, dev, dataDir, 'merge', { config: DECLARED });
    await dev.client.query(`
      INSERT INTO realm VALUES ('d-ops', 'ops');
      INSERT INTO client VALUES ('c-dev', 'd-master', 'dev-tool');
      INSERT INTO user_entity VALUES ('u-dev', 'd-master', 'tester'), ('u-ops', 'd-ops', 'operator');`);
    await prod.client.query(`INSERT INTO user_entity VALUES ('u-prod', 'p-master', 'auditor')`);

    const { report } = await sync(dev, prod, dataDir, 'merge', { config: DECLARED });
    expect(report.failures).toEqual([]);
    expect(counts(report)).toMatchObject({ realm: { inserted: 1, updated: 0 }, client: { inserted: 1 }, user_entity: { inserted: 2 } });
    expect(await realms(prod)).toEqual([
      { id: 'p-master', name: 'master' },
      { id: 'd-ops', name: 'ops' },
    ]);
    expect(await usersByRealm(prod)).toEqual([
      { username: 'auditor', realm: 'master' },
      { username: 'operator', realm: 'ops' },
      { username: 'root', realm: 'master' },
      { username: 'tester', realm: 'master' },
    ]);
    const tables = ['realm', 'client', 'user_entity'];
    const before = await rowVersions(prod.client, tables);
    expect(totals((await sync(dev, prod, dataDir, 'merge', { config: DECLARED })).report)).toMatchObject({ inserted: 0, updated: 0 });
    expect(await rowVersions(prod.client, tables)).toEqual(before);
  });

  test('a new row whose id another target row holds is refused, naming the id; nothing is written', async () => {
    const prod = await db(`${SCHEMA} INSERT INTO realm VALUES ('r1', 'prod-only');`);
    const dev = await db(`${SCHEMA} INSERT INTO realm VALUES ('r1', 'dev-only');`);
    const file = join(dir, 'taken.tar.gz');
    await exportDb(prod, file, { config: KEY_ONLY });
    await expect(importInto(dev, file, 'merge', { config: KEY_ONLY })).rejects.toThrow(
      "its id r1 is another target row's, and realm has nothing to draw a new one from (no sequence, no default): change it in the source, or leave the row out",
    );
    expect((await dev.client.query(`SELECT id, name FROM realm`)).rows).toEqual([{ id: 'r1', name: 'dev-only' }]);
  });
});
