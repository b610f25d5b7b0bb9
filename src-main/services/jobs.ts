// Runs engine jobs in worker threads, so neither a window nor the CLI's progress display waits on the
// database. One worker per job; cancelling asks the worker, which cancels the running statement.
import { Worker } from 'node:worker_threads';
import type { EngineEvent } from '../../src-common/contract';
import type { EngineJob } from './engine-jobs';
import type { WorkerMessage } from './engine-worker';
import { JobError } from './job-errors';

export interface RunningJob<T = unknown> {
  result: Promise<T>;
  cancel(): void;
}

function workerUrl(): { url: URL; execArgv: string[] } {
  // From source (tests, tsx) the worker is TypeScript and needs tsx's loader; built, it is plain JS.
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource
    ? { url: new URL('./engine-worker.ts', import.meta.url), execArgv: ['--import', 'tsx'] }
    : { url: new URL('./engine-worker.js', import.meta.url), execArgv: [] };
}

export function startEngineJob<T = unknown>(job: EngineJob, onEvent: (event: EngineEvent) => void = () => undefined): RunningJob<T> {
  const { url, execArgv } = workerUrl();
  const worker = new Worker(url, { workerData: { job }, execArgv });
  let settled = false;
  const result = new Promise<T>((resolve, reject) => {
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'event') onEvent(msg.event);
      else if (msg.type === 'done') {
        settled = true;
        resolve(msg.result as T);
        void worker.terminate();
      } else {
        settled = true;
        reject(new JobError(msg.error));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`The engine worker stopped unexpectedly (exit code ${code}).`));
    });
  });
  return {
    result,
    cancel: () => worker.postMessage({ type: 'cancel' }),
  };
}
