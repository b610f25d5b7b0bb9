// "Try with demo databases": a local PostgreSQL the app starts, with a demo production and dev database.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DemoState, UiError } from '../../src-common/contract';
import { api } from '../api';
import { toUiError } from '../bridge';
import { useAppStore } from './app';

export const useDemoStore = defineStore('demo', () => {
  const state = ref<DemoState>({ state: 'stopped' });
  const busy = ref(false);
  const error = ref<UiError | null>(null);

  async function load(): Promise<void> {
    try {
      state.value = await api('demo.status', {});
    } catch {
      /* the demo is optional: no status, no button change */
    }
  }

  async function run(method: 'demo.start' | 'demo.reset'): Promise<void> {
    busy.value = true;
    error.value = null;
    state.value = {
      state: 'starting',
      message: method === 'demo.start' ? 'Starting the demo databases…' : 'Resetting the demo databases…',
    };
    try {
      state.value = await api(method, {});
      if (state.value.state === 'error') error.value = state.value.error;
    } catch (e) {
      error.value = toUiError(e, 'The demo could not start');
      state.value = { state: 'error', error: error.value };
    } finally {
      busy.value = false;
    }
  }

  const app = useAppStore();
  app.onEvent((event) => {
    if (event.type === 'demo.state') {
      state.value = event.demo;
      if (event.demo.state === 'error') error.value = event.demo.error;
    }
  });
  app.onReconnect(() => void load());

  return { state, busy, error, load, start: () => run('demo.start'), reset: () => run('demo.reset') };
});
