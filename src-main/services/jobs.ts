// Runs engine jobs: the app's in worker threads, so its window never waits on the database (one worker
// per job; cancelling asks the worker, which cancels the running statement); the CLI's on its own thread.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineEvent } from '../../src-common/contract';
import type { DiffSessionJob, EngineJob } from './engine-jobs';
import type { ParentMessage, WorkerMessage } from './engine-worker';
import { JobError, serializeError } from './job-errors';

export interface RunningJob<T = unknown> {
  result: Promise<T>;
  cancel(): void;
  /** Stops the worker at once (its connections close, so the server rolls back); `result` rejects. */
  terminate?(): Promise<void>;
}

function createWorker(job: EngineJob | DiffSessionJob): Worker {
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

export interface RunningSession<T = unknown> extends RunningJob<T> {
  /** Calls the open session in the worker (after `result` resolved). */
  call<R = unknown>(method: string, args?: unknown): Promise<R>;
  /** Closes the session (rolling its transaction back) and ends the worker. */
  close(): Promise<void>;
}

/** One worker for one job. A one-shot job's worker ends with its result; a session's worker stays,
 *  answering calls until closed. */
function startWorker<T>(job: EngineJob | DiffSessionJob, onEvent: (event: EngineEvent) => void, session: boolean): RunningSession<T> {
  const worker = createWorker(job);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let settled = false;
  let ended = false;
  let rejectResult: (e: Error) => void = () => undefined;
  const result = new Promise<T>((resolve, reject) => {
    rejectResult = (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'event') onEvent(msg.event);
      else if (msg.type === 'done') {
        settled = true;
        resolve(msg.result as T);
        if (!session) void worker.terminate();
      } else if (msg.type === 'error') {
        settled = true;
        reject(new JobError(msg.error));
        void worker.terminate();
      } else {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.value);
        else p?.reject(new JobError(msg.error));
      }
    });
    worker.on('error', (error) => {
      // The worker died (out of memory, a crash while loading): said as what it is.
      settled = true;
      reject(new JobError(serializeError(error, { uncaught: true })));
    });
    worker.on('exit', (code) => {
      ended = true;
      if (!settled)
        reject(new JobError({ name: 'Error', message: `The engine worker stopped unexpectedly (exit code ${code}).`, internal: true }));
      for (const p of pending.values()) p.reject(new Error('The diff was closed.'));
      pending.clear();
    });
  });
  void result.catch(() => undefined);
  const send = (m: ParentMessage) => worker.postMessage(m);
  const call = <R>(method: string, args?: unknown) =>
    new Promise<R>((resolve, reject) => {
      if (ended) return reject(new Error('The diff was closed.'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send({ type: 'call', id, method, args });
    });
  return {
    result,
    cancel: () => send({ type: 'cancel' }),
    async terminate() {
      rejectResult(
        new JobError({
          name: 'CancelledError',
          message:
            'The run was stopped without waiting for it to finish. The server rolls back the open transaction when the connection closes.',
        }),
      );
      await worker.terminate();
    },
    call,
    async close() {
      if (ended) return;
      await call('close').catch(() => undefined);
      await worker.terminate();
    },
  };
}

export function startEngineJob<T = unknown>(job: EngineJob, onEvent: (event: EngineEvent) => void = () => undefined): RunningJob<T> {
  const { result, cancel, terminate } = startWorker<T>(job, onEvent, false);
  return { result, cancel, terminate };
}

/**
 * Runs a job on this thread, for the command line: its process is the job's alone, and a worker would
 * load the engine a second time (half of a small import's start-up). Errors, caught or not, come out as
 * a worker's do; without a worker there is nothing to terminate, so a run that ignores its cancel is
 * ended with the process.
 */
export function runEngineJobHere<T = unknown>(job: EngineJob, onEvent: (event: EngineEvent) => void = () => undefined): RunningJob<T> {
  const controller = new AbortController();
  let failUncaught: (error: unknown) => void = () => undefined;
  const uncaught = new Promise<never>((_, reject) => {
    failUncaught = (error) => {
      controller.abort(new Error('the engine failed'));
      reject(new JobError(serializeError(error, { uncaught: true })));
    };
  });
  process.on('uncaughtException', failUncaught);
  process.on('unhandledRejection', failUncaught);
  const ran = import('./engine-jobs')
    .then(({ runEngineJob }) => runEngineJob(job, controller.signal, onEvent))
    .then(
      (value) => value as T,
      (error: unknown) => {
        throw new JobError(serializeError(error));
      },
    );
  const result = Promise.race([ran, uncaught]).finally(() => {
    process.off('uncaughtException', failUncaught);
    process.off('unhandledRejection', failUncaught);
  });
  void result.catch(() => undefined);
  return { result, cancel: () => controller.abort(new Error('cancelled')) };
}

/** Starts a job whose worker stays alive after its result, answering calls until closed. */
export function startSessionJob<T = unknown>(
  job: DiffSessionJob,
  onEvent: (event: EngineEvent) => void = () => undefined,
): RunningSession<T> {
  return startWorker<T>(job, onEvent, true);
}
