// The scrolling of a list of any length whose scrollbar is scaled past the browser's element-height cap
// (the arithmetic is in util/scaled-scroll.ts): which row is first on screen, which is active, and how
// the scrollbar, the wheel, the keys and a resized box move them. Shared by the archive's row grid and
// the diff's row list; each fetches its own rows when `onMove` says the visible range changed.
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { canvasHeight, firstRowAt, isScaled, maxFirstRow, scrollTopFor, visibleRows, type ScrollGeometry } from '../util/scaled-scroll';

export interface ScaledScrollOptions {
  rowHeight: number;
  headerHeight: number;
  /** How many rows the list has. */
  total: Ref<number>;
  /** The visible range or the active row changed: fetch what is missing (after `delay` ms). */
  onMove: (delay?: number) => void;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

export function useScaledScroll(options: ScaledScrollOptions) {
  const { total, onMove } = options;
  const scroller = ref<HTMLElement | null>(null);
  const viewportH = ref(400);
  const first = ref(0);
  const active = ref(0);
  // The scrollTop we set ourselves, so the scroll event it causes is not taken for the user's.
  let expectedTop: number | null = null;
  let wheelRest = 0;

  const geometry = computed<ScrollGeometry>(() => ({
    total: total.value,
    rowHeight: options.rowHeight,
    headerHeight: options.headerHeight,
    viewportHeight: viewportH.value,
  }));
  const visibleCount = computed(() => visibleRows(geometry.value));
  const maxFirst = computed(() => maxFirstRow(geometry.value));
  const canvasH = computed(() => canvasHeight(geometry.value));
  const scaled = computed(() => isScaled(geometry.value));

  /** Put the scrollbar where `first` says (after the wheel or a key moved it). */
  function syncScrollbar(): void {
    const el = scroller.value;
    if (!el) return;
    const top = scrollTopFor(first.value, geometry.value);
    expectedTop = top;
    el.scrollTop = top;
  }

  function setFirst(n: number, sync = true): void {
    first.value = clamp(Math.round(n), 0, maxFirst.value);
    if (sync) syncScrollbar();
    onMove();
  }

  function onScroll(): void {
    const el = scroller.value;
    if (!el) return;
    if (expectedTop !== null && Math.abs(el.scrollTop - expectedTop) <= 1.5) {
      expectedTop = null;
      return;
    }
    expectedTop = null;
    setFirst(firstRowAt(el.scrollTop, geometry.value), false);
  }

  /** The wheel moves by whole rows, however much one pixel of scrollbar is worth. */
  function onWheel(e: WheelEvent): void {
    if (Math.abs(e.deltaY) < Math.abs(e.deltaX) || e.ctrlKey) return; // sideways scroll and zoom stay native
    e.preventDefault();
    const rowsPer = e.deltaMode === 1 ? 1 : e.deltaMode === 2 ? visibleCount.value : 1 / options.rowHeight;
    wheelRest += e.deltaY * rowsPer;
    const step = Math.trunc(wheelRest);
    if (!step) return;
    wheelRest -= step;
    setFirst(first.value + step);
  }

  /** Makes row n active and scrolls it into view. */
  function setActive(n: number): void {
    if (!total.value) return;
    active.value = clamp(n, 0, total.value - 1);
    if (active.value < first.value) setFirst(active.value);
    else if (active.value >= first.value + visibleCount.value) setFirst(active.value - visibleCount.value + 1);
    else onMove(0);
  }

  /** ↑ ↓ PageUp PageDown Home End; returns whether the key was one of them. */
  function moveByKey(key: string): boolean {
    const page = Math.max(1, visibleCount.value - 1);
    switch (key) {
      case 'ArrowDown':
        setActive(active.value + 1);
        return true;
      case 'ArrowUp':
        setActive(active.value - 1);
        return true;
      case 'PageDown':
        setActive(active.value + page);
        return true;
      case 'PageUp':
        setActive(active.value - page);
        return true;
      case 'Home':
        setActive(0);
        return true;
      case 'End':
        setActive(total.value - 1);
        return true;
      default:
        return false;
    }
  }

  /** Keeps the first and the active row inside a total that just changed. */
  function fitTotal(): void {
    first.value = clamp(first.value, 0, maxFirst.value);
    active.value = clamp(active.value, 0, Math.max(0, total.value - 1));
  }

  /** Back to the top: a new table, filter or search. */
  function toTop(): void {
    first.value = 0;
    active.value = 0;
    expectedTop = null;
    if (scroller.value) {
      scroller.value.scrollTop = 0;
      scroller.value.scrollLeft = 0;
    }
  }

  let observer: ResizeObserver | null = null;
  onMounted(() => {
    const el = scroller.value!;
    viewportH.value = el.clientHeight || 400;
    observer = new ResizeObserver(() => {
      viewportH.value = el.clientHeight || 400;
      first.value = clamp(first.value, 0, maxFirst.value);
      onMove();
    });
    observer.observe(el);
  });
  onBeforeUnmount(() => observer?.disconnect());

  return { scroller, viewportH, first, active, visibleCount, canvasH, scaled, onScroll, onWheel, setActive, moveByKey, fitTotal, toTop };
}
