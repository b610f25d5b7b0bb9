// Saved connections: list, save, delete, duplicate, test (through an SSH tunnel too, accepting a first
// host key by its fingerprint). Passwords and SSH secrets go one way only (to the app).
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConnectionDraft, ConnectionTestResult, SavedConnection, UiError } from '../../src-common/contract';
import { api } from '../api';
import { toUiError } from '../bridge';
import { useAppStore } from './app';

export interface TestState {
  running: boolean;
  result: ConnectionTestResult | null;
  at: string | null;
}

export const useConnectionsStore = defineStore('connections', () => {
  const list = ref<SavedConnection[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<UiError | null>(null);
  const tests = ref<Record<string, TestState>>({});

  const sorted = computed(() => [...list.value].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })));

  function byId(id: string | null | undefined): SavedConnection | undefined {
    return id ? list.value.find((c) => c.id === id) : undefined;
  }

  async function load(): Promise<void> {
    loading.value = true;
    try {
      list.value = await api('connections.list', {});
      error.value = null;
      loaded.value = true;
    } catch (e) {
      error.value = toUiError(e, 'The connections could not be read');
    } finally {
      loading.value = false;
    }
  }

  async function save(draft: ConnectionDraft): Promise<SavedConnection> {
    const saved = await api('connections.save', draft);
    const i = list.value.findIndex((c) => c.id === saved.id);
    if (i >= 0) list.value.splice(i, 1, saved);
    else list.value.push(saved);
    // An edited connection's earlier test no longer says anything.
    delete tests.value[saved.id];
    return saved;
  }

  async function remove(id: string): Promise<void> {
    await api('connections.delete', { id });
    list.value = list.value.filter((c) => c.id !== id);
    delete tests.value[id];
  }

  async function duplicate(id: string): Promise<SavedConnection> {
    const copy = await api('connections.duplicate', { id });
    list.value.push(copy);
    return copy;
  }

  /** Tests a saved connection; the state is kept per connection for the list. `acceptHostKey`: the SSH
   *  host key fingerprint the user accepted after seeing it. */
  async function test(id: string, acceptHostKey?: string): Promise<ConnectionTestResult> {
    tests.value[id] = { running: true, result: tests.value[id]?.result ?? null, at: tests.value[id]?.at ?? null };
    let result: ConnectionTestResult;
    try {
      result = await api('connections.test', { id, ...(acceptHostKey ? { acceptHostKey } : {}) });
    } catch (e) {
      result = { ok: false, error: toUiError(e, 'The test could not run') };
    }
    tests.value[id] = { running: false, result, at: new Date().toISOString() };
    return result;
  }

  /** Tests what the form holds (unsaved), through its SSH tunnel if it has one. */
  async function testDraft(draft: ConnectionDraft, acceptHostKey?: string): Promise<ConnectionTestResult> {
    try {
      return await api('connections.test', { draft, ...(acceptHostKey ? { acceptHostKey } : {}) });
    } catch (e) {
      return { ok: false, error: toUiError(e, 'The test could not run') };
    }
  }

  const app = useAppStore();
  app.onEvent((event) => {
    if (event.type === 'connections.changed') void load();
  });
  app.onReconnect(() => void load());

  return { list, sorted, loaded, loading, error, tests, byId, load, save, remove, duplicate, test, testDraft };
});
