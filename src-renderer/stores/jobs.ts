// Jobs the app runs (export, import, sync, open-archive): started here, updated by pushed events, and
// re-read after a reload or a reconnect so a window reattaches to a job that is still running.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiRequest, EngineEvent, JobInfo, UiError } from '../../src-common/contract';
import { reduceJobEvent } from '../../src-common/job-events';
import { api } from '../api';
import { ApiError, toUiError } from '../bridge';
import { useAppStore } from './app';

export const TERMINAL: readonly JobInfo['state'][] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (job: JobInfo | undefined | null): boolean => !!job && TERMINAL.includes(job.state);

const LOG_CAP = 2000;
/** Phases that go through every row of the run (see runEstimate). */
const ROW_PHASE = /copy tables|stage rows|match|compare|cache rows/i;
const RATE_WINDOW_MS = 6000;

export interface Throughput {
  /** Rows per second over the last few seconds of the current phase. */
  rowsPerSecond: number | null;
  /** Rows done and expected in the current phase, over all tables. */
  done: number;
  total: number | null;
  /** Estimated milliseconds left in the current phase. */
  remainingMs: number | null;
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobInfo>>({});
  const currentId = ref<string | null>(null);
  const loadError = ref<UiError | null>(null);
  const startError = ref<UiError | null>(null);
  const rates = ref<Record<string, number | null>>({});
  const samples = new Map<string, { t: number; phase: number; rows: number }[]>();
  const waiters = new Map<string, ((job: JobInfo) => void)[]>();
  const now = ref(Date.now());
  setInterval(() => (now.value = Date.now()), 1000);

  const ordered = computed(() => Object.values(jobs.value).sort((a, b) => b.startedAt.localeCompare(a.startedAt)));
  const running = computed(() => ordered.value.filter((j) => !isTerminal(j)));
  const current = computed(() => (currentId.value ? jobs.value[currentId.value] : undefined) ?? ordered.value[0]);

  function put(job: JobInfo): JobInfo {
    const previous = jobs.value[job.id];
    // A job only moves forward: a snapshot read before it ended (the answer to jobs.start of a job that
    // finished within milliseconds, or a jobs.get overtaken by the job.state event) never revives it.
    if (previous && isTerminal(previous) && !isTerminal(job)) return previous;
    // A full JobInfo replaces ours; keep our longer log if the server sent a shortened one.
    if (previous && previous.log.length > job.log.length && job.log.length > 0 && previous.log[0]?.at === job.log[0]?.at) {
      job = { ...job, log: previous.log };
    }
    jobs.value[job.id] = job;
    if (isTerminal(job)) {
      const list = waiters.get(job.id);
      waiters.delete(job.id);
      list?.forEach((resolve) => resolve(job));
    }
    return job;
  }

  function phaseRows(job: JobInfo): { done: number; total: number | null } {
    const tables = job.tables.filter((t) => t.phase === job.phase);
    let done = 0;
    let total: number | null = 0;
    for (const t of tables) {
      done += t.rowsDone;
      if (t.rowsTotal === null) total = null;
      else if (total !== null) total += t.rowsTotal;
    }
    return { done, total: tables.length ? total : null };
  }

  function sample(job: JobInfo): void {
    const t = Date.now();
    const { done } = phaseRows(job);
    const list = (samples.get(job.id) ?? []).filter((s) => s.phase === job.phase && t - s.t <= RATE_WINDOW_MS);
    list.push({ t, phase: job.phase, rows: done });
    samples.set(job.id, list);
    const first = list[0]!;
    const dt = (t - first.t) / 1000;
    rates.value[job.id] = dt >= 0.5 ? Math.max(0, (done - first.rows) / dt) : (rates.value[job.id] ?? null);
  }

  function applyEvent(jobId: string, at: string, event: EngineEvent): void {
    const job = jobs.value[jobId];
    if (!job) {
      void refresh(jobId);
      return;
    }
    const next = reduceJobEvent(job, event, at, LOG_CAP);
    jobs.value[jobId] = next;
    if (event.type === 'table') sample(next);
  }

  async function refresh(jobId: string): Promise<JobInfo | null> {
    try {
      return put(await api('jobs.get', { jobId }));
    } catch {
      return null;
    }
  }

