// The way every import (and sync) reaches a database, shared by the Import and Sync screens:
//
//   choose ─▶ dry run ─▶ confirm ─▶ run
//
// A production-like target (tag production, or no tag) always gets the dry run first, its counts, and the
// typed database name; dev and staging get a plain confirmation whose default button is "Cancel".
// STEPS is the one list of steps: issue 4's "Preview changes" slots in between the dry run and the
// confirmation (a diff view fed by the same target and settings), without changing the others.
import { useConfirm } from 'primevue/useconfirm';
import { computed, ref, type ComputedRef, type Ref } from 'vue';
import type { ApiRequest, ImportMode, ImportReport, JobInfo, SavedConnection, UiError } from '../../src-common/contract';
import { toUiError } from '../bridge';
import { isTerminal, useJobsStore } from '../stores/jobs';
import { isProductionLike } from '../util/env';
import { formatNumber } from '../util/format';

export const STEPS = [
  { id: 'choose', label: 'Choose' },
  { id: 'dry-run', label: 'Dry run' },
  // { id: 'preview', label: 'Preview changes' },  ← issue 4
  { id: 'confirm', label: 'Confirm' },
  { id: 'run', label: 'Run' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];

export interface RunSettings {
  mode: ImportMode;
  allowFailures: boolean;
  disableTriggers: boolean;
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
  const busy = computed(() => starting.value || (!!dryJob.value && !isTerminal(dryJob.value)) || (!!realJob.value && !isTerminal(realJob.value)));

  const step = computed<StepId>(() => {
    if (realJob.value) return 'run';
    if (typedOpen.value) return 'confirm';
    if (dryJob.value) return 'dry-run';
    return 'choose';
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
    if (guarded.value) {
      if (!dryFresh.value) {
        const dry = await startDry();
        if (!dry || dry.state !== 'succeeded' || !importReportOf(dry)) return;
      }
      typedOpen.value = true;
      return;
    }
    const merge = options.settings.value.mode === 'merge';
    const counts = dryFresh.value && dryReport.value ? dryReport.value.tables : null;
    const updated = counts?.reduce((n, t) => n + t.updated, 0);
    confirm.require({
      header: `${merge ? 'Merge' : 'Import'} into ${target.name}?`,
      message:
        `${options.sourceWords.value} will be ${merge ? 'merged' : 'imported'} into ${target.database} on ${target.host} (${target.tag}). ` +
        (merge ? `Existing rows that differ are overwritten${updated !== undefined ? ` (${formatNumber(updated)} rows in the dry run)` : ''}; ` : 'Existing rows are left alone; ') +
        'rows only in the target are never deleted.',
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
