// The comparison keys chosen for a connection's tables (tableKeys.get), following the connection
// chosen on a screen, and forgetting one.
import { ref, watch, type Ref } from 'vue';
import type { TableKeys, UiError } from '../../src-common/contract';
import { api } from '../api';
import { toUiError } from '../bridge';

export function useTableKeys(connectionId: Ref<string | null | undefined>) {
  const keys = ref<TableKeys>({});
  const error = ref<UiError | null>(null);
  let asked = 0;

  async function load(): Promise<void> {
    const id = connectionId.value;
    const mine = ++asked;
    if (!id) {
      keys.value = {};
      return;
    }
    try {
      const got = await api('tableKeys.get', { connectionId: id });
      if (mine === asked) {
        keys.value = got;
        error.value = null;
      }
    } catch (e) {
      if (mine === asked) error.value = toUiError(e, 'The comparison keys could not be read');
    }
  }

  async function forget(table: string): Promise<void> {
    const id = connectionId.value;
    if (!id) return;
    try {
      keys.value = await api('tableKeys.set', { connectionId: id, table, key: null });
    } catch (e) {
      error.value = toUiError(e, 'The comparison key could not be forgotten');
    }
  }

  watch(connectionId, () => void load(), { immediate: true });
  return { keys, error, load, forget };
}
