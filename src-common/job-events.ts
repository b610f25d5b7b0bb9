// How an engine event moves a job on, said once: the main side keeps its JobInfo with it, and every
// window its own copy from the job.event stream. It imports nothing of Node, Electron, pg or Vue.
import type { EngineEvent, JobInfo } from './contract';

export type JobLogLine = JobInfo['log'][number];

/** The job with one more log line, keeping the last `logLines`. */
export function withLogLine(job: JobInfo, line: JobLogLine, logLines: number): JobInfo {
  return { ...job, log: [...job.log, line].slice(-logLines) };
}

/** The job after `event` (emitted at `at`), keeping the last `logLines` log lines; `job` is not changed. */
export function reduceJobEvent(job: JobInfo, event: EngineEvent, at: string, logLines: number): JobInfo {
  switch (event.type) {
    case 'phase': {
      if (!event.name || job.phases[event.index]) return { ...job, phase: event.index };
      const phases = [...job.phases];
      phases[event.index] = event.name;
      return { ...job, phase: event.index, phases };
    }
    case 'table': {
      const found = job.tables.find((t) => t.table === event.table && t.phase === event.phase);
      const row = found ?? { table: event.table, phase: event.phase, rowsDone: 0, rowsTotal: event.rowsTotal, done: false };
      const next = { ...row, rowsDone: event.rowsDone, rowsTotal: event.rowsTotal ?? row.rowsTotal, done: event.done ?? row.done };
      return { ...job, tables: found ? job.tables.map((t) => (t === found ? next : t)) : [...job.tables, next] };
    }
    case 'log':
      return withLogLine(job, { at, level: event.level, message: event.message }, logLines);
    case 'progress':
      return { ...job, progress: { done: event.done, total: event.total } };
  }
}
