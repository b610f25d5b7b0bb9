// The order undo deletes inserted rows in: children before parents, the tables of a cycle together,
// and otherwise the reverse of the order the import wrote them.
import { expect, test } from 'vitest';
import { orderGroups } from '../../src-main/engine/undo';

const names = (groups: { name: string }[][]) => groups.map((g) => g.map((t) => t.name));
const t = (...n: string[]) => n.map((name) => ({ name }));

test('a chain: children first, the reverse of the written order', () => {
  expect(
    names(
      orderGroups(t('a', 'b', 'c'), [
        { child: 'b', parent: 'a' },
        { child: 'c', parent: 'b' },
      ]),
    ),
  ).toEqual([['c'], ['b'], ['a']]);
  expect(names(orderGroups(t('a', 'b', 'c'), []))).toEqual([['c'], ['b'], ['a']]);
});

test('a cycle is one group, after every child of any of its tables, even one written between them', () => {
  // users ⇄ projects (late: users.default_project_id); x refers to users and was written before projects.
  const edges = [
    { child: 'projects', parent: 'users' },
    { child: 'users', parent: 'projects' },
    { child: 'x', parent: 'users' },
    { child: 'users', parent: 'users' },
  ];
  expect(names(orderGroups(t('users', 'x', 'projects'), edges))).toEqual([['x'], ['users', 'projects']]);
});

test('two cycles, one referring to the other', () => {
  const edges = [
    { child: 'a', parent: 'b' },
    { child: 'b', parent: 'a' },
    { child: 'c', parent: 'd' },
    { child: 'd', parent: 'c' },
    { child: 'c', parent: 'a' },
  ];
  expect(names(orderGroups(t('a', 'b', 'c', 'd'), edges))).toEqual([
    ['c', 'd'],
    ['a', 'b'],
  ]);
});
