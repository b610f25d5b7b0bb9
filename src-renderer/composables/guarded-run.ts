// The way every import (and sync) reaches a database, shared by the Import, Sync and Preview screens:
//
//   choose ─▶ preview changes ─▶ dry run ─▶ confirm ─▶ run
//
// A production-like target (tag production, or no tag) always gets the dry run first, its counts, and the
// typed database name; dev and staging get a plain confirmation whose default button is "Cancel".
// STEPS is the one list of steps. "Preview changes" (the diff view) comes before the dry run for a merge:
// the dry run then counts exactly the rows, fields and decisions chosen in the preview (its diffId and
// decisions are part of the request), and a plain dry run of a three-way merge would stop at the first
// undecided conflict. An "Add new records only" import may skip the preview (STEPS_WITHOUT_PREVIEW).
import { useConfirm } from 'primevue/useconfirm';
import { computed, ref, type ComputedRef, type Ref } from 'vue';
import type { ApiRequest, ImportMode, ImportReport, JobInfo, SavedConnection, UiError } from '../../src-common/contract';
import { toUiError } from '../bridge';
import { isTerminal, useJobsStore } from '../stores/jobs';
import { isProductionLike } from '../util/env';
import { plural } from '../util/format';
import type { ProbableEditsSetting } from '../util/row-identity';

