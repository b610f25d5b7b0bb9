// `mr4 plan` names every column whose ids mr4 cannot rewrite, or rewrites only where it can follow
// them (generic references), in text and in --json, with what to do.
import { expect, test } from 'vitest';
import { runCli } from './helpers/cli';
import { databasesForFile } from './helpers/engine';
import { fixtureSql } from './helpers/row-identity';

const db = databasesForFile();

test('mr4 plan on a Django-shaped schema warns of its generic references and of an id column without a foreign key', async () => {
  const d = await db(fixtureSql('django-like'));
  const text = await runCli(['plan', '--db', d.url]);
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toMatch(
    /django_admin_log\.object_id is a generic reference \(content_type_id names the table through django_content_type's app_label and model, auth \+ user → auth_user\): rewritten through the named table's ids.*Declare it in the configuration/,
  );
  expect(text.stdout).toMatch(/main_post\.legacy_category_id \(integer\) looks like an id of main_category but has no foreign key/);
  expect(text.stdout).toMatch(/main_profile\s+.*\n(.*\n)*?\s+id column: user_id \(the id of its auth_user row, rewritten with it\)/);
  const json = await runCli(['plan', '--db', d.url, '--json']);
  expect(json.code, json.stderr).toBe(0);
  const plan = JSON.parse(json.stdout).plan as { warnings: string[] };
  expect(
    plan.warnings
      .filter((w) => /generic reference/.test(w))
      .map((w) => w.split(' ')[0])
      .sort(),
  ).toEqual(['django_admin_log.object_id', 'taggit_taggeditem.object_id']);
});
