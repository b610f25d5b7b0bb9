// Runs engine jobs in worker threads, so neither a window nor the CLI's progress display waits on the
// database. One worker per job; cancelling asks the worker, which cancels the running statement.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineEvent } from '../../src-common/contract';
import type { EngineJob } from './engine-jobs';
import type { WorkerMessage } from './engine-worker';
import { JobError } from './job-errors';

export interface RunningJob<T = unknown> {
  result: Promise<T>;
  cancel(): void;
}

function createWorker(job: EngineJob): Worker {
  // Built, the worker is plain JS beside this chunk. From source (tests, tsx) it is TypeScript: a worker
  // does not inherit tsx's loader (and `--import tsx` in a worker's execArgv is not honoured on Node 20),
  // so a small bootstrap registers tsx inside the worker and then imports it.
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: { job } });
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const url = new URL('./engine-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: { job } });
}

export function startEngineJob<T = unknown>(job: EngineJob, onEvent: (event: EngineEvent) => void = () => undefined): RunningJob<T> {
  const worker = createWorker(job);
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