export const STEPS = [
  { id: 'choose', label: 'Choose' },
  { id: 'preview', label: 'Preview changes' },
  { id: 'dry-run', label: 'Dry run' },
  { id: 'confirm', label: 'Confirm' },
  { id: 'run', label: 'Run' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];
export type Step = (typeof STEPS)[number];
export const STEPS_WITHOUT_PREVIEW: readonly Step[] = STEPS.filter((s) => s.id !== 'preview');

export interface RunSettings {
  mode: ImportMode;
  allowFailures: boolean;
  disableTriggers: boolean;
  /** Columns present on one side only are left out instead of stopping the run (or the preview). */
  ignoreMissingColumns?: boolean;
  /** The two databases are copies of each other (same id = same row). */
  sameIds?: boolean;
  /** Rows that only look like edits: stop and list them ('ask'), or the answer for all. */
  probableEdits?: ProbableEditsSetting;
}

/** A new form's settings: add new records only, a row that cannot be written stops the run, triggers
 *  fire, a column on one side only stops it too, and rows that only look like edits are listed for the
 *  user to decide. */
export const DEFAULT_SETTINGS: Required<RunSettings> = {
  mode: 'skip',
  allowFailures: false,
  disableTriggers: false,
  ignoreMissingColumns: false,
  sameIds: false,
  probableEdits: 'ask',
};

/** The request fields of the settings (only the mode for the defaults). */
export function writeOptions(s: RunSettings): {
  mode: ImportMode;
  allowFailures?: true;
  disableTriggers?: true;
  ignoreMissingColumns?: true;
  sameIds?: true;
  probableEdits?: 'same' | 'new';
} {
  return {
    mode: s.mode,
    ...(s.allowFailures ? { allowFailures: true as const } : {}),
    ...(s.disableTriggers ? { disableTriggers: true as const } : {}),
    ...(s.ignoreMissingColumns ? { ignoreMissingColumns: true as const } : {}),
    ...(s.sameIds ? { sameIds: true as const } : {}),
    ...(!s.sameIds && s.probableEdits && s.probableEdits !== 'ask' ? { probableEdits: s.probableEdits } : {}),
  };
}

type ImportLike = Extract<ApiRequest<'jobs.start'>, { kind: 'import' | 'sync' }>;

export function importReportOf(job: JobInfo | undefined): ImportReport | undefined {
  if (!job?.result) return undefined;
  if (job.kind === 'import') return job.result as ImportReport;
  if (job.kind === 'sync') return (job.result as { import?: ImportReport }).import;
  return undefined;
}

export function useGuardedRun(options: {
  target: ComputedRef<SavedConnection | undefined>;
  /** Everything but dryRun/confirmDatabase; null while the form is incomplete. */
  request: ComputedRef<Omit<ImportLike, 'dryRun' | 'confirmDatabase'> | null>;
  settings: Ref<RunSettings>;
  /** Words for the confirmation: "archive crearis_prod", "connection Production". */
  sourceWords: ComputedRef<string>;
  /** Always show a fresh dry run's counts before confirming, whatever the target (the preview does). */
  dryRunFirst?: boolean;
  /** The step before the dry run (the preview sets it: its diff is on screen until a dry run starts). */
  startStep?: StepId;
  /** Extra words for the confirmation of a dev or staging target (e.g. that there is no base). */
  confirmNote?: ComputedRef<string>;
}) {
  const jobs = useJobsStore();
  const confirm = useConfirm();
  const dryJobId = ref<string | null>(null);
  const realJobId = ref<string | null>(null);
  const dryKey = ref<string | null>(null);
  const error = ref<UiError | null>(null);
  const typedOpen = ref(false);
  const starting = ref(false);

  const key = computed(() => (options.request.value ? JSON.stringify(options.request.value) : null));
  const dryJob = computed(() => (dryJobId.value ? jobs.jobs[dryJobId.value] : undefined));
  const realJob = computed(() => (realJobId.value ? jobs.jobs[realJobId.value] : undefined));
  const dryReport = computed(() => (dryJob.value?.state === 'succeeded' ? importReportOf(dryJob.value) : undefined));
  /** The dry run matches what the form says now. */
  const dryFresh = computed(() => !!dryReport.value && dryKey.value === key.value);
  const guarded = computed(() => !!options.target.value && isProductionLike(options.target.value.tag));
  const busy = computed(
    () => starting.value || (!!dryJob.value && !isTerminal(dryJob.value)) || (!!realJob.value && !isTerminal(realJob.value)),
  );

  const step = computed<StepId>(() => {
    if (realJob.value) return 'run';
    if (typedOpen.value) return 'confirm';
    if (dryJob.value) return 'dry-run';
    return options.startStep ?? 'choose';
  });

  async function startDry(): Promise<JobInfo | null> {
    const req = options.request.value;
    if (!req) return null;
    error.value = null;
    starting.value = true;
    try {
      const job = await jobs.start({ ...req, dryRun: true } as ApiRequest<'jobs.start'>, { show: false });
      dryJobId.value = job.id;
      dryKey.value = key.value;
      realJobId.value = null;
      starting.value = false;
      return await jobs.waitFor(job.id);
    } catch (e) {
      error.value = toUiError(e, 'The dry run could not start');
      return null;
    } finally {
      starting.value = false;
    }
  }

  async function startReal(confirmDatabase?: string): Promise<void> {
    const req = options.request.value;
    if (!req) return;
    error.value = null;
    starting.value = true;
    try {
      const job = await jobs.start({ ...req, dryRun: false, ...(confirmDatabase ? { confirmDatabase } : {}) } as ApiRequest<'jobs.start'>);
      realJobId.value = job.id;
      typedOpen.value = false;
    } catch (e) {
      error.value = toUiError(e, 'The import could not start');
      typedOpen.value = false;
    } finally {
      starting.value = false;
    }
  }

  /** The run button. Production-like: dry run (unless a fresh one exists), then the typed confirmation. */
  async function run(): Promise<void> {
    const target = options.target.value;
    if (!target || !options.request.value || busy.value) return;
    if (guarded.value || options.dryRunFirst) {
      if (!dryFresh.value) {
        const dry = await startDry();
        if (!dry || dry.state !== 'succeeded' || !importReportOf(dry)) return;
      }
      if (guarded.value) {
        typedOpen.value = true;
        return;
      }
    }
    const merge = options.settings.value.mode === 'merge';
    const counts = dryFresh.value && dryReport.value ? dryReport.value.tables : null;
    const updated = counts?.reduce((n, t) => n + t.updated, 0);
    confirm.require({
      header: `${merge ? 'Merge' : 'Import'} into ${target.name}?`,
      message:
        `${options.sourceWords.value} will be ${merge ? 'merged' : 'imported'} into ${target.database} on ${target.host} (${target.tag}). ` +
        (merge
          ? `Existing rows that differ are overwritten${updated !== undefined ? ` (${plural(updated, 'row')} in the dry run)` : ''}; `
          : 'Existing rows are left alone; ') +
        'rows only in the target are never deleted.' +
        (options.confirmNote?.value ? ` ${options.confirmNote.value}` : ''),
      icon: 'pi pi-exclamation-triangle',
      rejectProps: { label: 'Cancel', severity: 'secondary', variant: 'outlined' },
      acceptProps: { label: merge ? 'Merge now' : 'Import now', severity: merge ? 'danger' : undefined },
      defaultFocus: 'reject',
      accept: () => void startReal(),
    });
  }

  function reset(): void {
    dryJobId.value = null;
    realJobId.value = null;
    dryKey.value = null;
    error.value = null;
  }

  return { dryJob, realJob, dryReport, dryFresh, guarded, busy, step, error, typedOpen, starting, startDry, startReal, run, reset };
}
