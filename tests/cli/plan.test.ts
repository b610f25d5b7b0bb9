// `mr4 plan`: the import plan of a schema with a cycle and a keyless table, as text and as --json;
// --tables and --config.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli';
import { createTestDb } from '../helpers/db';
import { cliWorkFolder, exportOf, fillSource, LIBRARY, parseOneJson } from './helpers';

const work = cliWorkFolder();

describe('plan', () => {
  test('names the late-seeded column of the cycle and the content-matched table; --json gives the PlanResult', async () => {
    const db = await createTestDb(LIBRARY);
    try {
      const text = await runCli(['plan', '--db', db.url]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('Profile: none');
      expect(text.stdout).toMatch(/Level 0\n\s+authors/);
      expect(text.stdout).toMatch(/key: \(email\) from constraint authors_email_key/);
      expect(text.stdout).toMatch(/favourite_book_id → books\(id\) \(rewritten, filled late\)/);
      expect(text.stdout).toMatch(/Cycles broken:\n\s+authors ↔ books: filled late: authors\.favourite_book_id/);
      expect(text.stdout).toMatch(/notes[^\n]*\n\s+key: content: matched by whole content, never updated/);

      const json = await runCli(['plan', '--db', db.url, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const result = parseOneJson(json.stdout) as {
        plan: { tables: { name: string; level: number }[]; cycles: { lateColumns: string[] }[] };
        server: { database: string };
      };
      expect(result.plan.tables.map((t) => t.name)).toEqual(['authors', 'books', 'notes']);
      expect(result.plan.cycles[0].lateColumns).toEqual(['authors.favourite_book_id']);
      expect(result.server.database).toBe(db.name);

      const only = await runCli(['plan', '--db', db.url, '--tables', 'books', '--json']);
      expect(only.code, only.stderr).toBe(0);
      const onlyPlan = parseOneJson(only.stdout) as { plan: { tables: { name: string; role: string }[]; excluded: { table: string }[] } };
      expect(onlyPlan.plan.tables.map((t) => [t.name, t.role])).toEqual([
        ['authors', 'reference'],
        ['books', 'data'],
      ]);

      const unknown = await runCli(['plan', '--db', db.url, '--tables', 'nosuch']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/Table "nosuch" is not in schema "public"/);
    } finally {
      await db.drop();
    }
  });

  test('--config is read relative to the working directory', async () => {
    const db = await createTestDb(LIBRARY);
    const dir = mkdtempSync(join(work, 'config-'));
    try {
      writeFileSync(join(dir, 'mr4.json'), JSON.stringify({ tables: { notes: { exclude: true, note: 'scratch' } } }));
      const r = await runCli(['plan', '--db', db.url, '--config', 'mr4.json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Configuration: ${join(dir, 'mr4.json')}`);
      expect(r.stdout).toMatch(/Excluded tables:\n\s+notes: configuration: scratch/);

      writeFileSync(join(dir, 'bad.json'), '{"tables": {"notes": {"colour": "red"}}}');
      const bad = await runCli(['plan', '--db', db.url, '--config', 'bad.json'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/Configuration .*bad\.json is not valid/);
    } finally {
      await db.drop();
    }
  });

  test('a table-inheritance hierarchy: plan and import exit 1 naming it and the --tables that leave it out', async () => {
    const hierarchy = `CREATE TABLE vehicle (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE car (doors int) INHERITS (vehicle); ALTER TABLE car ADD PRIMARY KEY (id);`;
    // The archive's vehicle and car are plain tables; the target's are a hierarchy.
    const source = await createTestDb(`${LIBRARY} CREATE TABLE vehicle (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE car (id serial PRIMARY KEY, name text NOT NULL, doors int);`);
    const target = await createTestDb(LIBRARY + hierarchy);
    try {
      await fillSource(source);
      await source.client.query(`INSERT INTO vehicle (name) VALUES ('bike'); INSERT INTO car (name, doors) VALUES ('golf', 5);`);
      const wayOut = 'Leave them out: --tables authors,books,notes, or "exclude": true for car, vehicle in the --config file\'s "tables".';
      const plan = await runCli(['plan', '--db', target.url]);
      expect(plan.code).toBe(1);
      expect(plan.stderr).toContain('Tables car, vehicle form a table-inheritance hierarchy (INHERITS)');
      expect(plan.stderr).toContain(wayOut);

      const archive = await exportOf(work, source, 'library-for-inheritance');
      const refused = await runCli(['import', archive, '--db', target.url, '--mode', 'merge']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Tables car, vehicle form a table-inheritance hierarchy (INHERITS)');
      expect(refused.stderr).toContain(wayOut);
      expect((await target.client.query('SELECT count(*)::int AS n FROM authors')).rows[0].n).toBe(0);
      expect((await target.client.query('SELECT count(*)::int AS n FROM vehicle')).rows[0].n).toBe(0);

      const planned = await runCli(['plan', '--db', target.url, '--tables', 'authors,books,notes']);
      expect(planned.code, planned.stderr).toBe(0);
      const imported = await runCli(['import', archive, '--db', target.url, '--mode', 'merge', '--tables', 'authors,books,notes']);
      expect(imported.code, imported.stderr).toBe(0);
      expect((await target.client.query('SELECT email FROM authors ORDER BY id')).rows.map((r) => r.email)).toEqual([
        'ann@example.org',
        'bob@example.org',
        'cid@example.org',
      ]);
    } finally {
      await source.drop();
      await target.drop();
    }
  });
});
