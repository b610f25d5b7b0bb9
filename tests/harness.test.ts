import { expect, test } from 'vitest';
import { createTestDb } from './helpers/db';

test('each test gets its own database on a real PostgreSQL server', async () => {
  const a = await createTestDb();
  const b = await createTestDb('CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1);');
  try {
    expect(a.name).not.toBe(b.name);
    const version = await a.client.query('SHOW server_version_num');
    expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(130000);
    expect((await b.client.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(1);
    await expect(a.client.query('SELECT * FROM t')).rejects.toThrow(/does not exist/);
  } finally {
    await a.drop();
    await b.drop();
  }
});
