// What changed inside a value, for the diff view and the review report: a word-level diff (character
// level where a changed word is short and mostly kept, "2025-01-10" → "2025-01-12"), JSON objects and
// arrays pretty-printed and compared line by line (changed lines then word by word). Each side of a pair
// is described as pieces of its own text — the newer side's added text, the older side's removed text —
// so a cell shows its value whole, with the changes marked in it. Pure: shared by main and renderer.
import { diffChars, diffLines, diffWordsWithSpace, type Change } from 'diff';
import type { DiffField } from './contract';

/** A piece of a displayed value: unchanged, added (in the newer side) or removed (from the older side).
 *  `by` (removed text of a three-way base): which side removed it. A gap: text left out of a collapsed
 *  view (`chars` characters). */
export type Piece =
  | { op: 'same' | 'add'; text: string }
  | { op: 'del'; text: string; by?: 'source' | 'target' | 'both' }
  | { op: 'gap'; chars: number; within?: 'add' | 'del' };

/** Longer pairs (both sides together) are compared line by line only; past MAX_CHARS not at all. */
const WORD_LIMIT = 40_000;
const MAX_CHARS = 2_000_000;
/** A diff taking longer than this (ms) is given up (the value is shown unmarked). */
const TIMEOUT_MS = 150;
/** A changed run at most this long on each side is compared character by character. */
const SHORT_TOKEN = 40;

/** An object or array in JSON text, pretty-printed; null for anything else. */
export function prettyJson(text: string): string | null {
  const t = text.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? JSON.stringify(v, null, 2) : null;
  } catch {
    return null;
  }
}

function common(changes: Change[]): number {
  return changes.reduce((n, c) => (c.added || c.removed ? n : n + c.value.length), 0);
}

/** Changed runs (removed and added text between two unchanged ones) refined: short ones by character,
 *  if that keeps at least half of them; lines of JSON word by word. */
function refine(changes: Change[], byWords: boolean): Change[] {
  const out: Change[] = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (!removed && !added) return;
    let inner: Change[] | undefined;
    if (removed && added) {
      if (byWords) inner = diffWordsWithSpace(removed, added, { timeout: TIMEOUT_MS });
      else if (removed.length <= SHORT_TOKEN && added.length <= SHORT_TOKEN) {
        const chars = diffChars(removed, added);
        if (common(chars) * 2 >= Math.max(removed.length, added.length)) inner = chars;
      }
    }
    if (inner && byWords) out.push(...refine(inner, false));
    else if (inner) out.push(...inner);
    else {
      if (removed) out.push({ value: removed, removed: true, added: false, count: 1 });
      if (added) out.push({ value: added, removed: false, added: true, count: 1 });
    }
    removed = '';
    added = '';
  };
  for (const c of changes) {
    if (c.removed) removed += c.value;
    else if (c.added) added += c.value;
    else {
      flush();
      out.push(c);
    }
  }
  flush();
  return out;
}

function push(list: Piece[], piece: Piece): void {
  if (piece.op !== 'gap' && !piece.text) return;
  const last = list[list.length - 1];
  if (
    last &&
    last.op === piece.op &&
    last.op !== 'gap' &&
    piece.op !== 'gap' &&
    (last.op !== 'del' || (piece.op === 'del' && last.by === piece.by))
  ) {
    list[list.length - 1] = { ...last, text: last.text + piece.text } as Piece;
  } else list.push(piece);
}

/**
 * The changes from `before` to `after`: `before` as pieces (same and del) and `after` as pieces (same
 * and add). Null when there is nothing useful to mark: the values are equal, too long, too different
 * (less than a third in common: the whole value changed, as the cell already says) or took too long.
 */
