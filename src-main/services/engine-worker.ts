// A worker thread that runs one engine job and reports its events, result or error to its parent. A
// session job (an open diff) stays alive after its result and answers calls until it is closed.
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineEvent } from '../../src-common/contract';
import { type DiffSessionJob, type EngineJob, type EngineSession, openEngineSession, runEngineJob } from './engine-jobs';
import { type SerializedError, serializeError } from './job-errors';

export type WorkerMessage =
  | { type: 'event'; event: EngineEvent }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: SerializedError }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: SerializedError };

export type ParentMessage = { type: 'cancel' } | { type: 'call'; id: number; method: string; args: unknown };

const port = parentPort;
if (!port) throw new Error('engine-worker must run in a worker thread');
const controller = new AbortController();
const post = (m: WorkerMessage) => port.postMessage(m);
const emit = (event: EngineEvent) => post({ type: 'event', event });
let session: EngineSession | null = null;

port.on('message', (msg: ParentMessage) => {
  if (msg.type === 'cancel') controller.abort(new Error('cancelled'));
  else if (msg.type === 'call') {
    const reply =
      msg.method === 'close'
        ? (session?.close() ?? Promise.resolve()).then(() => ({ ok: true }))
        : session
          ? session.call(msg.method, msg.args)
          : Promise.reject(new Error('no open session'));
    reply.then(
      (value) => post({ type: 'reply', id: msg.id, ok: true, value }),
      (error) => post({ type: 'reply', id: msg.id, ok: false, error: serializeError(error) }),
    );
  }
});

// An error nothing caught (a stream's 'error' without a listener, a rejected promise nobody awaited)
// still ends the job with that error, said as it is, instead of killing the worker without a word.
let reported = false;
const report = (error: unknown) => {
  if (reported) return;
  reported = true;
  controller.abort(new Error('the engine failed'));
  post({ type: 'error', error: serializeError(error, { uncaught: true }) });
};
process.on('uncaughtException', report);
process.on('unhandledRejection', report);

const job = workerData.job as EngineJob | DiffSessionJob;
const started: Promise<unknown> =
  job.kind === 'diff-session'
    ? openEngineSession(job, controller.signal, emit).then((s) => {
        session = s;
        return s.result;
      })
    : runEngineJob(job, controller.signal, emit);
started.then(
  (result) => {
    if (!reported) post({ type: 'done', result });
  },
  (error) => {
    if (reported) return;
    reported = true;
    post({ type: 'error', error: serializeError(error) });
  },
);
