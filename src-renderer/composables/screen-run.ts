// What the Import and Sync screens add around a guarded run (guarded-run.ts):
//
// - the result belongs to the form it was run with: changing the archive, a connection or the mode
//   clears it (and the stepper goes back to "Choose"), so an old "Succeeded" never sits beside a new target;
// - a run that writes nothing (the fresh dry run counts nothing to insert or update) asks no typed
//   confirmation: it says so instead, from the dry run's counts already on screen;
// - when a dry run or a run ends, the focus moves to the result's heading (it never drops to the page);
// - the form and the jobs it started are kept in sessionStorage, so a reloaded window shows the running
//   (or finished) job again instead of a blank form.
import { computed, nextTick, ref, watch, type Ref } from 'vue';
import type { ImportReport, JobInfo } from '../../src-common/contract';
import { isTerminal, useJobsStore } from '../stores/jobs';
import { importReportOf, type StepId, type useGuardedRun } from './guarded-run';

type GuardedRun = ReturnType<typeof useGuardedRun>;

interface Saved<F> {
  form: F;
  dryJobId: string | null;
  realJobId: string | null;
}

const KEY = (screen: string) => `mr4.screen.${screen}`;

/** The form and jobs a screen kept in this tab (before a reload), if any. */
export function loadScreen<F>(screen: string): Saved<F> | null {
  try {
    const raw = sessionStorage.getItem(KEY(screen));
    return raw ? (JSON.parse(raw) as Saved<F>) : null;
  } catch {
    return null;
  }
}

/** Rows an import would insert or update, by its report. */
export function rowsWritten(report: ImportReport | undefined): number {
  return report ? report.tables.reduce((n, t) => n + t.inserted + t.updated, 0) : 0;
}

export function useScreenRun<F>(options: {
  screen: 'import' | 'sync';
  run: GuardedRun;
  saved: Saved<F> | null;
  /** The form as it is now (kept, and compared: a change clears the result). */
  form: () => F;
  /** True once the restored form is back as it was (its archive reopened…): from then on a change is the user's. */
  restored: () => boolean;
  /** The result's heading (tabindex -1): focused when a run ends. */
  heading: Ref<HTMLElement | null>;
}) {
  const { run } = options;
  const jobs = useJobsStore();
  const restoredDryId = ref<string | null>(options.saved?.dryJobId ?? null);
  const restoredRealId = ref<string | null>(options.saved?.realJobId ?? null);
  let restoring = !!options.saved && !options.restored();
  if (restoring) setTimeout(() => (restoring = false), 8000);

  const dryJob = computed<JobInfo | undefined>(
    () => run.dryJob.value ?? (restoredDryId.value ? jobs.jobs[restoredDryId.value] : undefined),
  );
  const realJob = computed<JobInfo | undefined>(
    () => run.realJob.value ?? (restoredRealId.value ? jobs.jobs[restoredRealId.value] : undefined),
  );
  const dryReport = computed<ImportReport | undefined>(
    () => run.dryReport.value ?? (dryJob.value?.state === 'succeeded' ? importReportOf(dryJob.value) : undefined),
  );
  const busy = computed(
    () => run.busy.value || (!!dryJob.value && !isTerminal(dryJob.value)) || (!!realJob.value && !isTerminal(realJob.value)),
  );
  const step = computed<StepId>(() => (realJob.value ? 'run' : run.step.value === 'choose' && dryJob.value ? 'dry-run' : run.step.value));
  /** Set when the run button found, in a fresh dry run, nothing to write. */
  const nothingToWrite = ref(false);

  function dismissError(): void {
    run.error.value = null;
  }

  function reset(): void {
    run.reset();
    restoredDryId.value = null;
    restoredRealId.value = null;
    nothingToWrite.value = false;
  }

  // ── a changed form clears the result ──
  const formKey = computed(() => JSON.stringify(options.form()));
  watch(formKey, () => {
    if (restoring) {
      if (options.restored()) restoring = false;
      return;
    }
    nothingToWrite.value = false;
    if (busy.value) return; // a running job stays on screen (it runs on, and can be cancelled here)
    if (dryJob.value || realJob.value || run.error.value) reset();
  });

  // ── kept in sessionStorage ──
  watch(
    [formKey, () => dryJob.value?.id ?? null, () => realJob.value?.id ?? null],
    ([, dryJobId, realJobId]) => {
      try {
        sessionStorage.setItem(KEY(options.screen), JSON.stringify({ form: options.form(), dryJobId, realJobId } satisfies Saved<F>));
      } catch {
        /* storage full or refused: nothing is kept */
      }
    },
    { immediate: true },
  );

  // ── the focus goes to the result when a run ends ──
  function focusResult(): void {
    void nextTick(() => {
      const el = options.heading.value;
      if (!el) return;
      const active = document.activeElement;
      const view = el.closest('section');
      // Only from where the user was working: the page itself, or this screen (never out of a dialog).
      if (!active || active === document.body || active.id === 'main' || !!view?.contains(active) || !active.isConnected) el.focus();
    });
  }
  watch(
    () => (dryJob.value && isTerminal(dryJob.value) ? dryJob.value.id : null),
    (id, old) => id && id !== old && !restoredDryId.value && focusResult(),
  );
  watch(
    () => (realJob.value && isTerminal(realJob.value) ? realJob.value.id : null),
    (id, old) => id && id !== old && !restoredRealId.value && focusResult(),
  );

  /** The run button: as guarded-run's, except that a run the dry run says writes nothing is not confirmed
   *  (a production target would otherwise ask to type its name to "import 0 rows"). */
  async function go(): Promise<void> {
    nothingToWrite.value = false;
    if (busy.value) return;
    if (run.guarded.value && !run.dryFresh.value) {
      const dry = await run.startDry();
      if (!dry || dry.state !== 'succeeded') return;
    }
    if (run.dryFresh.value && run.dryReport.value && rowsWritten(run.dryReport.value) === 0) {
      nothingToWrite.value = true;
      focusResult();
      return;
    }
    await run.run();
  }

  return { dryJob, realJob, dryReport, dryFresh: run.dryFresh, error: run.error, dismissError, busy, step, nothingToWrite, reset, go };
}

export type ScreenRun = ReturnType<typeof useScreenRun>;