export function compareTexts(before: string, after: string, options: { lines?: boolean } = {}): { before: Piece[]; after: Piece[] } | null {
  if (before === after || before.length + after.length > MAX_CHARS) return null;
  const lines = options.lines || before.length + after.length > WORD_LIMIT;
  const raw = lines ? diffLines(before, after, { timeout: TIMEOUT_MS }) : diffWordsWithSpace(before, after, { timeout: TIMEOUT_MS });
  if (!raw) return null;
  const changes = refine(raw, lines && before.length + after.length <= WORD_LIMIT * 4);
  if (common(changes) * 3 < Math.max(before.length, after.length)) return null;
  const a: Piece[] = [];
  const b: Piece[] = [];
  for (const c of changes) {
    if (c.removed) push(a, { op: 'del', text: c.value });
    else if (c.added) push(b, { op: 'add', text: c.value });
    else {
      push(a, { op: 'same', text: c.value });
      push(b, { op: 'same', text: c.value });
    }
  }
  return { before: a, after: b };
}

/** Removed text of the base as the archive and the target removed it, in one list of base pieces. */
export function mergeRemovals(base: string, bySource: Piece[] | null, byTarget: Piece[] | null): Piece[] | null {
  if (!bySource && !byTarget) return null;
  const mask = (pieces: Piece[] | null): Uint8Array => {
    const m = new Uint8Array(base.length);
    let at = 0;
    for (const p of pieces ?? []) {
      if (p.op === 'gap' || p.op === 'add') continue;
      if (p.op === 'del') m.fill(1, at, at + p.text.length);
      at += p.text.length;
    }
    return m;
  };
  const s = mask(bySource);
  const t = mask(byTarget);
  const out: Piece[] = [];
  for (let i = 0; i < base.length;) {
    const flag = s[i]! | (t[i]! << 1);
    let j = i + 1;
    while (j < base.length && (s[j]! | (t[j]! << 1)) === flag) j++;
    const text = base.slice(i, j);
    push(out, flag === 0 ? { op: 'same', text } : { op: 'del', text, by: flag === 1 ? 'source' : flag === 2 ? 'target' : 'both' });
    i = j;
  }
  return out;
}

/** How one field's three values are shown: the text of each (JSON pretty-printed when every value
 *  of the field is an object or array) and, where it changed, its pieces. */
export interface FieldView {
  json: boolean;
  /** Where the first change is, in the base's text (three-way) — a collapsed cell without marks of its
   *  own (the same text as the base) shows that part of itself, beside its neighbours' changes. */
  focus?: number;
  base: { text: string | null; pieces: Piece[] | null };
  source: { text: string | null; pieces: Piece[] | null };
  target: { text: string | null; pieces: Piece[] | null };
}

/**
 * A field of a diff row, its changes marked. Three-way: the archive's and the target's values against
 * the base (their added text), the base's text removed by either. Two-way (and a probable edit): the
 * archive's value against the target's (added in the archive, removed from the target). A row deleted
 * in the target: the archive against the base only.
 */
export function fieldView(f: Pick<DiffField, 'base' | 'source' | 'target'>, threeWay: boolean, targetDeleted = false): FieldView {
  const present = [f.base, f.source, f.target].filter((v): v is string => v !== null);
  const pretty = present.length > 0 ? present.map(prettyJson) : [];
  const json = pretty.length > 0 && pretty.every((p) => p !== null);
  const shown = (v: string | null): string | null => (v === null ? null : json ? (prettyJson(v) ?? v) : v);
  const base = shown(f.base);
  const source = shown(f.source);
  const target = targetDeleted ? null : shown(f.target);
  const cmp = (a: string | null, b: string | null) => (a === null || b === null ? null : compareTexts(a, b, { lines: json }));
  if (threeWay) {
    const s = cmp(base, source);
    const t = cmp(base, target);
    const focus = firstChange(s?.before) ?? firstChange(s?.after) ?? firstChange(t?.before) ?? firstChange(t?.after);
    return {
      json,
      ...(focus !== undefined ? { focus } : {}),
      base: { text: base, pieces: base === null ? null : mergeRemovals(base, s?.before ?? null, t?.before ?? null) },
      source: { text: source, pieces: s?.after ?? null },
      target: { text: target, pieces: t?.after ?? null },
    };
  }
  const c = cmp(target, source);
  return {
    json,
    base: { text: base, pieces: null },
    source: { text: source, pieces: c?.after ?? null },
    target: { text: target, pieces: c?.before ?? null },
  };
}

