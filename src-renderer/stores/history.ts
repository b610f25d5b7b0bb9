// Every run the app has done, newest first; kept by the app across restarts.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { HistoryEntry, UiError } from '../../src-common/contract';
import { api } from '../api';
import { toUiError } from '../bridge';
import { useAppStore } from './app';

export const useHistoryStore = defineStore('history', () => {
  const entries = ref<HistoryEntry[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<UiError | null>(null);

  const newestFirst = computed(() => [...entries.value].sort((a, b) => b.startedAt.localeCompare(a.startedAt)));

  async function load(): Promise<void> {
    loading.value = true;
    try {
      entries.value = await api('history.list', { limit: 1000 });
      error.value = null;
      loaded.value = true;
    } catch (e) {
      error.value = toUiError(e, 'The history could not be read');
    } finally {
      loading.value = false;
    }
  }

  const app = useAppStore();
  app.onEvent((event) => {
    if (event.type === 'history.changed') void load();
  });
  app.onReconnect(() => void load());

  return { entries, newestFirst, loaded, loading, error, load };
});
