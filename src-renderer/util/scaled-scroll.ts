// The arithmetic of VirtualRowGrid's scaled scrollbar, kept pure so it can be tested alone.
// Browsers cap an element's height (Chromium ≈ 33.5 million px), so the grid's spacer is never taller
// than MAX_CANVAS; the scroll position is then a fraction of the scrollable range, mapped linearly onto
// the index of the first visible row. Below the cap the mapping is one row per rowHeight pixels.

/** Tall enough for smooth native scrolling, far below every browser's limit. */
export const MAX_CANVAS = 1_000_000;

export interface ScrollGeometry {
  total: number;
  rowHeight: number;
  headerHeight: number;
  viewportHeight: number;
}

export function visibleRows(g: ScrollGeometry): number {
  return Math.max(1, Math.floor((g.viewportHeight - g.headerHeight) / g.rowHeight));
}

/** The highest index the first visible row can have (the last row then sits at the bottom). */
export function maxFirstRow(g: ScrollGeometry): number {
  return Math.max(0, g.total - visibleRows(g));
}

/** The spacer's height: the real height of all rows, capped. */
export function canvasHeight(g: ScrollGeometry): number {
  return Math.max(g.viewportHeight, Math.min(MAX_CANVAS, g.headerHeight + g.total * g.rowHeight));
}

export function isScaled(g: ScrollGeometry): boolean {
  return g.headerHeight + g.total * g.rowHeight > MAX_CANVAS;
}

export function maxScrollTop(g: ScrollGeometry): number {
  return Math.max(0, canvasHeight(g) - g.viewportHeight);
}

/** scrollTop → index of the first visible row. */
export function firstRowAt(scrollTop: number, g: ScrollGeometry): number {
  const max = maxScrollTop(g);
  if (max <= 0) return 0;
  const ratio = Math.min(1, Math.max(0, scrollTop / max));
  return Math.round(ratio * maxFirstRow(g));
}

/** Index of the first visible row → scrollTop (after the wheel or a key moved by rows). */
export function scrollTopFor(first: number, g: ScrollGeometry): number {
  const maxFirst = maxFirstRow(g);
  return maxFirst ? (Math.min(first, maxFirst) / maxFirst) * maxScrollTop(g) : 0;
}
