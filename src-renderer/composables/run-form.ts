// What the Import and Sync forms share: the target connection (told to the app store, which colours the
// window for a production target), the comparison keys chosen for its tables, and how the run writes.
import { computed, ref, watch } from 'vue';
import type { SavedConnection } from '../../src-common/contract';
import { useAppStore } from '../stores/app';
import { useConnectionsStore } from '../stores/connections';
import type { PreviewOrigin } from '../stores/preview';
import { DEFAULT_SETTINGS, type RunSettings } from './guarded-run';
import { useTableKeys } from './table-keys';

/** A connection as one end of the direction banner. */
export function connectionEnd(c: SavedConnection) {
  return { kind: 'connection', name: c.name, detail: `${c.database} on ${c.host}`, tag: c.tag, color: c.color };
}

/** The settings as a preview started from the form takes them. */
export function previewSettings(
  s: RunSettings,
): Pick<PreviewOrigin, 'mode' | 'allowFailures' | 'disableTriggers' | 'ignoreMissingColumns' | 'sameIds' | 'probableEdits'> {
  return {
    mode: s.mode,
    allowFailures: s.allowFailures,
    disableTriggers: s.disableTriggers,
    ignoreMissingColumns: !!s.ignoreMissingColumns,
    sameIds: !!s.sameIds,
    probableEdits: s.probableEdits ?? 'ask',
  };
}

export function useRunForm(screen: 'import' | 'sync', saved: { targetId: string | null; settings: RunSettings } | undefined) {
  const app = useAppStore();
  const connections = useConnectionsStore();
  const targetId = ref<string | null>(saved?.targetId ?? null);
  watch(targetId, (id) => app.setTarget(screen, id), { immediate: true });
  const target = computed(() => connections.byId(targetId.value));
  const targetEnd = computed(() => (target.value ? connectionEnd(target.value) : null));
  // Comparison keys chosen in a preview for the target's tables: listed with the options, and reread
  // when the screen is shown again (a preview may have changed them).
  const tableKeys = useTableKeys(targetId);
  watch(
    () => app.view,
    (v) => v === screen && void tableKeys.load(),
  );
  const settings = ref<RunSettings>(saved?.settings ?? { ...DEFAULT_SETTINGS });
  const merge = computed(() => settings.value.mode === 'merge');
  return { targetId, target, targetEnd, tableKeys, settings, merge };
}
