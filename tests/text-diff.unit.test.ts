// The word diff inside values the review shows: changed words marked, short tokens by character, JSON
// line by line, long values folded to their change.
import { expect, test } from 'vitest';
import { collapsePieces, compareTexts, fieldView, plainPieces } from '../src-common/text-diff';

test('changed words are marked, short tokens by character, JSON line by line', () => {
  const w = compareTexts('The quick brown fox', 'The quick red fox')!;
  expect(w.after).toEqual([
    { op: 'same', text: 'The quick ' },
    { op: 'add', text: 'red' },
    { op: 'same', text: ' fox' },
  ]);
  expect(w.before).toEqual([
    { op: 'same', text: 'The quick ' },
    { op: 'del', text: 'brown' },
    { op: 'same', text: ' fox' },
  ]);
  expect(compareTexts('2025-01-10 12:00', '2025-01-12 12:00')!.after).toEqual([
    { op: 'same', text: '2025-01-1' },
    { op: 'add', text: '2' },
    { op: 'same', text: ' 12:00' },
  ]);
  expect(compareTexts('same', 'same')).toBeNull();
  expect(compareTexts('abc', 'xyz')).toBeNull();
  const j = fieldView(
    { base: '{"a":1,"b":"hello world"}', source: '{"a":1,"b":"hello brave world"}', target: '{"a":2,"b":"hello world"}' },
    true,
  );
  expect(j.json).toBe(true);
  expect(j.source.text).toBe('{\n  "a": 1,\n  "b": "hello brave world"\n}');
  expect(j.source.pieces?.filter((p) => p.op === 'add')).toEqual([{ op: 'add', text: 'brave ' }]);
  expect(j.target.pieces?.filter((p) => p.op === 'add')).toEqual([{ op: 'add', text: '2' }]);
  expect(j.base.pieces?.filter((p) => p.op === 'del')).toEqual([{ op: 'del', text: '1', by: 'target' }]);
  // Pieces always put the value back together exactly.
  const long = `${'lorem ipsum '.repeat(5000)}end`;
  const c = compareTexts(long, long.replace('end', 'finish'))!;
  expect(c.after.map((p) => (p.op === 'gap' ? '' : p.text)).join('')).toBe(long.replace('end', 'finish'));

  // A long value folds to its change with context; an unchanged neighbour folds to the same place.
  const body = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} of the rules.`).join('\n');
  const view = fieldView({ base: body, source: body.replace('Paragraph 21 of the', 'Paragraph 21 of the revised'), target: body }, true);
  const folded = collapsePieces(view.source.pieces!);
  expect(folded.map((p) => p.op)).toEqual(['gap', 'same', 'add', 'same', 'gap']);
  expect(folded.find((p) => p.op === 'add')).toEqual({ op: 'add', text: 'revised ' });
  const beside = collapsePieces(plainPieces(view.target.text!), undefined, view.focus);
  expect(beside[0]).toEqual({ op: 'gap', chars: (folded[0] as { chars: number }).chars });
  expect(beside.map((p) => (p.op === 'same' ? p.text : '')).join('')).toContain('Paragraph 21 of the rules.');
});
