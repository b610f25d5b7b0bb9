// "Preview changes": the diff a merge is reviewed in before it writes anything. One preview at a time:
// where it came from (an Import of an open archive, or a Sync, whose source is exported and opened
// first), the base it is compared against (what the two databases last agreed on, when the app kept
// it), the open diff (paged on the server until closed), every conflict in full, the comparison keys
// chosen for the target's tables, and what the user chose: tables, rows and fields left out, a side for
// each conflict, and an answer for each probable edit (same row or new row). The merge is then started
// from exactly that (see views/PreviewView.vue).
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import type { ArchiveInfo, BaseInfo, DiffKind, DiffOpened, DiffRow, FileRef, ImportMode, JobInfo, TableKey, TableKeys, UiError } from '../../src-common/contract';
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

export const usePreviewStore = defineStore('preview', () => {
  const jobs = useJobsStore();
  const archives = useArchivesStore();
  const app = useAppStore();

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
  const leftOutProbable = computed(() => !!opened.value?.summary.tables.some((t) => t.counts.probable_edit > 0 && selection.excludedTables[t.table]));
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
      if (exported.state !== 'succeeded' || !exported.files?.[0]) throw exported.error ?? { title: 'The export did not finish', message: `It ended ${exported.state}.`, details: exported.id };
      const opening = await jobs.start({ kind: 'open-archive', file: exported.files[0].handle }, { show: false });
      prep.openJobId = opening.id;
      const done = await jobs.waitFor(opening.id);
      if (done.state !== 'succeeded' || !done.result) throw done.error ?? { title: 'The archive could not be read', message: `It ended ${done.state}.`, details: done.id };
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
        { kind: 'diff', archiveId: o.archiveId, targetId: o.targetId, ...(base.base ? { base: base.base } : {}), ...(o.sameIds ? { sameIds: true } : {}) },
        { show: false },
      );
      diffJobId.value = job.id;
      const done = await jobs.waitFor(job.id);
      if (done.id !== diffJobId.value) return; // a newer compare replaced this one
      if (done.state !== 'succeeded' || !done.result) {
        if (done.state === 'failed') error.value = done.error ?? { title: 'The diff failed', message: 'The diff could not be made.', details: done.id };
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

  /** Leaves the preview: the diff is closed on the server. */
  async function end(): Promise<void> {
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

  return {
    origin, preparing, exportJob, openJob, baseInfo, baseLoading, baseChoice, pickedFile, diffJobId, diffJob, opened, usedBase, error, selection,
    conflicts, conflictsError, generation, archive, stage, threeWay, conflictState, probableState, decisions, stillOpen, tableKeys, keysError,
    begin, beginSync, loadBase, loadKeys, setTableKey, compare, cancelCompare, loadConflicts, remake, end, closeDiff,
    setTableIncluded, setRowIncluded, setFieldIncluded, decide, decideAll, answerProbable, answerAllProbable, excludedRowCount,
  };
});
