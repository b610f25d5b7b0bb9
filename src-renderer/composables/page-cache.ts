// Rows of a long list fetched by offset in pages, a bounded number of them kept (the farthest from
// where the user is are dropped first, so memory stays flat), answers to an outdated request ignored,
// and fetching debounced while the scrollbar moves. Shared by the archive's row grid and the diff's
// row list; each says how to load a page, which pages it needs, and what a page's total means to it.
import { onBeforeUnmount, ref, shallowRef } from 'vue';
import type { UiError } from '../../src-common/contract';
import { toUiError } from '../bridge';

export interface PageCacheOptions<R, P extends { rows: R[] }> {
  pageSize: number;
  maxPages: number;
  load: (offset: number, limit: number) => Promise<P>;
  /** The pages to fetch now (page numbers), when the timer fires. */
  wanted: () => number[];
  /** The row the user is at: pages far from it are dropped first. */
  near: () => number;
  /** A page arrived for the current request (its total, its columns …). */
  onPage: (page: P) => void;
  /** Loading or error changed. */
  onStatus: () => void;
}

export function usePageCache<R, P extends { rows: R[] }>(options: PageCacheOptions<R, P>) {
  const { pageSize, maxPages } = options;
  const pages = shallowRef(new Map<number, R[]>());
  const loading = ref(false);
  const error = ref<UiError | null>(null);
  const pending = new Set<number>();
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function rowAt(position: number): R | undefined {
    return pages.value.get(Math.floor(position / pageSize))?.[position % pageSize];
  }

  async function fetchPage(pageNo: number, gen: number): Promise<void> {
    if (pending.has(pageNo) || pages.value.has(pageNo)) return;
    pending.add(pageNo);
    loading.value = true;
    options.onStatus();
    try {
      const page = await options.load(pageNo * pageSize, pageSize);
      if (gen !== generation) return;
      const next = new Map(pages.value);
      next.set(pageNo, page.rows);
      if (next.size > maxPages) {
        const here = Math.floor(options.near() / pageSize);
        const far = [...next.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
        for (const k of far.slice(0, next.size - maxPages)) next.delete(k);
      }
      pages.value = next;
      error.value = null;
      options.onPage(page);
    } catch (e) {
      if (gen === generation) error.value = toUiError(e, 'The rows could not be read');
    } finally {
      pending.delete(pageNo);
      if (gen === generation) {
        loading.value = pending.size > 0;
        options.onStatus();
      }
    }
  }

  /** Fetches the wanted pages after `delay` ms (a later call restarts the wait). */
  function schedule(delay = 60): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const gen = generation;
      for (const p of options.wanted()) void fetchPage(p, gen);
    }, delay);
  }

  /** Forgets every page and every request on the way (a new table, filter or search). */
  function clear(): void {
    generation++;
    pending.clear();
    pages.value = new Map();
    error.value = null;
  }

  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
    generation++;
  });

  return { pages, loading, error, rowAt, schedule, clear };
}
