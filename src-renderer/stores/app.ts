// App-wide state: what the app is (door, data folder, secret store), which screen is shown, whether the
// event link is up; and the one place events are routed to the stores that care.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo, PushEvent, UiError } from '../../src-common/contract';
import { api } from '../api';
import { bridge, toUiError, type LinkStatus } from '../bridge';

export const VIEWS = ['connections', 'export', 'archive', 'import', 'sync', 'preview', 'runs', 'history'] as const;
export type ViewName = (typeof VIEWS)[number];

const VIEW_KEY = 'mr4.view';

function initialView(): ViewName {
  const saved = sessionStorage.getItem(VIEW_KEY) as ViewName | null;
  return saved && (VIEWS as readonly string[]).includes(saved) ? saved : 'connections';
}

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const infoError = ref<UiError | null>(null);
  const view = ref<ViewName>(initialView());
  const link = ref<LinkStatus>('connecting');
  const eventHandlers = new Set<(event: PushEvent) => void>();
  const reconnectHandlers = new Set<() => void>();
  let started = false;
  /** The connection each screen has chosen as the target of a write (Import, Sync): the window shows
   *  "production mode" while the screen on view targets a production or untagged connection. */
  const targets = ref<Partial<Record<ViewName, string | null>>>({});

  function setTarget(screen: ViewName, connectionId: string | null): void {
    targets.value[screen] = connectionId;
  }

  function navigate(next: ViewName): void {
    view.value = next;
    sessionStorage.setItem(VIEW_KEY, next);
  }

  async function loadInfo(): Promise<void> {
    try {
      info.value = await api('app.info', {});
      infoError.value = null;
    } catch (error) {
      infoError.value = toUiError(error, 'The app could not be reached');
    }
  }

  /** Subscribes to pushed events once; stores register handlers with onEvent. */
  function start(): void {
    if (started) return;
    started = true;
    const b = bridge();
    let wasConnected = false;
    b.onStatus((status) => {
      link.value = status;
      if (status === 'connected') {
        // After a reconnect, events may have been missed: let every store re-read.
        if (wasConnected) for (const h of reconnectHandlers) h();
        wasConnected = true;
        if (!info.value) void loadInfo();
      }
    });
    b.onEvent((event) => {
      for (const h of eventHandlers) h(event);
    });
  }

  function onEvent(handler: (event: PushEvent) => void): void {
    eventHandlers.add(handler);
  }

  function onReconnect(handler: () => void): void {
    reconnectHandlers.add(handler);
  }

  const isElectron = (): boolean => (info.value?.door ?? bridge().door) === 'electron';

  return { info, infoError, view, link, targets, setTarget, navigate, loadInfo, start, onEvent, onReconnect, isElectron };
});
