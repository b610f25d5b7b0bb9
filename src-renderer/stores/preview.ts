// "Preview changes": the diff a merge is reviewed in before it writes anything. One preview at a time:
// where it came from (an Import of an open archive, or a Sync, whose source is exported and opened
// first), the base it is compared against (what the two databases last agreed on, when the app kept
// it), the open diff (paged on the server until closed), every conflict in full, the comparison keys
// chosen for the target's tables, and what the user chose: tables, rows and fields left out, a side for
// each conflict, and an answer for each probable edit (same row or new row). The merge is then started
// from exactly that (see views/PreviewView.vue).
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import {
  type ArchiveInfo,
  type BaseInfo,
  type DiffKind,
  type DiffOpened,
  type DiffRow,
  type FileRef,
  type ImportMode,
  type JobInfo,
  type ReviewDocument,
  reviewDocumentSchema,
  type TableKey,
  type TableKeys,
  type UiError,
} from '../../src-common/contract';
import { api } from '../api';
import { toUiError } from '../bridge';
import {
  emptySelection,
  fieldId,
  isRowConflict,
  openConflicts,
  openProbableEdits,
  rememberedBaseLabel,
  rowId,
  toDecisions,
  type Choice,
  type DiffKey,
  type SameOrNew,
  type Selection,
} from '../util/diff';
import { useArchivesStore } from './archives';
import { useConnectionsStore } from './connections';
import { useAppStore, type ViewName } from './app';
import { isTerminal, useJobsStore } from './jobs';

export interface PreviewOrigin {
  /** The screen that asked for the preview (and that "Done" goes back to). */
  from: Extract<ViewName, 'import' | 'sync'>;
  archiveId: string;
  targetId: string;
  mode: ImportMode;
  allowFailures: boolean;
  disableTriggers: boolean;
  /** Columns present on one side only are left out of the diff and the merge (the diff lists them
   *  among its warnings). */
  ignoreMissingColumns?: boolean;
  /** The user states the two databases are copies of each other (same id = same row). */
  sameIds?: boolean;
  /** What the Import or Sync screen said about rows that only look like edits: preselected in the
   *  preview as the answer for all of them ('ask': each is decided here). */
  probableEdits?: 'ask' | SameOrNew;
  /** A sync: the connection the archive was exported from. */
  sourceId?: string;
}

/** remembered: what the two databases last agreed on (base "auto"); archive, file: one the user chose. */
export type BaseChoice = { kind: 'remembered' } | { kind: 'archive'; archiveId: string } | { kind: 'file' } | { kind: 'none' };

export type PreviewStage = 'none' | 'preparing' | 'setup' | 'comparing' | 'review';

/** "Refresh dev from production" under way: the sync's preview, run by itself until it needs the user
 *  (no base kept, conflicts or probable edits) or the merge is done. */
export interface RefreshRun {
  sourceId: string;
  targetId: string;
  state: 'exporting' | 'comparing' | 'merging' | 'stopped' | 'done' | 'failed';
  /** Why it stopped, in words. */
  message: string;
  /** The merge's job. */
  jobId: string | null;
}

/** What survives a reload of the window (sessionStorage): where the preview came from, the base chosen,
 *  the selection and decisions, and whether a diff was open (it is made again: a reload closes it). */
interface SavedPreview {
  origin: PreviewOrigin;
  ownArchiveId: string | null;
  baseChoice: BaseChoice;
  pickedFile: FileRef | null;
  selection: Selection;
  reviewing: boolean;
}
const SAVED_KEY = 'mr4.preview';

function readSaved(): SavedPreview | null {
  try {
    const raw = sessionStorage.getItem(SAVED_KEY);
    return raw ? (JSON.parse(raw) as SavedPreview) : null;
  } catch {
    return null;
  }
}

