// Real-world case: a Django project holds ids of other rows in columns without a foreign key:
// generic relations (django_admin_log's content_type_id + object_id TEXT, django-taggit's
// taggit_taggeditem content_type_id + object_id integer), and an integer *_id column whose foreign key
// a migration dropped (main_post.legacy_category_id, naming table main_category). An import copies
// such values as they are, so in a target whose ids differ they silently point at other rows. The
// plan must say so, naming each column and what to do about it in the configuration; a column the
// user declares as a reference is rewritten; one declared as not a reference is no longer warned about.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestDb } from '../helpers/db';
import { databasesForFile, scratchDir } from '../helpers/engine';
import { exportWith, fixtureSql, importWith, planWith, type RowIdentityConfig, targetSql, warningsAbout } from '../helpers/row-identity';

const dir = scratchDir();
const db = databasesForFile();

const SUSPECTED: [string, string][] = [
  ['django_admin_log', 'object_id'],
  ['taggit_taggeditem', 'object_id'],
  ['main_post', 'legacy_category_id'],
];

describe('columns that hold ids of other rows without a foreign key', () => {
  test('are named in the plan with what to do in the configuration; notReferences silences one; declared foreign keys are not suspected', async () => {
    const source = await db(fixtureSql('django-like'));
    const plan = await planWith(source.client);
    for (const [table, column] of SUSPECTED) {
      const about = warningsAbout(plan, table, column);
      expect(about, `a warning about ${table}.${column}`).not.toEqual([]);
      expect(
        about.filter((w) => /configuration/i.test(w)),
        `a warning about ${table}.${column} that says what to configure`,
      ).not.toEqual([]);
    }
    // Columns with a foreign key are no suspects.
    for (const [table, column] of [
      ['main_comment', 'post_id'],
      ['auth_user_groups', 'user_id'],
      ['main_profile', 'user_id'],
    ]) {
      expect(warningsAbout(plan, table, column), `no warning about ${table}.${column}`).toEqual([]);
    }

    const quiet = await planWith(source.client, { config: { tables: { main_post: { notReferences: ['legacy_category_id'] } } } });
    expect(warningsAbout(quiet, 'main_post', 'legacy_category_id')).toEqual([]);
    expect(warningsAbout(quiet, 'django_admin_log', 'object_id')).not.toEqual([]);
    expect(warningsAbout(quiet, 'taggit_taggeditem', 'object_id')).not.toEqual([]);
  });

  test('declared as a reference, legacy_category_id is rewritten: every post keeps its category in a target with other categories at the same ids', async () => {
    const config: RowIdentityConfig = {
      tables: { main_post: { references: [{ columns: ['legacy_category_id'], table: 'main_category' }] } },
    };
    const source = await db(fixtureSql('django-like'));
    const target = await db(targetSql('django-like'));
    const plan = await planWith(source.client, { config });
    expect(
      plan.tables.find((t) => t.name === 'main_post')?.references.find((r) => r.columns.join() === 'legacy_category_id'),
    ).toMatchObject({
      parent: 'main_category',
      remap: true,
      declared: true,
    });
    expect(warningsAbout(plan, 'main_post', 'legacy_category_id')).toEqual([]);

    const categories = async (d: TestDb) =>
      (
        await d.client.query<{ r: string }>(
          `SELECT p.title || ' | ' || coalesce(c.name, '-') AS r FROM main_post p LEFT JOIN main_category c ON c.id = p.legacy_category_id`,
        )
      ).rows
        .map((x) => x.r)
        .sort();
    const own = await categories(target);
    expect(own).toContain('Other post 1 | Other category 1');
    const file = join(dir, 'django-declared.tar.gz');
    await exportWith(source, file, { config });
    // Rows other tables may refuse today are not this test's concern: only main_post's are.
    const report = await importWith(target, file, 'merge', { config, allowFailures: true });
    expect(report.failures.filter((f) => f.table === 'main_post' || f.table === 'main_category')).toEqual([]);
    expect(await categories(target)).toEqual([...own, ...(await categories(source))].sort());
  });
});