/** Where the first change of a list of pieces is, counted in unchanged text (so, in the older side's
 *  text too when no removal comes before it), if any. */
function firstChange(pieces: Piece[] | null | undefined): number | undefined {
  let at = 0;
  for (const p of pieces ?? []) {
    if (p.op !== 'same') return at;
    at += p.text.length;
  }
  return undefined;
}

/** The pieces of a text with nothing marked. */
export function plainPieces(text: string): Piece[] {
  return text ? [{ op: 'same', text }] : [];
}

/** Past this many characters a value is shown collapsed (its changes with some context) until expanded. */
export const LONG_VALUE = 400;
const CONTEXT = 80;

/** Cuts `text` to about `n` characters from its start (or end), at a line break or space nearby. */
function cutHead(text: string, n: number): string {
  if (text.length <= n) return text;
  const nl = text.lastIndexOf('\n', n);
  if (nl > n / 2) return text.slice(0, nl + 1);
  const sp = text.lastIndexOf(' ', n);
  return text.slice(0, sp > n / 2 ? sp + 1 : n);
}
function cutTail(text: string, n: number): string {
  if (text.length <= n) return text;
  const from = text.length - n;
  const nl = text.indexOf('\n', from);
  if (nl >= 0 && nl < from + n / 2) return text.slice(nl + 1);
  const sp = text.indexOf(' ', from);
  return text.slice(sp >= 0 && sp < from + n / 2 ? sp + 1 : from);
}

/**
 * A long value's collapsed view: its changes with some unchanged context around them, the rest left
 * out as gaps that say how much; a long value without changes: its start. Short values as they are.
 */
export function collapsePieces(pieces: Piece[], limit = LONG_VALUE, focus?: number): Piece[] {
  const total = pieces.reduce((n, p) => n + (p.op === 'gap' ? p.chars : p.text.length), 0);
  if (total <= limit) return pieces;
  const changed = pieces.some((p) => p.op === 'add' || p.op === 'del');
  if (!changed) {
    const text = pieces.map((p) => (p.op === 'gap' ? '' : p.text)).join('');
    if (focus !== undefined && focus > CONTEXT * 2 && focus < text.length) {
      // Around `focus`: what comes before it cut at a line break or space, then about `limit` characters.
      const before = cutTail(text.slice(0, focus), CONTEXT);
      const from = focus - before.length;
      const shown = before + cutHead(text.slice(focus), limit - before.length);
      const rest = text.length - from - shown.length;
      return [{ op: 'gap', chars: from }, { op: 'same', text: shown }, ...(rest > 0 ? [{ op: 'gap' as const, chars: rest }] : [])];
    }
    const head = cutHead(text, limit);
    return [
      { op: 'same', text: head },
      { op: 'gap', chars: text.length - head.length },
    ];
  }
  const out: Piece[] = [];
  pieces.forEach((p, i) => {
    if (p.op === 'gap') return void out.push(p);
    if (p.op !== 'same') {
      if (p.text.length <= limit * 2) return void out.push(p);
      const head = cutHead(p.text, limit);
      out.push({ ...p, text: head }, { op: 'gap', chars: p.text.length - head.length, within: p.op });
      return;
    }
    const first = i === 0;
    const last = i === pieces.length - 1;
    if (p.text.length <= (first || last ? CONTEXT : 2 * CONTEXT) + 40) return void out.push(p);
    const head = first ? '' : cutHead(p.text, CONTEXT);
    const tail = last ? '' : cutTail(p.text, CONTEXT);
    if (head) out.push({ op: 'same', text: head });
    out.push({ op: 'gap', chars: p.text.length - head.length - tail.length });
    if (tail) out.push({ op: 'same', text: tail });
  });
  return out;
}