/** A review document's decisions and exclusions as the preview's selection. */
export function selectionOf(doc: Pick<ReviewDocument, 'decisions' | 'exclude' | 'probableEdits'>): Selection {
  const out = emptySelection();
  for (const e of doc.exclude) {
    if (!e.key) out.excludedTables[e.table] = true;
    else if (e.field === undefined) out.excludedRows[rowId(e.table, e.key)] = { table: e.table, key: e.key };
    else out.excludedFields[fieldId(e.table, e.key, e.field)] = { table: e.table, key: e.key, field: e.field };
  }
  for (const d of doc.decisions) {
    if (d.choice === 'same' || d.choice === 'new') out.probable[rowId(d.table, d.key)] = { table: d.table, key: d.key, choice: d.choice };
    else if (d.field === undefined) out.decisions[rowId(d.table, d.key)] = { table: d.table, key: d.key, choice: d.choice };
    else out.decisions[fieldId(d.table, d.key, d.field)] = { table: d.table, key: d.key, field: d.field, choice: d.choice };
  }
  out.probableAll = doc.probableEdits ?? null;
  return out;
}

export const usePreviewStore = defineStore('preview', () => {
  const jobs = useJobsStore();
  const archives = useArchivesStore();
  const app = useAppStore();
  const connections = useConnectionsStore();

  const origin = ref<PreviewOrigin | null>(null);
  /** A sync's archive, opened by the preview itself: closed again when the preview ends (the file is kept). */
  const ownArchiveId = ref<string | null>(null);
  /** A sync's export and opening of its archive, before the preview can start. */
  const preparing = ref<{ exportJobId: string | null; openJobId: string | null } | null>(null);
  const baseInfo = ref<BaseInfo | null>(null);
  const baseLoading = ref(false);
  const baseChoice = ref<BaseChoice>({ kind: 'none' });
  const pickedFile = ref<FileRef | null>(null);
  const diffJobId = ref<string | null>(null);
  const opened = ref<DiffOpened | null>(null);
  /** The base the open diff was made with, in words; agreed: the kept agreement of the two databases
   *  (an archive the user chose is never called verified: nothing says it is what they agreed on). */
  const usedBase = ref<{ name: string; agreed: boolean } | null>(null);
  /** The comparison keys chosen for the target's tables (tableKeys), and a failure to read or save them. */
  const tableKeys = ref<TableKeys>({});
  const keysError = ref<UiError | null>(null);
  const error = ref<UiError | null>(null);
  const selection = reactive<Selection>(emptySelection());
  const conflicts = ref<DiffRow[] | null>(null);
  const conflictsError = ref<UiError | null>(null);
  /** Bumped whenever a new diff opens, so views reset their pages. */
  const generation = ref(0);

  const archive = computed<ArchiveInfo | undefined>(() => (origin.value ? archives.open[origin.value.archiveId] : undefined));
  const diffJob = computed<JobInfo | undefined>(() => (diffJobId.value ? jobs.jobs[diffJobId.value] : undefined));
  const exportJob = computed(() => (preparing.value?.exportJobId ? jobs.jobs[preparing.value.exportJobId] : undefined));
  const openJob = computed(() => (preparing.value?.openJobId ? jobs.jobs[preparing.value.openJobId] : undefined));
  const stage = computed<PreviewStage>(() => {
    if (preparing.value) return 'preparing';
    if (!origin.value) return 'none';
    if (opened.value) return 'review';
    if (diffJob.value && !isTerminal(diffJob.value)) return 'comparing';
    return 'setup';
  });
  const threeWay = computed(() => !!opened.value?.summary.threeWay);
  const conflictState = computed(() => openConflicts(conflicts.value ?? [], selection));
  const probableState = computed(() => openProbableEdits(opened.value?.summary, selection));
  /** A table left out that holds probable edits: they are sent as "same" (matched, left alone). */
  const leftOutProbable = computed(
    () => !!opened.value?.summary.tables.some((t) => t.counts.probable_edit > 0 && selection.excludedTables[t.table]),
  );
  const decisions = computed(() => toDecisions(selection, leftOutProbable.value));

  function resetSelection(): void {
    Object.assign(selection, emptySelection());
  }

  /** Closes the open diff on the server (the selection stays, for a diff made again). */
  async function closeDiff(): Promise<void> {
    const id = opened.value?.diffId;
    opened.value = null;
    conflicts.value = null;
    usedBase.value = null;
    if (id) await api('diffs.close', { diffId: id }).catch(() => undefined);
  }

  function clear(): void {
    pendingRestore.value = null;
    refresh.value = null;
    const own = ownArchiveId.value;
    ownArchiveId.value = null;
    if (own && archives.open[own]) void archives.close(own);
    origin.value = null;
    preparing.value = null;
    baseInfo.value = null;
    baseChoice.value = { kind: 'none' };
    pickedFile.value = null;
    tableKeys.value = {};
    keysError.value = null;
    diffJobId.value = null;
    error.value = null;
    conflictsError.value = null;
    resetSelection();
  }

  /** Starts a preview of an open archive merged into a connection (the setup step: choose the base). */
  async function begin(next: PreviewOrigin): Promise<void> {
    await closeDiff();
    clear();
    origin.value = next;
    presetProbable(next);
    app.navigate('preview');
    await Promise.all([loadBase(), loadKeys()]);
  }

  /** The answer for all probable edits that the Import or Sync screen chose, if any. */
  function presetProbable(o: Pick<PreviewOrigin, 'probableEdits'>): void {
    selection.probableAll = o.probableEdits && o.probableEdits !== 'ask' ? o.probableEdits : null;
  }

  /** A sync: export the source into a kept archive, open it, then preview it like an import. */
  async function beginSync(next: Omit<PreviewOrigin, 'archiveId' | 'from'> & { sourceId: string }): Promise<void> {
    await closeDiff();
    clear();
    const prep = reactive<{ exportJobId: string | null; openJobId: string | null }>({ exportJobId: null, openJobId: null });
    preparing.value = prep;
    app.navigate('preview');
    try {
      const exp = await jobs.start({ kind: 'export', sourceId: next.sourceId, description: 'Sync preview' }, { show: false });
      prep.exportJobId = exp.id;
      const exported = await jobs.waitFor(exp.id);
      if (exported.state !== 'succeeded' || !exported.files?.[0])
        throw exported.error ?? { title: 'The export did not finish', message: `It ended ${exported.state}.`, details: exported.id };
      const opening = await jobs.start({ kind: 'open-archive', file: exported.files[0].handle }, { show: false });
      prep.openJobId = opening.id;
      const done = await jobs.waitFor(opening.id);
      if (done.state !== 'succeeded' || !done.result)
        throw done.error ?? { title: 'The archive could not be read', message: `It ended ${done.state}.`, details: done.id };
      const info = done.result as ArchiveInfo;
      archives.open[info.archiveId] = info;
      ownArchiveId.value = info.archiveId;
      preparing.value = null;
      origin.value = { ...next, from: 'sync', archiveId: info.archiveId };
      presetProbable(next);
      await Promise.all([loadBase(), loadKeys()]);
    } catch (e) {
      error.value = toUiError(e, 'The source could not be exported for the preview');
    }
  }

  /** What the archive's database and the target last agreed on (kept after every real import between
   *  them, in either direction): preselected when there is one; otherwise the reason is shown. */
  async function loadBase(): Promise<void> {
    const o = origin.value;
    if (!o) return;
    baseLoading.value = true;
    try {
      baseInfo.value = await api('bases.forArchive', { archiveId: o.archiveId, targetId: o.targetId });
    } catch (e) {
      baseInfo.value = null;
      error.value = toUiError(e, 'The base could not be looked up');
    } finally {
      baseLoading.value = false;
    }
    baseChoice.value = baseInfo.value?.file ? { kind: 'remembered' } : { kind: 'none' };
  }

  function baseRequest(): { base?: string; name: string; agreed: boolean } | { error: string } {
    const c = baseChoice.value;
    if (c.kind === 'none') return { name: '', agreed: false };
    if (c.kind === 'remembered') {
      if (!baseInfo.value?.file) return { error: 'No agreement of these two databases is kept here.' };
      return { base: 'auto', name: rememberedBaseLabel(baseInfo.value), agreed: true };
    }
    if (c.kind === 'archive') {
      const a = archives.open[c.archiveId];
      if (!a) return { error: 'Choose an open archive as the base.' };
      return { base: a.file.handle, name: a.file.name, agreed: false };
    }
    if (!pickedFile.value) return { error: 'Choose the base archive’s file first.' };
    return { base: pickedFile.value.handle, name: pickedFile.value.name, agreed: false };
  }

  /** The comparison keys chosen for the target's tables. */
  async function loadKeys(): Promise<void> {
    const o = origin.value;
    if (!o) return;
    try {
      tableKeys.value = await api('tableKeys.get', { connectionId: o.targetId });
      keysError.value = null;
    } catch (e) {
      keysError.value = toUiError(e, 'The comparison keys could not be read');
    }
  }

  /** Chooses (or, with null, forgets) how rows of `table` are compared in the target, then compares
   *  again if a diff is open (choices made so far are kept). */
  async function setTableKey(table: string, key: TableKey | null, compareAgain = true): Promise<boolean> {
    const o = origin.value;
    if (!o) return false;
    try {
      tableKeys.value = await api('tableKeys.set', { connectionId: o.targetId, table, key });
      keysError.value = null;
    } catch (e) {
      keysError.value = toUiError(e, 'The comparison key could not be saved');
      return false;
    }
    if (compareAgain && opened.value) await compare();
    return true;
  }

  /** Makes the diff (a job with progress); on success the review starts. */
  async function compare(): Promise<void> {
    const o = origin.value;
    if (!o || stage.value === 'comparing') return;
    error.value = null;
    const base = baseRequest();
    if ('error' in base) {
      error.value = { title: 'Choose a base', message: base.error, hint: 'Or compare two ways.', details: base.error };
      return;
    }
    await closeDiff();
    try {
      const job = await jobs.start(
        {
          kind: 'diff',
          archiveId: o.archiveId,
          targetId: o.targetId,
          ...(base.base ? { base: base.base } : {}),
          ...(o.sameIds ? { sameIds: true } : {}),
          ...(o.ignoreMissingColumns ? { ignoreMissingColumns: true } : {}),
        },
        { show: false },
      );
      diffJobId.value = job.id;
      const done = await jobs.waitFor(job.id);
      if (done.id !== diffJobId.value) return; // a newer compare replaced this one
      if (done.state !== 'succeeded' || !done.result) {
        if (done.state === 'failed')
          error.value = done.error ?? { title: 'The diff failed', message: 'The diff could not be made.', details: done.id };
        return;
      }
      opened.value = done.result as DiffOpened;
      usedBase.value = base.base ? { name: base.name, agreed: base.agreed } : null;
      generation.value++;
      await loadConflicts();
    } catch (e) {
      error.value = toUiError(e, 'The diff could not start');
    }
  }

  async function cancelCompare(): Promise<void> {
    if (diffJob.value && !isTerminal(diffJob.value)) await jobs.cancel(diffJob.value.id).catch(() => undefined);
  }

  async function loadConflicts(): Promise<void> {
    const d = opened.value;
    conflictsError.value = null;
    if (!d) return;
    if (!d.summary.tables.some((t) => t.counts.conflict > 0)) {
      conflicts.value = [];
      return;
    }
    try {
      conflicts.value = await api('diffs.conflicts', { diffId: d.diffId });
    } catch (e) {
      conflictsError.value = toUiError(e, 'The conflicts could not be read');
    }
  }

  /** The preview went stale (the target changed since): the same comparison again, choices kept. */
  async function remake(): Promise<void> {
    await compare();
  }

  // ── refresh dev from production: the sync's preview, driven to the merge when nothing needs a decision ──
  const refresh = ref<RefreshRun | null>(null);
  const refreshJob = computed(() => (refresh.value?.jobId ? jobs.jobs[refresh.value.jobId] : undefined));

  /**
   * Exports the production connection `sourceId`, previews it against what it and the dev connection
   * `targetId` last agreed on, and merges it when the preview asks nothing (no conflict, no probable
   * edit): the merge keeps the new agreement (the base of the next refresh). It stops in the preview,
   * saying why, when the user must choose: no base kept, conflicts, probable edits, or a failure.
   */
  function errorText(): string | null {
    const e = error.value;
    return e ? `${e.title}: ${e.message}` : null;
  }

  async function refreshDev(sourceId: string, targetId: string): Promise<void> {
    const r = reactive<RefreshRun>({ sourceId, targetId, state: 'exporting', message: '', jobId: null });
    const stop = (message: string, state: RefreshRun['state'] = 'stopped') => {
      r.state = state;
      r.message = message;
    };
    await beginSync({ sourceId, targetId, mode: 'merge', allowFailures: false, disableTriggers: false });
    refresh.value = r;
    if (!origin.value || error.value) return stop(errorText() ?? 'The export did not finish.', 'failed');
    if (!baseInfo.value?.file) {
      baseChoice.value = { kind: 'none' };
      return stop(
        `${baseInfo.value?.reason ?? 'What the two databases last agreed on is not kept here.'} Choose a base (or compare two ways, in which every field that differs takes production’s value), then review before merging.`,
      );
    }
    r.state = 'comparing';
    await compare();
    const d = opened.value;
    if (!d) return stop(errorText() ?? 'The comparison did not finish.', 'failed');
    const count = (k: DiffKind) => d.summary.tables.reduce((n, t) => n + t.counts[k], 0);
    const conflictsN = count('conflict');
    const probableN = count('probable_edit');
    if (conflictsN || probableN) {
      const parts = [
        conflictsN ? `${conflictsN} ${conflictsN === 1 ? 'conflict' : 'conflicts'} to decide` : '',
        probableN ? `${probableN} ${probableN === 1 ? 'probable edit' : 'probable edits'} to answer` : '',
      ].filter(Boolean);
      return stop(`Stopped for you: ${parts.join(' and ')}. Decide them below, then merge.`);
    }
    r.state = 'merging';
    try {
      const o = origin.value!;
      const job = await jobs.start(
        {
          kind: 'import',
          archiveId: o.archiveId,
          targetId: o.targetId,
          mode: 'merge',
          dryRun: false,
          diffId: d.diffId,
          decisions: decisions.value,
        },
        { show: false },
      );
      r.jobId = job.id;
      const done = await jobs.waitFor(job.id);
      if (done.state === 'succeeded') stop('', 'done');
      else stop(done.error ? `${done.error.title}: ${done.error.message}` : `The merge ended ${done.state}.`, 'failed');
    } catch (e) {
      const ui = toUiError(e, 'The merge could not start');
      stop(`${ui.title}: ${ui.message}`, 'failed');
    }
  }

  /** Leaves the preview: the diff is closed on the server. */
  async function end(): Promise<void> {
    refresh.value = null;
    const back = origin.value?.from ?? 'import';
    await closeDiff();
    clear();
    app.navigate(back);
  }

  // ── the selection ──
  function setTableIncluded(table: string, included: boolean): void {
    if (included) delete selection.excludedTables[table];
    else selection.excludedTables[table] = true;
  }

  function setRowIncluded(table: string, key: DiffKey, included: boolean, kind?: DiffKind): void {
    const id = rowId(table, key);
    if (included) delete selection.excludedRows[id];
    else selection.excludedRows[id] = { table, key, ...(kind ? { kind } : {}) };
  }

  /** The answer to one probable edit (null: back to the answer for all, or open). */
  function answerProbable(table: string, key: DiffKey, choice: SameOrNew | null): void {
    const id = rowId(table, key);
    if (choice === null) delete selection.probable[id];
    else selection.probable[id] = { table, key, choice };
  }

  /** The answer for every probable edit not answered row by row (null: each must be answered). */
  function answerAllProbable(choice: SameOrNew | null): void {
    selection.probableAll = choice;
  }

  function setFieldIncluded(table: string, key: DiffKey, field: string, included: boolean): void {
    const id = fieldId(table, key, field);
    if (included) delete selection.excludedFields[id];
    else selection.excludedFields[id] = { table, key, field };
  }

  /** A side for one conflicting field, or (field undefined) for a whole row deleted in the target. */
  function decide(table: string, key: DiffKey, field: string | undefined, choice: Choice | null): void {
    const id = field === undefined ? rowId(table, key) : fieldId(table, key, field);
    if (choice === null) delete selection.decisions[id];
    else selection.decisions[id] = { table, key, ...(field !== undefined ? { field } : {}), choice };
  }

  /** "Apply to all" (in one table, or everywhere): every conflict of every listed row. */
  function decideAll(choice: Choice, table?: string): void {
    for (const row of conflicts.value ?? []) {
      if (table !== undefined && row.table !== table) continue;
      if (isRowConflict(row)) decide(row.table, row.key, undefined, choice);
      else for (const f of row.fields) if (f.verdict === 'conflict') decide(row.table, row.key, f.column, choice);
    }
  }

  function excludedRowCount(table: string): number {
    let n = 0;
    for (const r of Object.values(selection.excludedRows)) if (r.table === table) n++;
    return n;
  }

  // A window that goes away (reload, close) no longer shows its diff: close it on the server. The
  // server also closes a diff nobody read for 30 minutes.
  window.addEventListener('pagehide', () => {
    const id = opened.value?.diffId;
    if (id) void api('diffs.close', { diffId: id }).catch(() => undefined);
  });

  // An archive closed elsewhere takes its preview with it (the diff is closed on the server).
  const stillOpen = computed(() => !origin.value || preparing.value !== null || !!archives.open[origin.value.archiveId]);
  watch(stillOpen, async (open) => {
    if (open) return;
    await closeDiff();
    clear();
  });

  // ── the review survives a reload: saved on every change, restored once its archive is open again ──
  const pendingRestore = ref<SavedPreview | null>(readSaved());
  watch(
    () => [origin.value, ownArchiveId.value, baseChoice.value, pickedFile.value, selection, !!opened.value] as const,
    () => {
      if (pendingRestore.value) return; // not yet restored: keep what was saved
      if (!origin.value) {
        sessionStorage.removeItem(SAVED_KEY);
        return;
      }
      const saved: SavedPreview = {
        origin: origin.value,
        ownArchiveId: ownArchiveId.value,
        baseChoice: baseChoice.value,
        pickedFile: pickedFile.value,
        selection,
        reviewing: !!opened.value,
      };
      sessionStorage.setItem(SAVED_KEY, JSON.stringify(saved));
    },
    { deep: true },
  );
  const restoring = computed(() => !!pendingRestore.value);
  watch(
    () => !!pendingRestore.value && !!archives.open[pendingRestore.value.origin.archiveId],
    async (ready) => {
      const saved = pendingRestore.value;
      if (!ready || !saved) return;
      pendingRestore.value = null;
      origin.value = saved.origin;
      ownArchiveId.value = saved.ownArchiveId;
      Object.assign(selection, emptySelection(), saved.selection);
      await Promise.all([loadBase(), loadKeys()]);
      // loadBase preselects; the choice made before the reload wins where it still can be made.
      if (saved.baseChoice.kind !== 'remembered' || baseInfo.value?.file) baseChoice.value = saved.baseChoice;
      pickedFile.value = saved.pickedFile;
      if (saved.reviewing) await compare();
    },
    { immediate: true },
  );
  /** The saved preview's archive is gone (closed, or the app restarted): forget it. */
  function forgetRestore(): void {
    pendingRestore.value = null;
    sessionStorage.removeItem(SAVED_KEY);
  }

  // ── the review as a document: saved to a file, reopened ──
  function baseOfReview(): ReviewDocument['base'] {
    const c = baseChoice.value;
    if (c.kind === 'remembered')
      return { kind: 'remembered', name: usedBase.value?.name ?? (baseInfo.value ? rememberedBaseLabel(baseInfo.value) : null) };
    if (c.kind === 'archive') {
      const a = archives.open[c.archiveId];
      return { kind: 'archive', name: a?.file.name ?? null, sha256: a?.sha256 ?? null };
    }
    if (c.kind === 'file') return { kind: 'file', name: pickedFile.value?.name ?? null };
    return { kind: 'none' };
  }

  /** The review as it stands: archive (by SHA-256), target, base, exclusions and decisions. */
  function reviewDocument(): ReviewDocument | null {
    const o = origin.value;
    const a = archive.value;
    const t = connections.byId(o?.targetId);
    if (!o || !a || !t) return null;
    const d = decisions.value;
    return {
      format: 'mr4-review',
      version: 1,
      savedAt: new Date().toISOString(),
      archive: { name: a.file.name, sha256: a.sha256, database: a.metadata.database },
      target: { name: t.name, database: t.database, host: t.host, port: t.port },
      base: baseOfReview(),
      mode: o.mode,
      ...(o.sameIds ? { sameIds: true } : {}),
      ...(d.probableEdits ? { probableEdits: d.probableEdits } : {}),
      decisions: d.decisions,
      exclude: d.exclude,
    };
  }

  /**
   * Reopens a saved review: it must be of this archive (by SHA-256) and this target database; then its
   * exclusions and decisions replace the selection, and its base is chosen again where it can be (a
   * remembered agreement, no base, or an open archive with its SHA-256; a file must be picked again).
   * A diff made with another base is made again.
   */
  async function openReview(text: string, fileName: string): Promise<{ ok: true; note: string } | { ok: false; error: UiError }> {
    const fail = (title: string, message: string, hint?: string) => ({
      ok: false as const,
      error: { title, message, ...(hint ? { hint } : {}), details: `${fileName}: ${message}` },
    });
    const o = origin.value;
    const a = archive.value;
    const t = connections.byId(o?.targetId);
    if (!o || !a || !t) return fail('No preview open', 'Open the preview of an archive first, then the review made of it.');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return fail(
        'Not a review',
        `${fileName} is not JSON (${(e as Error).message}).`,
        'Choose a review saved from the preview (a .json file).',
      );
    }
    const parsed = reviewDocumentSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      return fail(
        'Not a review',
        `${fileName} is not a review saved by MR4 Studio (${problems.join('; ')}).`,
        'Choose a review saved from the preview (format mr4-review).',
      );
    }
    const doc = parsed.data;
    if (doc.archive.sha256 !== a.sha256) {
      return fail(
        'A review of another archive',
        `${fileName} was made for ${doc.archive.name ?? 'another archive'}${doc.archive.database ? ` (of ${doc.archive.database})` : ''}, not ${a.file.name}: their SHA-256 differ (${doc.archive.sha256.slice(0, 12)}… here ${a.sha256.slice(0, 12)}…). Nothing was changed.`,
        'Open that archive and preview it, or review this one anew.',
      );
    }
    if (
      doc.target.database !== t.database ||
      (doc.target.host !== undefined && doc.target.host !== t.host) ||
      (doc.target.port !== undefined && doc.target.port !== t.port)
    ) {
      const where = (x: { database: string; host?: string; port?: number }) =>
        `${x.database}${x.host ? ` on ${x.host}${x.port ? `:${x.port}` : ''}` : ''}`;
      return fail(
        'A review of another target',
        `${fileName} was made for a merge into ${where(doc.target)}, not ${where(t)}. Nothing was changed.`,
        'Preview the merge into that database, or review this one anew.',
      );
    }
    Object.assign(selection, emptySelection(), selectionOf(doc));
    const notes: string[] = [];
    let base: BaseChoice | null = null;
    if (doc.base.kind === 'none') base = { kind: 'none' };
    else if (doc.base.kind === 'remembered') {
      if (baseInfo.value?.file) base = { kind: 'remembered' };
      else notes.push('It was compared with what the two databases last agreed on, which is no longer kept here: choose a base.');
    } else {
      const open = doc.base.sha256 ? Object.values(archives.open).find((x) => x.sha256 === doc.base.sha256) : undefined;
      if (open) base = { kind: 'archive', archiveId: open.archiveId };
      else
        notes.push(
          `It was compared with the base ${doc.base.name ?? 'archive'}: open it, or choose it as the base file, then compare again.`,
        );
    }
    const changedBase = !!base && JSON.stringify(base) !== JSON.stringify(baseChoice.value);
    if (base) baseChoice.value = base;
    if (changedBase && opened.value) {
      notes.push('The diff is made again with the review’s base.');
      void compare();
    }
    const n = doc.exclude.length + doc.decisions.length;
    return {
      ok: true,
      note: `${n === 1 ? '1 exclusion or decision' : `${n} exclusions and decisions`} of ${fileName} applied.${notes.length ? ` ${notes.join(' ')}` : ''}`,
    };
  }

  return {
    restoring,
    forgetRestore,
    reviewDocument,
    openReview,
    refresh,
    refreshJob,
    refreshDev,
    origin,
    preparing,
    exportJob,
    openJob,
    baseInfo,
    baseLoading,
    baseChoice,
    pickedFile,
    diffJobId,
    diffJob,
    opened,
    usedBase,
    error,
    selection,
    conflicts,
    conflictsError,
    generation,
    archive,
    stage,
    threeWay,
    conflictState,
    probableState,
    decisions,
    stillOpen,
    tableKeys,
    keysError,
    begin,
    beginSync,
    loadBase,
    loadKeys,
    setTableKey,
    compare,
    cancelCompare,
    loadConflicts,
    remake,
    end,
    closeDiff,
    setTableIncluded,
    setRowIncluded,
    setFieldIncluded,
    decide,
    decideAll,
    answerProbable,
    answerAllProbable,
    excludedRowCount,
  };
});
