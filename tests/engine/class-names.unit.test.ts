// The table a polymorphic type value names (Rails' class names, pluralised as its inflector does;
// Laravel's namespaced classes; Odoo's dotted model names).
import { expect, test } from 'vitest';
import { tableNamedByClass } from '../../src-main/engine/plan';

const TABLES = [
  'issues',
  'wiki_pages',
  'admin_users',
  'people',
  'statuses',
  'movies',
  'categories',
  'boxes',
  'shelves',
  'news',
  'journal',
  'sale_order',
  'res_users',
  'res_partner',
  'blog_posts',
];

test.each([
  ['Issue', 'issues'],
  ['WikiPage', 'wiki_pages'],
  ['Admin::User', 'admin_users'],
  ['Person', 'people'],
  ['Status', 'statuses'],
  ['Movie', 'movies'],
  ['Category', 'categories'],
  ['Box', 'boxes'],
  ['Shelf', 'shelves'],
  ['news', 'news'],
  ['Journal', 'journal'],
  ['sale.order', 'sale_order'],
  ['res.users', 'res_users'],
  ['res.partner', 'res_partner'],
  ['ir.ui.view', null],
  ['App\\Models\\BlogPost', 'blog_posts'],
  ['App\\Issue', 'issues'],
  ['App\\Models\\Invoice', null],
  ['Board', null],
])('%s names %s', (value, table) => {
  expect(tableNamedByClass(value, TABLES)).toBe(table);
});