  /** Reads every job the app knows; running ones are read in full (reattach after a reload). */
  async function load(): Promise<void> {
    try {
      const list = await api('jobs.list', {});
      for (const job of list) put(job);
      await Promise.all(list.filter((j) => !isTerminal(j)).map((j) => refresh(j.id)));
      loadError.value = null;
    } catch (e) {
      loadError.value = toUiError(e, 'The running jobs could not be read');
    }
  }

  /** Starts a job. A 409 (a job already runs against that target) comes back as an ApiError whose
   *  UiError names the running job. */
  async function start(request: ApiRequest<'jobs.start'>, options: { show?: boolean } = {}): Promise<JobInfo> {
    startError.value = null;
    try {
      const job = put(await api('jobs.start', request));
      if (options.show !== false) currentId.value = job.id;
      return job;
    } catch (e) {
      const ui = toUiError(e, 'The job could not start');
      if (e instanceof ApiError && e.status === 409 && !ui.hint) {
        ui.hint = 'Only one job may run against a database at a time. Wait for it to finish (see Runs) or cancel it, then try again.';
      }
      startError.value = ui;
      throw e instanceof ApiError ? new ApiError(ui, e.status) : new ApiError(ui);
    }
  }

  async function cancel(jobId: string): Promise<void> {
    const job = await api('jobs.cancel', { jobId });
    put(job);
  }

  /** Resolves when the job ends (succeeded, failed or cancelled). */
  function waitFor(jobId: string): Promise<JobInfo> {
    const job = jobs.value[jobId];
    if (job && isTerminal(job)) return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = waiters.get(jobId) ?? [];
      list.push(resolve);
      waiters.set(jobId, list);
    });
  }

  function throughput(job: JobInfo): Throughput {
    const { done, total } = phaseRows(job);
    const rate = isTerminal(job) ? null : (rates.value[job.id] ?? null);
    const remainingMs = rate && rate > 0 && total !== null && total >= done ? ((total - done) / rate) * 1000 : null;
    return { rowsPerSecond: rate, done, total, remainingMs };
  }

  /**
   * Milliseconds left for the whole run, or null until it can be said: the phases that move rows
   * (copy, stage, match and write, compare, cache) each go through the run's rows; the share of that
   * work done so far, against the time it took, gives the rest. Known once the first of them is done.
   */
  function runEstimate(job: JobInfo): number | null {
    if (isTerminal(job)) return null;
    const rowPhases = job.phases.map((name, i) => (ROW_PHASE.test(name) ? i : -1)).filter((i) => i >= 0);
    if (!rowPhases.length) return null;
    const firstDone = rowPhases.some((i) => i < job.phase);
    if (!firstDone) return null;
    let rows = 0;
    for (const i of rowPhases) {
      let sum = 0;
      for (const t of job.tables) if (t.phase === i && t.rowsTotal !== null) sum += t.rowsTotal;
      rows = Math.max(rows, sum);
    }
    if (!rows) return null;
    let done = 0;
    for (const i of rowPhases) {
      if (i < job.phase) done += rows;
      else if (i === job.phase)
        done += Math.min(
          rows,
          job.tables.filter((t) => t.phase === i).reduce((n, t) => n + (t.done ? (t.rowsTotal ?? t.rowsDone) : t.rowsDone), 0),
        );
    }
    const fraction = done / (rows * rowPhases.length);
    if (fraction <= 0 || fraction >= 1) return fraction >= 1 ? 0 : null;
    const spent = elapsedMs(job);
    return Math.max(0, spent / fraction - spent);
  }

  function elapsedMs(job: JobInfo): number {
    const start = new Date(job.startedAt).getTime();
    const end = job.endedAt ? new Date(job.endedAt).getTime() : now.value;
    return Math.max(0, end - start);
  }

  function show(jobId: string): void {
    currentId.value = jobId;
  }

  const app = useAppStore();
  app.onEvent((event) => {
    if (event.type === 'job.event') applyEvent(event.jobId, event.at, event.event);
    else if (event.type === 'job.state') put(event.job);
  });
  app.onReconnect(() => {
    void load();
    // Jobs we wait for may have ended while the link was down.
    for (const id of waiters.keys()) void refresh(id);
  });

  return {
    jobs,
    ordered,
    running,
    current,
    currentId,
    loadError,
    startError,
    now,
    load,
    refresh,
    start,
    cancel,
    waitFor,
    throughput,
    runEstimate,
    elapsedMs,
    show,
  };
});
